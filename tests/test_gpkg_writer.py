"""facilities.gpkg through pyogrio's Arrow writer, and the plain writer where GDAL is older."""

from __future__ import annotations

import pandas as pd
import pyogrio

import infra_geo as ig
from infra_geo import _report


def test_arrow_and_plain_writers_give_the_same_facility_table(liechtenstein, tmp_path, monkeypatch):
    """Real Liechtenstein facilities (many sparse OSM tag columns) read back equal both ways."""
    fac = ig.facilities_from_file(liechtenstein)
    assert _report._gdal_writes_arrow()  # this machine's GDAL (>= 3.8): the Arrow path runs
    _report._to_gpkg(fac, tmp_path / "arrow.gpkg", "facilities", arrow=True)
    monkeypatch.setattr(pyogrio, "__gdal_version__", (3, 6, 2))  # e.g. Debian 12's GDAL
    assert not _report._gdal_writes_arrow()
    _report._to_gpkg(fac, tmp_path / "plain.gpkg", "facilities", arrow=True)
    a = pyogrio.read_dataframe(tmp_path / "arrow.gpkg", layer="facilities")
    b = pyogrio.read_dataframe(tmp_path / "plain.gpkg", layer="facilities")
    assert len(a) == len(fac) > 100 and list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all()
