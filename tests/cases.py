"""Shared cases for the population and gap tests.

A hand-built case small enough to work out every figure of a gap table on paper, a
population raster written by the tests, and the Amsterdam-Centrum buurten selection.

Coordinates are RD New (EPSG:28992) metres relative to ``(X0, Y0)``, a point in Amsterdam.

* Streets: a straight main street along y = 0 from x = 0 to x = 400 (nodes every 100 m) and
  a separate 40 m island street from (350, 80) to (390, 80): nothing is reachable from it.
* Units: West = box(0, -100, 200, 100) and East = box(200, -100, 400, 100).
* Facilities, all on the main street, one component each: digital at x = 10, care (GP) at
  x = 40 and x = 330, sports at 90, meeting at 130, public space at 170, education at 230,
  associations at 270, culture at 390.
* Residents (x, y, weight): West a (35, 20, 100), b (115, -30, 80), c (185, 40, 20);
  East d (215, 25, 50), e (305, -20, 30), f (370, 90, 20) - f lives by the island street.

A resident's walk is measured from the point of the nearest street (the front door), so on
the main street the distance to a facility is simply |x_resident - x_facility|.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

import infra_geo as ig

X0, Y0 = 121_000.0, 487_000.0
RD = "EPSG:28992"
#: (tag key, tag value, x on the main street)
FACILITIES = (
    ("amenity", "internet_cafe", 10),
    ("amenity", "doctors", 40),
    ("leisure", "sports_centre", 90),
    ("amenity", "community_centre", 130),
    ("leisure", "playground", 170),
    ("amenity", "school", 230),
    ("office", "association", 270),
    ("amenity", "doctors", 330),
    ("amenity", "theatre", 390),
)
#: (name, x, y, residents)
RESIDENTS = (
    ("a", 35, 20, 100.0),
    ("b", 115, -30, 80.0),
    ("c", 185, 40, 20.0),
    ("d", 215, 25, 50.0),
    ("e", 305, -20, 30.0),
    ("f", 370, 90, 20.0),
)
MAIN_STREET = (0.0, 400.0)  # x range of the main street (y = 0)
ISLAND = ((350.0, 80.0), (390.0, 80.0))


def rd(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def walk_network() -> ig.WalkNetwork:
    G = nx.Graph(crs=RD)
    for i, x in enumerate((0, 100, 200, 300, 400)):
        G.add_node(i, x=X0 + x, y=Y0)
    for i in range(4):
        G.add_edge(i, i + 1)
    (x1, y1), (x2, y2) = ISLAND
    G.add_node(10, x=X0 + x1, y=Y0 + y1)
    G.add_node(11, x=X0 + x2, y=Y0 + y2)
    G.add_edge(10, 11)
    return ig.WalkNetwork.from_networkx(G)


def facilities() -> gpd.GeoDataFrame:
    rows = [
        {
            key: value,
            "facility_id": f"node/{i}",
            "osm_type": "node",
            "osm_id": i,
            "name": f"{value} {i}",
            "geometry": rd(x, 0),
        }
        for i, (key, value, x) in enumerate(FACILITIES, start=1)
    ]
    return ig.classify(gpd.GeoDataFrame(rows, geometry="geometry", crs=RD))


def units(west: float = 200.0, east: float = 100.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"unit_id": ["W", "E"], "unit_name": ["West", "East"], "population": [west, east]},
        geometry=[
            shapely.box(X0, Y0 - 100, X0 + 200, Y0 + 100),
            shapely.box(X0 + 200, Y0 - 100, X0 + 400, Y0 + 100),
        ],
        crs=RD,
    )


def population() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [r[0] for r in RESIDENTS], "population": [r[3] for r in RESIDENTS]},
        geometry=[rd(x, y) for _, x, y, _ in RESIDENTS],
        crs=RD,
    )


def extent() -> gpd.GeoSeries:
    """Where the hand-built data is complete: a box around both units."""
    return gpd.GeoSeries([shapely.box(X0 - 50, Y0 - 150, X0 + 450, Y0 + 150)], crs=RD)


# ------------------------------------------------------------------ a population raster
#: a 12 x 6 grid of 40 m cells in ETRS89-LAEA (EPSG:3035, not the network's CRS) over the units
RASTER_CRS = "EPSG:3035"
RASTER_ORIGIN = (3_973_100.0, 3_263_500.0)  # west, north
RASTER_CELL = 40.0
RASTER_NODATA = -9999.0
RASTER_SECRET = -99997.0  # a CBS secrecy code: unknown, not people


def raster_values() -> np.ndarray:
    """Known counts: zeros, a nodata cell, a negative secrecy code and positive counts."""
    i, j = np.mgrid[0:6, 0:12]
    vals = (((i * 5 + j * 3) % 11) * 4).astype("float32")  # 0, 4, ... 40 people
    vals[0, 0] = RASTER_NODATA
    vals[2, 5] = RASTER_NODATA
    vals[3, 7] = RASTER_SECRET
    return vals


def raster_cell_centres() -> np.ndarray:
    """Cell centres (x, y) in the raster CRS, shape (6, 12, 2)."""
    i, j = np.mgrid[0:6, 0:12]
    x = RASTER_ORIGIN[0] + (j + 0.5) * RASTER_CELL
    y = RASTER_ORIGIN[1] - (i + 0.5) * RASTER_CELL
    return np.stack([x, y], axis=-1)


def write_raster(path: Path, crs: str | None = RASTER_CRS) -> Path:
    import rasterio
    from affine import Affine

    vals = raster_values()
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=vals.shape[0],
        width=vals.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        transform=Affine.translation(*RASTER_ORIGIN) @ Affine.scale(RASTER_CELL, -RASTER_CELL),
        nodata=RASTER_NODATA,
    ) as dst:
        dst.write(vals, 1)
    return path


# ------------------------------------------------------------- Amsterdam-Centrum buurten
#: buurten more than half inside the street-node extent of amsterdam-centrum.osm.pbf, as
#: ``read_osm(...).extent`` gives it (the 0.5-99.5 percentile box of the street nodes: the
#: PBF has no header box)
AMSTERDAM_COVERED = {
    "BU0363AD04": ("Spuistraat-Noord", 870),
    "BU0363AD05": ("Nieuwe Kerk e.o.", 825),
    "BU0363AD07": ("Begijnhofbuurt", 475),
    "BU0363AD08": ("Kalverdriehoek", 345),
    "BU0363AE01": ("Kop Zeedijk", 1185),
    "BU0363AE02": ("Oude Kerk e.o.", 755),
    "BU0363AE03": ("Burgwallen-Oost", 1675),
    "BU0363AE04": ("Nes e.o.", 395),
    "BU0363AE05": ("BG-terrein e.o.", 730),
    "BU0363AF02": ("Lastage", 1120),
    "BU0363AF05": ("Nieuwmarkt", 1580),
    "BU0363AF08": ("Zuiderkerkbuurt", 1600),
    "BU0363AF09": ("Waterloopleinbuurt", 900),
    "BU0363AG02": ("Geelvinckbuurt", 350),
    "BU0363AG03": ("Rembrandtplein e.o.", 900),
}
#: the 13 buurten and 11,650 inhabitants the shared data README names: measured against the
#: 1st-99th percentile box of the street nodes (its "street core"), a little smaller than
#: the 0.5-99.5 percentile box infra_geo uses, which adds Spuistraat-Noord and Kop Zeedijk
AMSTERDAM_README_13 = set(AMSTERDAM_COVERED) - {"BU0363AD04", "BU0363AE01"}


def area_share(units: gpd.GeoDataFrame, box_4326: tuple[float, float, float, float]) -> np.ndarray:
    """Share of each unit's area inside a lon/lat box, measured in RD New."""
    box = gpd.GeoSeries([shapely.box(*box_4326)], crs="EPSG:4326").to_crs(RD).iloc[0]
    g = units.to_crs(RD).geometry
    return (g.intersection(box).area / g.area).to_numpy()


