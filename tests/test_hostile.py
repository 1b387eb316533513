"""Hostile input and faults (issue 12): every failure a clear error, outputs all-or-nothing.

Real files are built from ``../shared/data`` (the Amsterdam buurten and extract) and the
embedded sample; the CLI runs in subprocesses and is killed with SIGKILL at every step of
``Analysis.save`` through the test hook ``$INFRA_GEO_TEST_KILL_AT`` (read only by
``infra_geo._outdir.kill_point``). Read-only folders and full disks are real: a tmpfs mounted
read-only or 3 MB small (root can write through permission bits, so chmod would test nothing);
where mounting is not allowed the fault is injected by patching the writer.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

import infra_geo as ig
from infra_geo import _outdir
from infra_geo.analysis import OUTPUT_FILES

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "infra_geo.cli"]
AMS_BUURTEN = ("BU0363AE04", "BU0363AE05", "BU0363AF08")  # wholly inside the data: ranked, named in summary.md
FORMULAS = ("=cmd|' /C calc'!A0", "+SUM(1+1)", "@evil", "-2+3+cmd|' /C calc'!A0", "\tx", "\rx")


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def _ctrl_c_as_from_a_terminal() -> None:
    """Give the CLI child Ctrl-C's default action, whatever the test run's own is.

    A shell starts a background job (``pytest &`` in a script) with SIGINT ignored, and an
    ignored signal stays ignored across ``exec``: Python then never raises
    KeyboardInterrupt, and the Ctrl-C tests would test nothing but the shell.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _sandbox(where: Path) -> Path:
    """A working folder for CLI runs: a file README.md and a folder src/ with a file.

    CLI runs never use the repository as their working folder: a regression of the --out
    checks must not write outputs into the checkout.
    """
    where.mkdir(parents=True, exist_ok=True)
    (where / "README.md").write_text("not an output folder\n")
    (where / "src").mkdir(exist_ok=True)
    (where / "src" / "keep.py").write_text("x = 1\n")
    return where


def _cli(
    *args: str, timeout: float = 300, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="hostile-cwd-") as tmp:
        r = subprocess.run(
            [*CLI, "analyse", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_env(**env),
            cwd=cwd if cwd is not None else _sandbox(Path(tmp)),
            preexec_fn=_ctrl_c_as_from_a_terminal,
        )
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 2, 130), (r.returncode, r.stderr)
    return r


def _error_line(r: subprocess.CompletedProcess) -> str:
    """The one error line of a failed run (log warnings may precede it)."""
    assert r.returncode == 2, r.stderr
    errors = [ln for ln in r.stderr.splitlines() if "error:" in ln]
    assert len(errors) == 1, r.stderr
    assert errors[0].startswith("infra-geo: error:") and r.stderr.rstrip().endswith(errors[0])
    return errors[0]


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def sample() -> ig.Analysis:
    return ig.analyse(neighbourhoods="hex:250")


@pytest.fixture(scope="module")
def buurten(amsterdam_buurten: Path) -> gpd.GeoDataFrame:
    b = gpd.read_file(amsterdam_buurten)
    return b[b["BU_CODE"].isin(AMS_BUURTEN)].reset_index(drop=True)


