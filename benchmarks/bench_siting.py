"""Where to build next at scale: lazy greedy maximal covering on Malta.

Malta (``osm/malta-2018.osm.pbf``, the size of a Dutch middle-sized municipality): residents
from the residential buildings spread over the admin_level 8 local councils (the buildings'
shares of an assumed total, ``TOTAL``, for the councils the reader can close; the residents
placed are reported; only the weights' scale, the timings do not depend on it), 10,000 candidate sites on the walking network (a regular grid, thinned evenly to
10,000), k = 10, 10 minutes, for the ``education`` group (residents already within 10
minutes of a school are not demand).

Timed apart: the coverage matrix (bounded searches from every candidate and from the
existing facilities, resident distances) and the greedy itself; ``suggest_sites`` end to
end is the sum plus snapping. Median of INFRA_GEO_BENCH_RUNS runs (default 3 here).

Run: ``.venv/bin/python benchmarks/bench_siting.py``.
"""

from __future__ import annotations

import os
import statistics
import time

import geopandas as gpd
import numpy as np
from _common import SHARED, max_rss_mb, md_table, quiet, report

import infra_geo as ig
from infra_geo.siting import greedy_max_cover, grid_candidates

MALTA = SHARED / "osm" / "malta-2018.osm.pbf"
N_CAND = 10_000
K = 10
MINUTES = 10
KEY = "education"
TOTAL = 475_000  # about Malta's residents in 2018; scales the weights only (see the docstring)
RUNS = int(os.environ.get("INFRA_GEO_BENCH_RUNS", "3"))


def main() -> None:
    quiet()
    t0 = time.perf_counter()
    net = ig.walk_network_from_file(MALTA)
    fac = ig.facilities_from_file(MALTA)
    units = ig.neighbourhoods_from_osm(file=MALTA, admin_level=8)
    pop = ig.population_from_buildings(MALTA, units, total=TOTAL)
    t_load = time.perf_counter() - t0
    grid = grid_candidates(net, spacing_m=80)
    pick = np.unique(np.linspace(0, len(grid) - 1, N_CAND).round().astype(int))
    cand = gpd.GeoSeries(grid.to_numpy()[pick], crs=grid.crs)
    end, greedy = [], []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        s = ig.suggest_sites(net, fac, pop, KEY, k=K, minutes=MINUTES, candidates=cand)
        end.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        _chosen, gains = greedy_max_cover(s.coverage, s.weights, K)
        greedy.append(time.perf_counter() - t0)
    rows = [
        ["network nodes / edges", f"{net.n_nodes:,} / {net.n_edges:,}"],
        ["resident points", f"{len(pop):,}"],
        ["candidates (on the network)", f"{len(cand):,} ({len(s.candidate_rows):,})"],
        ["demand points (not within 10 min of a school)", f"{len(s.weights):,}"],
        ["coverage matrix non-zeros", f"{s.coverage.nnz:,}"],
        ["residents reached before", f"{s.already_reached:,.0f} of {s.residents:,.0f}"],
        ["residents newly reached by the 10 sites", f"{gains.sum():,.0f}"],
        ["load (network, facilities, population), s", f"{t_load:.1f}"],
        ["suggest_sites end to end, s (median)", f"{statistics.median(end):.2f}"],
        ["greedy alone (k = 10), s (median)", f"{statistics.median(greedy):.3f}"],
        ["max RSS, MB", f"{max_rss_mb():.0f}"],
    ]
    report(
        "siting",
        f"Siting on Malta: lazy greedy, {N_CAND:,} candidates, k = {K}, {MINUTES} min",
        md_table(["", "value"], rows)
        + "\n\nSites (rank, residents newly reached): "
        + ", ".join(f"{r}: {g:,.0f}" for r, g in enumerate(gains, 1)),
    )


if __name__ == "__main__":
    main()
