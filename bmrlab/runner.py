"""Run one protocol on a station: checks, storage, stop requests, status, safe shutdown.

This is the run engine (what Bluesky calls it): protocols only say what to do. The order is
the safety contract: parameters are checked against the station limits and the output file
is opened before any instrument is touched; shutdown (0 V, output off) runs whatever
happened; the data measured so far are in the file with the status and its reason. A full
disk is a failed run like an instrument fault: the rows already stored are kept.
"""

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadInput, DiskFull, Stopped
from .procedures import get_protocol
from .procedures.base import BmrProcedure
from .procedures.context import RunContext
from .results import ProtocolResult
from .storage import Store
from .storage.reader import find_run, load_run, open_file
from .storage.stored_run import StoredRun


@dataclass
class RunResult:
    run: str  # HDF5 group path
    path: Path
    protocol: str
    status: str  # finished | aborted | failed
    reason: str
    result: ProtocolResult | None  # the typed figures; None unless the run finished
    figure_files: list = field(default_factory=list)
    disk_full: bool = False  # the file could not grow: the run stopped, its stored rows kept
    rows_measured: int = 0  # rows the protocol emitted (on a full disk, more than stored)

    @property
    def exit_status(self) -> int:
        return 0 if self.status == "finished" else 1

    @property
    def figures(self) -> dict:
        """The result as stored in the file (JSON types; {} without a result)."""
        return self.result.model_dump(mode="json") if self.result is not None else {}

    @property
    def data(self) -> dict:
        """The run's stored columns as arrays, read from the file (the run holds none in
        memory)."""
        return {name: column.to_numpy() for name, column in self.dataframe().items()}

    def dataframe(self):
        """The run's stored columns as a DataFrame, read from the file."""
        return load_run(self.path, self.run).data


def prepare(station, protocol: str, values: dict) -> BmrProcedure:
    """Build the procedure: condition defaults, then ``values``; check it against the limits."""
    cls = get_protocol(protocol)
    procedure = cls.build({**cls.condition_defaults(station.conditions(), values), **values})
    procedure.check_nplc(station)
    procedure.check(station)
    return procedure


def prepare_defaults(station, protocol: str) -> dict:
    """The parameters a protocol would run with on ``station`` if the user set nothing."""
    cls = get_protocol(protocol)
    return cls.build(cls.condition_defaults(station.conditions(), {})).parameter_values()


def run(
    station,
    procedure,
    out,
    *,
    sample: str,
    device: str,
    figures_dir=None,
    on_event=None,
    stop: threading.Event | None = None,
    step: str = "",
    metadata: dict | None = None,
    compression: str | None = None,
) -> RunResult:
    """Run a checked procedure and store it in ``out`` (HDF5); never raises for a failed run.
    ``metadata``: the user's notes stored with the run (operator, chip, temperature...);
    ``compression``: the data columns' filter for this run (default: the station's
    ``storage: compression``)."""
    stop = stop or threading.Event()
    store = Store(out, compression or station.config.storage.compression)
    store.check_writable()  # an unwritable file is refused before any instrument command
    connect_error = None
    if station.smu is None:
        try:
            station.connect()  # a resource that does not exist: BadInput, nothing written
        except BadInput:
            raise
        except Exception as error:  # an instrument that does not answer: a failed run
            connect_error = error
    writer = store.begin_run(
        sample=sample,
        device=device,
        protocol=procedure.name,
        parameters=procedure.parameter_values(),
        units=procedure.parameter_units(),
        station=station.snapshot(),
        conditions=station.conditions(),
        published=station.published(),
        step=step,
        metadata=metadata,
    )
    writer.declare(procedure.COLUMNS)

    def emit(topic, record):
        if topic == "batch":
            writer.append(record)
        if on_event:
            on_event(topic, record)

    ctx = RunContext(station=station, emit=emit, should_stop=stop.is_set)
    status, reason = "finished", ""
    try:
        if connect_error is not None:
            raise connect_error
        procedure.startup(ctx)
        procedure.execute(ctx)
        station.raise_errors()  # an error queued after the last configuration fails the run
    except (Stopped, KeyboardInterrupt):  # a stop request may say who asked and why
        status, reason = "aborted", getattr(stop, "reason", "") or "stopped on request"
    except DiskFull as error:  # the file could not grow; its reason names the disk
        status, reason = "failed", str(error)
    except Exception as error:  # the run failed; its data and reason are kept
        status, reason = "failed", f"{type(error).__name__}: {error}"
    finally:
        try:
            station.safe_off()
        except Exception as error:
            reason = (reason + "; " if reason else "") + f"shutdown failed: {error}"
            status = "failed" if status == "finished" else status
    try:
        writer.flush()  # the last rows, before the run is called finished
    except DiskFull as error:
        status, reason = "failed", (reason + "; " if reason else "") + str(error)
    writer.record_station(station.snapshot())  # the settings the run ended with
    result = None
    if status == "finished":
        try:
            result = procedure.analyze(StoredRun(writer.group, writer.stored_rows))
        except Exception as error:
            status, reason = "failed", f"analysis failed: {type(error).__name__}: {error}"
    run_path = writer.run_path
    writer.finish(status, reason, result)
    outcome = RunResult(
        run=run_path,
        path=Path(out),
        protocol=procedure.name,
        status=status,
        reason=reason,
        result=result,
        disk_full=writer.full,
        rows_measured=writer.rows,
    )
    if figures_dir is not None and writer.stored_rows:
        stem = run_path.strip("/").replace("/", "_")
        with open_file(out) as handle:
            outcome.figure_files = procedure.save_figures(
                StoredRun(handle[run_path]), result, Path(figures_dir), stem
            )
    return outcome


@dataclass
class ReAnalysis:
    """A stored run analysed again: its result now, beside the one stored when it ended."""

    run: str
    protocol: str
    status: str
    result: ProtocolResult
    stored: dict  # the figures stored with the run

    @property
    def changed(self) -> bool:
        return self.result.model_dump(mode="json") != self.stored


def reanalyze(path, run: str | None = None) -> ReAnalysis:
    """Recompute the figures of a stored run (the last if None) from its columns, parameters
    and recorded instrument settings alone: a changed definition applied to old data."""
    with open_file(path) as handle:
        name = find_run(handle, path, run)
        group = handle[name]
        stored = StoredRun(group)
        cls = get_protocol(str(group.attrs["protocol"]))
        procedure = cls.build(stored.parameters)
        return ReAnalysis(
            run=name,
            protocol=cls.name,
            status=str(group.attrs["status"]),
            result=procedure.analyze(stored),
            stored=json.loads(group.attrs["figures"]),
        )
