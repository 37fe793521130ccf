"""``bmrlab bench``: the benchmarks of bmrlab.benchmarks, imported only when the command
runs, as a table of figure, baseline and target."""

import json
import sys


def register(commands) -> None:
    parser = commands.add_parser(
        "bench",
        help="benchmarks against a PyMeasure point-by-point baseline",
        description="Measure bus transactions per point, host throughput, characterize "
        "speed, HDF5 write/reload, live-plot frame time and CLI start-up, each "
        "against its baseline where one exists (a few minutes).",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(command=cmd_bench)


def cmd_bench(args) -> int:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the plot benchmark draws off screen
    from ..benchmarks import TARGETS, run_all, verdicts

    results = run_all(lambda name: print(f"bench: {name} ...", file=sys.stderr, flush=True))
    met = verdicts(results)
    if args.json:
        print(json.dumps({**results, "targets_met": met}))
        return 0
    print(f"{'benchmark':<24} {'bmrlab':>12} {'baseline':>12}  target")
    for key, value in results.items():
        if key == "machine":
            continue
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
    print(f"machine: {results['machine']}")
    return 0


def _format(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    return f"{value:.3g}"