def _fingerprint(out: Path) -> dict[str, str]:
    """File name -> content hash; GeoPackages by their table (GDAL stamps the write time)."""
    fp = {}
    for p in sorted(out.iterdir()):
        if p.suffix == ".gpkg":
            df = pyogrio.read_dataframe(p)
            df = pd.DataFrame(df).assign(geometry=shapely.to_wkb(df.geometry.to_numpy()))
            data = pd.util.hash_pandas_object(df, index=False).to_numpy()
            fp[p.name] = hashlib.sha256(data.tobytes()).hexdigest()
        else:
            fp[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return fp


@pytest.fixture(scope="module")
def generations(sample: ig.Analysis, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An old and a new result (different in four files), pickled, with reference sets."""
    d = tmp_path_factory.mktemp("gen")
    gaps = sample.gaps.copy()
    gaps["unit_name"] = "old " + gaps["unit_name"].astype(str)
    old = dataclasses.replace(sample, lang="en", gaps=gaps)
    info: dict = {"dir": d}
    for name, res in (("old", old), ("new", sample)):
        (d / f"{name}.pkl").write_bytes(pickle.dumps(res))
        res.save(d / f"ref_{name}")
        info[name] = _fingerprint(d / f"ref_{name}")
    assert info["old"] != info["new"]
    assert {k for k in OUTPUT_FILES if info["old"][k] != info["new"][k]} >= {
        "gaps.csv",
        "gaps.xlsx",
        "gaps.gpkg",
        "map.html",
        "summary.md",
    }
    return info


def _save_in_subprocess(pkl: Path, out: Path, kill_at: str, patch: str = "") -> int:
    code = textwrap.dedent(
        f"""
        import pickle, sys
        from infra_geo import _outdir
        {patch}
        res = pickle.loads(open({str(pkl)!r}, "rb").read())
        res.save({str(out)!r})
        """
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(INFRA_GEO_TEST_KILL_AT=kill_at),
    )
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode


# ------------------------------------------------------------------- formula injection
def test_gaps_csv_neutralises_formulas_from_a_real_buurt_file(
    buurten: gpd.GeoDataFrame, amsterdam_pbf: Path, tmp_path: Path
) -> None:
    b = buurten.copy()
    b["BU_NAAM"] = [FORMULAS[0], "Nieuwmarkt\n# heading | pipe", "@evil"]
    b["BU_CODE"] = ["+SUM(1+1)", "-1", "@BU0363AF05"]
    path = tmp_path / "hostile-buurten.gpkg"
    b.to_file(path)
    res = ig.analyse(osm_file=amsterdam_pbf, neighbourhoods=path, minutes=(5, 10))
    g = res.gaps  # every CBS inhabitant is accounted for
    assert g["population_input"].sum() == pytest.approx(b["AANT_INW"].sum())
    assert (g["residents"] + g["residents_outside_data"] + g["unplaced"]).sum() == pytest.approx(
        b["AANT_INW"].sum()
    )
    res.save(tmp_path / "out")
    assert _live_cells(tmp_path / "out" / "gaps.csv") == []  # numbers, also negative, are data
    table = pd.read_csv(tmp_path / "out" / "gaps.csv", dtype={"unit_id": str})
    assert set(table["unit_id"]) == {"'+SUM(1+1)", "'-1", "'@BU0363AF05"}
    assert "'" + FORMULAS[0] in set(table["unit_name"])
    # numbers stay numbers
    assert pd.api.types.is_float_dtype(table["residents"])
    md = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "\n# heading" not in md and "Nieuwmarkt # heading \\| pipe" in md
    # every table row is one line with the right number of cells
    for line in md.splitlines():
        if line.startswith("| ") and "neighbourhood" not in line and "component" not in line:
            assert line.endswith("|")


def _live_cells(path: Path) -> list[str]:
    """Cells of a CSV file that a spreadsheet would evaluate as a formula."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    live = []
    for row in rows:
        for cell in row:
            try:
                float(cell)
            except ValueError:
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    live.append(cell)
    return live


_TOWN_NAME = "=cmd|' /C calc'!A0\n# heading"


def test_osm_admin_boundary_with_hostile_name_and_population_inf(tmp_path: Path) -> None:
    """An OSM admin boundary named like a formula with population=inf, through the CLI."""
    osm = tmp_path / "town.osm"
    osm.write_text(_town_xml(_TOWN_NAME, "inf"), encoding="utf-8")
    units = ig.neighbourhoods_from_osm(file=osm, admin_level=8)
    assert units["unit_name"].tolist() == [_TOWN_NAME] and units["population"].isna().all()
    out = tmp_path / "out"
    r = _cli(
        "--osm-file",
        str(osm),
        "--neighbourhoods",
        "admin:8",
        "--out",
        str(out),
        "--quiet",
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert _live_cells(out / "gaps.csv") == []
    gaps = pd.read_csv(out / "gaps.csv")
    assert gaps["unit_name"].tolist() == ["'" + _TOWN_NAME]
    assert np.isfinite(gaps["residents"]).all() and gaps["residents"].sum() > 0
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert not re.search(r"\binf\b", md) and "\n# heading" not in md
    # ranked (inside the data), so the name is in the worst-served table, on one line
    assert r"| \=cmd\|&#x27; /C calc&#x27;!A0 # heading | 30 |" in md


def test_spreadsheet_safe_every_trigger_and_numbers() -> None:
    df = pd.DataFrame(
        {
            "t": [*FORMULAS, "ok", None, "-"],
            "n": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, -7.0, np.nan, 0.0],
            "s": pd.array(["=1", "a", "b", "+c", "d", "e", "f", None, "@g"], dtype="string"),
        }
    )
    out = _outdir.spreadsheet_safe(df)
    assert out["t"].tolist()[:6] == ["'" + f for f in FORMULAS]
    assert out["t"].tolist()[6] == "ok" and out["t"].tolist()[8] == "'-"
    assert out["n"].equals(df["n"]) and str(out["s"].dtype) == "string"
    assert out["s"].tolist()[0] == "'=1" and out["s"].tolist()[3] == "'+c"
    assert df["t"].iloc[0] == FORMULAS[0]  # the input is not changed


def _town_xml(name: str, population: str) -> str:
    """A 600 m x 600 m town: a street grid, a school, a doctor, homes, one admin boundary."""
    nodes, ways, nid, wid = [], [], 1, 100
    lon0, lat0, d = 9.500, 47.100, 0.0013  # about 100 m
    grid = {}
    for i in range(7):
        for j in range(7):
            grid[i, j] = nid
            nodes.append(
                f'<node id="{nid}" lat="{lat0 + j * d:.7f}" lon="{lon0 + i * d * 1.47:.7f}"/>'
            )
            nid += 1
    for i in range(7):
        for run in ([grid[i, j] for j in range(7)], [grid[j, i] for j in range(7)]):
            nds = "".join(f'<nd ref="{n}"/>' for n in run)
            ways.append(f'<way id="{wid}">{nds}<tag k="highway" v="residential"/></way>')
            wid += 1

    def poi(lon, lat, tags):
        nonlocal nid
        t = "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        nodes.append(f'<node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}">{t}</node>')
        nid += 1

    poi(lon0 + 0.0021, lat0 + 0.0019, {"amenity": "school", "name": "@school"})
    poi(lon0 + 0.0060, lat0 + 0.0045, {"amenity": "doctors", "name": '=HYPERLINK("x")'})
    # homes: small square buildings
    for k in range(6):
        cx, cy = lon0 + 0.0010 + k * 0.0012, lat0 + 0.0006 + (k % 3) * 0.0018
        ids = []
        for dx, dy in ((0, 0), (0.0002, 0), (0.0002, 0.00015), (0, 0.00015)):
            nodes.append(f'<node id="{nid}" lat="{cy + dy:.7f}" lon="{cx + dx:.7f}"/>')
            ids.append(nid)
            nid += 1
        nds = "".join(f'<nd ref="{n}"/>' for n in ids + ids[:1])
        ways.append(f'<way id="{wid}">{nds}<tag k="building" v="house"/></way>')
        wid += 1
    # the boundary: a closed way around the town, a relation with the hostile name
    corners = []
    for lon, lat in (
        (lon0 + 0.0005, lat0 + 0.0003),
        (lon0 + 0.0090, lat0 + 0.0003),
        (lon0 + 0.0090, lat0 + 0.0060),
        (lon0 + 0.0005, lat0 + 0.0060),
    ):
        nodes.append(f'<node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
        corners.append(nid)
        nid += 1
    nds = "".join(f'<nd ref="{n}"/>' for n in corners + corners[:1])
    ways.append(f'<way id="{wid}">{nds}</way>')
    tags = {
        "type": "boundary",
        "boundary": "administrative",
        "admin_level": "8",
        "name": name,
        "population": population,
    }
    t = "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
    rel = f'<relation id="900"><member type="way" ref="{wid}" role="outer"/>{t}</relation>'
    return (
        '<?xml version="1.0"?>\n<osm version="0.6">\n'
        + "\n".join(nodes)
        + "\n"
        + "\n".join(ways)
        + "\n"
        + rel
        + "\n</osm>\n"
    )


# ------------------------------------------------------------------------ all-or-nothing
KILL_STEPS = [f"write:{n}" for n in OUTPUT_FILES] + ["written", "swap", "swapped"]


def test_kill_at_every_save_step_leaves_old_or_new_set(generations: dict, tmp_path: Path) -> None:
    d = generations["dir"]
    outcome = {}
    for i, step in enumerate(KILL_STEPS):
        base = tmp_path / f"k{i}"
        out = base / "out"
        shutil.copytree(d / "ref_old", out)
        rc = _save_in_subprocess(d / "new.pkl", out, step)
        assert rc == -9, (step, rc)  # it was killed there
        fp = _fingerprint(out)
        assert fp in (generations["old"], generations["new"]), step
        outcome[step] = "new" if fp == generations["new"] else "old"
        # the next run cleans the killed run's scratch folder and writes the new set
        pickle.loads((d / "new.pkl").read_bytes()).save(out)
        assert [p.name for p in base.iterdir()] == ["out"], step
        assert _fingerprint(out) == generations["new"]
    # every step before the swap keeps the old set (gaps.xlsx and columns.csv included)
    assert [outcome[s] for s in KILL_STEPS] == ["old"] * (len(KILL_STEPS) - 1) + ["new"]
    assert {"write:gaps.xlsx", "write:columns.csv"} <= set(KILL_STEPS) and len(KILL_STEPS) == 12


def test_fallback_swap_killed_half_way_is_put_back(generations: dict, tmp_path: Path) -> None:
    """Without renameat2 (another OS) the two-rename swap is recovered by the next run."""
    d = generations["dir"]
    out = tmp_path / "out"
    shutil.copytree(d / "ref_old", out)
    patch = "_outdir._exchange = lambda a, b: False"
    assert _save_in_subprocess(d / "new.pkl", out, "swap-half", patch) == -9
    assert not out.exists()  # killed between the two renames
    stranded = [p for p in tmp_path.iterdir() if p.name.endswith("-old")]
    assert len(stranded) == 1
    # the next run puts the old set back first (and is killed before its own swap here)
    assert _save_in_subprocess(d / "new.pkl", out, "write:facilities.gpkg", patch) == -9
    assert _fingerprint(out) == generations["old"]
    # and a fallback swap that completes leaves the new set
    assert _save_in_subprocess(d / "new.pkl", out, "none", patch) == 0
    assert _fingerprint(out) == generations["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_stale_sidecar_and_scratch_of_a_killed_run_are_removed(
    sample: ig.Analysis, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    sample.save(out)
    aux = out / "walk_minutes.tif.aux.xml"
    aux.write_text(
        '<PAMDataset><PAMRasterBand band="1"><Description>stale</Description>'
        "<NoDataValue>-1</NoDataValue></PAMRasterBand></PAMDataset>"
    )
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], text=True, capture_output=True
    ).stdout.strip()
    stale = tmp_path / f".out.infra_geo-{dead}-abcdef"
    stale.mkdir()
    (stale / "map.html").write_text("half")
    sample.save(out)
    assert not aux.exists() and not stale.exists()
    with rasterio.open(out / "walk_minutes.tif") as src:
        assert src.descriptions[0].startswith("meeting:") and np.isnan(src.nodata)


def test_xml_sort_folder_of_a_killed_run_is_removed(tmp_path: Path) -> None:
    from infra_geo._osm_reader import _SORT_PREFIX

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], text=True, capture_output=True
    ).stdout.strip()
    stale = Path(tempfile.gettempdir()) / f"{_SORT_PREFIX}{dead}-zz"
    stale.mkdir(exist_ok=True)
    (stale / "sorted.osm.pbf").write_bytes(b"x")
    legacy = Path(tempfile.gettempdir()) / "infra_geo_zz0hostl"  # an older version's folder
    legacy.mkdir(exist_ok=True)
    (legacy / "sorted.osm.pbf").write_bytes(b"x")
    os.utime(legacy, (0, 0))
    xml = tmp_path / "tiny.osm"
    xml.write_text(_osm_xml("47.1"), encoding="utf-8")
    fac = ig.facilities_from_file(xml)
    assert len(fac) == 1 and not stale.exists() and not legacy.exists()
    assert not [p for p in Path(tempfile.gettempdir()).glob(f"{_SORT_PREFIX}{os.getpid()}-*")]