def amsterdam_case(pbf: Path, buurten: Path) -> tuple[gpd.GeoDataFrame, tuple, np.ndarray]:
    """(all CBS buurten, the extract's data extent, share of each buurt inside it)."""
    from infra_geo._osm_reader import read_osm

    units = ig.neighbourhoods_from_file(buurten)
    ext = read_osm(pbf, ig.load_rules().match_keys()).extent
    return units, ext, area_share(units, ext)


def graph_with_facilities(net: ig.WalkNetwork, att, facility_rows) -> tuple[nx.MultiGraph, list]:
    """net.to_networkx() plus a virtual node per facility row joined to its access edges.

    The independent reference for distances: networkx's multi-source Dijkstra from the
    returned sources equals infra_geo's distances at every node.
    """
    G = net.to_networkx()
    ids = net.node_ids
    sources = []
    for f in facility_rows:
        sel = att.facility == f
        if not sel.any():
            continue
        vn = ("facility", int(f))
        G.add_node(vn)
        sources.append(vn)
        for e, a in zip(att.edge[sel], att.offset[sel], strict=True):
            G.add_edge(vn, ids[net.edge_u[e]], length=float(a))
            G.add_edge(vn, ids[net.edge_v[e]], length=float(net.edge_length[e] - a))
    return G, sources


def decision_inputs(osm: Path, units: gpd.GeoDataFrame, total: float | None = None) -> tuple:
    """Network, facilities and residents of ``units`` from one extract (capacity, siting)."""
    net = ig.walk_network_from_file(osm)
    fac = ig.facilities_from_file(osm)
    pop = ig.population_from_buildings(osm, units, total=total)
    return net, fac, pop


def amsterdam_covered_buurten(pbf: Path, buurten: Path) -> gpd.GeoDataFrame:
    """The Amsterdam CBS buurten more than half inside the extract."""
    units, _ext, share = amsterdam_case(pbf, buurten)
    return units.loc[share > 0.5].reset_index(drop=True)
