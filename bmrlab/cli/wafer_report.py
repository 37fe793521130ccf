"""``bmrlab wafer-report FILE.h5``: the per-device table, yield, distributions and maps of a
sample, from its HDF5 file alone (docs/arrays.md, "The wafer report")."""

from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser(
        "wafer-report",
        help="per-device table, yield, distributions and wafer maps of a sample",
        description="Read every run of a sample from FILE.h5 and write the per-device table "
        "(Parquet and CSV), the yield by criterion, the device-to-device distributions "
        "(CSV and cumulative plots) and a wafer map per figure and of the yield (PNG).",
    )
    parser.add_argument("file", metavar="FILE.h5")
    parser.add_argument("--sample", help="sample (HDF5 group; default: the file's only one)")
    parser.add_argument(
        "--out", metavar="DIR", help="folder of the report (default: FILE_report beside FILE.h5)"
    )
    parser.add_argument(
        "--criteria",
        metavar="FILE.yaml",
        help="yield criteria (default: Vset below 120 mV, On/Off above 10, a set within "
        "the pulse-delay time-out; docs/arrays.md)",
    )
    parser.set_defaults(command=cmd_wafer_report)


def cmd_wafer_report(args) -> int:
    from ..array_report import load_criteria, write_report
    from ..errors import BadInput

    if not Path(args.file).is_file():
        raise BadInput(f"FILE.h5 {args.file}: no such file")
    criteria = load_criteria(args.criteria) if args.criteria else None
    files = write_report(args.file, args.sample, args.out, criteria)
    yields = next(f for f in files if f.name.endswith("_yield.csv"))
    print(yield_lines(yields))
    print(f"{len(files)} files in {files[0].parent}")
    return 0


def yield_lines(path: Path) -> str:
    """The yield table in words: one line per criterion."""
    import pandas as pd

    lines = []
    for row in pd.read_csv(path).itertuples():
        if row.tested:
            share = (
                f"{row.yield_percent:.0f} % [{row.ci_low_percent:.0f}, {row.ci_high_percent:.0f}]"
            )
        else:
            share = "not tested"
        lines.append(
            f"  {row.criterion:<22} {row.passed:>5} of {row.tested:<5} {share}  ({row.rule})"
        )
    return "yield (95 % interval):\n" + "\n".join(lines)
