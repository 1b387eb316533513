"""Many regions on Dask (issue 17): ``ig.analyse_regions`` and ``infra-geo batch``.

Every batch runs on a REAL cluster: a ``dask scheduler`` and two ``dask worker`` processes
started here on 127.0.0.1 (module fixture ``cluster``), or the LocalCluster the CLI starts.
The reference is always the whole-country :func:`infra_geo.analyse` on the same units and
the same data extent.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import infra_geo as ig
from infra_geo import _schema, cli
from infra_geo.components import COMPONENTS

ROOT = Path(__file__).resolve().parents[1]
TOL = 1e-6


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Cluster:
    """A dask scheduler and workers as subprocesses of the venv's python."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / "scheduler.json"
        self.scheduler = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--scheduler-file",
                str(self.file),
                "--no-dashboard",
            ],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.workers: list[subprocess.Popen] = []
        deadline = time.monotonic() + 60
        while not self.file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.3)
        self.address = json.loads(self.file.read_text())["address"]

    def start_worker(self) -> None:
        self.workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    "--scheduler-file",
                    str(self.file),
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--memory-limit",
                    "4GB",
                    "--local-directory",
                    str(self.folder),
                ],
                env=_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    def alive(self) -> list[subprocess.Popen]:
        return [w for w in self.workers if w.poll() is None]

    def ensure(self, n: int) -> None:
        """Have ``n`` live workers connected to the scheduler."""
        from distributed import Client

        while len(self.alive()) < n:
            self.start_worker()
        with Client(self.address, timeout="30s") as c:
            c.wait_for_workers(n, timeout=120)
            deadline = time.monotonic() + 60
            while len(c.scheduler_info()["workers"]) != n and time.monotonic() < deadline:
                time.sleep(0.3)

    def idle(self) -> None:
        """Wait until no task runs on any worker (orphans of a killed client finish).

        A killed client's tasks are forgotten by the scheduler, but a running one goes on in
        its worker thread: the workers' ``active_threads`` say when it is over.
        """
        from distributed import Client

        with Client(self.address, timeout="30s") as c:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                busy = c.run(lambda dask_worker: len(dask_worker.active_threads))
                if not any(busy.values()) and not any(c.processing().values()):
                    return
                time.sleep(0.5)

    def kill_worker(self) -> None:
        os.kill(self.alive()[0].pid, signal.SIGKILL)

    def close(self) -> None:
        for p in [*self.workers, self.scheduler]:
            if p.poll() is None:
                p.terminate()
        for p in [*self.workers, self.scheduler]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        c.ensure(2)
        yield c
    finally:
        c.close()


# ------------------------------------------------------------------------------- checks
def _equal_columns(gaps: pd.DataFrame, minutes: tuple[int, ...]) -> list[str]:
    cols = ["population_input", "residents", "residents_outside_data", "unplaced", "partial"]
    for c in COMPONENTS:
        cols += [_schema.column(c.key, "facilities"), _schema.column(c.key, "per_1000")]
        cols += [_schema.share(c.key, m) for m in minutes]
        cols += [_schema.reached(c.key, m) for m in minutes]
    cols += [_schema.completeness(m) for m in minutes] + [_schema.all8_share(m) for m in minutes]
    return [c for c in cols if c in gaps.columns]


def _where_known_columns(minutes: tuple[int, ...]) -> list[str]:
    cols = []
    for c in COMPONENTS:
        cols += [_schema.mean_m(c.key), _schema.column(c.key, "p90_m")]
        cols += [_schema.column(c.key, "no_path")]
        cols += [_schema.unreached(c.key, m) for m in minutes]
    return cols


def _num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s.astype("object"), errors="coerce").to_numpy(dtype=float)


