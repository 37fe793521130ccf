"""``bmrlab analyze FILE.h5``: the figures of stored runs recomputed from their columns,
parameters and recorded instrument settings, beside the figures stored when they ended (a
changed definition applied to old data); ``bmrlab analyze --catalog [filters]``: the same
for every matching run of the catalog, on Dask, updating the catalog."""

import json

from ..errors import BadInput
from .catalog import add_filters


def register(commands) -> None:
    parser = commands.add_parser(
        "analyze",
        help="recompute the figures of stored runs",
        description="Recompute the figures of a run stored in FILE.h5 (the last one, --run "
        "ID, or --all) from its data, parameters and recorded instrument "
        "settings alone, and print them as `bmrlab run` does, with the stored "
        "figures beside where they differ. Runs that did not finish are "
        "skipped (nothing was analysed when they ended). Exit 1 if an analysis "
        "failed; the file is not changed.",
    )
    parser.add_argument("file", metavar="FILE.h5", nargs="?")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--run", help="run id or group path (default: the last run)")
    which.add_argument("--all", action="store_true", help="every run of the file")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: file, runs with their figures, whether "
        "they changed and the stored figures where they did",
    )
    scale = parser.add_argument_group(
        "every catalogued run matching filters (instead of FILE.h5)",
        "Recompute the finished runs the filters match, on Dask worker processes, and update "
        "their figures in the catalog (the files are not changed; a run whose data cannot "
        "be read is reported and skipped).",
    )
    scale.add_argument(
        "--catalog",
        nargs="?",
        const="",
        metavar="URL",
        help="re-analyse runs of the catalog (default: yours, as `bmrlab catalog`)",
    )
    add_filters(scale)
    scale.add_argument(
        "--scheduler", metavar="ADDRESS", help="a Dask scheduler, e.g. tcp://host:8786"
    )
    scale.add_argument(
        "--workers", type=int, metavar="N", help="local worker processes (default: one per core)"
    )
    parser.set_defaults(command=cmd_analyze)


def cmd_analyze_catalog(args) -> int:
    from ..catalog.reanalysis import reanalyze_runs
    from .catalog import figure_range, open_catalog, query_filtered

    if args.file:
        raise BadInput(f"{args.file}: give FILE.h5 or --catalog, not both")
    if args.workers is not None and args.workers < 1:
        raise BadInput(f"--workers {args.workers}: at least 1")
    args.catalog = args.catalog or None
    args.status = args.status or "finished"
    ranges = dict(figure_range(text) for text in args.figure)
    with open_catalog(args) as catalog:
        found = query_filtered(catalog, args, ranges)
        report = reanalyze_runs(catalog, found, scheduler=args.scheduler, workers=args.workers)
    print(f"{report.recomputed} runs recomputed, {report.changed} changed; catalog updated")
    for where, why in report.skipped.items():
        print(f"skipped {where}: {why}")
    return 1 if report.skipped else 0


def cmd_analyze(args) -> int:
    if args.catalog is not None:
        return cmd_analyze_catalog(args)
    if not args.file:
        raise BadInput("FILE.h5 or --catalog: which runs to analyse")
    from ..runner import reanalyze
    from ..storage import list_runs
    from ..storage.reader import find_run, open_file

    runs = list_runs(args.file)
    if args.all:
        chosen = list(runs.itertuples())
    else:
        with open_file(args.file) as handle:
            name = find_run(handle, args.file, args.run)
        chosen = [row for row in runs.itertuples() if row.run == name]
    if not chosen:
        raise BadInput(f"{args.file}: holds no bmrlab run")
    entries, failed = [], False
    for row in chosen:
        entry = {"run": row.run, "protocol": row.protocol, "status": row.status}
        if row.status != "finished":
            entry["reason"] = f"not analysed: the run is {row.status}"
        else:
            try:
                entry["analysis"] = reanalyze(args.file, row.run)
            except Exception as error:  # a stored run the current analysis cannot read
                failed = True
                entry["reason"] = f"analysis failed: {type(error).__name__}: {error}"
        entries.append(entry)
    if args.json:
        _print_json(args.file, entries)
    else:
        _print_text(entries)
    return 1 if failed else 0


def _print_json(path, entries: list[dict]) -> None:
    from .report import result_json

    runs = []
    for entry in entries:
        analysis = entry.pop("analysis", None)
        if analysis is not None:
            entry.update(result_json(analysis.result), changed=analysis.changed)
            if analysis.changed:
                entry["stored"] = analysis.stored
        runs.append(entry)
    print(json.dumps({"file": str(path), "runs": runs}, default=str))


def _print_text(entries: list[dict]) -> None:
    from .report import differences, figure_lines, format_difference

    for entry in entries:
        analysis = entry.get("analysis")
        if analysis is None:
            print(f"{entry['protocol']} {entry['run']}: {entry['reason']}")
            continue
        verdict = "differs from" if analysis.changed else "same as"
        print(f"{entry['protocol']} {entry['run']}: recomputed, {verdict} the stored figures")
        for line in figure_lines(analysis.result):
            print(line)
        if analysis.changed:
            print("  stored, where it differs:")
            for where, now, stored in differences(
                analysis.result.model_dump(mode="json"), analysis.stored
            ):
                print(
                    f"    {where:<24} {format_difference(stored)}   (now {format_difference(now)})"
                )
