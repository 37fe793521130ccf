"""Where a device sits on a wafer: its die (column, row) and its site on the die.

A device id such as ``c3r4`` (column 3, row 4, site 0) or ``c3r4s1`` (site 1) names a device
in a recipe, in the HDF5 file (``/<sample>/<device>/...``) and in the prober's wafer map, so
that every run can be traced back to its place on the wafer. Columns and rows are the wafer
map's indices (0-based); the site is the subsite of the die (0-based, the die's first device
when there is one device per die).
"""

import re
from dataclasses import dataclass

_PATTERN = re.compile(r"c(\d+)r(\d+)(?:s(\d+))?")
FORMAT_HELP = "c<column>r<row> or c<column>r<row>s<site>, e.g. c3r4 or c3r4s1"


@dataclass(frozen=True, order=True)
class DieAddress:
    column: int
    row: int
    site: int = 0

    def __str__(self) -> str:
        suffix = f"s{self.site}" if self.site else ""
        return f"c{self.column}r{self.row}{suffix}"

    @property
    def die(self) -> "DieAddress":
        """The die's first site (the die itself)."""
        return DieAddress(self.column, self.row)

    @classmethod
    def parse(cls, text: str) -> "DieAddress | None":
        """The address a device id names, or None if it is not of the form ``c3r4[s1]``."""
        match = _PATTERN.fullmatch(text)
        if match is None:
            return None
        column, row, site = match.groups()
        return cls(int(column), int(row), int(site or 0))
