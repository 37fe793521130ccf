"""The run catalog at lab scale: simulated stations writing one SQLite catalog at once.

S simulated stations (processes, each its own seed and name) run N short I-V sweeps in
total into F files (each file written by one station) while every run records itself in one
SQLite catalog. Then: are all N runs found, how long a query by figure range takes, does
``rebuild`` from the files give the same catalog, and how much faster ``analyze --catalog``
re-analyses every run on W worker processes than on one. Prints a Markdown summary.

    python bench/catalog.py [--runs 10000] [--files 50] [--stations 3] [--workers 2] [--dir D]
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

from bmrlab.catalog import Catalog
from bmrlab.catalog.reanalysis import reanalyze_runs
from bmrlab.paths import STATIONS

FIGURE_RANGE = {"vset_mV": (50.0, 70.0)}


def station_file(folder: Path, k: int) -> Path:
    """Station k: the shipped simulated 2450 under its own name and seed."""
    config = yaml.safe_load((STATIONS / "sim-2450.yaml").read_text())
    config["name"] = f"sim station {k}"
    config["simulation"]["seed"] = k
    path = folder / f"station{k}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def station(folder: Path, k: int, stations: int, runs: int, files: int, url: str) -> None:
    """Station k's share of the runs, into its share of the files (k, k + S, ...)."""
    os.environ["BMRLAB_CATALOG"] = url
    import bmrlab
    from bmrlab.station import Station

    own = list(range(k, files, stations))
    with Station.load(station_file(folder, k)) as st:
        for j in range(k, runs, stations):
            chip = own[(j // stations) % len(own)]
            bmrlab.run_protocol(
                "iv-sweep",
                station=st,
                out=folder / f"chip{chip:03d}.h5",
                sample=f"chip{chip:03d}",
                device_id=f"d{j % 16:02d}",
                cycles=1,
            )


def say(line: str) -> None:
    """A line of the summary, printed as soon as it is known (a long run is read as it goes)."""
    print(line, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10000)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--stations", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dir", type=Path, help="where files and catalog go (default: temp)")
    parser.add_argument(
        "--progress", action="store_true", help="a progress bar (stderr) while re-analysing"
    )
    args = parser.parse_args()
    if args.files < args.stations:
        parser.error("--files: at least one per station")
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bmrlab-catalog-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'catalog.sqlite'}"
    Catalog(url).close()  # made once, before the stations start

    start = time.perf_counter()
    writers = [
        multiprocessing.Process(
            target=station, args=(folder, k, args.stations, args.runs, args.files, url)
        )
        for k in range(args.stations)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    written_s = time.perf_counter() - start
    assert all(w.exitcode == 0 for w in writers), [w.exitcode for w in writers]

    say(f"## {args.runs} runs, {args.files} files, {args.stations} stations ({folder})\n")
    with Catalog(url) as catalog:
        recorded = catalog.query().sort_values(["file", "run"], ignore_index=True)
        recorded_by = recorded.groupby("station").size().to_dict()
        say(f"- written concurrently in {written_s:.0f} s; runs per station: {recorded_by}")
        say(f"- found: {len(recorded)} of {args.runs}, status {set(recorded['status'])}")
        times = []
        for _ in range(5):
            start = time.perf_counter()
            in_range = catalog.query(figure_ranges=FIGURE_RANGE)
            times.append(time.perf_counter() - start)
        low, high = FIGURE_RANGE["vset_mV"]
        expected = recorded["vset_mV"].between(low, high).sum()
        say(
            f"- query vset_mV in [{low:g}, {high:g}] mV: {len(in_range)} runs "
            f"(expected {expected}), median {statistics.median(times):.3f} s, "
            f"max {max(times):.3f} s over {len(times)}"
        )

        start = time.perf_counter()
        report = catalog.rebuild(sorted(folder.glob("*.h5")))
        rebuild_s = time.perf_counter() - start
        rebuilt = catalog.query().sort_values(["file", "run"], ignore_index=True)
        say(
            f"- rebuild from {report.files} files: {report.runs} runs in {rebuild_s:.1f} s, "
            f"same catalog: {rebuilt.equals(recorded)}"
        )

        one = None
        for workers in sorted({1, args.workers}):
            start = time.perf_counter()
            done = reanalyze_runs(catalog, recorded, workers=workers, progress=args.progress)
            seconds = time.perf_counter() - start
            assert done.recomputed == len(recorded) and not done.skipped, done
            one = one or seconds
            say(
                f"- analyze --catalog, {workers} worker(s): {seconds:.1f} s "
                f"({len(recorded) / seconds:.1f} runs/s, speed-up {one / seconds:.2f})"
            )
    return 0 if len(recorded) == args.runs and rebuilt.equals(recorded) else 1


if __name__ == "__main__":
    sys.exit(main())
