"""A what-if scenario against a fresh run: ``res.scenario(...)`` on Malta (hex:1000 units).

Each child process (a fresh interpreter) runs ``ig.analyse(malta, neighbourhoods="hex:1000")``
(the fresh run, timed), then a closure scenario (the school nearest to the most network
nodes removed) and an added-facility scenario (one new ``sports`` facility at the resident
point with the most residents beyond 10 minutes of sports within 800 m), each timed on its
own, and ``ig.compare`` of each. Target: a scenario in well under a tenth of the fresh run.
Medians of ``INFRA_GEO_BENCH_SCENARIO_RUNS`` (default 3) processes.

Run: ``.venv/bin/python benchmarks/bench_scenario.py``
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from _common import md_table, median_of, quiet, report, run_fresh
from _scale import MALTA, need

RUNS = int(os.environ.get("INFRA_GEO_BENCH_SCENARIO_RUNS", "3"))
PARTS = ("distances", "catchments", "gaps")


def child(osm: str) -> None:
    import geopandas as gpd
    import numpy as np
    import shapely

    import infra_geo as ig

    quiet()
    t = time.perf_counter()
    res = ig.analyse(osm_file=osm, neighbourhoods="hex:1000")
    out: dict[str, float] = {"fresh_s": time.perf_counter() - t}
    out.update({f"fresh_{k}_s": res.timings[k] for k in PARTS})
    fac = res.facilities
    # the school nearest to the most network nodes (a closure that matters)
    schools = set(fac.loc[fac["category"] == "amenity=school", "facility_id"])
    near = res.distances["education_nearest"].dropna()
    school = near[near.isin(schools)].value_counts().index[0]
    t = time.perf_counter()
    closed = res.scenario(remove=[school], name="school closed")
    out["closure_s"] = time.perf_counter() - t
    out.update({f"closure_{k}_s": closed.timings[k] for k in PARTS})
    # a new sports hall where most residents live beyond 10 minutes of any sports facility:
    # at the resident point (main network piece) with the most such residents within 800 m
    pts = ig.resident_access(res.network, fac, res.population, access=res.access)
    far = pts[(pts["sports"] > 10 * 80.0) & (pts["island"] == 0) & (pts["population"] > 0)]
    geom = far.geometry.to_numpy()
    a, b = shapely.STRtree(geom).query(geom, predicate="dwithin", distance=800.0)
    score = np.bincount(a, weights=far["population"].to_numpy()[b], minlength=len(far))
    site = gpd.GeoDataFrame(
        {"component": ["sports"], "name": ["new sports hall"]},
        geometry=[geom[int(np.argmax(score))]],
        crs=pts.crs,
    )
    t = time.perf_counter()
    opened = res.scenario(add=site, name="new sports hall")
    out["added_s"] = time.perf_counter() - t
    out.update({f"added_{k}_s": opened.timings[k] for k in PARTS})
    t = time.perf_counter()
    cmp = ig.compare(res, closed)
    out["compare_s"] = time.perf_counter() - t
    out["lost_10"] = float(cmp["education_no_longer_reached_10"].sum())
    out["gained_10"] = float(ig.compare(res, opened)["sports_newly_reached_10"].sum())
    searches = [k for k in closed.access.runs if k.startswith("search:")]
    out["runs_closure"] = float(sum(closed.access.runs[k] for k in searches))
    searches = [k for k in opened.access.runs if k.startswith("search:")]
    out["runs_added"] = float(sum(opened.access.runs[k] for k in searches))
    out.update(facilities=len(fac), nodes=res.network.n_nodes, units=len(res.gaps))
    print(json.dumps(out))


def main() -> None:
    quiet()
    malta = need(MALTA)
    runs = [run_fresh(Path(__file__), str(malta), timeout=1800) for _ in range(RUNS)]
    m = median_of(runs)
    rows = []
    for label, key in (
        ("fresh `analyse` (reads the file, builds the network)", "fresh"),
        ("closure scenario: 1 school removed", "closure"),
        ("added-facility scenario: 1 sports hall", "added"),
    ):
        ratio = m[f"{key}_s"] / m["fresh_s"]
        rows.append([label, m[f"{key}_s"], *(m[f"{key}_{p}_s"] for p in PARTS), f"{ratio:.3f}"])
    body = (
        f"{MALTA.name}: {int(m['nodes']):,} network nodes, {int(m['facilities']):,} facilities, "
        f"{int(m['units']):,} hex:1000 units. Medians of {RUNS} fresh processes; each runs the "
        "fresh analysis, then both scenarios on its result. Seconds; 'share' = this row / the "
        "fresh run.\n\n"
        + md_table(["run", "total s", *(f"{p} s" for p in PARTS), "share of fresh"], rows)
        + f"\n\nDistance searches run by the scenario's engine: closure "
        f"{int(m['runs_closure'])}, added {int(m['runs_added'])} (one per changed component; "
        f"a fresh run does 8). `ig.compare(res, closed)`: {m['compare_s']:.2f} s. Residents no "
        f"longer within 10 min of a school: {m['lost_10']:,.0f}; newly within 10 min of sports: "
        f"{m['gained_10']:,.0f}.\n\nAll runs (fresh / closure / added s): "
        + "; ".join(f"{r['fresh_s']:.1f} / {r['closure_s']:.2f} / {r['added_s']:.2f}" for r in runs)
        + "."
    )
    report("scenario", "Malta: a scenario against a fresh run", body)


if __name__ == "__main__":
    if "--child" in sys.argv:
        child(sys.argv[sys.argv.index("--child") + 1])
    else:
        main()
