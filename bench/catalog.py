"""The run catalog at lab scale: simulated stations writing one SQLite catalog at once.

S simulated stations (processes, each its own seed and name) run N short I-V sweeps in
total into F files (each file written by one station) while every run records itself in one
SQLite catalog. Then: are all N runs found, how long a query by figure range takes, does
``rebuild`` from the files give the same catalog, and how much faster ``analyze --catalog``
re-analyses every run on W worker processes than on one. Prints a Markdown summary, each
line as soon as it is known.

    python bench/catalog.py [--runs 10000] [--files 50] [--stations 3] [--workers 2] [--dir D]

``--reuse --dir D`` measures the files and catalog an earlier run left in D instead of
writing new ones, for instance one whose stations were stopped part-way (their last runs
then read ``interrupted``, in the catalog as in the files); ``--analyze-runs N`` times the
re-analysis on the first N finished runs only.
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
from bmrlab.catalog.database import hdf5_files, run_groups
from bmrlab.catalog.reanalysis import reanalyze_runs
from bmrlab.paths import STATIONS
from bmrlab.storage.reader import open_file

VSET_RANGES = ((50.0, 70.0), (90.0, 100.0))  # most runs, a few: the time grows with those found


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


def write(folder: Path, args, url: str) -> float:
    """The stations' runs written at once; the seconds it took."""
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
    assert all(w.exitcode == 0 for w in writers), [w.exitcode for w in writers]
    return time.perf_counter() - start


def stored(folder: Path) -> set[tuple[str, str]]:
    """(file, group) of every run the files in ``folder`` hold: what the catalog must list."""
    runs = set()
    for path in hdf5_files([folder]):
        with open_file(path) as handle:
            runs |= {(str(path.resolve()), group.name) for group in run_groups(handle)}
    return runs


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
    parser.add_argument(
        "--reuse", action="store_true", help="measure the files and catalog already in --dir"
    )
    parser.add_argument(
        "--analyze-runs", type=int, metavar="N", help="re-analyse the first N finished runs"
    )
    args = parser.parse_args()
    if args.files < args.stations:
        parser.error("--files: at least one per station")
    if args.reuse and not args.dir:
        parser.error("--reuse: name the folder with --dir")
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bmrlab-catalog-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'catalog.sqlite'}"
    if not args.reuse:
        Catalog(url).close()  # made once, before the stations start
        written_s = write(folder, args, url)

    say(f"## {args.runs} runs, {args.files} files, {args.stations} stations ({folder})\n")
    with Catalog(url) as catalog:
        recorded = catalog.query().sort_values(["file", "run"], ignore_index=True)
        recorded_by = recorded.groupby("station").size().to_dict()
        if not args.reuse:
            say(f"- written concurrently in {written_s:.0f} s")
        say(f"- runs per station: {recorded_by}")
        in_files = stored(folder)
        found = set(zip(recorded["file"], recorded["run"], strict=True))
        statuses = recorded["status"].value_counts().to_dict()
        say(
            f"- found: {len(found & in_files)} of the {len(in_files)} runs in the files "
            f"({len(found - in_files)} listed that no file holds; {args.runs} asked); "
            f"status {statuses}"
        )
        for low, high in VSET_RANGES:
            times = []
            for _ in range(5):
                start = time.perf_counter()
                in_range = catalog.query(figure_ranges={"vset_mV": (low, high)})
                times.append(time.perf_counter() - start)
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

        analysed = recorded[recorded["status"] == "finished"].head(args.analyze_runs)
        one = None
        for workers in sorted({1, args.workers}):
            start = time.perf_counter()
            done = reanalyze_runs(catalog, analysed, workers=workers, progress=args.progress)
            seconds = time.perf_counter() - start
            assert done.recomputed == len(analysed) and not done.skipped, done
            one = one or seconds
            say(
                f"- analyze --catalog over {len(analysed)} runs, {workers} worker(s): "
                f"{seconds:.1f} s ({len(analysed) / seconds:.2f} runs/s, "
                f"speed-up {one / seconds:.2f})"
            )
    return 0 if found == in_files and rebuilt.equals(recorded) else 1


if __name__ == "__main__":
    sys.exit(main())
