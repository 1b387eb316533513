"""What a run tells the planner: each warning once, and nothing about units the data does not cover."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import geopandas as gpd


def test_amsterdam_cli_warns_once_and_not_about_units_outside_the_data(
    amsterdam_pbf: Path, amsterdam_buurten: Path, tmp_path: Path
) -> None:
    # the whole municipality's 518 buurten against an extract of the centre: the ~500 buurten
    # wholly outside the data are left out, not reported as "residents that cannot be placed"
    r = subprocess.run(
        [sys.executable, "-m", "infra_geo.cli", "analyse", "--osm-file", str(amsterdam_pbf),
         "--neighbourhoods", str(amsterdam_buurten), "--out", str(tmp_path / "out"),
         "--lang", "en"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("infra-geo: ")]
    assert warnings, r.stderr
    repeated = {w: n for w, n in Counter(warnings).items() if n > 1}
    assert not repeated, repeated  # the CBS comparison in summary.md re-runs steps quietly
    assert not any("cannot be placed" in w for w in warnings), warnings
    n_all = len(gpd.read_file(amsterdam_buurten))
    table = gpd.read_file(tmp_path / "out" / "gaps.gpkg")
    assert 0 < len(table) < n_all / 10  # only the buurten that touch the data
