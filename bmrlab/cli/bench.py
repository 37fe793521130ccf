"""``bmrlab bench``: the benchmarks of bmrlab.benchmarks, imported only when the command
runs, as a table of figure, baseline and target."""

import json
import sys


def register(commands) -> None:
    parser = commands.add_parser(
        "bench",
        help="benchmarks against a PyMeasure point-by-point baseline",
        description="Measure bus transactions per point, host throughput, characterize "
        "speed, HDF5 write/reload and compression, live-plot frame time, CLI start-up, wafer "
        "throughput and the peak memory of runs of 10^5 and 10^6 rows, each against its "
        "baseline where one exists (ten to fifteen minutes). The benchmark runs record into "
        "a throwaway catalog, not yours (BMRLAB_CATALOG=off: no catalog at all).",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--long",
        action="store_true",
        help="also measure the peak memory of 10^7-row runs (tens of minutes each)",
    )
    parser.set_defaults(command=cmd_bench)


def cmd_bench(args) -> int:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the plot benchmark draws off screen
    from ..benchmarks import TARGETS, run_all, verdicts

    results = run_all(
        lambda name: print(f"bench: {name} ...", file=sys.stderr, flush=True), long=args.long
    )
    met = verdicts(results)
    if args.json:
        print(json.dumps({**results, "targets_met": met}))
        return 0
    print(f"{'benchmark':<24} {'bmrlab':>12} {'baseline':>12}  target")
    for key, value in results.items():
        if key == "machine":
            continue
        if key in ("storage_compression", "peak_rss_mb", "peak_rss_runs", "memory_flat"):
            continue  # tables: shown below
        if isinstance(value, dict):
            ours, base = value.get("bmrlab", value.get("median")), value.get("baseline")
        else:
            ours, base = value, None
        target = TARGETS.get(key)
        verdict = (
            ""
            if target is None
            else (f"{target[0]} {target[1]:g}  " + ("met" if met[key] else "MISSED"))
        )
        print(f"{key:<24} {_format(ours):>12} {_format(base):>12}  {verdict}")
    for name, row in results["storage_compression"].items():
        print(
            f"compression {name:<6} write {row['write_rows_per_s']:.3g} rows/s, "
            f"read {row['read_rows_per_s']:.3g} rows/s, {row['bytes_per_row']:.3g} B/row"
        )
    for protocol, peaks in results["peak_rss_mb"].items():
        shown = ", ".join(f"{float(rows):.0e} rows {_format(mb)} MB" for rows, mb in peaks.items())
        print(f"peak memory {protocol:<13} {shown}  flat: {results['memory_flat'][protocol]}")
    print(f"machine: {results['machine']}")
    return 0


def _format(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, (bool, str)):
        return str(value)
    return f"{value:.3g}"
