"""Wafer throughput: devices per hour of the quick screen and of the full characterization
(`bmrlab bench` measures the same on a slice of the demo wafer), or, with ``--all``, the
issue's 400-device run: the shipped wafer-screen recipe over the station sim-wafer-matrix
(10 x 10 dies, a 707B matrix selecting 4 devices at each; quick screen of all, full
characterization of the passers), in ``--jobs`` processes, each a slice of the rows on its
own simulated station into its own HDF5 file.

Run: ``nice -n 10 python bench/wafer_throughput.py [--all] [--jobs 2]``; docs/performance.md
("Wafer throughput") has the last figures.
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

from bmrlab.benchmarks.throughput import devices_per_hour, in_processes, per_hour
from bmrlab.device_map import WaferSelection
from bmrlab.recipe import load_recipe


def whole_wafer(jobs: int, folder: Path) -> dict:
    """The wafer-screen recipe over all 400 devices, in ``jobs`` processes."""
    station = "sim-wafer-matrix"
    recipe = load_recipe("wafer-screen")
    recipe = recipe.model_copy(update={"wafer": WaferSelection(rows=(0, 9))})
    shares = in_processes(recipe, station, folder, (0, 9), jobs)
    devices = sum(s["devices"] for s in shares)
    characterized = sum(s["characterized"] for s in shares)
    simulated = sum(s["simulated_s"] for s in shares)  # one prober would step them all
    wall = max(s["wall_s"] for s in shares)
    return {
        "jobs": jobs,
        "devices": devices,
        "characterized": characterized,
        "simulated_h": simulated / 3600,
        "wall_h": wall / 3600,
        "cpu_h": sum(s["cpu_s"] for s in shares) / 3600,
        "devices_per_hour_simulated": per_hour(devices, simulated),
        "devices_per_hour_wall": per_hour(devices, wall),
        "shares": shares,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="the 400-device run")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="processes")
    parser.add_argument(
        "--keep", type=Path, metavar="FOLDER", help="--all: keep the HDF5 files in FOLDER"
    )
    args = parser.parse_args()
    os.environ.setdefault("BMRLAB_CATALOG", "off")  # benchmark runs stay out of the catalog
    if args.all and args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        print(json.dumps(whole_wafer(args.jobs, args.keep), indent=1))
    elif args.all:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(whole_wafer(args.jobs, Path(folder)), indent=1))
    else:
        print(json.dumps(devices_per_hour(args.jobs), indent=1))
