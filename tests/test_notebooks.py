"""The notebooks: stored without outputs; the quickstart executes; notebook 02 runs offline on
the Amsterdam data and its online part against the local Overpass/Nominatim stand-in.

The kernel is always this interpreter (``sys.executable``): a ``python3`` kernelspec written to a
temporary folder that ``JUPYTER_PATH`` puts first, so a user-wide or system kernelspec pointing
at another Python can never be picked up.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
QUICKSTART = NOTEBOOKS / "01_quickstart.ipynb"
MUNICIPALITY = NOTEBOOKS / "02_your_municipality.ipynb"
DECISIONS = NOTEBOOKS / "03_decisions.ipynb"


@pytest.fixture(scope="module")
def venv_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``python3`` kernelspec that runs this interpreter, first on ``JUPYTER_PATH``."""
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager

    data_dir = tmp_path_factory.mktemp("jupyter")
    write_kernel_spec(data_dir / "kernels" / "python3")  # argv: [sys.executable, -m, ...]
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(data_dir))
    try:
        spec = json.loads((data_dir / "kernels" / "python3" / "kernel.json").read_text())
        found = KernelSpecManager().get_kernel_spec("python3")
        assert found.argv[0] == spec["argv"][0], (found.argv, spec["argv"])
        yield "python3"
    finally:
        mp.undo()


def _execute(nb: nbformat.NotebookNode, kernel: str, cwd: Path) -> nbformat.NotebookNode:
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name=kernel, resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()  # raises CellExecutionError (with the traceback) when a cell fails
    return nb


def _text(cell: nbformat.NotebookNode) -> str:
    """Everything a code cell showed: streams, text/plain and text/html results, errors."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
        else:
            data = out.get("data", {})
            parts += [data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


def _cells(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {c.id: c for c in nb.cells if c.cell_type == "code"}


# ---------------------------------------------------------------------------- stored form


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [], f"{path.name}: cell {cell.id} has stored outputs (strip them)"
        assert cell.execution_count is None, f"{path.name}: cell {cell.id} has an execution count"


def test_both_notebooks_exist() -> None:
    assert QUICKSTART.is_file() and MUNICIPALITY.is_file() and DECISIONS.is_file()


# ---------------------------------------------------------------------------- quickstart


def test_quickstart_executes(venv_kernel: str) -> None:
    nb = _execute(nbformat.read(QUICKSTART, as_version=4), venv_kernel, NOTEBOOKS)
    cells = _cells(nb)
    for cid, cell in cells.items():
        assert not any(o.output_type == "error" for o in cell.outputs), cid
    summary = _text(cells["analyse"])
    assert "facilities" in summary and "residents" in summary
    assert "infra_geo analysis" in summary  # the Analysis HTML summary table
    counts = _text(cells["facilities"])
    assert "Public space" in counts and "memberships" in counts
    assert "WalkNetwork" in _text(cells["network"])
    assert "19,000 residents" in _text(cells["population"])
    assert "completeness_10" in _text(cells["gaps"])
    assert "map.html" in _text(cells["map"])
    saved = _text(cells["save"])
    for name in ("map.html", "facilities.gpkg", "gaps.csv", "walk_minutes.tif", "summary.md"):
        assert name in saved, name


# ---------------------------------------------------------------------------- notebook 02


def _with_parameters(nb: nbformat.NotebookNode, lines: list[str]) -> nbformat.NotebookNode:
    """Insert a cell overriding the user's settings right after the ``parameters`` cell."""
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    cell = nbformat.v4.new_code_cell("\n".join(lines), id="injected-parameters")
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(at + 1, cell)
    return nb


def _statline_csv(buurten_geojson: Path, path: Path) -> Path:
    """A CSV in the StatLine export layout (``;``, UTF-8 BOM, Dutch headers, ``.`` unknown)
    holding the real CBS 2024 figures of the Amsterdam buurten file."""
    b = gpd.read_file(buurten_geojson).drop(columns="geometry")
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL)
        w.writerow(
            [
                "Wijken en buurten",
                "Regioaanduiding/Gemeentenaam (naam)",
                "Regioaanduiding/Soort regio (omschrijving)",
                "Regioaanduiding/Codering (code)",
                "Bevolking/Aantal inwoners (aantal)",
                "Gezondheid en welzijn/Huisartsenpraktijk/Afstand tot huisartsenpraktijk (km)",
            ]
        )
        for r in b.itertuples():
            inw = "." if pd.isna(r.AANT_INW) else str(int(r.AANT_INW))
            km = r.afstand_huisarts_km
            km = "." if pd.isna(km) else f"{km:.1f}".replace(".", ",")  # decimal comma
            w.writerow([r.BU_NAAM, r.GM_NAAM, "Buurt", r.BU_CODE, inw, km])
    return path


