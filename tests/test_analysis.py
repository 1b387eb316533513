"""The whole job: analyse(), Analysis.save, the infra-geo CLI, the embedded sample, the README."""

from __future__ import annotations

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
import rasterio

import infra_geo as ig
from infra_geo.analysis import OUTPUT_FILES, sample_path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "infra_geo.cli"]


@pytest.fixture(scope="module")
def sample_run() -> ig.Analysis:
    return ig.analyse(neighbourhoods="hex:250")


def _check_outputs(out: Path, n_units: int) -> None:
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    for name in OUTPUT_FILES:
        assert (out / name).stat().st_size > 0, name
    fac = gpd.read_file(out / "facilities.gpkg")
    assert len(fac) > 0 and fac.crs.to_epsg() == 4326
    assert set(fac["component"]) <= set(ig.COMPONENT_KEYS)
    gaps = pd.read_csv(out / "gaps.csv")
    assert len(gaps) == n_units
    assert gpd.read_file(out / "gaps.gpkg").shape[0] == n_units
    catch = gpd.read_file(out / "catchments.gpkg")
    assert set(catch["minutes"]) == {5, 10, 15}
    with rasterio.open(out / "walk_minutes.tif") as src:
        assert src.count == 8 and src.crs is not None
        assert [d.split(":")[0] for d in src.descriptions] == list(ig.COMPONENT_KEYS)
        band = src.read(8)
        assert np.isfinite(band).any() and np.nanmin(band) >= 0
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "OpenStreetMap" in html and "contributors" in html  # attribution (a link inside)
    assert "# infra_geo" in (out / "summary.md").read_text(encoding="utf-8")


def test_sample_is_shippable_and_present() -> None:
    p = sample_path()
    assert p.parent == ROOT / "src" / "infra_geo" / "data"  # package data (issue 13)
    assert "ODbL" in (p.parent / "README.md").read_text(encoding="utf-8")


def test_analyse_sample_meaningful(sample_run: ig.Analysis, tmp_path: Path) -> None:
    res = sample_run
    present = [k for k in ig.COMPONENT_KEYS if ig.component_mask(res.facilities, k).any()]
    assert len(present) >= 6
    g = res.gaps
    assert len(g) >= 8 and g["residents"].sum() > 0
    # some neighbourhoods fall short of some component within 5 minutes
    shares = g.loc[g["residents"] > 0, [f"{k}_share_5" for k in present]].to_numpy()
    assert (shares < 0.5).any() and (shares > 0.9).any()
    assert res.notes and "estimated" in res.notes[0]
    assert set(res.timings) >= {"facilities", "network", "distances", "catchments", "gaps"}
    # distances table: one row per network node
    assert len(res.distances) == res.network.n_nodes
    written = res.save(tmp_path / "out")
    assert sorted(written) == sorted(OUTPUT_FILES)
    _check_outputs(tmp_path / "out", len(g))
    html = res._repr_html_()
    assert "<table>" in html and "Ontmoetingsplekken" in html


