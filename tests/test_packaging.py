"""The package as users install it: a wheel built from this checkout, used from outside it.

The embedded sample must travel inside the wheel (package data), so ``ig.sample_path()`` and
an analysis of it work without the repository's folders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import infra_geo as ig

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = """
import json, sys
import infra_geo as ig
p = ig.sample_path()
fac = ig.facilities_from_file(p)
page = ig.coverage_map(fac, lang="en").get_root().render()
print(json.dumps({"module": ig.__file__, "sample": str(p), "size": p.stat().st_size,
                  "n_facilities": len(fac),
                  "components": sorted(set(fac["component"])),
                  "map": ["Social infrastructure within walking distance" in page,
                          ".ig-title{" in page, "ig-note" in page]}))
"""


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout built into a wheel (pip, no dependencies) and unpacked into a folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp), str(ROOT)],
        check=True,
        timeout=300,
    )
    (whl,) = tmp.glob("infra_geo-*.whl")
    site = tmp / "site"
    with zipfile.ZipFile(whl) as z:
        z.extractall(site)
    return site


def test_sample_ships_in_the_wheel(unpacked_wheel: Path, tmp_path: Path) -> None:
    """From a cwd outside the checkout, with only the unpacked wheel on the path for
    infra_geo, the sample is found inside the package and reads to the same facilities as
    the checkout's copy."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(unpacked_wheel)
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    pkg = unpacked_wheel / "infra_geo"
    assert Path(got["module"]).resolve() == (pkg / "__init__.py").resolve()
    assert Path(got["sample"]).resolve() == (pkg / "data" / "helsinki-centre.osm.pbf").resolve()
    assert (pkg / "data" / "README.md").read_text(encoding="utf-8").count("ODbL") >= 1
    here = ig.sample_path()
    assert got["size"] == here.stat().st_size
    fac = ig.facilities_from_file(here)
    assert got["n_facilities"] == len(fac) > 100
    assert got["components"] == sorted(set(fac["component"]))
    # the map's text (static/text.json), CSS and JS templates travel as package data too
    assert got["map"] == [True, True, True]


def _pyproject() -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _names(reqs: list[str]) -> set[str]:
    import re

    return {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in reqs}


def test_runtime_dependencies_hold_no_test_or_notebook_tool() -> None:
    """`pip install -e .` (README command 1) installs what running needs, nothing more; the
    test command's `.[test]` adds every tool the tests import; `.[notebook]` adds JupyterLab."""
    project = _pyproject()["project"]
    runtime = _names(project["dependencies"])
    extras = project["optional-dependencies"]
    test, notebook = _names(extras["test"]), _names(extras["notebook"])
    tools = {"pytest", "pytest-timeout", "playwright", "nbclient", "nbformat", "ipykernel", "ruff",
             "mypy", "pyrosm", "access", "spopt", "highspy", "pulp", "jupyterlab"}  # fmt: skip
    assert not runtime & tools, runtime & tools
    assert tools - {"jupyterlab"} <= test and "jupyterlab" in notebook
    # what the package imports at run time is a runtime dependency
    for mod in ("geopandas", "osmium", "openpyxl", "tqdm", "rasterio", "folium", "osmnx"):
        assert mod in runtime, mod
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    import re

    install, tests = re.findall(r"```bash\n(.*?)\n```", readme, re.S)[:2]
    assert ".venv/bin/pip install -e . &&" in install and "[test]" not in install
    assert '.venv/bin/pip install -e ".[test]"' in tests and "pytest" in tests
    assert ".venv/bin/infra-geo analyse" in install  # no activation needed


def test_dependency_warnings_are_filtered_ours_stay_visible() -> None:
    filters = _pyproject()["tool"]["pytest"]["ini_options"]["filterwarnings"]
    assert filters and all(f.startswith("ignore:") for f in filters)
    # each filter names the module that issues the warning, never infra_geo or the tests
    for f in filters:
        module = f.split(":")[3]
        assert module and not module.startswith(("infra_geo", "tests")), f