def test_municipality_notebook_offline_part(
    venv_kernel: str, amsterdam_pbf: Path, amsterdam_buurten: Path, tmp_path: Path
) -> None:
    """Notebook 02 with its paths pointed at the Amsterdam-Centrum data, ONLINE = False."""
    table = _statline_csv(amsterdam_buurten, tmp_path / "statline-buurten.csv")
    out = tmp_path / "out"
    nb = _with_parameters(
        nbformat.read(MUNICIPALITY, as_version=4),
        [
            "ONLINE = False",
            'GEMEENTE = "GM0363"',
            f"OSM_FILE = Path({str(amsterdam_pbf)!r})",
            f"GEOFABRIK_FILE = Path({str(tmp_path / 'absent-latest.osm.pbf')!r})",
            f"BUURTEN_FILE = Path({str(amsterdam_buurten)!r})",
            "BUURTEN_LAYER = None",
            f"CBS_TABLE = Path({str(table)!r})",
            f"OUT_DIR = Path({str(out)!r})",
            "RUN_CLI = True",
        ],
    )
    nb = _execute(nb, venv_kernel, tmp_path)
    cells = _cells(nb)

    assert "part (a) skipped" in _text(cells["online-fetch"])
    assert "no clipping needed" in _text(cells["clip"])
    assert "buurt" in _text(cells["table"])  # the StatLine table was read and joined
    assert "Burgwallen" in _text(cells["gaps"]) or "Nieuwmarkt" in _text(cells["gaps"])

    gaps = pd.read_csv(out / "gaps.csv")
    assert len(gaps) >= 13  # 13 buurten lie more than half inside the extract
    assert gaps["unit_id"].str.startswith("BU0363").all()
    assert gaps["rank_10"].notna().sum() >= 1
    assert (out / "map.html").stat().st_size > 0
    for sub in ("analyse", "cli"):
        for name in ("map.html", "gaps.csv", "summary.md", "walk_minutes.tif"):
            assert (out / sub / name).stat().st_size > 0, (sub, name)
    # the command line does what ig.analyse does (which derives the data extent from the
    # file's buildings and street loops, so it may keep fewer edge buurten than the
    # step-by-step run)
    one_call = pd.read_csv(out / "analyse" / "gaps.csv")
    assert 0 < len(one_call) <= len(gaps)
    assert pd.read_csv(out / "cli" / "gaps.csv")["unit_id"].tolist() == one_call["unit_id"].tolist()


@pytest.mark.online
def test_municipality_notebook_online_part(
    venv_kernel: str, liechtenstein: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notebook 02's part (a), up to the offline part, against the local Overpass/Nominatim
    stand-in serving the real Liechtenstein extract (Vaduz, municipalities at level 8)."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent))
    from osm_standin import OSMStandIn

    out = tmp_path / "out"
    nb = nbformat.read(MUNICIPALITY, as_version=4)
    end = next(i for i, c in enumerate(nb.cells) if c.id == "offline-md")
    nb.cells = nb.cells[:end]
    with OSMStandIn(liechtenstein) as server:
        nb = _with_parameters(
            nb,
            [
                "import infra_geo as ig",
                f"ig.settings.overpass_url = {server.overpass_url!r}",
                f"ig.settings.nominatim_url = {server.nominatim_url!r}",
                "ig.settings.use_cache = False",
                "ONLINE = True",
                'PLACE = "Vaduz, Liechtenstein"',
                "OSM_ADMIN_LEVEL = 8",
                'LANG = "en"',
                f"OUT_DIR = Path({str(out)!r})",
            ],
        )
        nb = _execute(nb, venv_kernel, tmp_path)
        assert server.counts["search"] >= 1 and server.counts["interpreter"] >= 2
    cells = _cells(nb)
    fetched = _text(cells["online-fetch"])
    assert "Online step failed" not in fetched
    assert "Vaduz, Liechtenstein:" in fetched and "facilities" in fetched
    assert "WalkNetwork" in fetched
    assert "Vaduz" in _text(cells["online-units"])
    assert (out / "map_online.html").stat().st_size > 0


# ---------------------------------------------------------------------------- notebook 03


def test_decisions_notebook_on_liechtenstein(
    venv_kernel: str, liechtenstein: Path, tmp_path: Path
) -> None:
    """Notebook 03 on the real Liechtenstein extract: capacity, its gap columns and map, the
    siting suggestions with the exact optimum and their map, a closure scenario compared."""
    out = tmp_path / "out"
    nb = nbformat.read(DECISIONS, as_version=4)
    nb = _with_parameters(
        nb, [f"OSM_FILE = Path({str(liechtenstein)!r})", f"OUT_DIR = Path({str(out)!r})"]
    )
    nb = _execute(nb, venv_kernel, tmp_path)
    cells = _cells(nb)
    for cid, cell in cells.items():
        assert not any(o.output_type == "error" for o in cell.outputs), cid
    assert "not found" not in _text(cells["analyse"])  # the real extract, not the sample
    assert "liechtenstein.osm.pbf: 2" in _text(cells["analyse"])  # "... 2xx facilities"
    assert "capacity source: one_per_facility" in _text(cells["capacity"])  # stated
    assert "Vaduz" in _text(cells["capacity"]) and "gravity" in _text(cells["methods"])
    assert "Schellenberg" in _text(cells["methods"])
    assert "capacity source one_per_facility" in _text(cells["capacity-gaps"])
    assert "care_supply_10" in _text(cells["capacity-gaps"])
    siting = _text(cells["siting"])
    assert "already within 10 min of care" in siting and "newly_reached" in siting
    assert "gap " in _text(cells["siting-exact"])
    gaps = pd.read_csv(out / "out" / "gaps.csv")
    assert gaps["care_supply_10"].notna().all() and (gaps["care_supply_10"] > 0).any()
    assert (gaps["care_capacity_source"] == "one_per_facility").all()
    assert "capacity source one_per_facility" in (out / "out" / "summary.md").read_text("utf-8")
    sites = gpd.read_file(out / "suggestions.gpkg")
    assert sites["rank"].tolist() == [1, 2, 3] and (sites["newly_reached"] > 0).all()
    for name in ("capacity_map.html", "suggestions_map.html"):
        assert (out / name).stat().st_size > 0, name
    assert "ig-site-icon" in (out / "suggestions_map.html").read_text("utf-8")
    # the closure scenario (filled in where notebook 03 left its placeholder)
    scen = _text(cells["scenario"])
    assert "recomputed: care" in scen and "closing " in scen
    compared = _text(cells["scenario-compare"])
    assert "residents no longer within 10 min of care" in compared
    assert "care_supply_10_change" in compared and "care_no_longer_reached_10" in compared
    assert (out / "scenario_map.html").stat().st_size > 0
