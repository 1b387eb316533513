#!/usr/bin/env bash
# Local copies of the web libraries a folium 0.20 map loads from CDNs, for the browser tests
# (tests/test_maps.py serves them to headless Chromium instead of the CDN; the test machine
# has no internet). Idempotent: does nothing when the pinned versions are already installed.
#
#   tests/fetch_web_assets.sh            # installs into tests/.web-assets (gitignored)
#   WEB_ASSETS_DIR=/some/dir tests/fetch_web_assets.sh
#
# The versions are the ones folium 0.20 references (folium/folium.py _default_js/_default_css,
# folium/plugins/marker_cluster.py). Leaflet.awesome-markers 2.0.2 (cdnjs) is not on npm;
# 2.0.4 is the nearest published release of the same code. When folium is upgraded, update
# both this list and WEB_ASSETS in tests/test_maps.py.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEST="${WEB_ASSETS_DIR:-$HERE/.web-assets}"

PACKAGES=(
  "leaflet@1.9.3"
  "jquery@3.7.1"
  "bootstrap@5.2.2"
  "@fortawesome/fontawesome-free@6.2.0"
  "leaflet.awesome-markers@2.0.4"
  "leaflet.markercluster@1.1.0"
)

installed_version() {  # $1 = package name -> prints its installed version, or nothing
  local pj="$DEST/node_modules/$1/package.json"
  [ -f "$pj" ] && node -e 'process.stdout.write(require(process.argv[1]).version)' "$pj" 2>/dev/null || true
}

missing=()
for spec in "${PACKAGES[@]}"; do
  name="${spec%@*}"
  want="${spec##*@}"
  if [ "$(installed_version "$name")" != "$want" ]; then
    missing+=("$spec")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "web assets up to date in $DEST"
  exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "npm is required (apt-get install -y npm)" >&2; exit 1; }
mkdir -p "$DEST"
[ -f "$DEST/package.json" ] || echo '{"name": "infra-geo-web-assets", "private": true}' > "$DEST/package.json"
echo "installing ${missing[*]} into $DEST"
npm install --prefix "$DEST" --no-audit --no-fund --ignore-scripts --legacy-peer-deps \
  --save-exact "${PACKAGES[@]}"

for spec in "${PACKAGES[@]}"; do
  name="${spec%@*}"
  want="${spec##*@}"
  got="$(installed_version "$name")"
  if [ "$got" != "$want" ]; then
    echo "$name: expected $want, found '${got:-nothing}'" >&2
    exit 1
  fi
done
echo "web assets installed in $DEST"
