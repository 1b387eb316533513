"""All-or-nothing output folders, and cells that are safe to open in a spreadsheet.

How :meth:`infra_geo.Analysis.save` keeps an output folder whole
-----------------------------------------------------------------
1. :func:`check_out_dir` runs *before* the long work (the CLI calls it before reading any
   data): the path is not empty, holds no control character, is not a file or a dangling
   symlink, its name leaves room for the scratch folder's name (< 255 bytes), its parent
   folder accepts a new folder (tried, not guessed from permission bits, so it also holds for
   root and for read-only mounts), there is a rough minimum of free space, and an existing
   folder holds nothing but infra_geo outputs (its files would otherwise be lost in the swap).
2. The complete new set is written into a scratch folder beside the output folder
   (``.<name>.infra_geo-<pid>-<random>``; same file system).
3. One atomic operation swaps it in: Linux ``renameat2(RENAME_EXCHANGE)`` exchanges the two
   folders, so at every instant ``out`` is either the complete old or the complete new set.
   Where the exchange is not available (another OS, a file system without it), ``out`` is
   renamed aside and the new folder renamed into place; a crash between those two renames
   leaves the old set in ``.<name>.infra_geo-<pid>-old``, which the next run puts back.
4. The old set (now in the scratch folder) is removed afterwards. Scratch folders of runs that
   were killed (their process is gone) are removed at the start of the next run for the same
   output folder. Sidecars such as ``walk_minutes.tif.aux.xml`` live and die with their set.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import signal
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataFileError, InputError

#: folder-name suffix of our scratch folders
TAG = ".infra_geo-"
#: rough minimum of free bytes on the output file system before a run starts
MIN_FREE_BYTES = 20 * 1024 * 1024
#: the environment variable of the kill hook used by the tests (see :func:`kill_point`)
KILL_ENV = "INFRA_GEO_TEST_KILL_AT"
_NAME_MAX = 255
_PREFIX_MAX = 160  # bytes of the output folder's name kept in the scratch name


def kill_point(step: str) -> None:
    """Signal this process at ``step`` when ``$INFRA_GEO_TEST_KILL_AT`` names it (tests only).

    ``INFRA_GEO_TEST_KILL_AT=swapped`` sends SIGKILL there; ``swapped:INT`` sends SIGINT
    (Ctrl-C). Steps: ``write:<file>`` before each file, ``written``, ``swap``, ``swap-half``
    (fallback swap only) and ``swapped``.
    """
    want = os.environ.get(KILL_ENV)
    if not want:
        return
    sigint = want.endswith(":INT")
    if want.removesuffix(":INT") == step:
        os.kill(os.getpid(), signal.SIGINT if sigint else signal.SIGKILL)


def _scratch_prefix(out: Path) -> str:
    name = out.name.encode("utf-8", "surrogateescape")[:_PREFIX_MAX]
    return "." + name.decode("utf-8", "ignore") + TAG


def _check_only_outputs(out: Path, text: str, *, flag: str, outputs: Iterable[str]) -> None:
    """Raise :class:`InputError` if the existing folder ``out`` holds more than our outputs."""
    allowed = set(outputs)
    other = sorted(
        p.name
        for p in out.iterdir()
        if p.is_symlink()
        or not p.is_file()
        or (p.name not in allowed and not p.name.endswith(".aux.xml"))
    )
    if other:
        shown = ", ".join(other[:3]) + (", ..." if len(other) > 3 else "")
        raise InputError(
            f"{flag} {text} holds other things than infra_geo outputs ({shown}): they would "
            f"be replaced with the folder. Choose a new or empty folder as {flag}."
        )


def check_out_dir(  # noqa: C901 - a flat sequence of input checks; split pending
    out_dir: Any, *, flag: str = "out_dir", outputs: Iterable[str] = (), create: bool = True
) -> Path:
    """Check an output folder before any long work; raise a clear error if it cannot be used.

    Parameters
    ----------
    out_dir : path-like
        The output folder.
    flag : str
        How the caller names it in messages (``--out`` on the command line).
    outputs : iterable of str
        The file names an existing folder may hold (earlier outputs of ours).
    create : bool
        Create the folder (and its parents) when it does not exist.

    Returns
    -------
    Path
        The absolute output folder.

    Raises
    ------
    InputError
        Not a path, empty, a control character, a file, a dangling symlink, a name too long, or
        an existing folder that holds other files.
    DataFileError
        The parent folder is not writable or the disk is (nearly) full.
    """
    if isinstance(out_dir, bool) or not isinstance(out_dir, (str, os.PathLike)):
        raise InputError(f"{flag} must be a folder path, got {type(out_dir).__name__}.")
    text = os.fspath(out_dir)
    if isinstance(text, bytes):
        raise InputError(f"{flag} must be a text path, not bytes.")
    if not text.strip():
        raise InputError(f"{flag} is empty: name an output folder, e.g. {flag} infra_geo_out.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InputError(
            f"{flag} {text!r} holds a control character (a newline or tab?): "
            "name the output folder without one."
        )
    out = Path(os.path.abspath(text))
    if len(out.name.encode("utf-8", "surrogateescape")) > _NAME_MAX:
        raise InputError(f"{flag}: the folder name is longer than {_NAME_MAX} bytes; shorten it.")
    if out.is_symlink() and not out.exists():
        raise InputError(
            f"{flag} {text} is a symbolic link to {os.readlink(out)}, which does not exist: "
            "remove the link or point it at a folder."
        )
    if out.is_symlink():
        out = out.resolve()  # swap the folder the link points at; the link stays
    if out.exists() and not out.is_dir():
        raise InputError(f"{flag} {text} exists and is not a folder: choose another {flag}.")
    if out.parent == out:
        raise InputError(f"{flag} {text} is the root folder: choose a folder inside it.")
    cwd = Path.cwd()
    if out == cwd or out in cwd.parents:
        raise InputError(
            f"{flag} {text} is the working folder or holds it; the output folder is replaced "
            f"as a whole, so choose a subfolder, e.g. {flag} infra_geo_out."
        )
    if os.path.ismount(out):
        raise InputError(
            f"{flag} {text} is a mount point, which cannot be swapped for the new outputs: "
            f"choose a folder inside it as {flag}."
        )
    parent = out.parent
    for anc in (parent, *parent.parents):
        if anc.exists():
            if not anc.is_dir():
                raise InputError(f"{flag} {text}: {anc} is a file, not a folder.")
            break
    if out.is_dir():
        _check_only_outputs(out, text, flag=flag, outputs=outputs)
    try:
        if create:
            parent.mkdir(parents=True, exist_ok=True)
        base = next(a for a in (parent, *parent.parents) if a.exists())
        probe = base / f"{_scratch_prefix(out)}probe-{os.getpid()}-{secrets.token_hex(4)}"
        probe.mkdir()
        probe.rmdir()
        if create:
            out.mkdir(exist_ok=True)
    except OSError as exc:
        raise DataFileError(
            f"{flag} {text}: cannot write in {parent} ({exc.strerror or exc}). infra_geo writes "
            f"a complete new set beside the folder and swaps it in, so {parent} must be "
            f"writable: choose a {flag} in a writable folder."
        ) from None
    # rough estimate: the new set is about as large as the previous one, plus a margin
    previous = sum(p.stat().st_size for p in out.iterdir()) if out.is_dir() else 0
    need = MIN_FREE_BYTES + previous
    free = shutil.disk_usage(base).free
    if free < need:
        raise DataFileError(
            f"{flag} {text}: only {free / 1e6:.1f} MB free on its disk; infra_geo needs about "
            f"{need / 1e6:.0f} MB (the new set is written completely before the previous one "
            f"is removed). Free some space or choose another {flag}."
        )
    return out


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would end it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(out: Path) -> list[Path]:
    """Remove scratch folders of ``out`` left by killed runs; put back a stranded old set."""
    prefix = _scratch_prefix(out)
    pat = re.compile(re.escape(prefix) + r"(\d+)-(\w+)$")
    removed: list[Path] = []
    if not out.parent.is_dir():
        return removed
    for p in sorted(out.parent.iterdir()):
        m = pat.match(p.name)
        if not m or not p.is_dir() or _pid_alive(int(m.group(1))):
            continue
        if m.group(2) == "old":
            # the fallback swap was killed between its two renames: put the old set back
            # (``out`` may have been created empty by this run's check)
            if out.is_dir() and not out.is_symlink() and not any(out.iterdir()):
                out.rmdir()
            if not out.exists():
                os.rename(p, out)
                continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def new_scratch(out: Path) -> Path:
    """Return a fresh scratch folder beside ``out``."""
    p = out.parent / f"{_scratch_prefix(out)}{os.getpid()}-{secrets.token_hex(6)}"
    p.mkdir()
    return p


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with renameat2; False if the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_tree(folder: Path) -> None:
    for p in folder.iterdir():
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    if os.name != "nt":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def swap_in(new: Path, out: Path) -> Path:
    """Put the complete folder ``new`` at ``out`` in one step; return where the old set is now.

    The returned folder (the old set, or nothing) is removed by the caller afterwards.
    The new files and folder are flushed to disk first, so the swap never publishes data
    that a power cut could still lose.
    """
    _fsync_tree(new)
    if not out.exists():
        kill_point("swap")
        os.rename(new, out)
        return new  # no longer exists
    kill_point("swap")
    if _exchange(new, out):
        return new
    old = out.parent / f"{_scratch_prefix(out)}{os.getpid()}-old"
    os.rename(out, old)
    kill_point("swap-half")
    os.rename(new, out)
    return old


# ------------------------------------------------------------------ spreadsheet-safe cells
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutral(v: Any) -> Any:
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return v


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot be evaluated by a spreadsheet (OWASP CSV injection).

    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
    leading single quote; numeric columns stay numeric (a negative number is a number).
    """
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if not (pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype)):
            continue
        vals = col.to_numpy(dtype=object)
        is_str = np.fromiter((isinstance(v, str) for v in vals), dtype=bool, count=len(vals))
        if not is_str.any():
            continue
        s = pd.Series(vals[is_str], dtype=object).astype(str)
        bad = s.str.startswith(_FORMULA_START).to_numpy()
        if bad.any():
            fixed = vals.copy()
            idx = np.flatnonzero(is_str)[bad]
            fixed[idx] = ["'" + v for v in vals[idx]]
            out[c] = pd.Series(fixed, index=out.index, dtype=col.dtype)
    if any(isinstance(c, str) and c.startswith(_FORMULA_START) for c in out.columns):
        out.columns = [_neutral(c) for c in out.columns]
    return out


def unique_columns_ci(columns: Iterable[str], keep: Iterable[str] = ()) -> list[str]:
    """Column names made unique ignoring letter case (GeoPackage/SQLite columns are).

    The first name of each case-insensitive group (in column order, ``keep`` first) stays as
    it is; later ones get ``_2``, ``_3``... (e.g. ``fixme``, ``FIXME`` -> ``fixme``,
    ``FIXME_2``).
    """
    cols = list(columns)
    taken = {str(k).lower() for k in keep}
    out = []
    for c in cols:
        name = str(c)
        if name in keep:
            out.append(name)
            continue
        cand, i = name, 1
        while cand.lower() in taken:
            i += 1
            cand = f"{name}_{i}"
        taken.add(cand.lower())
        out.append(cand)
    return out


__all__ = [
    "MIN_FREE_BYTES",
    "check_out_dir",
    "clean_stale",
    "kill_point",
    "new_scratch",
    "spreadsheet_safe",
    "swap_in",
    "unique_columns_ci",
]
