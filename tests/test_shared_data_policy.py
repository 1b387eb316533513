"""Real-data tests skip with a clear reason without ../shared/data, and fail when it is required."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

PROBE = """
def test_needs_liechtenstein(liechtenstein):
    assert liechtenstein.is_file()
"""


@pytest.mark.parametrize("required", [False, True])
def test_absent_shared_data_skips_or_fails(tmp_path: Path, required: bool) -> None:
    (tmp_path / "conftest.py").write_text((HERE / "conftest.py").read_text(encoding="utf-8"))
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = dict(os.environ)
    env["INFRA_GEO_SHARED_DATA"] = str(tmp_path / "nowhere")
    env["INFRA_GEO_REQUIRE_SHARED_DATA"] = "1" if required else "0"
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    out = r.stdout + r.stderr
    assert "nowhere/osm/liechtenstein.osm.pbf is absent" in out, out
    if required:
        assert r.returncode == 1 and ("1 failed" in out or "1 error" in out), out
        assert "INFRA_GEO_REQUIRE_SHARED_DATA=1 requires it" in out
    else:
        assert r.returncode == 0 and "1 skipped" in out, out