def test_ctrl_c_message_says_what_is_true(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = _cli("--out", str(out), "--quiet", INFRA_GEO_TEST_KILL_AT="write:summary.md:INT")
    assert r.returncode == 130 and "nothing was written" in r.stderr
    assert not out.exists() or list(out.iterdir()) == []
    r = _cli("--out", str(out), "--quiet", INFRA_GEO_TEST_KILL_AT="swapped:INT")
    assert r.returncode == 130 and "already complete" in r.stderr and "nothing" not in r.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_directory_named_like_an_output_fails_before_the_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.md").mkdir()
    (out / "map.html").write_text("old map")
    r = _cli("--out", str(out), "--quiet", timeout=60)
    assert "summary.md" in _error_line(r) and "--out" in _error_line(r)
    assert (out / "map.html").read_text() == "old map" and (out / "summary.md").is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


# --------------------------------------------------------------- file-system faults
def _mount_tmpfs(where: Path, options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    return r.returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", str(where)], capture_output=True)


def test_read_only_folder_is_refused_before_the_run(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    if _mount_tmpfs(ro, "ro,size=1m"):
        try:
            r = _cli("--out", str(ro / "out"), "--quiet", timeout=60)
            line = _error_line(r)
            assert "--out" in line and "writable" in line and "Read-only" in line
            # a writable --out inside a read-only parent: the swap needs the parent
            _umount(ro)
            assert _mount_tmpfs(ro, "size=1m")
            (ro / "out").mkdir()
            subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
            r = _cli("--out", str(ro / "out"), "--quiet", timeout=60)
            assert "writable" in _error_line(r)
        finally:
            _umount(ro)
    else:  # not allowed to mount: make mkdir fail the way a read-only disk does
        with pytest.raises(ig.DataFileError, match="writable"):
            _outdir_check_with_failing_mkdir(tmp_path / "out")


def _outdir_check_with_failing_mkdir(out: Path) -> None:
    import errno

    real = Path.mkdir

    def mkdir(self: Path, *a, **k) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    Path.mkdir = mkdir  # type: ignore[method-assign]
    try:
        _outdir.check_out_dir(out, outputs=OUTPUT_FILES)
    finally:
        Path.mkdir = real  # type: ignore[method-assign]


def test_nearly_full_disk_is_refused_before_writing(
    sample: ig.Analysis, generations: dict, tmp_path: Path
) -> None:
    small = tmp_path / "small"
    if not _mount_tmpfs(small, "size=2m"):
        pytest.fail("this test mounts a tmpfs: run it as root (as CI does)")
    try:
        out = small / "out"
        shutil.copytree(generations["dir"] / "ref_old", out)
        with pytest.raises(ig.DataFileError, match="MB free on its disk"):
            sample.save(out)
        assert _fingerprint(out) == generations["old"]
        assert [p.name for p in small.iterdir()] == ["out"]
    finally:
        _umount(small)


@pytest.mark.parametrize("fail_at", ["catchments.gpkg", "gaps.csv", "walk_minutes.tif", "map.html"])
def test_disk_full_at_each_writer_keeps_the_previous_set(
    fail_at: str,
    sample: ig.Analysis,
    generations: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A real full disk in the middle of each kind of writer (GDAL, pandas, folium)."""
    small = tmp_path / "small"
    if not _mount_tmpfs(small, "size=8m"):
        pytest.fail("this test mounts a tmpfs: run it as root (as CI does)")
    try:
        out = small / "out"
        shutil.copytree(generations["dir"] / "ref_old", out)
        sizes = {n: (generations["dir"] / "ref_new" / n).stat().st_size for n in OUTPUT_FILES}
        real_kill_point = _outdir.kill_point

        def fill_disk(step: str) -> None:  # the disk fills up just as fail_at is written
            if step == f"write:{fail_at}":
                free = shutil.disk_usage(small).free
                with open(small / "filler", "wb") as fh:
                    fh.write(b"\0" * max(free - sizes[fail_at] // 2, 0))
            real_kill_point(step)

        monkeypatch.setattr(_outdir, "kill_point", fill_disk)
        monkeypatch.setattr(_outdir, "MIN_FREE_BYTES", 0)
        monkeypatch.setattr(
            _outdir,
            "check_out_dir",
            lambda o, **k: Path(o),  # the preflight would refuse this disk up front
        )
        with pytest.raises(ig.DataFileError, match="Could not write") as exc:
            sample.save(out)
        assert f"Could not write {fail_at}" in str(exc.value) and "disk" in str(exc.value)
        assert "Nothing in" in str(exc.value)
        assert _fingerprint(out) == generations["old"]
        assert sorted(p.name for p in small.iterdir()) == ["filler", "out"]
    finally:
        _umount(small)


def test_out_path_hazards(sample: ig.Analysis, tmp_path: Path) -> None:
    # a legal 250-byte folder name works (the scratch name is shortened)
    long_out = tmp_path / ("n" * 250)
    sample.save(long_out)
    assert sorted(p.name for p in long_out.iterdir()) == sorted(OUTPUT_FILES)
    assert [p.name for p in tmp_path.iterdir()] == ["n" * 250]
    with pytest.raises(ig.InputError, match="folder path"):
        sample.save(123)  # type: ignore[arg-type]
    with pytest.raises(ig.InputError, match="longer than 255"):
        sample.save(tmp_path / ("n" * 256))
    # a symlinked out folder: the target is swapped, the link stays
    target = tmp_path / "target"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    sample.save(link)
    assert link.is_symlink() and (target / "map.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["n" * 250, "target", "link"])


@pytest.mark.parametrize(
    "out, needle",
    [
        ("", "--out is empty"),
        ("bad\nname", "control character"),
        ("README.md", "is not a folder"),
        ("dangling", "does not exist"),
        ("src", "other things than infra_geo outputs"),
        (".", "working folder"),
    ],
)
def test_cli_out_refused_before_the_run(out: str, needle: str, tmp_path: Path) -> None:
    if out == "dangling":
        (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
        out = str(tmp_path / "dangling")
    cwd = _sandbox(tmp_path / "cwd")
    before = sorted(str(p.relative_to(cwd)) for p in cwd.rglob("*"))
    r = _cli("--out", out, "--quiet", timeout=60, cwd=cwd)
    assert needle in _error_line(r)
    assert "kept what is complete" not in r.stderr  # refused before the data was read
    assert sorted(str(p.relative_to(cwd)) for p in cwd.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["cwd"] + (["dangling"] if "dangling" in out else [])
    )


# ---------------------------------------------------------------------- bad input files
def _osm_xml(lat: str, tag: str = "") -> str:
    return (
        '<?xml version="1.0"?>\n<osm version="0.6">\n'
        f'<node id="1" lat="{lat}" lon="9.5"><tag k="amenity" v="school"/>{tag}</node>\n'
        '<node id="2" lat="47.1" lon="9.51"/>\n<node id="3" lat="47.101" lon="9.512"/>\n'
        '<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>'
        '<tag k="highway" v="footway"/></way>\n</osm>\n'
    )


@pytest.mark.parametrize(
    "lat, tag, needle",
    [
        ("1000", "", "invalid coordinate"),
        ("nan", "", "invalid coordinate"),
        ("47.1", '<tag k="name" v="' + "x" * 200_000 + '"/>', "too long"),
    ],
)
def test_cli_bad_osm_file_is_one_line(lat: str, tag: str, needle: str, tmp_path: Path) -> None:
    p = tmp_path / "bad.osm"
    p.write_text(_osm_xml(lat, tag), encoding="utf-8")
    r = _cli("--osm-file", str(p), "--out", str(tmp_path / "o"), "--quiet", timeout=60)
    assert needle in _error_line(r)
    assert not (tmp_path / "o").exists()


def test_raster_declaring_a_huge_grid_is_refused_before_reading(tmp_path: Path) -> None:
    p = tmp_path / "huge.tif"
    profile = dict(
        driver="GTiff",
        width=60000,
        height=60000,
        count=1,
        dtype="float64",
        crs="EPSG:28992",
        transform=from_origin(0, 600000, 10, 10),
        tiled=True,
        compress="deflate",
        sparse_ok=True,
    )
    with rasterio.open(p, "w", **profile):
        pass
    assert p.stat().st_size < 5_000_000
    with pytest.raises(ig.DataFileError, match="60,000 x 60,000"):
        ig.population_from_raster(p)
    r = _cli("--population", str(p), "--out", str(tmp_path / "o"), "--quiet", timeout=120)
    assert "Clip it" in _error_line(r)


def test_raster_with_infinite_cells_and_bad_band(tmp_path: Path) -> None:
    p = tmp_path / "inf.tif"
    with rasterio.open(
        p,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="float64",
        crs="EPSG:28992",
        transform=from_origin(121000, 487500, 100, 100),
    ) as dst:
        dst.write(np.array([[[1.0, np.inf], [2.0, 3.0]]]))
    with pytest.raises(ig.PopulationError, match="infinite"):
        ig.population_from_raster(p)
    with pytest.raises(ig.InputError, match="band"):
        ig.population_from_raster(p, band="1")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    "args, needle",
    [
        (["--minutes", "2.5,7.5"], "--minutes must be whole minutes"),
        (["--minutes", "5,7.5"], "--minutes must be whole minutes"),
        (["--minutes", "5,inf"], "--minutes"),
        (["--total-population", "0"], "--total-population"),
        (["--total-population", "1e308"], "--total-population"),
        (["--total-population", "nan"], "--total-population"),
        (["--speed-kmh", "inf"], "--speed-kmh"),
        (["--neighbourhoods", "src"], "is a folder"),
        (["--osm-file", "src"], "is a folder"),
        (["--population", "/no/such.tif"], "does not exist"),
    ],
)
def test_cli_bad_flags_fail_fast(args: list[str], needle: str, tmp_path: Path) -> None:
    r = _cli(*args, "--out", str(tmp_path / "o"), "--quiet", timeout=60)
    line = _error_line(r)
    assert needle in line and "_" not in line.split(":", 2)[2].split()[0]
    assert "kept what is complete" not in r.stderr  # refused before the data was read
    assert not (tmp_path / "o").exists()


def test_cli_hex_too_fine_is_refused_before_the_grid(tmp_path: Path) -> None:
    r = _cli("--neighbourhoods", "hex:0.5", "--out", str(tmp_path / "o"), "--quiet", timeout=120)
    line = _error_line(r)
    assert "--neighbourhoods hex:0.5 is too fine" in line and "Use hex:" in line


def test_api_rejects_fractional_minutes_and_bad_types(sample: ig.Analysis) -> None:
    with pytest.raises(ig.InputError, match="whole minutes"):
        ig.analyse(minutes=(5, 7.5))
    with pytest.raises(ig.InputError, match="whole minutes"):
        ig.catchments(sample.network, sample.facilities, minutes=2.5)
    with pytest.raises(ig.InputError, match="path"):
        ig.facilities_from_file(123)  # type: ignore[arg-type]
    with pytest.raises(ig.InputError, match="total_population"):
        ig.analyse(total_population=0)
    with pytest.raises(ig.InputError, match="total_population"):
        ig.analyse(total_population=float("inf"))


@pytest.mark.parametrize(
    "name, value",
    [
        ("snap_tolerance_m", float("nan")),
        ("walk_speed_kmh", float("inf")),
        ("partial_unit_share", 1.5),
        ("catchment_buffer_m", -1.0),
    ],
)
def test_non_finite_settings_are_refused_up_front(
    name: str, value: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ig.settings, name, value)
    with pytest.raises(ig.InputError, match=f"infra_geo.settings.{name}"):
        ig.analyse(osm_file="/no/such/file.osm.pbf")  # refused before the file is looked at


def test_gap_analysis_refuses_an_infinite_population_point(sample: ig.Analysis) -> None:
    pop = sample.population.copy()
    pop.loc[pop.index[0], "population"] = np.inf
    with pytest.raises(ig.PopulationError, match="infinite"):
        ig.gap_analysis(sample.network, sample.facilities, sample.neighbourhoods, pop)


def test_from_networkx_refuses_a_nan_coordinate() -> None:
    G = nx.Graph(crs="EPSG:28992")
    G.add_node(1, x=121000.0, y=487000.0)
    G.add_node(2, x=121100.0, y=487000.0)
    G.add_node(3, x=float("nan"), y=487100.0)
    G.add_edge(1, 2)
    G.add_edge(2, 3)
    with pytest.raises(ig.InputError, match=r"non-finite coordinate.*node 3"):
        ig.WalkNetwork.from_networkx(G)


def test_osm_population_inf_is_unknown_not_infinite() -> None:
    from infra_geo.neighbourhoods import _parse_osm_population

    v = _parse_osm_population(pd.Series(["inf", "1e999", "nan", "5 432", "-3"]))
    assert v.isna().tolist() == [True, True, True, False, True] and v.iloc[3] == 5432


# ----------------------------------------------------------- errors that name the cause
@pytest.mark.parametrize(
    "kind, err, needle",
    [
        ("rd", ig.CRSError, "RD New"),
        ("swapped", ig.CRSError, "swapped"),
        ("far", ig.OutsideDataError, "outside the data"),
    ],
)
def test_wrong_neighbourhood_coordinates_name_the_cause(
    kind: str,
    err: type,
    needle: str,
    buurten: gpd.GeoDataFrame,
    amsterdam_pbf: Path,
    tmp_path: Path,
) -> None:
    b = buurten.copy()
    if kind == "rd":
        b = b.to_crs(28992).set_crs(4326, allow_override=True)
    elif kind == "swapped":
        b["geometry"] = shapely.transform(b.geometry.to_numpy(), lambda xy: xy[:, ::-1])
    else:
        b["geometry"] = b.geometry.translate(0.5, 0)
    path = tmp_path / f"{kind}.gpkg"
    b.to_file(path)
    with pytest.raises(err, match=needle) as exc:
        ig.analyse(osm_file=amsterdam_pbf, neighbourhoods=path)
    assert "No street" not in str(exc.value)


def test_self_intersecting_area_is_not_blamed_on_clipping(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    xml = (
        '<?xml version="1.0"?>\n<osm version="0.6">\n'
        + "".join(
            f'<node id="{i}" lat="{lat}" lon="{lon}"/>\n'
            for i, (lon, lat) in enumerate(
                [(9.50, 47.10), (9.51, 47.11), (9.51, 47.10), (9.50, 47.11)], start=1
            )
        )
        + '<way id="20"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>'
        '<tag k="leisure" v="park"/></way>\n</osm>\n'
    )
    p = tmp_path / "bowtie.osm"
    p.write_text(xml, encoding="utf-8")
    with caplog.at_level("WARNING", logger="infra_geo"):
        ig.facilities_from_file(p)
    text = caplog.text
    assert "self-intersecting" in text and "way 20" in text and "clipped extract" not in text


# --------------------------------------------------------------------- GeoPackage columns
def test_tag_keys_differing_in_case_are_unique_gpkg_columns(
    sample: ig.Analysis, tmp_path: Path
) -> None:
    fac = sample.facilities.copy()
    fac["fixme"] = "check"
    fac["FIXME"] = "CHECK"
    fac["Fixme"] = "Check"
    res = dataclasses.replace(sample, facilities=fac)
    res.save(tmp_path / "out")
    back = gpd.read_file(tmp_path / "out" / "facilities.gpkg")
    assert {"fixme", "FIXME_2", "Fixme_3"} <= set(back.columns)
    assert back["FIXME_2"].eq("CHECK").all() and back["fixme"].eq("check").all()
    assert _outdir.unique_columns_ci(["a", "A", "a_2", "A"]) == ["a", "A_2", "a_2_2", "A_3"]
