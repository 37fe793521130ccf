"""Append a run to an HDF5 file while it is measured, flushing at least once a second.

A full disk must not cost the rows already stored. HDF5 does not survive a write that fails
for lack of space: h5py raises a RuntimeError ("file write failed ... errno = 27, File too
large"), and the file it leaves behind records more bytes than it holds, so it cannot be
opened at all. The writer therefore checks the room left before each block and stops while a
reserve remains for the run's status, reason and the file's close.

Memory stays flat whatever the run's length: the writer holds only the rows appended since
its last write (at most ``WRITE_ROWS``, or one second's worth), and HDF5 keeps at most a
chunk cache per column. The data columns may be compressed (``Storage.compression`` of the
station file): LZF (h5py's own filter, fast) or gzip (in every HDF5 reader), each after the
byte shuffle that groups the bytes of similar floats.
"""

import contextlib
import errno
import json
import os
import resource
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import h5py
import numpy as np

from .. import __version__
from ..config import COMPRESSIONS
from ..errors import BadInput, DiskFull, RunFailed
from ..results import RESULT_SCHEMA_VERSION

SCHEMA_VERSION = 1
CHUNK_ROWS = 4096
WRITE_ROWS = 50_000  # rows gathered before a write (the file is flushed at least once a second)
FEW_ROWS = 50  # an append this small is written at once
FLUSH_S = 1.0
# HDF5 keeps about 500 bytes for each chunk written while the file stays open (h5py 3.16,
# HDF5 2.0; measured in docs/performance.md), which a 10^8-row run would grow by ~100 MB.
# Closing and reopening the file after this many rows gives it back: memory stays flat.
REOPEN_ROWS = 1 << 20
MB = 1_000_000
START_ROOM = 4 * MB  # a run starts only if its file can grow by this much
RESERVE = 1 * MB  # kept free during a run: its status, reason, figures and the file's close
GZIP_LEVEL = 1  # the fastest: within 4 % of level 4's size on measured columns
OUT_OF_SPACE = tuple(os.strerror(code) for code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG))


def room(path: Path, size: int) -> tuple[int, str]:
    """How many bytes the file at ``path`` (now ``size`` bytes) can still grow, and what limits
    it: the free space of its file system, or the process's file-size limit (``ulimit -f``).
    A user quota is not seen here; the write that exceeds it fails (EDQUOT) instead."""
    free = shutil.disk_usage(path.parent).free
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY and limit - size < free:
        return max(limit - size, 0), "left under the process's file-size limit"
    return free, "free on its file system"


def is_out_of_space(error: Exception) -> bool:
    """A write refused for lack of space: an OSError with its errno, or h5py's RuntimeError
    that carries the system's message in its text."""
    return getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or any(
        text in str(error) for text in OUT_OF_SPACE
    )


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _clean(name: str) -> str:
    """Sample and device ids become group names: no slashes, no empty names."""
    cleaned = str(name).strip().replace("/", "_")
    return cleaned or "unnamed"


def column_filters(compression: str) -> dict:
    """The h5py dataset options of a data column for ``compression`` (one of COMPRESSIONS)."""
    if compression not in COMPRESSIONS:
        raise BadInput(f"compression = {compression}: one of {', '.join(COMPRESSIONS)}")
    if compression == "none":
        return {}
    return {
        "compression": compression,
        "shuffle": True,
        "compression_opts": GZIP_LEVEL if compression == "gzip" else None,
    }


