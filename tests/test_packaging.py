"""The package as users install it: a wheel built from this checkout, used from outside it.

The wheel is installed (``pip install --no-deps``) into a fresh virtual environment in a
temporary folder; the dependencies come from this interpreter's site-packages through a
``.pth`` line (never this checkout, nor the editable install's source folder). The embedded
sample must travel inside the wheel (package data), so ``ig.sample_path()``, ``ig.analyse()``
on it and the ``infra-geo`` command work without the repository's folders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

import infra_geo as ig
from infra_geo._report import OUTPUT_FILES

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


_ANALYSE = """
import json, os, sys, tempfile
import infra_geo as ig
res = ig.analyse()  # the embedded sample
with tempfile.TemporaryDirectory() as tmp:
    written = res.save(os.path.join(tmp, "out"))
    sizes = {name: path.stat().st_size for name, path in written.items()}
print(json.dumps({"module": ig.__file__, "n_gaps": len(res.gaps),
                  "gap_ids": sorted(map(str, res.gaps["unit_id"])),
                  "summary": res.summary().to_dict(orient="list"),
                  "coverage": res.coverage_text(), "markdown": res.summary_markdown(),
                  "written": sizes}))
"""


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout built into a wheel and installed into a fresh venv; its ``bin`` folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp), str(ROOT)],
        check=True,
        timeout=300,
    )
    (whl,) = tmp.glob("infra_geo-*.whl")
    venv = tmp / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / "python"
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(whl)],
        check=True,
        timeout=300,
        env=env,
    )
    assert (Path(purelib) / "infra_geo" / "__init__.py").is_file()
    # then the dependencies: this interpreter's site-packages as a plain path (its .pth files,
    # such as an editable install of this checkout, are not processed from there). Added after
    # the install, so pip never sees that site-packages' infra_geo metadata.
    deps = sysconfig.get_paths()["purelib"]
    Path(purelib, "_infra_geo_test_deps.pth").write_text(deps + "\n", encoding="utf-8")
    return bindir


def _run_outside(bindir: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run the venv's ``args[0]`` (python, infra-geo) from ``cwd``, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(bindir / args[0]), *args[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _site(bindir: Path) -> Path:
    out = _run_outside(
        bindir,
        ["python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        Path(tempfile.gettempdir()),
    )
    return Path(out.stdout.strip())


def test_sample_ships_in_the_wheel(installed_wheel: Path, tmp_path: Path) -> None:
    """From a cwd outside the checkout, with infra_geo installed from the wheel into a fresh
    venv, the sample is found inside the package and reads to the same facilities as the
    checkout's copy."""
    out = _run_outside(installed_wheel, ["python", "-c", _SCRIPT], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    pkg = _site(installed_wheel) / "infra_geo"
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
    for mod in ("geopandas", "osmium", "openpyxl", "tqdm", "rasterio", "folium", "osmnx", "dask"):
        assert mod in runtime, mod
    assert {"pyarrow", "bokeh"} <= runtime  # GeoParquet of a batch; the Dask dashboard
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


def test_analyse_the_sample_from_the_installed_wheel(installed_wheel: Path, tmp_path: Path) -> None:
    """``import infra_geo`` then ``ig.analyse()`` on the sample, and ``save``, work from the
    installed wheel outside the checkout, and give the checkout's figures."""
    out = _run_outside(installed_wheel, ["python", "-c", _ANALYSE], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(got["module"]).resolve() == (_site(installed_wheel) / "infra_geo" / "__init__.py")
    assert not Path(got["module"]).resolve().is_relative_to(ROOT)
    res = ig.analyse()  # the same job in this checkout
    assert got["n_gaps"] == len(res.gaps) == 18  # hex:250 on the sample, as the CLI (issue 16)
    assert got["gap_ids"] == sorted(map(str, res.gaps["unit_id"]))
    summary = res.summary()
    assert got["summary"]["component"] == summary["component"].tolist() and len(summary) == 8
    for col in ("share_5min", "share_10min", "share_15min"):
        assert got["summary"][col] == pytest.approx(summary[col].tolist(), abs=1e-12), col
    assert got["coverage"] == res.coverage_text() and "18.939 inwoners" in got["coverage"]
    assert got["markdown"] == res.summary_markdown()  # in the run's language (nl by default)
    assert sorted(got["written"]) == sorted(OUTPUT_FILES)
    assert all(size > 0 for size in got["written"].values())


def test_the_installed_command_runs_outside_the_checkout(
    installed_wheel: Path, tmp_path: Path
) -> None:
    """The wheel's ``infra-geo`` console script: usage text, and a one-line error, exit 2."""
    ok = _run_outside(installed_wheel, ["infra-geo", "analyse", "--help"], tmp_path)
    assert ok.returncode == 0 and "--osm-file" in ok.stdout, ok.stderr[-2000:]
    bad = _run_outside(
        installed_wheel, ["infra-geo", "analyse", "--osm-file", "missing.osm.pbf"], tmp_path
    )
    assert bad.returncode == 2 and "missing.osm.pbf" in bad.stderr, bad.stderr[-2000:]
