"""``bmrlab catalog add|rebuild|query|compare``: the lab's run catalog across files and stations."""

from ..errors import BadInput


def register(commands) -> None:
    catalog = commands.add_parser(
        "catalog",
        help="the run catalog: add files, rebuild it, query runs across files and stations",
        description="Every run is recorded in the catalog as it starts and ends (a SQLite file "
        "in your data folder unless --catalog, BMRLAB_CATALOG, the station file's catalog: or "
        "your config.yaml names another, e.g. a shared postgresql://... URL).",
    )
    actions = catalog.add_subparsers(metavar="ACTION", required=True)
    add = actions.add_parser("add", help="record every run of HDF5 files or folders")
    add.add_argument("paths", nargs="+", metavar="PATH", help="an .h5 file or a folder")
    add.set_defaults(command=cmd_add)
    rebuild = actions.add_parser(
        "rebuild", help="make the catalog again from the files (the files are the truth)"
    )
    rebuild.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (default: the catalog's files)"
    )
    rebuild.set_defaults(command=cmd_rebuild)
    query = actions.add_parser("query", help="runs matching filters, as a table, CSV or Parquet")
    add_filters(query)
    query.add_argument("--csv", metavar="OUT.csv", help="write the runs found to CSV")
    query.add_argument("--parquet", metavar="OUT.parquet", help="write the runs found to Parquet")
    query.set_defaults(command=cmd_query)
    compare = actions.add_parser(
        "compare",
        help="a figure's distribution across chips, stations or dates (PNG and statistics)",
        description="Group the runs matching the filters by sample, station or date (the UTC "
        "day a run started), print each group's n and median [95 %% CI of the median], and "
        "plot the groups (box and points, and cumulative distributions) to a PNG.",
    )
    compare.add_argument("figure_name", metavar="FIGURE", help="a figure name, e.g. vset_mV")
    compare.add_argument("--by", choices=["sample", "station", "date"], default="sample")
    compare.add_argument("--out", metavar="PNG", required=True, help="the plot to write")
    add_filters(compare)
    compare.set_defaults(command=cmd_compare)
    for action in (add, rebuild, query, compare):
        action.add_argument(
            "--catalog", metavar="URL", help="SQLAlchemy URL or SQLite file (default: yours)"
        )


def add_filters(parser) -> None:
    """The filters of ``catalog query``, ``catalog compare`` and ``analyze --catalog``."""
    parser.add_argument("--sample")
    parser.add_argument("--device", metavar="PATTERN", help="device id or pattern, e.g. 'd-*'")
    parser.add_argument("--protocol")
    parser.add_argument("--station", help="station name as stored with the run")
    parser.add_argument("--status", help="finished, aborted, failed, interrupted, running")
    parser.add_argument(
        "--since", metavar="DATE", help="started on or after (UTC), e.g. 2026-12-01"
    )
    parser.add_argument("--until", metavar="DATE", help="started on or before (a date: that day)")
    parser.add_argument(
        "--figure",
        action="append",
        default=[],
        metavar="NAME=LOW..HIGH",
        help="a figure range, either end open (vset_mV=40..80, on_off_ratio=1e3..); repeatable",
    )


def query_filtered(catalog, args, ranges: dict):
    """The runs of ``catalog`` matching the filters in ``args`` (see ``add_filters``)."""
    return catalog.query(
        sample=args.sample,
        device=args.device,
        protocol=args.protocol,
        station=args.station,
        status=args.status,
        since=args.since,
        until=args.until,
        figure_ranges=ranges,
    )


def open_catalog(args):
    from ..catalog import Catalog, catalog_url

    url = catalog_url(args.catalog)
    if url is None:
        raise BadInput("catalog = off: name one with --catalog URL")
    return Catalog(url)


def _report(report) -> int:
    print(f"{report.runs} runs from {report.files} files recorded")
    for path, why in report.skipped.items():
        print(f"skipped {path}: {why}")
    return 1 if report.skipped else 0


def cmd_add(args) -> int:
    with open_catalog(args) as catalog:
        return _report(catalog.add(args.paths))


def cmd_rebuild(args) -> int:
    with open_catalog(args) as catalog:
        return _report(catalog.rebuild(args.paths or catalog.files()))


def figure_range(text: str) -> tuple[str, tuple[float | None, float | None]]:
    """``--figure vset_mV=40..80`` -> ("vset_mV", (40.0, 80.0)); an empty end is open."""
    from ..catalog.filters import figure_range as parsed

    try:
        return parsed(text)
    except ValueError:
        raise BadInput(f"--figure {text}: NAME=LOW..HIGH, either end may be empty") from None


def cmd_query(args) -> int:
    ranges = dict(figure_range(text) for text in args.figure)
    with open_catalog(args) as catalog:
        found = query_filtered(catalog, args, ranges)
    if args.csv:
        found.to_csv(args.csv, index=False)
    if args.parquet:
        found.to_parquet(args.parquet, index=False)
    if args.csv or args.parquet:
        print(f"{len(found)} runs written to {args.csv or args.parquet}")
        return 0
    print(found_table(found, ranges))
    return 0


def found_table(found, ranges) -> str:
    """The runs found, one line each: identity, then each figure as median [low, high]."""
    import pandas as pd

    from ..standard import TABLE1
    from .report import format_value

    if found.empty:
        return "no run matches"
    figures = [c for c in dict.fromkeys([*TABLE1, *ranges]) if c in found.columns]
    lines = []
    for row in found.to_dict("records"):
        shown = []
        for name in figures:
            if pd.isna(row[name]):
                continue
            low, high = row.get(f"{name}_ci_low"), row.get(f"{name}_ci_high")
            interval = ""
            if low is not None and high is not None and pd.notna(low) and pd.notna(high):
                interval = f" [{format_value(low)}, {format_value(high)}]"
            shown.append(f"{name} {format_value(row[name])}{interval}")
        lines.append(
            f"{row['sample']}/{row['device']}  {row['protocol']}  {row['status']}  "
            f"{str(row['started'])[:19]}  " + ", ".join(shown)
        )
    return "\n".join(lines) + f"\n{len(found)} runs"


def cmd_compare(args) -> int:
    from ..catalog.compare import groups, plot
    from .report import format_value

    ranges = dict(figure_range(text) for text in args.figure)
    ranges.setdefault(args.figure_name, (None, None))  # only runs that have the figure
    with open_catalog(args) as catalog:
        found = query_filtered(catalog, args, ranges)
    summary = groups(found, args.figure_name, args.by)
    if not summary:
        raise BadInput(f"{args.figure_name}: no run matching the filters has this figure")
    width = max(len(g.name) for g in summary)
    for group in summary:
        interval = ""
        if group.ci_low is not None and group.ci_high is not None:
            interval = f" [{format_value(group.ci_low)}, {format_value(group.ci_high)}]"
        print(f"{group.name:<{width}}  n={group.n:<5} {format_value(group.median)}{interval}")
    plot(summary, args.figure_name, args.by, args.out)
    print(f"{sum(g.n for g in summary)} runs in {len(summary)} groups by {args.by}: {args.out}")
    return 0
