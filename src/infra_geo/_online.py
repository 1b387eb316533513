"""Everything online: osmnx over HTTP to Overpass and Nominatim, behind three functions.

This module owns infra_geo's only contact with the network and with osmnx's download
functions:

- :func:`geocode` -- a place name to its boundary polygon (Nominatim);
- :func:`features` -- OSM objects with given tags inside a polygon (Overpass), in the
  offline reader's layout (``osm_type``, ``osm_id`` columns, EPSG:4326);
- :func:`graph` -- an osmnx street graph inside a polygon (Overpass).

Errors are translated in one place (:func:`_translate`): an unreachable or failing server
becomes :class:`~infra_geo.errors.OnlineError` naming the service and the offline way out,
an unknown place :class:`~infra_geo.errors.PlaceNotFoundError`.

Global state
------------
osmnx is configured through its public module ``osmnx.settings``. :func:`osmnx_settings` is
the one place that changes it: a context manager that applies ``infra_geo.settings``
(endpoints, cache, timeout), optionally extends ``useful_tags_way``, and adds a response
hook through the public ``settings.requests_kwargs`` (``requests``' documented ``hooks``
argument). The hook makes an Overpass answer that reports a runtime error (HTTP 200 with a
``remark`` such as "Query timed out" or "out of memory" and no or partial elements) raise
:class:`OnlineError` instead of passing for an area without data. On exit every setting is
restored to the value it had, also after an error. No private osmnx function is replaced.
The context manager is not thread-safe (osmnx's settings are process-wide).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
import requests
import shapely

from . import settings
from .errors import EmptyDataError, InfraGeoError, OnlineError, PlaceNotFoundError

__all__ = ["features", "geocode", "graph", "osmnx_settings"]

WGS84 = "EPSG:4326"


def geocode(query: str | Mapping[str, str]) -> shapely.Geometry:
    """Return the boundary (Multi)Polygon, EPSG:4326, of a named place, from Nominatim.

    Parameters
    ----------
    query : str or dict
        A place name (``"Vaduz, Liechtenstein"``) or a structured Nominatim query.

    Returns
    -------
    shapely.Geometry
        The union of the polygons Nominatim returns.

    Raises
    ------
    PlaceNotFoundError
        The name is empty, unknown, or names a point or line rather than an area.
    OnlineError
        Nominatim could not be reached or refused the request.
    """
    import osmnx as ox

    if not query or (isinstance(query, str) and not query.strip()):
        raise PlaceNotFoundError(
            "The place name is empty: give a name like 'Vaduz, Liechtenstein'."
        )
    with osmnx_settings(), _translate("Nominatim", place=query):
        gdf = ox.geocode_to_gdf(query if isinstance(query, str) else dict(query))
    geom = shapely.union_all(gdf.geometry.to_numpy())
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise PlaceNotFoundError(
            f"The place {query!r} is a {geom.geom_type}, not an area; name a municipality, "
            "district or neighbourhood."
        )
    return geom


def features(polygon: shapely.Geometry, tags: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """OSM objects matching ``tags`` inside ``polygon`` (EPSG:4326), from Overpass.

    Parameters
    ----------
    polygon : shapely (Multi)Polygon
        The area, EPSG:4326.
    tags : dict
        osmnx's tag query (``{"amenity": True, "leisure": ["park"]}``).

    Returns
    -------
    GeoDataFrame
        EPSG:4326 with ``osm_type`` (string), ``osm_id`` (int64), the tags and ``geometry``;
        empty (with those two columns) when Overpass finds nothing.

    Raises
    ------
    OnlineError
        Overpass could not be reached, answered with an HTTP error, or reported a runtime
        error (timeout, out of memory).
    """
    import osmnx as ox

    with osmnx_settings(), _translate("Overpass"):
        try:
            raw = ox.features_from_polygon(polygon, tags=dict(tags))
        except ox._errors.InsufficientResponseError:
            raw = gpd.GeoDataFrame(geometry=[], crs=WGS84)
    if not isinstance(raw, gpd.GeoDataFrame):
        raise OnlineError("Overpass returned no table of features; try again later.")
    return _reader_layout(raw)


def graph(
    polygon: shapely.Geometry,
    *,
    network_type: str | None = None,
    custom_filter: str | Sequence[str] | None = None,
    simplify: bool = True,
    extra_way_tags: Sequence[str] = (),
) -> nx.MultiDiGraph:
    """Return an osmnx street graph (EPSG:4326, islands kept) inside ``polygon``, from Overpass.

    Parameters
    ----------
    polygon : shapely (Multi)Polygon
        The area, EPSG:4326.
    network_type : str, optional
        osmnx's ``network_type`` (``"walk"``); ignored when ``custom_filter`` is given.
    custom_filter : str or list of str, optional
        Overpass way filters (``['["highway"]', '["route"="ferry"]']``).
    simplify : bool
        Let osmnx simplify the graph.
    extra_way_tags : sequence of str
        Way tags to keep on the edges beyond osmnx's ``useful_tags_way``.

    Returns
    -------
    networkx.MultiDiGraph
        osmnx's graph, unprojected.

    Raises
    ------
    EmptyDataError
        No way in the polygon matches.
    OnlineError
        Overpass could not be reached or failed.
    """
    import osmnx as ox

    with osmnx_settings(extra_way_tags=extra_way_tags), _translate("Overpass"):
        try:
            return ox.graph_from_polygon(
                polygon,
                network_type=network_type or "all",
                custom_filter=(
                    custom_filter
                    if custom_filter is None or isinstance(custom_filter, str)
                    else list(custom_filter)
                ),
                simplify=simplify,
                retain_all=True,
            )
        except ox._errors.InsufficientResponseError:
            raise EmptyDataError("No walkable street found in the polygon.") from None


@contextlib.contextmanager
def osmnx_settings(*, extra_way_tags: Sequence[str] = ()) -> Iterator[None]:
    """Apply ``infra_geo.settings`` to ``osmnx.settings`` for the duration of a block.

    Sets ``overpass_url``, ``nominatim_url``, ``use_cache``, ``cache_folder`` and
    ``requests_timeout`` where infra_geo's value is not ``None``; switches off
    ``overpass_rate_limit`` for a custom Overpass server (a private server or a local
    stand-in needs no politeness pauses); appends ``extra_way_tags`` to
    ``useful_tags_way``; and adds a response hook (through ``requests_kwargs["hooks"]``)
    that turns an Overpass runtime-error remark into :class:`OnlineError`. Everything is
    restored on exit.

    Parameters
    ----------
    extra_way_tags : sequence of str
        Way tags osmnx should keep on graph edges.

    Yields
    ------
    None
    """
    import osmnx as ox

    values: dict[str, Any] = {
        "overpass_url": settings.overpass_url,
        "nominatim_url": settings.nominatim_url,
        "use_cache": settings.use_cache,
        "cache_folder": settings.cache_folder,
        "requests_timeout": settings.requests_timeout,
    }
    values = {k: v for k, v in values.items() if v is not None}
    if settings.overpass_url is not None:
        values["overpass_rate_limit"] = False
    if extra_way_tags:
        values["useful_tags_way"] = list(
            dict.fromkeys([*ox.settings.useful_tags_way, *extra_way_tags])
        )
    kwargs = dict(ox.settings.requests_kwargs or {})
    hooks = dict(kwargs.get("hooks") or {})
    response_hooks = hooks.get("response") or []
    if callable(response_hooks):
        response_hooks = [response_hooks]
    hooks["response"] = [*response_hooks, _check_overpass_remark]
    kwargs["hooks"] = hooks
    values["requests_kwargs"] = kwargs
    old = {k: getattr(ox.settings, k) for k in values}
    try:
        for k, v in values.items():
            setattr(ox.settings, k, v)
        yield
    finally:
        for k, v in old.items():
            setattr(ox.settings, k, v)


def _check_overpass_remark(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Raise when an Overpass answer's ``remark`` reports an error (a ``requests`` hook)."""
    if not response.ok:
        return
    try:
        answer = response.json()
    except ValueError:
        return
    if not isinstance(answer, dict):
        return
    remark = str(answer.get("remark", ""))
    if "error" in remark.lower():
        raise OnlineError(
            f"Overpass failed on the server: {remark.strip()} Try a smaller area, a "
            "larger settings.requests_timeout, or facilities_from_file with an extract."
        )