def assert_equals_whole(merged: pd.DataFrame, whole: pd.DataFrame, minutes=(5, 10, 15)) -> None:
    """Every unit of the merged table equals the whole-country run (to 1e-6).

    Exact: residents, facilities, shares, reached counts, completeness. Where the batch
    reports them (every resident within the largest threshold; p90 within it): mean and p90
    distances, no_path and unreached counts. A blank must have a reason: a resident beyond.
    """
    m = merged.set_index("unit_id")
    w = whole.set_index("unit_id")
    assert m.index.is_unique and set(m.index) <= set(w.index)
    w = w.loc[m.index]
    for col in _equal_columns(m, minutes):
        a, b = _num(m[col]), _num(w[col])
        assert np.array_equal(np.isnan(a), np.isnan(b)), col
        ok = ~np.isnan(a)
        assert np.allclose(a[ok], b[ok], atol=TOL, rtol=0), (col, np.abs(a[ok] - b[ok]).max())
    top = max(minutes)
    limit = top * 80.0  # metres at 4.8 km/h
    for col in _where_known_columns(minutes):
        a, b = _num(m[col]), _num(w[col])
        known = ~np.isnan(a)
        assert np.allclose(a[known], b[known], atol=TOL, rtol=0, equal_nan=True), col
        key = col.split("_")[0] if not col.startswith("public_space") else "public_space"
        full = _num(m[_schema.share(key, top)]) >= 1 - 1e-12
        blank = np.isnan(a) & ~np.isnan(b)
        if col.endswith("p90_m"):
            assert (b[blank] > limit - TOL).all(), col  # blank only beyond the threshold
        else:
            assert not (blank & full).any(), col  # blank only where a resident is beyond


# ------------------------------------------------------------------------- Liechtenstein
@pytest.fixture(scope="module")
def li_batch(cluster, liechtenstein, tmp_path_factory):
    out = tmp_path_factory.mktemp("li") / "batch"
    res = ig.analyse_regions(
        liechtenstein, "admin:8", neighbourhoods="hex:500", scheduler=cluster.address, out=out
    )
    return res, out


@pytest.fixture(scope="module")
def li_whole(li_batch, liechtenstein):
    res, _ = li_batch
    return ig.analyse(liechtenstein, neighbourhoods=res.units, extent=res.extent)


def test_liechtenstein_by_municipality_equals_whole_country(li_batch, li_whole):
    res, out = li_batch
    assert res.counts() == {"done": 11, "skipped": 0, "failed": 0, "empty": 0}
    assert sorted(res.regions["region_name"]) == sorted(
        "Vaduz Schaan Triesen Balzers Eschen Mauren Triesenberg Ruggell Gamprin "
        "Schellenberg Planken".split()
    )
    # each unit in exactly one region; the others reported, not dropped
    assert res.units["unit_id"].is_unique
    assert len(res.gaps) + len(res.units_outside) == len(res.units)
    assert set(res.gaps["unit_id"]).isdisjoint(res.units_outside["unit_id"])
    assert res.gaps["region_key"].notna().all()
    assert res.buffer_m == pytest.approx(1870.0)
    assert_equals_whole(res.gaps, li_whole.gaps)
    for key in res.regions["region_key"]:
        manifest = json.loads((out / "regions" / key / "manifest.json").read_text())
        assert manifest["input_sha256"] and manifest["infra_geo"] == ig.__version__
        assert all((out / "regions" / key / f).is_file() for f in ig.analysis.OUTPUT_FILES)
    merged = gpd.read_parquet(out / "merged" / "gaps.parquet")
    assert len(merged) == len(res.gaps) and merged.crs.to_epsg() == 4326
    assert len(gpd.read_file(out / "merged" / "gaps.gpkg")) == len(res.gaps)
    summary = (out / "merged" / "summary.md").read_text()
    assert "11 regio's" in summary and f"{len(res.units_outside)}" in summary
    page = (out / "merged" / "map.html").read_text()
    assert page.count("../regions/relation_") == 11 and "Triesenberg" in page


