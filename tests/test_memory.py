"""The whole job's memory (issue 14, peak < 1 GB): what ``analyse`` lets go, and that letting
go changes no result.

- The OSM read cache is dropped once ``analyse`` has read the file for the last time: the
  read's object is really gone (a weak reference dies), and a second ``analyse`` of the same
  file in the same process reads it again and gives the same tables and files.
- Free heap pages are handed back (glibc ``malloc_trim``) after the catchments, by the ring
  thread when its cuts are done, and before ``save`` writes (spies on the real function).
- ``walk_minutes.tif``'s cells are snapped in blocks of rows: the same bands as one block.
"""

from __future__ import annotations

import gc
import math
import platform
import threading
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import infra_geo as ig
from infra_geo import _ahead, _memory, _osm_reader, _walk_grid, analysis, network
from infra_geo.components import load_rules
from infra_geo.maps import _layers


@pytest.fixture(scope="module")
def li_twice(liechtenstein: Path, tmp_path_factory: pytest.TempPathFactory):
    """Liechtenstein analysed and saved twice in this process, after one read of it.

    Per run: the result, its files, the cache size after ``analyse``, whether the read made
    before is still alive, and how many times the file was read during ``analyse``.
    """
    mp = pytest.MonkeyPatch()
    reads = [0]
    real = _osm_reader._read

    def counted(*args, **kwargs):
        reads[0] += 1
        return real(*args, **kwargs)

    mp.setattr(_osm_reader, "_read", counted)
    try:
        _osm_reader.forget_reads()
        read = _osm_reader.read_osm(liechtenstein, load_rules().match_keys())
        ref = weakref.ref(read)
        del read
        runs = []
        for i in range(2):
            before = reads[0]
            res = ig.analyse(osm_file=liechtenstein, neighbourhoods="admin:8")
            size = _osm_reader._read_cached.cache_info().currsize
            gc.collect()
            alive = ref() is not None
            files = res.save(tmp_path_factory.mktemp(f"li{i}") / "out")
            runs.append((res, files, size, alive, reads[0] - before))
    finally:
        mp.undo()
    return runs


def test_analyse_drops_the_read_cache(li_twice) -> None:
    (_res, _files, size, alive, reads), _second = li_twice
    assert reads == 0  # analyse took the read made before it from the cache...
    assert size == 0  # ...and let the cache go once it had read the file for the last time
    assert not alive  # nothing else keeps the read's tables either


def test_a_second_analyse_of_the_same_file_gives_the_same_results(li_twice) -> None:
    (a, files_a, *_), (b, files_b, _, _, reads_b) = li_twice
    assert reads_b == 1  # the second run read the file again, once
    pd.testing.assert_frame_equal(a.facilities, b.facilities)
    pd.testing.assert_frame_equal(a.gaps, b.gaps)
    pd.testing.assert_frame_equal(a.catchments, b.catchments)
    assert len(a.gaps) == 11  # Liechtenstein's 11 municipalities (admin_level 8)
    for name in ("gaps.csv", "summary.md", "map.html", "walk_minutes.tif", "gaps.xlsx"):
        assert files_a[name].read_bytes() == files_b[name].read_bytes(), name


def test_free_heap_pages_go_back_to_the_system() -> None:
    # many mid-sized blocks on the heap (below glibc's mmap threshold), all freed but the last
    blocks = [np.ones(12_000) for _ in range(2_000)]  # ~190 MB
    del blocks[:-1]
    released = _memory.release_free_memory()
    assert released is (platform.libc_ver()[0] == "glibc")
    assert float(blocks[0].sum()) == 12_000.0  # allocated memory is untouched


def test_analyse_and_save_release_free_memory(monkeypatch, tmp_path: Path) -> None:
    where: list[str] = []
    real = _memory.release_free_memory

    def spy() -> bool:
        where.append(threading.current_thread().name)
        return real()

    def join_ring_threads() -> None:
        for t in threading.enumerate():
            if t.name == "infra_geo-rings-ahead":
                t.join()

    join_ring_threads()  # earlier tests' ring threads call no spy
    for mod in (_ahead, _layers, analysis):
        monkeypatch.setattr(mod, "release_free_memory", spy)
    res = ig.analyse()  # the embedded sample
    assert where[0] == "MainThread"  # after the catchments (the tile thread is done)
    join_ring_threads()
    res.save(tmp_path / "out")
    # the ring thread once its cuts are done (the map took them, or they were waited for),
    # and save before it writes
    assert sorted(where) == ["MainThread", "MainThread", "infra_geo-rings-ahead"]


def test_walk_minutes_grid_in_blocks_equals_one_block(li_twice, monkeypatch) -> None:
    res = li_twice[0][0]
    monkeypatch.setattr(_walk_grid, "CELLS_PER_BLOCK", 10**9)
    one, tr1, crs1 = res.walk_minutes_grid(cell_m=50)
    calls: list[int] = []
    real = network.WalkNetwork.snap_xy

    def count(self, xy, **kw):
        calls.append(len(xy))
        return real(self, xy, **kw)

    monkeypatch.setattr(network.WalkNetwork, "snap_xy", count)
    monkeypatch.setattr(_walk_grid, "CELLS_PER_BLOCK", 5_000)
    blocks, tr2, crs2 = res.walk_minutes_grid(cell_m=50)
    nrow, ncol = one.shape[1:]
    step = 5_000 // ncol
    assert calls == [step * ncol] * (nrow // step) + ([nrow % step * ncol] if nrow % step else [])
    assert len(calls) == math.ceil(nrow / step) > 2
    assert (tr1, crs1) == (tr2, crs2)
    assert blocks.dtype == one.dtype == np.float32
    np.testing.assert_array_equal(blocks, one)  # NaN where NaN, every value bit for bit
    assert np.isfinite(one).sum() > 100_000
