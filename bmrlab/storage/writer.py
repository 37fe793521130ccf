"""Append a run to an HDF5 file while it is measured, flushing at least once a second."""

import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np

from .. import __version__
from ..errors import BadInput

SCHEMA_VERSION = 1
CHUNK_ROWS = 4096
WRITE_ROWS = 50_000  # rows gathered before a write (the file is flushed at least once a second)
FEW_ROWS = 50  # an append this small is written at once
FLUSH_S = 1.0


def measured_rows(columns: dict) -> dict:
    """The rows analysis may use: all but those whose current was above the fixed measure
    range (``overflow``), whose value is unknown."""
    if "overflow" not in columns:
        return columns
    keep = np.asarray(columns["overflow"]) == 0
    return {name: np.asarray(values)[keep] for name, values in columns.items()}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _clean(name: str) -> str:
    """Sample and device ids become group names: no slashes, no empty names."""
    cleaned = str(name).strip().replace("/", "_")
    return cleaned or "unnamed"


class Store:
    """One HDF5 file (usually one per sample); each run is appended to it."""

    def __init__(self, path):
        self.path = Path(path)

    def check_writable(self) -> None:
        """Refuse (BadInput) a file that could not be written, without creating it: an
        existing file held by another process or unwritable, or a folder that cannot be
        made or written."""
        if self.path.exists():
            try:
                h5py.File(self.path, "a").close()
            except BlockingIOError:
                raise self._busy() from None
            except OSError as error:
                raise BadInput(f"--out {self.path}: cannot be written ({error})") from None
            return
        try:  # the folder the run will need, and a file in it that vanishes at once
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=self.path.parent).close()
        except OSError as error:
            raise BadInput(f"--out {self.path}: cannot be written ({error.strerror or error})"
                           ) from None

    def _busy(self) -> BadInput:
        return BadInput(f"--out {self.path}: the file is being written by another process; "
                        "choose another file or wait for that run to end")

    def begin_run(self, *, sample: str, device: str, protocol: str, parameters: dict,
                  units: dict, station: dict, conditions: dict | None = None,
                  step: str = "", metadata: dict | None = None) -> "RunWriter":
        """Open the file for writing (refused if unwritable or held by another process)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = h5py.File(self.path, "a")
        except BlockingIOError:
            raise self._busy() from None
        except OSError as error:
            raise BadInput(f"--out {self.path}: cannot be written ({error})") from None
        return RunWriter(handle, sample=_clean(sample), device=_clean(device),
                         protocol=protocol, parameters=parameters, units=units,
                         station=station, conditions=conditions or {}, step=step,
                         metadata=metadata or {})


class RunWriter:
    def __init__(self, handle: h5py.File, *, sample, device, protocol, parameters, units,
                 station, conditions, step="", metadata=None):
        self.file = handle
        handle.attrs.setdefault("bmrlab_version", __version__)
        handle.attrs.setdefault("schema_version", SCHEMA_VERSION)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"
        run_id = f"{stamp}_{protocol}"
        while f"{sample}/{device}/{run_id}" in handle:
            run_id += "+"
        self.group = handle.create_group(f"{sample}/{device}/{run_id}")
        self.run_path = self.group.name
        attrs = self.group.attrs
        attrs["protocol"] = protocol
        for name, value in parameters.items():
            attrs[name] = value
            attrs[f"{name}.units"] = units.get(name, "")
        attrs["conditions"] = json.dumps(conditions)
        attrs["recipe_step"] = step  # which step of a recipe this run is ('' outside one)
        attrs["metadata"] = json.dumps(metadata or {})  # the user's: operator, chip, notes...
        attrs["status"] = "running"
        attrs["reason"] = ""
        attrs["started"] = utc_now()
        attrs["ended"] = ""
        attrs["station"] = json.dumps(station, default=str)
        attrs["figures"] = "{}"
        self.column_units: dict[str, str] = {}
        self.rows = 0
        self._chunks: dict[str, list] = {}  # everything appended (for the analysis)
        self._pending: dict[str, list] = {}  # appended, not yet in the file
        self._pending_rows = 0
        self._last_flush = time.monotonic()
        handle.flush()

    def declare(self, column_units: dict[str, str]) -> None:
        """The run's data columns, in order, with their units; a run with ``limit_hit`` also
        gets ``overflow`` beside it."""
        self.column_units = dict(column_units)
        if "limit_hit" in self.column_units and "i_A" in self.column_units:
            self.column_units.setdefault("overflow", "")
        self.group.attrs["columns"] = json.dumps(list(self.column_units))

    def append(self, columns: dict) -> None:
        """Append rows (equal-length arrays per column). A stream of chunks reaches the file
        in blocks, at least once a second; a few rows at a time (host-timed reads, minutes
        apart) go at once. Where ``overflow`` is declared and not given, it is where ``i_A``
        is NaN: the SMU interface turns a reading above the fixed range into NaN
        (``Readings.overflow``), so the overflow value is never stored as a current."""
        arrays = {k: np.asarray(v) for k, v in columns.items()}
        if "overflow" in self.column_units and "overflow" not in arrays and "i_A" in arrays:
            arrays["overflow"] = np.isnan(arrays["i_A"].astype(float)).astype(np.int8)
        n = len(next(iter(arrays.values())))
        for name, values in arrays.items():
            self._chunks.setdefault(name, []).append(values)
            self._pending.setdefault(name, []).append(values)
        self.rows += n
        self._pending_rows += n
        if (self._pending_rows >= WRITE_ROWS or n < FEW_ROWS
                or time.monotonic() - self._last_flush >= FLUSH_S):
            self.flush()

    def flush(self) -> None:
        """Write the pending rows to their datasets and flush the file to disk."""
        for name, parts in self._pending.items():
            values = np.concatenate(parts)
            dataset = self.group.get(name)
            if dataset is None:
                dataset = self.group.create_dataset(
                    name, shape=(0,), maxshape=(None,), chunks=(CHUNK_ROWS,),
                    dtype=values.dtype)
                dataset.attrs["units"] = self.column_units.get(name, "")
            start = dataset.shape[0]
            dataset.resize((start + len(values),))
            dataset[start:] = values
        self._pending, self._pending_rows = {}, 0
        self.file.flush()
        self._last_flush = time.monotonic()

    def columns(self) -> dict:
        """Everything appended so far, as arrays (analysis runs on these, not on the file)."""
        return {k: np.concatenate(v) for k, v in self._chunks.items()}

    def finish(self, status: str, reason: str = "", figures: dict | None = None) -> None:
        self.flush()
        attrs = self.group.attrs
        attrs["status"] = status
        attrs["reason"] = reason
        attrs["ended"] = utc_now()
        attrs["figures"] = json.dumps(figures or {}, default=float)
        self.file.flush()
        self.file.close()
