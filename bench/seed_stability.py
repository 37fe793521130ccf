"""Seed stability: each library device characterized with five simulation seeds.

The seed draws the device's cycle-to-cycle variability and the instruments' read noise.
Every published figure must come back within its DESIGN.md tolerance for every seed; the
spread (median, range, largest departure from the median) shows how far from the edge.
Prints one JSON line per characterization, then the spread per device and figure.

Run: ``python bench/seed_stability.py [--seeds 1 2 3 4 5] [--device ag-pnw-ag ...]``
(a characterization takes about a minute; the whole library about forty).
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bmrlab.benchmarks.figure_space import misses, read_report, report, seeded_station, spread
from bmrlab.catalog import throwaway_catalog
from bmrlab.characterize import characterize
from bmrlab.device import load_device_file, preset_names

FIGURES = ("vset_mV", "vreset_mV", "on_off_ratio", "endurance_cycles", "delay_ms", "retention_ms")


def one(device: str, seed: int) -> dict:
    published = load_device_file(device).published_figures()
    start = time.perf_counter()
    with seeded_station(device, seed) as station, tempfile.TemporaryDirectory() as folder:
        result = characterize(station, Path(folder) / "c.h5", sample="seeds", device=device)
    return {
        "device": device,
        "seed": seed,
        "seconds": round(time.perf_counter() - start, 1),
        "figures": {key: result.figures[key] for key in FIGURES},
        "misses": misses(result.figures, published, result.extra),
    }


def spreads(rows: list[dict]) -> dict:
    """Per device and figure: the spread over seeds, and whether all seeds were in
    tolerance."""
    out: dict = {}
    for row in rows:
        out.setdefault(row["device"], {"rows": []})["rows"].append(row)
    for device, entry in out.items():
        published = load_device_file(device).published_figures()
        entry["seeds"] = [r["seed"] for r in entry["rows"]]
        entry["all_within_tolerance"] = not any(r["misses"] for r in entry.pop("rows"))
        entry["figures"] = {
            key: {
                "published": published[key],
                **spread([r["figures"][key] for r in rows if r["device"] == device]),
            }
            for key in FIGURES
            if key in published
        }
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--device", nargs="+", default=preset_names())
    parser.add_argument("--out", type=Path, help="append the JSON lines to this file too")
    parser.add_argument("--summarize", type=Path, help="only print the spreads of this file")
    args = parser.parse_args(argv)
    if args.summarize:
        print(json.dumps(spreads(read_report(args.summarize)), indent=1))
        return 0
    rows = []
    for device in args.device:
        for seed in args.seeds:
            rows.append(one(device, seed))
            report(rows[-1], args.out)
    print(json.dumps(spreads(rows), indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    with throwaway_catalog():  # characterizations for a benchmark are not the user's lab data
        sys.exit(main())
