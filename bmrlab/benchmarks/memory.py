"""Peak memory of protocol runs by length, each run in a fresh process on the simulated station.

A run's memory must not grow with its length: rows go from the instrument to the file, and
analysis reads them back in blocks. ``peak_rss_mb`` measures it: every (protocol, length) is
run by ``python -m bmrlab.benchmarks.memory <protocol> <rows>`` in its own process, whose peak
resident memory (``VmHWM``) is therefore that run's alone. The same process reports its
memory before the run (the imports and the connected station) so the run's own share shows.
"""

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ..config import COMPRESSIONS

MB = 1_000_000
RSS_PROTOCOLS = ("iv-sweep", "endurance", "read-disturb")
SHORT_ROWS = (10**5, 10**6)  # `bmrlab bench`: a minute or two per protocol
LONG_ROWS = (10**7,)  # tens of minutes each on the simulated station: `bench --long`
FLAT_WITHIN = 0.20  # the longest run's peak may exceed the shortest's by this fraction ...
PEAK_LIMIT_MB = 400  # ... and stay under this
ENDURANCE_STEPS = 21  # readings per cycle at the default set width (10 ms) and relax (0.2 s)


def length_parameters(procedure, rows: int) -> dict:
    """The parameter that makes a run of ``procedure`` about ``rows`` instrument readings
    long, its other parameters at their defaults (an I-V cycle is 652 readings, a
    read-disturb read is one; an endurance stores only its log-spaced reads)."""
    if procedure.name == "iv-sweep":
        return {"cycles": max(1, math.ceil(rows / len(procedure.cycle()[0])))}
    if procedure.name == "read-disturb":
        return {"reads": rows}
    if procedure.name == "endurance":
        return {"max_cycles": max(1, rows // ENDURANCE_STEPS)}
    raise ValueError(f"no run length is defined for {procedure.name}")


def memory_mb(pid="self") -> dict:
    """A process's resident memory now and at its peak, in MB (Linux: /proc; elsewhere
    this process's peak from getrusage, in KB on Linux and bytes on macOS)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status)
        return {
            "rss": int(fields["VmRSS"].split()[0]) * 1024 / MB,
            "peak": int(fields["VmHWM"].split()[0]) * 1024 / MB,
        }
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak *= 1 if sys.platform == "darwin" else 1024
        return {"rss": math.nan, "peak": peak / MB}


class MemorySampler:
    """The resident memory of a process (this one by default) every ``every`` seconds, in a
    thread: the memory of a run over time."""

    def __init__(self, every: float = 2.0, pid="self"):
        self.every = every
        self.pid = pid
        self.samples: list[tuple[float, float]] = []  # (seconds since start, MB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._start = time.perf_counter()

    def __enter__(self):
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0 if not self.samples else self.every):
            self.samples.append((time.perf_counter() - self._start, memory_mb(self.pid)["rss"]))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.samples.append((time.perf_counter() - self._start, memory_mb(self.pid)["rss"]))


def measure_run(
    protocol: str, length, station_file=None, compression: str = "none", on_event=None
) -> dict:
    """Run ``protocol`` on a station (default: the simulated one) in this process into a
    temporary file, with the parameters ``length(procedure at its defaults)`` gives; its
    rows measured and written, wall and station time, file size and memory. The run records
    into a throwaway catalog, not the user's."""
    from .. import runner
    from ..catalog import throwaway_catalog
    from ..station import Station
    from ..storage.reader import find_run, open_file
    from ..storage.stored_run import stored_rows

    with (
        throwaway_catalog(),
        tempfile.TemporaryDirectory() as folder,
        Station.load(station_file) as station,
    ):
        station.config.storage.compression = compression
        parameters = length(runner.prepare(station, protocol, {}))
        procedure = runner.prepare(station, protocol, parameters)
        station.connect()
        before = memory_mb()
        start, station_start = time.perf_counter(), station.clock.now()
        out = Path(folder) / "run.h5"
        result = runner.run(
            station, procedure, out, sample="bench", device="dut", on_event=on_event
        )
        seconds, station_s = time.perf_counter() - start, station.clock.now() - station_start
        after = memory_mb()
        with open_file(out) as handle:
            written = stored_rows(handle[find_run(handle, out, result.run)])
        size = out.stat().st_size
    return {
        "protocol": protocol,
        **parameters,
        "status": result.status,
        "reason": result.reason,
        "rows_measured": result.rows_measured,
        "rows_written": written,
        "seconds": round(seconds, 1),
        "station_s": round(station_s, 1),
        "file_mb": round(size / MB, 2),
        "rss_before_mb": round(before["rss"], 1),
        "peak_rss_mb": round(after["peak"], 1),
    }


def measure_in_subprocess(
    protocol: str, rows: int, station_file=None, compression: str = "none"
) -> dict:
    """``measure_run`` in a fresh interpreter, so its peak memory is this run's alone."""
    station = ["--station", str(station_file)] if station_file else []
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bmrlab.benchmarks.memory",
            protocol,
            str(rows),
            "--compression",
            compression,
            *station,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"protocol": protocol, "rows": rows, "error": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_rss_mb(lengths=SHORT_ROWS, protocols=RSS_PROTOCOLS, progress=None) -> dict:
    """``{protocol: {rows: peak MB or the error}}`` and every run's details."""
    table: dict = {}
    runs = []
    for protocol in protocols:
        for rows in lengths:
            if progress:
                progress(f"peak_rss_mb {protocol} {rows:.0e} rows")
            run = measure_in_subprocess(protocol, rows)
            runs.append(run)
            finished = run.get("status") == "finished"
            table.setdefault(protocol, {})[str(rows)] = (
                run["peak_rss_mb"]
                if finished
                else run.get("error") or f"{run['status']}: {run['reason']}"
            )
    return {"peak_rss_mb": table, "peak_rss_runs": runs}


def memory_flat(table: dict) -> dict:
    """Per protocol of ``peak_rss_mb``'s table: whether its longest run peaked within
    FLAT_WITHIN of its shortest and under PEAK_LIMIT_MB (None: fewer than two lengths
    finished)."""
    verdicts = {}
    for protocol, peaks in table.items():
        measured = sorted((int(rows), mb) for rows, mb in peaks.items() if isinstance(mb, float))
        verdicts[protocol] = (
            None
            if len(measured) < 2
            else (
                measured[-1][1] <= (1 + FLAT_WITHIN) * measured[0][1]
                and measured[-1][1] < PEAK_LIMIT_MB
            )
        )
    return verdicts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bmrlab.benchmarks.memory",
        description="Run one protocol about ROWS readings long on the simulated station and "
        "print its rows, time and peak memory as JSON.",
    )
    parser.add_argument("protocol", choices=RSS_PROTOCOLS)
    parser.add_argument("rows", type=int)
    parser.add_argument("--compression", default="none", choices=COMPRESSIONS)
    parser.add_argument(
        "--station", metavar="FILE", help="a simulated station file (default: the default station)"
    )
    args = parser.parse_args(argv)
    run = measure_run(
        args.protocol,
        lambda procedure: length_parameters(procedure, args.rows),
        args.station,
        args.compression,
    )
    print(json.dumps({"rows": args.rows, **run}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
