"""Statistics and maps of a wafer or an array: the per-device table of every figure with
its uncertainty, the yield by criterion, device-to-device distributions and
wafer maps (PNG), all read from the HDF5 file alone.

The map and report parts draw with matplotlib and are imported when first named, so that a
recipe judging its screen (``criteria``) does not load a plotting library."""

import importlib

from .criteria import DEFAULT_CRITERIA, Criterion, judge, load_criteria, yield_table
from .distributions import distribution_table
from .table import device_table

DRAWN = {"MapLayout": "maps", "default_out_dir": "report", "write_report": "report"}


def __getattr__(name: str):
    if name in DRAWN:
        return getattr(importlib.import_module(f".{DRAWN[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_CRITERIA",
    "Criterion",
    "MapLayout",
    "default_out_dir",
    "device_table",
    "distribution_table",
    "judge",
    "load_criteria",
    "write_report",
    "yield_table",
]