def test_liechtenstein_summary_and_map_for_planners(li_batch, liechtenstein):
    """summary.md's per-region table equals a hand computation from the merged gaps.

    Shares within 10 min per component and of all 8, over each region's headline units
    (neither partial nor data problem), weighted by residents; rows sorted by name; what the
    shares cover; the residents of the units outside every region (estimated from floor
    area: with them the units hold every resident the whole file's estimate has).
    """
    from infra_geo import _i18n
    from infra_geo.analysis import residents_per_m2_floor
    from infra_geo.population import residential_buildings

    res, out = li_batch
    summary = (out / "merged" / "summary.md").read_text(encoding="utf-8")
    rows = [ln for ln in summary.splitlines() if ln.startswith("| ") and "---" not in ln]
    cells = [[c.strip() for c in ln.strip("|").split("|")] for ln in rows]
    assert cells[0][5:] == ["alle 8 binnen 10 min"] + [c.label("nl") for c in COMPONENTS]
    body = {c[0]: c[1:] for c in cells[1:]}
    assert list(body) == sorted(body, key=str.casefold) and len(body) == 11
    g = res.gaps
    cols = [_schema.all8_share(10)] + [_schema.share(c.key, 10) for c in COMPONENTS]
    distinct = set()
    for name, sub in g.groupby("region_name"):
        head = sub.loc[~sub["partial"] & ~sub["data_problem"] & (sub["residents"] > 0)]
        w = head["residents"].to_numpy(float)
        for i, col in enumerate(cols):
            want = float((head[col].fillna(0).to_numpy(float) * w).sum() / w.sum())
            assert body[name][4 + i] == _i18n.percent(want, "nl"), (name, col)
            distinct.add(body[name][4 + i])
        left = sub["partial"] | sub["data_problem"]
        assert body[name][2] == _i18n.number(int(left.sum()), "nl")
    assert len(distinct) > 5  # the component columns tell the municipalities apart
    head = ~g["partial"] & ~g["data_problem"] & (g["residents"] > 0)
    line = next(ln for ln in summary.splitlines() if ln.startswith("Kerncijfers over "))
    assert line.startswith(
        f"Kerncijfers over {_i18n.number(g.loc[head, 'residents'].sum(), 'nl')} van "
        f"{_i18n.number(g['population_input'].sum(), 'nl')} inwoners "
        f"({_i18n.number(int(head.sum()), 'nl')} gebieden; "
    )
    outside = next(ln for ln in summary.splitlines() if ln.startswith("Eenheden buiten"))
    got = re.search(r"met samen ([\d.]+) inwoners \(geschat uit woonoppervlak", outside)
    assert got and f"{len(res.units_outside)}, met samen" in outside
    total = residential_buildings(liechtenstein)["weight"].sum() * residents_per_m2_floor
    inside = g["population_input"].sum()
    assert abs(inside + float(got.group(1).replace(".", "")) - total) <= 1.0
    page = (out / "merged" / "map.html").read_text(encoding="utf-8")
    assert 'class=\\"ig-popup\\"' in page and "select" in page and "liechtenstein.osm.pbf" in page


def test_a_facility_across_a_municipal_border_is_counted(li_batch, li_whole, liechtenstein):
    """Find a unit whose nearest facility (within reach) lies in another municipality.

    The batch counts it (its share equals the whole country's), and the same region cut at
    its border (no buffer) reaches less: the facility across the border is what counts.
    """
    res, _ = li_batch
    whole = li_whole
    regions = res.regions.set_index("region_key")
    fac = whole.facilities.set_index("facility_id")
    fac_region = gpd.sjoin(
        gpd.GeoDataFrame(geometry=fac.geometry.representative_point(), crs=4326, index=fac.index),
        res.regions[["region_key", "geometry"]],
        predicate="within",
    )["region_key"]
    fac_region = fac_region[~fac_region.index.duplicated()]
    nodes = whole.network.nodes.to_crs(4326)
    units = res.gaps.set_index("unit_id")
    node_unit = gpd.sjoin(
        nodes[["geometry"]], res.gaps[["unit_id", "region_key", "geometry"]], predicate="within"
    )
    node_unit = node_unit[~node_unit.index.duplicated()]
    candidates = []
    for c in ("care", "culture", "education", "digital", "sports", "meeting"):
        d = whole.distances.loc[node_unit.index]
        near = d[f"{c}_nearest"].map(fac_region)
        across = (d[f"{c}_m"] <= 10 * 80) & near.notna() & (near != node_unit["region_key"])
        for unit, n in node_unit.loc[across, "unit_id"].value_counts().items():
            if units.loc[unit, _schema.share(c, 10)] > 0.05:
                candidates.append((n, c, unit))
    assert candidates, "no facility across a municipal border within 10 minutes"
    cut_runs: dict[str, pd.DataFrame] = {}
    for _, c, unit in sorted(candidates, reverse=True)[:6]:
        key = units.loc[unit, "region_key"]
        col = _schema.share(c, 10)
        w = whole.gaps.set_index("unit_id").loc[unit, col]
        assert units.loc[unit, col] == pytest.approx(w, abs=TOL)
        if key not in cut_runs:
            own = res.units.loc[res.units["region_key"] == key]
            cut_runs[key] = ig.analyse(
                liechtenstein,
                polygon=regions.loc[key, "geometry"],
                neighbourhoods=own,
                extent=res.extent,
            ).gaps.set_index("unit_id")
        if cut_runs[key].loc[unit, col] < w - 1e-3:
            return  # cut at the border, the unit reaches less: the batch counts across it
    pytest.fail(f"no unit reached less when cut at its border: {candidates[:6]}")


