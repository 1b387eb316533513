"""Catchments on Malta, 8 components x 5/10/15 min: infra_geo vs the osmnx ego-graph recipe.

* infra_geo: ``ig.catchments(net, fac)`` (attach + searches + street-front unions). The
  library caches the buffered edges and tile unions per network (``_access._NetCache``,
  beside the network), so a second call on the same network is faster than the one inside
  ``analyse``: "cold" runs drop that cache first (the figure that matters for ``analyse``),
  "warm" runs keep it.
* osmnx recipe: ``bench_catchments.recipe`` (nearest node, ``nx.ego_graph`` per facility and
  threshold, 50 m buffers, unions). On Malta's ~3,300 facilities it would take very long, so
  it runs on a deterministic subset, every K-th facility (INFRA_GEO_BENCH_RECIPE_EVERY,
  default 20), and its time is **extrapolated** linearly to all facilities by the number of
  (facility, component) sources: an estimate (the final unions grow a little faster than
  linearly, so it is more likely low than high). The preparation (``to_networkx``,
  ``nearest_nodes``) is timed on the subset and reported apart. INFRA_GEO_BENCH_RECIPE_EVERY=1
  runs the whole recipe.

Run: ``.venv/bin/python benchmarks/bench_malta_catchments.py`` (INFRA_GEO_BENCH_RUNS=3 runs
of infra_geo, cold and warm interleaved; the recipe once).
"""

from __future__ import annotations

import os

from _common import load, md_table, quiet, report, rounds
from _scale import MALTA, drop_engine_cache, need
from bench_catchments import recipe

import infra_geo as ig
from infra_geo.accessibility import attach_facilities

RUNS = int(os.environ.get("INFRA_GEO_BENCH_RUNS", "3"))
EVERY = int(os.environ.get("INFRA_GEO_BENCH_RECIPE_EVERY", "20"))
MINUTES = (5, 10, 15)


def sources(net, fac) -> int:
    """(facility, component) pairs the recipe grows an ego graph from, per threshold."""
    att = attach_facilities(net, fac)
    return int((att.members & att.snapped[:, None]).sum())


def main() -> None:
    quiet()
    net, fac, t_load = load(str(need(MALTA)))
    keys = tuple(c.key for c in ig.COMPONENTS)

    def cold(clock):
        drop_engine_cache(net)
        return ig.catchments(net, fac, minutes=MINUTES)

    med, _ = rounds(
        {"cold": cold, "warm": lambda clock: ig.catchments(net, fac, minutes=MINUTES)},
        runs=RUNS,
    )
    sub = fac.iloc[::EVERY]
    n_all, n_sub = sources(net, fac), sources(net, sub)
    med_rc, _ = rounds({"recipe": lambda clock: recipe(net, sub, keys, clock)}, 1, 0)
    rc = med_rc["recipe"]
    est = rc["catchments"] * n_all / n_sub
    t_cold, t_warm = med["cold"]["total"], med["warm"]["total"]
    rows = [
        ["infra_geo: ig.catchments, cold (as inside analyse)", t_cold, 1.0],
        [
            "infra_geo: ig.catchments, warm (buffers and tiles cached per network)",
            t_warm,
            t_warm / t_cold,
        ],
        [
            f"osmnx recipe on every {EVERY}th facility ({len(sub)}; {n_sub} sources): "
            "ego graphs + buffers + unions, measured",
            rc["catchments"],
            rc["catchments"] / t_cold,
        ],
        ["osmnx recipe: prep on the subset (to_networkx, nearest_nodes)", rc["prep"], ""],
        [
            f"**osmnx recipe, all {len(fac)} facilities ({n_all} sources): extrapolated**",
            est,
            est / t_cold,
        ],
    ]
    body = (
        f"{MALTA.name}: {net!r}; {len(fac)} facilities (network + facilities read in "
        f"{t_load:.1f} s, not in the figures); 8 components x {MINUTES} minutes. infra_geo: "
        f"medians of {RUNS} interleaved cold/warm runs after one warm-up each; recipe: one "
        "run on the subset, extrapolated by sources (see the script's docstring).\n\n"
        + md_table(["what", "s", "x infra_geo cold"], rows)
        + f"\n\nTarget (after the rewrite): <= 2 s and >= 20x faster than the recipe. Now: "
        f"{t_cold:.1f} s cold, {est / t_cold:.1f}x against the extrapolated recipe "
        f"({rc['catchments'] / t_cold:.2f}x against the measured {EVERY}th subset alone)."
    )
    report("malta_catchments", "Catchments on Malta: infra_geo vs the osmnx ego-graph recipe", body)


if __name__ == "__main__":
    main()
