"""Statistics and maps of a wafer or an array: the per-device table of every figure with
its uncertainty, the yield by criterion, device-to-device distributions and
wafer maps (PNG), all read from the HDF5 file alone."""

from .criteria import DEFAULT_CRITERIA, Criterion, judge, load_criteria, yield_table
from .distributions import distribution_table
from .maps import MapLayout
from .report import default_out_dir, write_report
from .table import device_table

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