# --------------------------------------------------------------------------------- Malta
#: Malta runs at 5 and 10 minutes (buffer 1,450 m): the same code as 15, a shorter test
MT_MINUTES = (5, 10)


@pytest.fixture(scope="module")
def malta():
    from conftest import shared_path

    return shared_path("osm/malta-2018.osm.pbf")


@pytest.fixture(scope="module")
def malta_batch(cluster, malta, tmp_path_factory):
    """Malta by council: a batch killed mid-run, then resumed with a worker SIGKILLed.

    1. ``infra-geo batch`` (a subprocess, a client of the test cluster) is SIGKILLed once 8
       regions are complete; tasks it left running on the workers are waited for.
    2. ``analyse_regions`` on the same folder resumes; after its 5th region, one of the two
       workers is SIGKILLed: its task is rescheduled on the other.
    """
    cluster.ensure(2)
    out = tmp_path_factory.mktemp("mt") / "batch"
    args = [
        "batch",
        "--osm-file",
        str(malta),
        "--regions",
        "admin:8",
        "--neighbourhoods",
        "hex:500",
        "--minutes",
        "5,10",
        "--scheduler",
        cluster.address,
        "--out",
        str(out),
        "--quiet",
    ]
    start = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "infra_geo.cli", *args], env=_env())
    deadline = time.monotonic() + 900
    while len(list(out.glob("regions/*/manifest.json"))) < 8 and time.monotonic() < deadline:
        assert p.poll() is None, "the batch ended before it could be killed"
        time.sleep(0.2)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    cluster.idle()  # what the killed client left running finishes
    finished = len(list(out.glob("regions/*/manifest.json")))
    seen: list[str] = []

    def progress(key: str, status: str) -> None:
        seen.append(status)
        if seen.count("done") == 5:
            cluster.kill_worker()

    res = ig.analyse_regions(
        malta,
        "admin:8",
        neighbourhoods="hex:500",
        minutes=MT_MINUTES,
        scheduler=cluster.address,
        out=out,
        progress=progress,
    )
    seconds = time.perf_counter() - start
    alive = len(cluster.alive())
    cluster.ensure(2)
    return res, out, finished, alive, seconds


@pytest.fixture(scope="module")
def malta_whole(malta_batch, malta):
    res = malta_batch[0]
    return ig.analyse(malta, neighbourhoods=res.units, extent=res.extent, minutes=MT_MINUTES)


def test_malta_resumes_after_a_killed_batch(malta_batch):
    res, out, finished, _, _ = malta_batch
    n = len(res.regions)
    assert n >= 60  # Malta's local councils at admin_level 8
    assert 8 <= finished < n
    empty = res.counts()["empty"]  # councils too small to hold a hexagon's centre
    assert res.counts() == {
        "done": n - finished - empty,
        "skipped": finished,
        "failed": 0,
        "empty": empty,
    }
    assert set(res.regions.loc[res.regions["status"] == "empty", "units"]) <= {0}
    assert len(list(out.glob("regions/*/manifest.json"))) == n - empty


def test_malta_by_council_with_a_killed_worker_equals_whole_country(malta_batch, malta_whole):
    res, _, _, alive, seconds = malta_batch
    assert alive == 1  # a worker was killed mid-run; the batch still completed
    assert (res.regions["status"] != "failed").all()
    assert len(res.gaps) + len(res.units_outside) == len(res.units)
    assert_equals_whole(res.gaps, malta_whole.gaps, minutes=MT_MINUTES)
    print(f"Malta batch (killed, resumed): {seconds:.1f} s, {len(res.regions)} regions")


