"""Benchmarks, each against the alternative a user would pick instead (a PyMeasure
point-by-point procedure with CSV Results and ResultsCurve plots), in one process.

They ship in the package so that ``bmrlab bench [--json]`` works after ``pip install``; the
command imports them only when it runs, and the Qt benchmarks (``gui``) load Qt only when
their turn comes. The scripts in the checkout's ``bench/`` call :func:`run_all` too.
docs/performance.md holds the figures and the machine. Nothing here is asserted in tests:
speed is measured, never required, in the suite. Their runs record into a throwaway
catalog (``bmrlab.catalog.throwaway_catalog``), never the user's.
"""

import os
import platform
from importlib import import_module

TARGETS = {
    "transactions_per_point": ("<", 0.05),
    "host_points_per_s": (">", 50_000),
    "characterize_wall_s": ("<", 60),
    "characterize_speedup": (">", 100),
    "hdf5_values_per_s": (">", 5e6),
    "hdf5_reload_s": ("<", 0.5),
    "cli_startup_s": ("<", 0.5),
    "plot_frame_ms": ("<", 50),
    "gui_event_latency_ms": ("<", 33),  # the 95th percentile: a frame at 30 Hz
    "live_plot_bytes_per_row": ("<", 10),
}
# (name, module, function), in the order they run; a benchmark returning several figures
# (a dict of names) adds them all, the others are stored under their name
BENCHMARKS = (
    ("transactions_per_point", "headless", "transactions_per_point"),
    ("host_points_per_s", "headless", "host_points_per_s"),
    ("characterize", "headless", "characterize_speed"),
    ("hdf5", "headless", "hdf5_speed"),
    ("plot_frame_ms", "gui", "plot_frame_ms"),
    ("gui_event_latency_ms", "gui", "gui_event_latency_ms"),
    ("live_plot", "gui", "live_plot_bytes_per_row"),
    ("cli", "headless", "cli_startup_s"),
    ("storage", "storage", "compression"),
    ("peak_rss", "memory", "peak_rss_mb"),
    ("wafer_throughput", "throughput", "devices_per_hour"),
)
SEVERAL_FIGURES = (
    "characterize",
    "hdf5",
    "cli",
    "storage",
    "peak_rss",
    "live_plot",
    "wafer_throughput",
)


def run_all(progress=None, long: bool = False) -> dict:
    """Every benchmark, their runs recorded in a throwaway catalog; ``long``: the peak memory
    of 10^7-row runs too (tens of minutes each)."""
    from ..catalog import throwaway_catalog

    with throwaway_catalog():
        return _run_all(progress, long)


def _run_all(progress, long: bool) -> dict:
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        }
    }
    for name, module, function in BENCHMARKS:
        if progress:
            progress(name)
        benchmark = getattr(import_module(f".{module}", __name__), function)
        if name == "peak_rss":
            from .memory import LONG_ROWS, SHORT_ROWS, memory_flat

            value = benchmark(SHORT_ROWS + (LONG_ROWS if long else ()))
            value["memory_flat"] = memory_flat(value["peak_rss_mb"])
        else:
            value = benchmark()
        if name in SEVERAL_FIGURES:
            results.update(value)
        else:
            results[name] = value
    return results


def verdicts(results: dict) -> dict:
    """Whether each target is met (bmrlab's figure)."""
    out = {}
    for key, (sense, target) in TARGETS.items():
        value = results.get(key)
        if isinstance(value, dict):
            value = value.get("bmrlab", value.get("median"))
        out[key] = value < target if sense == "<" else value > target
    return out