class Store:
    """One HDF5 file (usually one per sample); each run is appended to it, its data columns
    compressed with ``compression`` (one of COMPRESSIONS)."""

    def __init__(self, path, compression: str = "none"):
        self.path = Path(path)
        self.filters = column_filters(compression)

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
        else:
            try:  # the folder the run will need, and a file in it that vanishes at once
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tempfile.TemporaryFile(dir=self.path.parent).close()
            except OSError as error:
                raise BadInput(
                    f"--out {self.path}: cannot be written ({error.strerror or error})"
                ) from None
        self.check_room()

    def check_room(self) -> None:
        """Refuse (BadInput) a run whose file could not grow by ``START_ROOM``: the disk is
        still full, or the file is at the process's file-size limit."""
        size = self.path.stat().st_size if self.path.exists() else 0
        left, limited_by = room(self.path, size)
        if left < START_ROOM:
            raise BadInput(
                f"--out {self.path}: disk full: {left / MB:.1f} MB {limited_by}, "
                f"a run needs at least {START_ROOM / MB:.0f} MB; free some space "
                "or choose another disk"
            )

    def _busy(self) -> BadInput:
        return BadInput(
            f"--out {self.path}: the file is being written by another process; "
            "choose another file or wait for that run to end"
        )

    def begin_run(
        self,
        *,
        sample: str,
        device: str,
        protocol: str,
        parameters: dict,
        units: dict,
        station: dict,
        conditions: dict | None = None,
        published: dict | None = None,
        step: str = "",
        metadata: dict | None = None,
    ) -> "RunWriter":
        """Open the file for writing (refused if unwritable or held by another process)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = h5py.File(self.path, "a")
        except BlockingIOError:
            raise self._busy() from None
        except OSError as error:
            raise BadInput(f"--out {self.path}: cannot be written ({error})") from None
        return RunWriter(
            handle,
            sample=_clean(sample),
            device=_clean(device),
            protocol=protocol,
            parameters=parameters,
            units=units,
            station=station,
            conditions=conditions or {},
            published=published or {},
            step=step,
            metadata=metadata or {},
            filters=self.filters,
        )


class RunWriter:
    def __init__(
        self,
        handle: h5py.File,
        *,
        sample,
        device,
        protocol,
        parameters,
        units,
        station,
        conditions,
        published=None,
        step="",
        metadata=None,
        filters=None,
    ):
        self.file = handle
        self.filters = filters or {}  # h5py options of the data columns (column_filters)
        self.path = Path(handle.filename)
        handle.attrs.setdefault("bmrlab_version", __version__)
        handle.attrs.setdefault("schema_version", SCHEMA_VERSION)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"
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
        attrs["published"] = json.dumps(published or {})  # the device file's, to compare with
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
        self.stored_rows = 0  # rows in the file
        self.full = False  # the file could not grow: later rows are counted, not kept
        self.damaged = False  # a write failed: HDF5 may not be able to store or close anything
        self._pending: dict[str, list] = {}  # appended, not yet in the file
        self.pending_rows = 0
        self._last_flush = time.monotonic()
        self._rows_since_open = 0
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
        self.rows += n
        if self.full:  # the readings a stopping instrument still hands over
            return
        for name, values in arrays.items():
            self._pending.setdefault(name, []).append(values)
        self.pending_rows += n
        if (
            self.pending_rows >= WRITE_ROWS
            or n < FEW_ROWS
            or time.monotonic() - self._last_flush >= FLUSH_S
        ):
            self.flush()

    def flush(self) -> None:
        """Write the pending rows to their datasets and flush the file to disk; raise DiskFull
        (the file keeps the rows stored so far) if they would not leave the reserve free."""
        if self.full:
            return
        needed = self.pending_bytes()
        left, limited_by = room(self.path, self.file.id.get_filesize())
        if needed and left - needed < RESERVE:
            self.full = True
            raise DiskFull(
                f"disk full: {self.path}: {left / MB:.1f} MB {limited_by}; the "
                f"run stopped with {self.stored_rows} rows in the file"
            )
        try:
            self._write_pending()
        except (OSError, RuntimeError) as error:  # a quota, or space taken by someone else
            if not is_out_of_space(error):
                raise
            self.full = True
            self._pending, self.pending_rows = {}, 0
            self.damaged = True
            raise DiskFull(
                f"disk full: {self.path}: a write failed for lack of space after "
                f"{self.stored_rows} rows; the file may be damaged"
            ) from None

    def pending_bytes(self) -> int:
        """The bytes the pending rows take in the file at most: each column grows by whole
        chunks. A compressed chunk is stored at its compressed size, so a partly filled last
        chunk that grows moves to new room: it counts again; the filters are optional (a
        chunk that does not shrink is stored as it is), so a chunk takes at most its raw
        size and the filter's few bytes of header."""
        total = 0
        for name, parts in self._pending.items():
            have = self.group[name].shape[0] if name in self.group else 0
            rows = sum(len(part) for part in parts)
            written = have // CHUNK_ROWS if self.filters else -(-have // CHUNK_ROWS)
            chunks = -(-(have + rows) // CHUNK_ROWS) - written
            raw = CHUNK_ROWS * parts[0].dtype.itemsize
            total += chunks * (raw + raw // 100 + 64 if self.filters else raw)
        return total

    def _write_pending(self) -> None:
        for name, parts in self._pending.items():
            values = np.concatenate(parts)
            dataset = self.group.get(name)
            if dataset is None:
                dataset = self.group.create_dataset(
                    name,
                    shape=(0,),
                    maxshape=(None,),
                    chunks=(CHUNK_ROWS,),
                    dtype=values.dtype,
                    **self.filters,
                )
                dataset.attrs["units"] = self.column_units.get(name, "")
            start = dataset.shape[0]
            dataset.resize((start + len(values),))
            dataset[start:] = values
        self.file.flush()
        self.stored_rows += self.pending_rows  # on disk only once the flush succeeded
        self._rows_since_open += self.pending_rows
        self._pending, self.pending_rows = {}, 0
        self._last_flush = time.monotonic()
        if self._rows_since_open >= REOPEN_ROWS:
            self._reopen()

    def _reopen(self) -> None:
        """Close the file and open it again (see REOPEN_ROWS). For the instant in between
        another process could take the file; the run then fails with that reason and the
        rows written so far stay in the file."""
        name = self.group.name
        self.file.close()
        try:
            self.file = h5py.File(self.path, "a")
        except BlockingIOError:
            self.full = self.damaged = True  # later rows are counted, not kept
            raise RunFailed(
                f"{self.path}: another process opened the file while the run reopened it; "
                f"the run stopped with {self.stored_rows} rows in the file"
            ) from None
        self.group = self.file[name]
        self._rows_since_open = 0

    def record_station(self, snapshot: dict) -> None:
        """The station as the run ended: the instruments' settings its analysis may need
        (the measure range, the current resolution) are known only after configure."""
        try:
            self.group.attrs["station"] = json.dumps(snapshot, default=str)
        except (OSError, RuntimeError, ValueError):
            if not self.damaged:  # a damaged file may refuse it, or be closed (_reopen)
                raise

    def finish(self, status: str, reason: str = "", result=None) -> None:
        """Store the last rows, the status and its reason, and close the file. After a full
        disk the rows not yet stored are dropped; the status goes into the reserve. After a
        failed write this is tried, but HDF5 may refuse it: the reason is then only in the
        run's result (and the file may not open again)."""
        if self.damaged:
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                self._store_status(status, reason, result)
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                self.file.close()
            return
        if not self.full:
            self.flush()
        self._store_status(status, reason, result)

    def _store_status(self, status, reason, result) -> None:
        attrs = self.group.attrs
        attrs["status"] = status
        attrs["reason"] = reason
        attrs["stored_rows"] = self.stored_rows  # a failed write may claim rows it never wrote
        attrs["ended"] = utc_now()
        # the typed result (bmrlab.results) as JSON; its schema version beside it
        attrs["figures"] = "{}" if result is None else result.model_dump_json()
        attrs["result_schema"] = RESULT_SCHEMA_VERSION
        self.file.flush()
        self.file.close()
