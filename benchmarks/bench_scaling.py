"""How the analysis grows with the network: Liechtenstein tiled 1x, 4x (2x2) and 16x (4x4).

The real network, facilities, entrances, admin:8 neighbourhoods and population points (from
one ``ig.analyse`` run) are copied onto a grid of tiles, each shifted by the network's
width / height plus 1 km (in the network's UTM CRS). The tiles are *connected*: between
every two neighbouring tiles three straight "bridge" edges join the outermost main-piece
node of each of three bands to the nearest main-piece node of the next tile, so the tiled
network is one piece (plus each tile's own small islands). Ids are made unique per tile.

For each size a fresh interpreter builds the ``WalkNetwork`` from the shifted arrays
(reported apart) and then runs what ``analyse`` runs after loading: distances
(``nearest_facilities``), catchments and gaps (``gap_analysis`` + ``uncovered_areas``); it
samples its resident memory. The growth exponent is the least-squares slope of
log(time) over log(nodes); n log n has a local slope of about 1.1 here.

Run: ``.venv/bin/python benchmarks/bench_scaling.py`` (INFRA_GEO_BENCH_SCALING_RUNS=3).
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from _common import (
    OSM,
    PeakRSS,
    max_rss_mb,
    md_table,
    median_of,
    quiet,
    report,
    run_fresh,
)

RUNS = int(os.environ.get("INFRA_GEO_BENCH_SCALING_RUNS", "3"))
TILES = (1, 2, 4)  # tiles per side: 1x, 4x, 16x
STAGES = ("distances", "catchments", "gaps")
GAP_M = 1000.0
BRIDGES = 3


def prepare(path: Path) -> None:
    """Run the real pipeline once and keep its inputs for the children."""
    import infra_geo as ig
    from infra_geo._osm_reader import read_osm
    from infra_geo.components import load_rules

    quiet()
    res = ig.analyse(osm_file=OSM, neighbourhoods="admin:8")
    net = res.network
    base = {
        "net": {
            k: getattr(net, k)
            for k in ("node_ids", "node_xy", "edge_u", "edge_v", "edge_geometry", "island")
        },
        "edge_data": net.edge_data,
        "crs": net.crs.to_wkt(),
        "extent": shapely.box(*read_osm(OSM, load_rules().match_keys()).extent),
        "facilities": res.facilities,
        "entrances": res.entrances,
        "units": res.neighbourhoods,
        "population": res.population,
    }
    path.write_bytes(pickle.dumps(base))


def _bridges(xy, main_a, main_b, axis):
    """Edges (a, b) from the outermost main-piece nodes of tile A towards tile B."""
    other = 1 - axis
    a_idx, b_idx = np.flatnonzero(main_a), np.flatnonzero(main_b)
    lo, hi = xy[a_idx, other].min(), xy[a_idx, other].max()
    bands = np.minimum(
        ((xy[a_idx, other] - lo) / (hi - lo + 1e-9) * BRIDGES).astype(int), BRIDGES - 1
    )
    out = []
    for band in range(BRIDGES):
        cand = a_idx[bands == band]
        if len(cand) == 0:
            continue
        a = cand[np.argmax(xy[cand, axis])]
        b = b_idx[np.argmin(np.hypot(*(xy[b_idx] - xy[a]).T))]
        out.append((a, b))
    return out


def tile(base: dict, t: int):
    """The tiled WalkNetwork and shifted copies of the other inputs."""
    import geopandas as gpd

    from infra_geo import WalkNetwork

    b = base["net"]
    xy0 = b["node_xy"]
    n = len(xy0)
    w = np.ptp(xy0[:, 0]) + GAP_M
    h = np.ptp(xy0[:, 1]) + GAP_M
    offs = [(i * w, j * h) for j in range(t) for i in range(t)]
    k_of = {(i, j): j * t + i for j in range(t) for i in range(t)}
    xy = np.vstack([xy0 + o for o in offs])
    ids = np.concatenate([b["node_ids"] + k * (int(b["node_ids"].max()) + 1) for k in range(t * t)])
    u = np.concatenate([b["edge_u"] + k * n for k in range(t * t)])
    v = np.concatenate([b["edge_v"] + k * n for k in range(t * t)])
    geoms = np.concatenate(
        [shapely.transform(b["edge_geometry"], lambda c, o=o: c + np.asarray(o)) for o in offs]
    )
    main = np.tile(b["island"] == 0, t * t)
    tile_of = np.repeat(np.arange(t * t), n)
    extra = []
    for (i, j), k in k_of.items():
        for (di, dj), axis in (((1, 0), 0), ((0, 1), 1)):
            if (i + di, j + dj) in k_of:
                kb = k_of[(i + di, j + dj)]
                extra += _bridges(xy, main & (tile_of == k), main & (tile_of == kb), axis)
    if extra:
        ea, eb = np.array(extra).T
        u, v = np.r_[u, ea], np.r_[v, eb]
        geoms = np.r_[geoms, shapely.linestrings(np.stack([xy[ea], xy[eb]], axis=1))]
    data = pd.concat([base["edge_data"]] * (t * t), ignore_index=True).reindex(range(len(u)))
    crs = base["crs"]
    net = WalkNetwork(ids, xy, u, v, geoms, crs, edge_data=data)

    def shift(frame, id_cols=()):
        if frame is None:
            return None
        m = frame.to_crs(crs)
        parts = []
        for k, (dx, dy) in enumerate(offs):
            p = m.set_geometry(m.geometry.translate(dx, dy))
            for c in id_cols:
                p[c] = p[c].astype("string") + f"@{k}"
            parts.append(p)
        return pd.concat(parts, ignore_index=True).to_crs("EPSG:4326")

    ent = base["entrances"]
    if ent is not None:
        e = ent.to_crs(crs)
        ent = gpd.GeoSeries(
            pd.concat([e.translate(dx, dy) for dx, dy in offs], ignore_index=True), crs=crs
        ).to_crs("EPSG:4326")
    ext = gpd.GeoSeries([base["extent"]], crs="EPSG:4326").to_crs(crs).iloc[0]
    extent = shapely.union_all([shapely.affinity.translate(ext, dx, dy) for dx, dy in offs])
    return {
        "net": net,
        "fac": shift(base["facilities"], ("facility_id",)),
        "entrances": ent,
        "units": shift(base["units"], ("unit_id", "unit_name")),
        "pop": shift(base["population"], ("unit_id",)),
        "extent": gpd.GeoSeries([extent], crs=crs).to_crs("EPSG:4326").iloc[0],
    }


def child(pickle_path: str, t: int) -> None:
    import infra_geo as ig

    quiet()
    base = pickle.loads(Path(pickle_path).read_bytes())
    t0 = time.perf_counter()
    job = tile(base, t)
    t_tile = time.perf_counter() - t0
    net, fac, ent, pop = job["net"], job["fac"], job["entrances"], job["pop"]
    mins = (5, 10, 15)
    times = {}
    with PeakRSS() as mem:
        start_mb = mem._proc.memory_info().rss / 2**20
        for stage, run in (
            ("distances", lambda: ig.nearest_facilities(net, fac, minutes=mins, entrances=ent)),
            ("catchments", lambda: ig.catchments(net, fac, minutes=mins, entrances=ent)),
            (
                "gaps",
                lambda: (
                    ig.gap_analysis(
                        net,
                        fac,
                        job["units"],
                        pop,
                        minutes=mins,
                        extent=job["extent"],
                        entrances=ent,
                    ),
                    ig.uncovered_areas(net, fac, pop, minutes=mins, entrances=ent),
                ),
            ),
        ):
            mem.stage(stage)
            t1 = time.perf_counter()
            run()
            times[f"{stage}_s"] = time.perf_counter() - t1
    out = {
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "facilities": len(fac),
        "pop_points": len(pop),
        "tile_s": t_tile,
        **times,
        "job_s": sum(times.values()),
        "start_mb": start_mb,
        "peak_mb": max_rss_mb(),
        "job_extra_mb": mem.peak_mb - start_mb,
    }
    print(json.dumps(out))


def slope(n, y) -> float:
    return float(np.polyfit(np.log(n), np.log(y), 1)[0])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "base.pickle"
        prepare(path)
        res = {
            t: median_of([run_fresh(Path(__file__), str(path), str(t)) for _ in range(RUNS)])
            for t in TILES
        }
    n = np.array([res[t]["nodes"] for t in TILES], dtype=float)
    rows = [
        [
            f"{t * t}x",
            int(r["nodes"]),
            int(r["edges"]),
            int(r["facilities"]),
            int(r["pop_points"]),
            r["tile_s"],
            *(r[f"{s}_s"] for s in STAGES),
            r["job_s"],
            r["job_extra_mb"],
            r["peak_mb"],
        ]
        for t, r in res.items()
    ]
    fits = {s: slope(n, [res[t][f"{s}_s"] for t in TILES]) for s in (*STAGES, "job")}
    mem_fit = slope(n, [res[t]["job_extra_mb"] for t in TILES])
    nlogn = slope(n, n * np.log(n))
    verdict = "; ".join(
        f"{s} {e:.2f} ({'<= n log n' if e <= nlogn + 0.05 else 'ABOVE n log n'})"
        for s, e in fits.items()
    )
    body = (
        f"Tiles of {OSM.name} (see the script's docstring); medians of {RUNS} fresh-process "
        "runs per size. Seconds; memory in MiB (job = peak RSS during the three stages minus "
        "RSS before them; peak = ru_maxrss of the process, inputs and imports included).\n\n"
        + md_table(
            [
                "size",
                "nodes",
                "edges",
                "facilities",
                "pop. points",
                "build s",
                "distances s",
                "catchments s",
                "gaps s",
                "job s",
                "job MiB",
                "peak MiB",
            ],
            rows,
        )
        + f"\n\nGrowth exponents (log-log slope over nodes; n log n = {nlogn:.2f}): {verdict}; "
        f"job memory {mem_fit:.2f}."
    )
    report("scaling", "Scaling: distances + catchments + gaps on tiled networks", body)


if __name__ == "__main__":
    if "--child" in sys.argv:
        a = sys.argv[sys.argv.index("--child") + 1 :]
        child(a[0], int(a[1]))
    else:
        main()