@contextlib.contextmanager
def _translate(service: str, *, place: Any = None) -> Iterator[None]:
    """Turn what osmnx/requests raise into infra_geo's errors (the one place that does).

    With ``place`` (a geocoding call), an answer without a usable area is a
    :class:`PlaceNotFoundError`; an HTTP error (403 blocked, 5xx) or a bad URL stays an
    :class:`OnlineError` (osmnx raises both as ``ValueError`` subclasses too, so they are
    caught first).
    """
    import osmnx as ox

    try:
        yield
    except InfraGeoError:
        raise
    except (ox._errors.ResponseStatusCodeError, requests.RequestException) as exc:
        raise _online_error(exc, service) from exc
    except (ox._errors.InsufficientResponseError, ValueError, TypeError) as exc:
        if place is None:
            raise _online_error(exc, service) from exc
        raise PlaceNotFoundError(
            f"No area found for the place {place!r} ({exc}). Check the spelling, add the "
            "country ('Utrecht, Nederland'), or pass a polygon or an extract instead."
        ) from None
    except Exception as exc:
        raise _online_error(exc, service) from exc


def _online_error(exc: Exception, service: str) -> OnlineError:
    setting = "overpass_url" if service == "Overpass" else "nominatim_url"
    return OnlineError(
        f"{service} could not be reached or failed ({_cause(exc)}). No internet? Use "
        "facilities_from_file / walk_network_from_file with a downloaded extract, "
        f"or point infra_geo.settings.{setting} at a server you can reach."
    )


def _cause(exc: Exception) -> str:
    """Return a short cause of an online failure, not urllib3's repr of its retries."""
    text = " ".join(str(exc).split())
    if isinstance(exc, requests.Timeout):
        return f"no answer within settings.requests_timeout = {settings.requests_timeout:g} s"
    if isinstance(exc, requests.ConnectionError):
        if "NameResolution" in text or "Name or service not known" in text or "resolve" in text:
            return "its server name could not be resolved"
        if "refused" in text.lower():
            return "the connection was refused"
        return "no connection"
    if len(text) > 200:
        text = text[:200] + "..."
    return f"{type(exc).__name__}: {text}"


def _reader_layout(raw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Osmnx features (index element/id) to the reader's layout (osm_type, osm_id columns)."""
    if len(raw) == 0:
        return gpd.GeoDataFrame(
            {"osm_type": pd.Series(dtype="string"), "osm_id": pd.Series(dtype="int64")},
            geometry=gpd.GeoSeries([], crs=WGS84),
        )
    df = raw.reset_index()
    df = df.rename(
        columns={
            "element": "osm_type",
            "id": "osm_id",
            "element_type": "osm_type",
            "osmid": "osm_id",
        }
    )
    df["osm_type"] = df["osm_type"].astype("string")
    df["osm_id"] = df["osm_id"].astype("int64")
    return gpd.GeoDataFrame(df, geometry="geometry", crs=raw.crs or WGS84).to_crs(WGS84)