def test_save_failure_leaves_no_partial_file(sample_run: ig.Analysis, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(ig.InfraGeoError, match="simulated failure"):
        sample_run.save(out, _fail_before="summary.md")
    assert list(out.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # scratch folder removed too


def _li_args(osm: Path, out: Path, *extra: str) -> list[str]:
    """The CLI call for Liechtenstein with its municipalities as units."""
    return [
        *CLI,
        "analyse",
        "--osm-file",
        str(osm),
        "--neighbourhoods",
        "admin:8",
        "--out",
        str(out),
        *extra,
    ]


def test_killed_run_leaves_no_partial_file(tmp_path: Path, liechtenstein: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen(
        _li_args(liechtenstein, out, "--quiet"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # wait until it is writing (its scratch folder exists), then kill it hard
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if list(tmp_path.glob(".out.infra_geo-*")):
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not out.exists() or list(out.iterdir()) == []


def test_cli_liechtenstein_admin8(tmp_path: Path, liechtenstein: Path) -> None:
    out = tmp_path / "li"
    r = subprocess.run(
        _li_args(liechtenstein, out, "--lang", "en"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    _check_outputs(out, 11)
    gaps = pd.read_csv(out / "gaps.csv")
    assert {"Vaduz", "Schaan", "Balzers"} <= set(gaps["unit_name"])
    assert gaps["unit_id"].is_unique
    assert not gaps["partial"].any()  # a country extract: mountains are inside the data
    assert "Meeting places" in r.stdout  # the summary table, in English


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--osm-file", "/no/such/file.osm.pbf"], "does not exist"),
        (["--minutes", "0"], "minutes"),
        (["--neighbourhoods", "hex:-5"], "size"),
        (["--speed-kmh", "-1"], "--speed-kmh"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    r = subprocess.run(
        [*CLI, "analyse", *args, "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("infra-geo: error:") and needle in lines[0]
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


def test_cli_help_explains_options() -> None:
    r = subprocess.run([*CLI, "analyse", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    for opt in (
        "--osm-file",
        "--neighbourhoods",
        "--population",
        "--minutes",
        "--speed-kmh",
        "--lang",
        "--out",
        "admin:8",
        "hex:500",
    ):
        assert opt in r.stdout


def test_analyse_rejects_bad_arguments() -> None:
    with pytest.raises(ig.InputError):
        ig.analyse(lang="de")
    with pytest.raises(ig.InputError):
        ig.analyse(osm_file="x.pbf", place="Vaduz")
    with pytest.raises(ig.InputError):
        ig.analyse(neighbourhoods=42)


def test_analyse_is_deterministic(sample_run: ig.Analysis) -> None:
    again = ig.analyse(neighbourhoods="hex:250")
    pd.testing.assert_frame_equal(
        sample_run.gaps.drop(columns="geometry"), again.gaps.drop(columns="geometry")
    )
    assert sample_run.summary_markdown() == again.summary_markdown()


def test_readme_rules_table_is_generated_from_the_rules_file() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- rules-table:start -->\n(.*)<!-- rules-table:end -->", text, re.S)
    assert m, "README lost its rules-table markers"
    assert m.group(1) == ig.components.rules_markdown(), (
        "README's component table is stale: regenerate it with ig.components.rules_markdown()"
    )


def test_readme_commands_match_ci() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, re.S)
    assert len(blocks) >= 2
    install, test = blocks[0].strip(), blocks[1].strip()
    assert install in ci and test in ci
    assert "INFRA_GEO_REQUIRE_SHARED_DATA=1" in ci
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_analyse_gaps_equal_a_separate_gap_analysis(sample_run: ig.Analysis) -> None:
    """analyse() shares one resident_access between gaps and uncovered areas: same result."""
    res = sample_run
    g = ig.gap_analysis(
        res.network,
        res.facilities,
        res.neighbourhoods,
        res.population,
        minutes=res.minutes,
        speed_kmh=res.speed_kmh,
        extent=res.extent,
        entrances=res.entrances,
    )
    pd.testing.assert_frame_equal(res.gaps.drop(columns="geometry"), g.drop(columns="geometry"))
    u = ig.uncovered_areas(
        res.network,
        res.facilities,
        res.population,
        minutes=res.minutes,
        speed_kmh=res.speed_kmh,
        entrances=res.entrances,
    )
    assert np.allclose(u["residents"], res.uncovered["residents"])
    for k in ig.COMPONENT_KEYS:
        for m in res.minutes:
            row = u[(u["component"] == k) & (u["minutes"] == m)]
            assert float(row["residents"].iloc[0]) == pytest.approx(
                float((res.gaps[f"{k}_unreached_{m}"] + res.gaps[f"{k}_no_path"]).sum()),
                rel=1e-9,
                abs=1e-6,
            )
