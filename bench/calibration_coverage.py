"""Calibration coverage: device files nobody here wrote, built and characterized.

A Latin-hypercube sample of volatile and nonvolatile figure sets over the plausible figure
space (bmrlab/benchmarks/figure_space.py): each is calibrated into a simulated device and,
if the simulator builds it, characterized the standard way; every written figure must come
back within the DESIGN.md tolerances, and every refusal must name a physical conflict. A set
refused at the standard 0.5 V/s sweep whose refusal names a slower rate at which the figures
fit is tried again with that rate stated as its Vset's test condition.
Prints one JSON line per figure set as it goes, then the rates.

Run: ``python bench/calibration_coverage.py [--per-type 200] [--out results.jsonl]
[--characterize-every N]``
(CPU-heavy: a characterization takes from tens of seconds to minutes, the endurance of a
10^5-cycle device most of it). ``--summarize FILE`` prints the rates of a results file.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bmrlab.benchmarks.figure_space import (
    at_named_sweep_rate,
    figure_sets,
    misses,
    read_report,
    refusal_is_physical,
    report,
    write_device_file,
)
from bmrlab.catalog import throwaway_catalog
from bmrlab.characterize import characterize
from bmrlab.errors import BadInput
from bmrlab.sim.library import load_device
from bmrlab.station import Station


def one(spec: dict, folder: Path, characterized: bool = True) -> dict:
    """Calibrate, then characterize one figure set; what happened. A set refused at the
    standard 0.5 V/s sweep with a slower rate named is built again with that rate stated as
    its Vset's test condition (what the refusal tells a user to do), and characterized at
    it."""
    row = {
        "volatile": spec["volatile"],
        "published": spec["published"],
        "conditions": spec["conditions"],
    }
    start = time.perf_counter()
    try:
        path = built(spec, folder)
        row["calibrated"] = True
    except BadInput as error:
        message = "; ".join(error.problems)
        row.update(calibrated=False, refusal=message, physical=refusal_is_physical(message, spec))
        slower = at_named_sweep_rate(spec, message)
        if slower is None:
            return row
        try:
            path = built(slower, folder)
        except BadInput as again:
            row["refusal_at_named_rate"] = "; ".join(again.problems)
            return row
        row.update(calibrated=True, sweep_rate=slower["conditions"]["sweep_rate"])
    row["calibration_s"] = round(time.perf_counter() - start, 2)
    if not characterized:
        return row
    start = time.perf_counter()
    with Station.load(device=str(path)) as station:
        result = characterize(station, folder / "c.h5", sample="coverage", device="d")
    row["characterize_s"] = round(time.perf_counter() - start, 1)
    row["statuses"] = [r.status for r in result.results]
    row["measured"] = result.figures
    row["misses"] = misses(result.figures, spec["published"], result.extra)
    row["reproduced"] = not row["misses"] and row["statuses"] == ["finished"] * 5
    return row


def built(spec: dict, folder: Path) -> Path:
    """The device file of ``spec``, once the simulator has built it (BadInput if not)."""
    path = write_device_file(spec, folder / "device.yaml")
    load_device(str(path))
    return path


def summary(rows: list[dict]) -> dict:
    """Calibration rate (at the standard sweep, and with the sweep rate a refusal names
    stated), reproduction rate (of the sets calibrated and characterized), and refusals
    that name no physical conflict, per device type and overall."""
    out = {}
    for name, group in (
        ("volatile", [r for r in rows if r["volatile"]]),
        ("nonvolatile", [r for r in rows if not r["volatile"]]),
        ("all", rows),
    ):
        n = len(group)
        calibrated = [r for r in group if r["calibrated"]]
        standard = [r for r in calibrated if "sweep_rate" not in r]
        checked = [r for r in calibrated if "reproduced" in r]
        out[name] = {
            "sets": n,
            "calibrated_at_standard_sweep": len(standard),
            "calibrated_at_named_sweep_rate": len(calibrated) - len(standard),
            "calibrated": len(calibrated),
            "calibration_rate": len(calibrated) / n if n else None,
            "characterized": len(checked),
            "reproduced": sum(r["reproduced"] for r in checked),
            "reproduction_rate": (
                sum(r["reproduced"] for r in checked) / len(checked) if checked else None
            ),
            "refusals_not_physical": sum(1 for r in group if "refusal" in r and not r["physical"]),
        }
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-type", type=int, default=200, help="figure sets of each type")
    parser.add_argument("--first", type=int, default=0, help="start at this pair of sets")
    parser.add_argument("--last", type=int, help="stop after this pair of sets")
    parser.add_argument("--seed", type=int, default=15, help="seed of the hypercube")
    parser.add_argument("--out", type=Path, help="append the JSON lines to this file too")
    parser.add_argument("--calibrate-only", action="store_true", help="no characterization")
    parser.add_argument(
        "--characterize-every",
        type=int,
        default=1,
        metavar="N",
        help="characterize only every N-th pair of sets from --first (all are calibrated)",
    )
    parser.add_argument("--summarize", type=Path, help="only print the rates of this file")
    args = parser.parse_args(argv)
    if args.summarize:
        print(json.dumps(summary(read_report(args.summarize)), indent=1))
        return 0
    volatile = figure_sets(args.per_type, True, args.seed)
    nonvolatile = figure_sets(args.per_type, False, args.seed)
    rows = []
    last = args.per_type - 1 if args.last is None else min(args.last, args.per_type - 1)
    for k in range(args.first, last + 1):  # alternating, so that a partial run covers both
        for spec in (volatile[k], nonvolatile[k]):
            with tempfile.TemporaryDirectory() as folder:
                characterized = (
                    not args.calibrate_only and (k - args.first) % args.characterize_every == 0
                )
                row = {"index": k, **one(spec, Path(folder), characterized)}
            rows.append(row)
            report(row, args.out)
    print(json.dumps(summary(rows), indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    with throwaway_catalog():  # characterizations for a benchmark are not the user's lab data
        sys.exit(main())
