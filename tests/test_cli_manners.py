"""CLI manners (issue 16, item 3): flags in messages, --version, --out first, the offline
place-name error, warnings that never break the progress bar, each note once, and the same
defaults as ``ig.analyse()``.

Every run is a subprocess of ``python -m infra_geo.cli`` from a scratch working folder; the
progress-bar test runs it on a pseudo-terminal (120 columns) so tqdm draws its bar.
"""

from __future__ import annotations

import fcntl
import inspect
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import infra_geo as ig
from infra_geo import cli

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "infra_geo.cli"]
#: Python names a command-line message must not show
PY_NAMES = re.compile(
    r"\b(osm_file|speed_kmh|total_population|walk_profile|out_dir|admin_level|"
    r"facilities_from_file|walk_network_from_file|facilities_from_place|nominatim_url)\b"
)


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    r = subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, env=_env(), cwd=cwd
    )
    assert "Traceback" not in r.stderr, r.stderr
    return r


def _error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("infra-geo: error:")]
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_version(tmp_path: Path) -> None:
    r = _run(["--version"], tmp_path, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == f"infra-geo {ig.__version__}"
    assert ig.__version__ == "0.1.0"


@pytest.mark.parametrize(
    "args, flag",
    [
        (["--neighbourhoods", "nowhere.gpkg"], "--neighbourhoods file nowhere.gpkg does not exist"),
        (["--neighbourhoods", "hex:abc"], "--neighbourhoods: write hex grids"),
        (["--neighbourhoods", "admin:99"], "--neighbourhoods admin:LEVEL: LEVEL must be"),
        (["--neighbourhoods", "hex:-5"], "--neighbourhoods hex size"),
        (["--speed-kmh", "-1"], "--speed-kmh"),
        (["--total-population", "-5"], "--total-population"),
        (["--walk-profile", "walk"], "--walk-profile"),
        (["--minutes", "0"], "--minutes"),
        (["Vaduz", "--osm-file", "x.osm"], "--osm-file"),
    ],
)
def test_messages_name_flags_not_parameters(args: list[str], flag: str, tmp_path: Path) -> None:
    if "x.osm" in args:
        (tmp_path / "x.osm").write_text('<osm version="0.6"></osm>\n')
    line = _error(_run(["analyse", *args, "--out", "o", "--quiet"], tmp_path, timeout=120))
    assert flag in line, line
    assert not PY_NAMES.search(line), line
    assert not (tmp_path / "o").exists()


def test_both_place_and_file_names_the_positional(tmp_path: Path) -> None:
    (tmp_path / "x.osm").write_text('<osm version="0.6"></osm>\n')
    line = _error(_run(["analyse", "Vaduz", "--osm-file", "x.osm", "--out", "o"], tmp_path))
    assert "Pass either --osm-file or PLACE, not both." in line


def test_cli_message_rewrites_library_names() -> None:
    msg = cli.cli_message(
        "Nominatim could not be reached or failed (its server name could not be resolved). "
        "No internet? Use facilities_from_file / walk_network_from_file with a downloaded "
        "extract, or point infra_geo.settings.nominatim_url at a server you can reach."
    )
    assert msg.endswith("No internet? Use --osm-file FILE with a downloaded extract.")
    assert (
        cli.cli_message("total_population= must be positive")
        == "--total-population must be positive"
    )
    # plain words stay words unless they open the message or carry '='
    assert cli.cli_message("the minutes of place x") == "the minutes of place x"
    assert cli.cli_message("minutes must be whole") == "--minutes must be whole"


def _offline_cli(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    """The CLI with Nominatim and Overpass pointed at ``url`` (no internet needed)."""
    code = textwrap.dedent(
        f"""
        import sys
        from infra_geo import settings
        settings.nominatim_url = {url!r}
        settings.overpass_url = {url!r}
        settings.requests_timeout = 5
        from infra_geo.cli import main
        sys.exit(main({["analyse", *args]!r}))
        """
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        cwd=tmp_path,
    )
    assert "Traceback" not in r.stderr, r.stderr
    return r


@pytest.mark.parametrize(
    "url, cause",
    [
        ("http://nominatim.invalid/", "its server name could not be resolved"),  # RFC 2606
        ("http://127.0.0.1:9/", "the connection was refused"),  # discard port: closed
    ],
)
def test_offline_place_name_says_use_osm_file(url: str, cause: str, tmp_path: Path) -> None:
    r = _offline_cli(tmp_path, url, "Vaduz, Liechtenstein", "--out", "o", "--quiet")
    line = _error(r)
    assert "Nominatim could not be reached" in line and cause in line
    assert "No internet? Use --osm-file FILE with a downloaded extract." in line
    for raw in ("HTTPConnectionPool", "Max retries", "urllib3", "settings.", "NewConnectionError"):
        assert raw not in line, line
    assert not PY_NAMES.search(line), line


def test_out_is_checked_before_any_work(tmp_path: Path) -> None:
    """A bad --out is refused before the place is looked up (no network, no data read)."""
    (tmp_path / "taken").write_text("a file, not a folder")
    r = _offline_cli(tmp_path, "http://127.0.0.1:9/", "Vaduz", "--out", "taken")
    line = _error(r)
    assert "--out taken exists and is not a folder" in line and "Nominatim" not in r.stderr


def _run_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    p = subprocess.Popen(
        [*CLI, *args], stdin=slave, stdout=slave, stderr=slave, env=_env(), cwd=cwd
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif p.poll() is not None:
            break
    p.wait(timeout=300)
    os.close(master)
    return p.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_warnings_never_break_the_progress_bar_and_each_note_once(tmp_path: Path) -> None:
    rc, out = _run_on_a_terminal(["analyse", "--out", "o", "--lang", "en"], tmp_path)
    assert rc == 0, out
    assert "facilities:" in out and "8/8" in out  # tqdm drew its bar on the terminal
    warned = 0
    for line in out.replace("\r\n", "\n").split("\n"):
        for seg in line.split("\r"):
            if "infra-geo:" in seg:
                warned += 1
                assert seg.startswith("infra-geo:"), repr(line[-300:])  # a line of its own
    assert warned >= 2
    # the estimated-residents note is a warning; the summary does not say it again
    assert out.count("residents were estimated from residential floor area") == 1
    notes = [ln for ln in out.splitlines() if ln.startswith("note: ")]
    assert len(notes) == len(set(notes)) >= 1


def test_terminal_summary_in_the_run_language(tmp_path: Path) -> None:
    nl = _run(["analyse", "--out", "a"], tmp_path).stdout
    en = _run(["analyse", "--out", "b", "--lang", "en"], tmp_path).stdout
    assert re.search(r"^component\s+voorzieningen\s+5 min\s+10 min\s+15 min$", nl, re.M)
    assert re.search(r"^component\s+facilities\s+5 min\s+10 min\s+15 min$", en, re.M)
    assert "Zorg" in nl and "Care" in en and " %" in nl and "kerncijfers over" in nl
    assert "bestanden geschreven in a" in nl and "wrote 9 files to b" in en
    text = re.sub(r"\S+\.(gpkg|html|csv|xlsx|tif|md)\b", "", nl)  # file names are names
    for word in ("facilities", "residents", "headline", "wrote", "note:"):
        assert word not in text, word


def test_api_and_cli_defaults_agree(tmp_path: Path) -> None:
    """ig.analyse() and `infra-geo analyse` give the same table on the sample (hex:250)."""
    r = _run(["analyse", "--out", "o", "--quiet"], tmp_path)
    assert r.returncode == 0, r.stderr
    cli_table = pd.read_csv(tmp_path / "o" / "gaps.csv")
    res = ig.analyse()
    assert len(res.gaps) == len(cli_table) == 18
    assert list(res.gaps["unit_id"]) == list(cli_table["unit_id"])
    assert res.gaps["residents"].to_numpy() == pytest.approx(cli_table["residents"].to_numpy())
    # the other defaults: minutes, speed, language, walk profile
    sig = inspect.signature(ig.analyse).parameters
    sub = cli.build_parser()._subparsers._group_actions[0].choices["analyse"]  # type: ignore[union-attr]
    defaults = {a.dest: a.default for a in sub._actions}
    assert tuple(int(m) for m in defaults["minutes"].split(",")) == sig["minutes"].default
    assert defaults["lang"] == sig["lang"].default == "nl"
    assert defaults["speed_kmh"] is sig["speed_kmh"].default is None
    assert defaults["walk_profile"] is sig["walk_profile"].default is None
    assert defaults["neighbourhoods"] is sig["neighbourhoods"].default is None
