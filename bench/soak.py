"""Soak: a very long run, its memory over time, rows measured against rows written, and the
rate at which rows reach a live plot.

Two ways:

- virtual time (default): ``python bench/soak.py --readings 1e8`` runs an I-V sweep about
  that many readings long on the simulated station in this process, as fast as the
  simulator goes (about 10^4 readings/s: 10^8 readings take hours).
- wall-clock time: ``python bench/soak.py --serve --duration 3600`` starts ``bmrlab sim
  serve`` in another process and runs the sweep for about ``--duration`` seconds through its
  raw SCPI socket, as a hardware station is run; the server's memory is sampled too.

The run records into a throwaway catalog (a temporary SQLite file), not the user's;
``BMRLAB_CATALOG=off`` runs it without one. Memory is sampled every ``--every`` seconds;
the on_event callback stands in for the live plot and counts the rows it is given. Prints
one JSON document; ``lost_rows`` must be 0 and ``rss_mb`` flat.
"""

import argparse
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bmrlab.benchmarks.memory import MemorySampler, length_parameters, measure_run, memory_mb

SAMPLES_SHOWN = 40  # memory samples in the report, evenly spread over the run


class PlotFeed:
    """What a live plot would be given: rows per batch, and the longest wait for one."""

    def __init__(self):
        self.rows = 0
        self.batches = 0
        self.longest_gap_s = 0.0
        self.first = self.last = None

    def on_event(self, topic: str, record) -> None:
        if topic != "batch":
            return
        now = time.perf_counter()
        if self.last is not None:
            self.longest_gap_s = max(self.longest_gap_s, now - self.last)
        self.first = self.first or now
        self.last = now
        self.rows += len(next(iter(record.values())))
        self.batches += 1

    def report(self) -> dict:
        span = (self.last - self.first) if self.batches > 1 else math.nan
        return {
            "plot_feed_rows": self.rows,
            "plot_feed_batches": self.batches,
            "plot_feed_rows_per_s": round(self.rows / span) if span else None,
            "plot_feed_longest_gap_s": round(self.longest_gap_s, 2),
        }


def thinned(samples: list) -> list:
    step = max(1, len(samples) // SAMPLES_SHOWN)
    return [(round(t), round(mb, 1)) for t, mb in samples[::step]]


def served_station(resource: str, folder: Path) -> Path:
    """A hardware-style station file for the instrument ``sim serve`` offers."""
    path = folder / "served.yaml"
    path.write_text(
        "name: served 2450\nclock: realtime\n"
        "limits: {max_voltage: 500mV, max_compliance: 1mA, min_pulse_width: 100us, "
        "max_step: 10mV}\n"
        f"instruments:\n  smu: {{model: keithley2450, resource: '{resource}', "
        "visa_library: '@py'}\n"
    )
    return path


def soak(args) -> dict:
    feed = PlotFeed()
    if not args.serve:
        with MemorySampler(args.every) as sampler:
            run = measure_run(
                args.protocol,
                lambda procedure: length_parameters(procedure, args.readings),
                compression=args.compression,
                on_event=feed.on_event,
            )
        return {
            "mode": "virtual time",
            **run,
            **feed.report(),
            "lost_rows": run["rows_measured"] - run["rows_written"],
            "rss_mb": thinned(sampler.samples),
        }
    server = subprocess.Popen(
        [sys.executable, "-m", "bmrlab.cli", "sim", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = server.stdout.readline()
        served = re.match(r"(TCPIP0::\S+::SOCKET)", first)
        if served is None:
            raise SystemExit(f"bmrlab sim serve did not start (it printed {first!r})")
        resource = served.group(1)

        def length(procedure):  # an I-V cycle takes estimated_duration() / cycles
            per_cycle = procedure.estimated_duration() / procedure.cycles
            return {"cycles": max(1, round(args.duration / per_cycle))}

        with (
            tempfile.TemporaryDirectory() as folder,
            MemorySampler(args.every) as sampler,
            MemorySampler(args.every, server.pid) as served,
        ):
            run = measure_run(
                "iv-sweep",
                length,
                served_station(resource, Path(folder)),
                args.compression,
                on_event=feed.on_event,
            )
    finally:
        server.terminate()
        server.wait()
    return {
        "mode": "wall-clock time through sim serve",
        **run,
        **feed.report(),
        "lost_rows": run["rows_measured"] - run["rows_written"],
        "rss_mb": thinned(sampler.samples),
        "server_rss_mb": thinned(served.samples),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--readings", type=float, default=1e8, help="virtual time: readings to take (default 1e8)"
    )
    parser.add_argument(
        "--protocol", default="iv-sweep", help="virtual time: iv-sweep, endurance or read-disturb"
    )
    parser.add_argument(
        "--serve", action="store_true", help="run through `bmrlab sim serve` in wall-clock time"
    )
    parser.add_argument(
        "--duration", type=float, default=3600.0, help="--serve: seconds to run (default 3600)"
    )
    parser.add_argument(
        "--every", type=float, default=5.0, help="seconds between memory samples (default 5)"
    )
    parser.add_argument("--compression", default="none", choices=("none", "lzf", "gzip"))
    args = parser.parse_args()
    args.readings = int(args.readings)
    result = soak(args)
    result["peak_rss_mb_process"] = round(memory_mb()["peak"], 1)
    print(
        "{\n"
        + ",\n".join(f" {json.dumps(key)}: {json.dumps(value)}" for key, value in result.items())
        + "\n}"
    )
    return 0 if result["lost_rows"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