# ----------------------------------------------------------------- resume and settings
def _halves() -> gpd.GeoDataFrame:
    w, s, e, n = ig.data_extent(ig.sample_path()).bounds
    return gpd.GeoDataFrame(
        {"name": ["west", "east"]},
        geometry=[
            shapely.box(w - 0.01, s - 0.01, (w + e) / 2, n + 0.01),
            shapely.box((w + e) / 2, s - 0.01, e + 0.01, n + 0.01),
        ],
        crs="EPSG:4326",
    )


def test_resume_skips_and_a_settings_change_reruns(cluster, tmp_path):
    cluster.ensure(2)
    kw = {"neighbourhoods": "hex:250", "scheduler": cluster.address, "out": tmp_path / "b"}
    first = ig.analyse_regions(ig.sample_path(), _halves(), **kw)
    assert first.counts() == {"done": 2, "skipped": 0, "failed": 0, "empty": 0}
    again = ig.analyse_regions(ig.sample_path(), _halves(), **kw)
    assert again.counts() == {"done": 0, "skipped": 2, "failed": 0, "empty": 0}
    pd.testing.assert_frame_equal(
        pd.DataFrame(again.gaps.drop(columns="geometry")),
        pd.DataFrame(first.gaps.drop(columns="geometry")),
    )
    slower = ig.analyse_regions(ig.sample_path(), _halves(), speed_kmh=3.6, **kw)
    assert slower.counts() == {"done": 2, "skipped": 0, "failed": 0, "empty": 0}
    assert not np.allclose(_num(slower.gaps["care_share_5"]), _num(first.gaps["care_share_5"]))
    # a region whose manifest is gone (a half-written region) runs again, the other is skipped
    (tmp_path / "b" / "regions" / "region-1" / "manifest.json").unlink()
    calls: list[tuple] = []  # the progress bar's total comes first, then one call per region
    part = ig.analyse_regions(
        ig.sample_path(),
        _halves(),
        speed_kmh=3.6,
        progress=lambda key, status: calls.append((key, status)),
        progress_total=lambda n: calls.append(("total", n)),
        **kw,
    )
    assert part.counts() == {"done": 1, "skipped": 1, "failed": 0, "empty": 0}
    assert calls[0] == ("total", 2) and sorted(calls[1:]) == [
        ("region-1", "done"),
        ("region-2", "skipped"),
    ]


# ---------------------------------------------------------------------------- errors
def _box(x0, y0, x1, y1, name):
    return gpd.GeoDataFrame({"name": [name]}, geometry=[shapely.box(x0, y0, x1, y1)], crs=4326)


@pytest.mark.parametrize(
    "regions, error, text",
    [
        (gpd.GeoDataFrame({"name": []}, geometry=[], crs=4326), ig.EmptyDataError, "no polygon"),
        ("admin:99", ig.InputError, "'admin:99': LEVEL must be"),
        ("hex:500", ig.InputError, "regions must be polygons"),
        (_box(0, 0, 1, 1, "Gulf of Guinea"), ig.OutsideDataError, "Gulf of Guinea"),
        (
            gpd.GeoDataFrame(
                {"name": ["bow"]},
                geometry=[
                    shapely.Polygon(
                        [(24.93, 60.16), (24.95, 60.18), (24.95, 60.16), (24.93, 60.18)]
                    )
                ],
                crs=4326,
            ),
            ig.GeometryError,
            "not a valid polygon",
        ),
        (
            pd.concat(
                [_box(24.90, 60.15, 24.95, 60.20, "a"), _box(24.94, 60.15, 24.99, 60.20, "b")]
            ),
            ig.GeometryError,
            "overlap",
        ),
        (
            pd.concat([_box(24.90, 60.15, 24.95, 60.20, "in"), _box(0, 0, 1, 1, "far away")]),
            ig.OutsideDataError,
            "far away",
        ),
        (
            _box(24.90, 60.15, 24.95, 60.20, "x").set_crs(None, allow_override=True),
            ig.CRSError,
            "CRS",
        ),
    ],
)
def test_bad_regions_are_refused_before_any_work(regions, error, text, tmp_path):
    with pytest.raises(error, match=text):
        ig.analyse_regions(ig.sample_path(), regions, out=tmp_path / "b", workers=1)
    assert not (tmp_path / "b" / "merged").exists()


