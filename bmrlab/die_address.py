"""Where a device sits on a wafer: its die (column, row), its site on the die and, where a
switch matrix reaches several devices from one landing of the probes, which of them.

A device id such as ``c3r4`` (column 3, row 4, site 0), ``c3r4s1`` (site 1) or ``c3r4s1d2``
(the third device the matrix reaches at site 1) names a device in a recipe, in the HDF5 file
(``/<sample>/<device>/...``) and in the prober's wafer map, so that every run can be traced
back to its place on the wafer. Columns and rows are the wafer map's indices (0-based); the
site is the subsite of the die the prober steps to (0-based); the device is the matrix's
device at that landing (0-based, 0 when there is no matrix).
"""

import re
from dataclasses import dataclass

_PATTERN = re.compile(r"c(\d+)r(\d+)(?:s(\d+))?(?:d(\d+))?")
FORMAT_HELP = "c<column>r<row>[s<site>][d<device>], e.g. c3r4, c3r4s1 or c3r4s1d2"


@dataclass(frozen=True, order=True)
class DieAddress:
    column: int
    row: int
    site: int = 0
    device: int = 0

    def __str__(self) -> str:
        site = f"s{self.site}" if self.site else ""
        device = f"d{self.device}" if self.device else ""
        return f"c{self.column}r{self.row}{site}{device}"

    @property
    def die(self) -> "DieAddress":
        """The die's first site (the die itself)."""
        return DieAddress(self.column, self.row)

    @property
    def landing(self) -> "DieAddress":
        """Where the probes land for this device (its site; the matrix picks the device)."""
        return DieAddress(self.column, self.row, self.site)

    @classmethod
    def parse(cls, text: str) -> "DieAddress | None":
        """The address a device id names, or None if it is not of the form ``c3r4[s1][d2]``."""
        match = _PATTERN.fullmatch(text)
        if match is None:
            return None
        column, row, site, device = match.groups()
        return cls(int(column), int(row), int(site or 0), int(device or 0))
