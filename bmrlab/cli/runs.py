"""``bmrlab runs FILE.h5``: the runs of a file with their status and figures, or one as CSV."""


def register(commands) -> None:
    parser = commands.add_parser(
        "runs",
        help="list the runs of an HDF5 file, or export one",
        description="List the runs stored in FILE.h5 with their "
        "status and figures; with --csv, export one "
        "run's data.",
    )
    parser.add_argument("file", metavar="FILE.h5")
    parser.add_argument("--run", help="run id or group path (default: the last run)")
    parser.add_argument("--csv", metavar="OUT.csv", help="write the run's columns to CSV")
    parser.set_defaults(command=cmd_runs)


def cmd_runs(args) -> int:
    from ..storage import export_csv, list_runs, load_run
    from .report import format_value, table1

    if args.csv:
        print(export_csv(args.file, args.run, args.csv))
        return 0
    table = list_runs(args.file)
    for row in table.itertuples():
        run = load_run(args.file, row.run)
        shown = ", ".join(f"{k} {format_value(v)}" for k, v in table1(run.figures).items())
        print(f"{row.run}  {row.status}  {row.rows} points  {shown}")
    return 0