@pytest.mark.parametrize("buffer_m", [0, -5, float("nan"), "wide"])
def test_bad_buffer_is_refused(buffer_m, tmp_path):
    with pytest.raises(ig.InputError, match="buffer_m"):
        ig.analyse_regions(ig.sample_path(), _halves(), buffer_m=buffer_m, out=tmp_path / "b")


@pytest.mark.parametrize(
    "kw, text",
    [
        ({"scheduler": "tcp://127.0.0.1:9"}, "no Dask scheduler could be reached"),
        ({"scheduler": "nonsense"}, "scheduler address"),
        ({"workers": 0}, "workers"),
        ({"client": object(), "scheduler": "tcp://127.0.0.1:9"}, "either client or scheduler"),
    ],
)
def test_bad_cluster_options(kw, text, tmp_path):
    with pytest.raises(ig.InputError, match=text):
        ig.analyse_regions(
            ig.sample_path(), _halves(), neighbourhoods="hex:250", out=tmp_path / "b", **kw
        )


def test_out_folder_with_other_things_is_refused(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "thesis.docx").write_text("mine")
    with pytest.raises(ig.InputError, match=r"thesis\.docx"):
        ig.analyse_regions(ig.sample_path(), _halves(), out=tmp_path / "b")


def test_default_buffer_holds_the_largest_walk():
    from infra_geo.regions import default_buffer_m

    assert default_buffer_m() == pytest.approx(15 * 80 + 2 * 250 + 50 + 120)
    assert default_buffer_m(minutes=10, speed_kmh=3.6) == pytest.approx(600 + 500 + 50 + 100)


# ------------------------------------------------------------------------------- CLI
def test_cli_batch_liechtenstein_two_local_workers(liechtenstein, tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra_geo.cli",
            "batch",
            "--osm-file",
            str(liechtenstein),
            "--regions",
            "admin:8",
            "--workers",
            "2",
            "--out",
            str(tmp_path / "b"),
            "--lang",
            "en",
        ],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=900,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert (
        "11 regions: 11 done, 0 skipped (already complete), 0 failed, 0 without units" in r.stdout
    )
    assert "Dask dashboard: http" in r.stdout
    summary = (tmp_path / "b" / "merged" / "summary.md").read_text()
    assert summary.startswith("# Social infrastructure by region") and "Vaduz" in summary
    merged = gpd.read_parquet(tmp_path / "b" / "merged" / "gaps.parquet")
    assert merged["region_name"].nunique() == 11


@pytest.mark.parametrize(
    "args, flag",
    [
        (["--buffer-m", "-3"], "--buffer-m"),
        (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler"),
        (["--workers", "0"], "--workers"),
        (["--regions", "admin:zz"], "--regions 'admin:zz': LEVEL must be"),
        (["--osm-file", "nowhere.pbf"], "--osm-file nowhere.pbf does not exist"),
    ],
)
def test_cli_batch_errors_name_the_flag(args, flag, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _halves().to_file(tmp_path / "halves.geojson")
    base = {"--osm-file": str(ig.sample_path()), "--regions": "halves.geojson", "--out": "b"}
    for k, v in zip(args[::2], args[1::2], strict=True):
        base[k] = v
    argv = ["batch", *[x for kv in base.items() for x in kv], "--neighbourhoods", "hex:250"]
    assert cli.main(argv) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("infra-geo: error:")]
    assert len(err) == 1 and flag in err[0], err


def test_regions_file_cbs_gemeenten_layer_any_crs(tmp_path):
    """A CBS-like GeoPackage in RD New: the gemeenten layer and GM_CODE/GM_NAAM are used."""
    from infra_geo import _regions_plan

    halves = _halves().assign(GM_CODE=["GM0001", "GM0002"], GM_NAAM=["West", "Oost"])
    path = tmp_path / "wijkenbuurten.gpkg"
    halves.to_crs(28992).to_file(path, layer="gemeenten")
    halves.assign(BU_CODE=["BU1", "BU2"]).to_crs(28992).to_file(path, layer="buurten")
    regions, from_osm = _regions_plan.read_regions(str(path), ig.sample_path())
    assert not from_osm and regions.crs.to_epsg() == 4326
    assert list(regions["region_key"]) == ["GM0001", "GM0002"]
    assert list(regions["region_name"]) == ["West", "Oost"]
    assert regions.geometry.iloc[0].equals_exact(halves.geometry.iloc[0], 1e-6)
