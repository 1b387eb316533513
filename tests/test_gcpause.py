"""The cyclic collector is paused during the reading pass and the network build, and only then.

Pausing it skips the young (and now and then full) collections those steps would trigger
without finding anything: the outputs are pinned by ``tests/test_reader_equal.py``. Here:
no collection runs inside them, the collector is on again afterwards (also after an error),
and a collector the caller switched off stays off.
"""

from __future__ import annotations

import gc

import pytest

from infra_geo import _osm_reader, _ways
from infra_geo._gcpause import gc_paused
from infra_geo.components import load_rules
from infra_geo.network import walk_network_from_file


def _collections_during(fn, *args, **kwargs):
    """Return (result, number of collections started while ``fn`` ran)."""
    started = []

    def count(phase, info):
        if phase == "start":
            started.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        out = fn(*args, **kwargs)
    finally:
        gc.callbacks.remove(count)
    return out, started


def test_no_collection_inside_the_read_and_the_build(liechtenstein):
    keys = tuple(sorted(set(load_rules().match_keys())))
    states = []
    frame = _osm_reader._features_frame

    def spy_frame(*args, **kwargs):
        states.append(gc.isenabled())
        return frame(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_osm_reader, "_features_frame", spy_frame)
        data, during_read = _collections_during(_osm_reader._read, str(liechtenstein), "pbf", keys)
    assert states == [False]
    # at most the one young collection the first allocation after the pause starts
    assert during_read in ([], [0])
    assert gc.isenabled()
    assert len(data.way_ids) > 1000

    _osm_reader.forget_reads()
    calls = []
    positions = _ways._positions  # called by the walk filter, then inside the build

    def spy(*args, **kwargs):
        calls.append(gc.isenabled())
        return positions(*args, **kwargs)

    walk_network_from_file(liechtenstein)  # the read, cached
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_ways, "_positions", spy)
        net, during_build = _collections_during(walk_network_from_file, liechtenstein)
    assert calls[-1] is False and all(calls[:-1])  # only the build is paused
    assert during_build in ([], [0])
    assert gc.isenabled()
    assert len(net.edge_u) > 4000


def test_the_collector_comes_back_after_an_error_and_when_nested():
    assert gc.isenabled()
    with pytest.raises(ValueError, match="boom"):
        with gc_paused():
            assert not gc.isenabled()
            raise ValueError("boom")
    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still holds it
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off(liechtenstein):
    gc.disable()
    try:
        _osm_reader.forget_reads()
        walk_network_from_file(liechtenstein)
        assert not gc.isenabled()
    finally:
        gc.enable()
    _osm_reader.forget_reads()
