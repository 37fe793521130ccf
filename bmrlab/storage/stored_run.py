"""A run as analysis sees it: its parameters, the recorded station and its columns in the
HDF5 file, read on demand.

Analysis reads only this, never a live instrument, so a run stored a year ago is analysed
exactly as the day it was measured (``bmrlab analyze``), and a run of 10^8 rows is analysed
block by block (``chunks``, ``groups``) in memory that does not grow with its length. Rows
whose current was above the fixed measure range (``overflow``) are left out everywhere: their
value is unknown.
"""

import json
from collections.abc import Iterator

import h5py
import numpy as np

BLOCK_ROWS = 1 << 16  # rows read at a time: 0.5 MB per float64 column

# attributes of a run group that are not parameters
RESERVED = {
    "protocol",
    "status",
    "reason",
    "started",
    "ended",
    "station",
    "figures",
    "conditions",
    "published",
    "columns",
    "recipe_step",
    "metadata",
    "stored_rows",
    "result_schema",
}


def plain(value):
    """An HDF5 attribute as plain Python: a number, a string, or a list (list parameters)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value.item() if hasattr(value, "item") else value


def run_parameters(attrs) -> dict:
    """The protocol parameters stored with a run (value attrs, not their ``.units``)."""
    return {k: plain(v) for k, v in attrs.items() if k not in RESERVED and not k.endswith(".units")}


def stored_rows(group: h5py.Group) -> int:
    """The rows of a run that are in the file: all of its columns' length, unless the run
    ended on a failed write (a full disk), which may claim rows that were never written;
    then the ``stored_rows`` its writer counted."""
    length = min((len(group[k]) for k in group), default=0)
    return min(length, int(group.attrs.get("stored_rows", length)))


class StoredRun:
    """One run group of an open HDF5 file (the writer's own while a run ends, or a file
    opened for reading)."""

    def __init__(self, group: h5py.Group, rows: int | None = None):
        self.group = group
        self.rows = stored_rows(group) if rows is None else rows
        self.parameters = run_parameters(group.attrs)
        self.station: dict = json.loads(group.attrs.get("station", "{}"))

    @property
    def smu_settings(self) -> dict:
        """The SMU's settings as configured for the run (ranges, resolution, nplc...)."""
        return self.station.get("instruments", {}).get("smu", {}).get("settings", {})

    def _measured(self, start: int, stop: int) -> np.ndarray | None:
        """Which rows of ``start:stop`` hold a measured current (None: all of them)."""
        if "overflow" not in self.group:
            return None
        return self.group["overflow"][start:stop] == 0

    def chunks(self, names, rows: int = BLOCK_ROWS) -> Iterator[dict[str, np.ndarray]]:
        """The measured rows of columns ``names``, ``rows`` file rows at a time."""
        for start in range(0, self.rows, rows):
            stop = min(start + rows, self.rows)
            keep = self._measured(start, stop)
            block = {name: self.group[name][start:stop] for name in names}
            yield block if keep is None else {k: v[keep] for k, v in block.items()}

    def columns(self, names) -> dict[str, np.ndarray]:
        """Whole measured columns: for the small runs and the columns a protocol selects
        first (reads, summaries); use ``chunks`` or ``groups`` for the bulk of a long run."""
        parts = list(self.chunks(names))
        return {
            name: np.concatenate([p[name] for p in parts])
            if parts
            else np.empty(0, self.group[name].dtype)
            for name in names
        }

    def groups(self, key: str, names) -> Iterator[tuple[float, dict[str, np.ndarray]]]:
        """Consecutive measured rows that share the value of ``key`` (a cycle, a pulse, a
        trace), one group at a time, with columns ``names``: a long run is analysed with
        one group in memory."""
        names = list(dict.fromkeys([key, *names]))
        carry: dict[str, np.ndarray] | None = None
        for block in self.chunks(names):
            if carry is not None:
                block = {k: np.concatenate([carry[k], block[k]]) for k in names}
            keys = block[key]
            if keys.size == 0:
                carry = block
                continue
            edges = np.flatnonzero(keys[1:] != keys[:-1]) + 1
            starts, stops = np.r_[0, edges], np.r_[edges, keys.size]
            for start, stop in zip(starts[:-1], stops[:-1], strict=True):
                yield keys[start].item(), {k: block[k][start:stop] for k in names if k != key}
            carry = {k: v[starts[-1] :] for k, v in block.items()}
        if carry is not None and carry[key].size:
            yield carry[key][0].item(), {k: v for k, v in carry.items() if k != key}
