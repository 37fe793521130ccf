"""The run catalog: add runs as they end or from existing files, rebuild it from the files,
and query it by identity, date and figure ranges into a DataFrame.

One class for every database SQLAlchemy reaches: a SQLite file by default (several processes
may write at once: WAL journal, writes serialized by ``BEGIN IMMEDIATE`` and a busy wait),
or a PostgreSQL URL for a catalog a whole lab shares. The schema is created and upgraded by
the Alembic migrations in ``migrations/`` when a catalog is opened.
"""

import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import pandas as pd
import sqlalchemy as sa

from ..errors import BadInput
from ..standard import TABLE1
from ..storage.reader import open_file
from .location import as_url
from .migrate import upgrade
from .records import figure_rows, run_row
from .tables import figures, runs

SQLITE_BUSY_S = 60  # a writer waits this long for another station's write to end
IDENTITY = ["sample", "device", "die", "protocol", "status", "started", "ended", "station"]


def _engine(url: str) -> sa.Engine:
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    database = sa.make_url(url).database
    if database:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_S})

    @sa.event.listens_for(engine, "connect")
    def _connect(connection, _record):
        connection.isolation_level = None  # transactions begin below, not in the driver
        _write_ahead_log(connection)
        connection.execute("PRAGMA foreign_keys=ON")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # one writer at a time, waiting its turn

    return engine


def _write_ahead_log(connection: sqlite3.Connection) -> None:
    """Switch the file to the WAL journal. Switching needs the file to itself and SQLite does
    not busy-wait for that: when stations open a new catalog at once, wait here."""
    deadline = time.monotonic() + SQLITE_BUSY_S
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def run_groups(handle: h5py.File) -> Iterator[h5py.Group]:
    """Every run group of a bmrlab file (/sample/device/run_id)."""
    for sample in handle.values():
        for device in sample.values() if isinstance(sample, h5py.Group) else ():
            for run in device.values() if isinstance(device, h5py.Group) else ():
                if isinstance(run, h5py.Group) and "protocol" in run.attrs:
                    yield run


def hdf5_files(paths: Iterable) -> Iterator[Path]:
    """The .h5/.hdf5 files among ``paths``, folders searched recursively."""
    for path in map(Path, paths):
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in (".h5", ".hdf5"))
        else:
            yield path


@dataclass
class AddReport:
    """What ``add`` and ``rebuild`` did: runs recorded, and files that could not be read."""

    runs: int = 0
    files: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # file -> why


class Catalog:
    """A catalog at ``url`` (a SQLAlchemy URL, or the path of a SQLite file), created or
    upgraded on opening."""

    def __init__(self, url: str):
        self.url = as_url(str(url))
        self.engine = _engine(self.url)
        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def record(self, file, group: h5py.Group, *, writing: bool = False) -> None:
        """Write (or replace) the run in ``group`` of ``file``."""
        row = run_row(file, group, writing=writing)
        with self.engine.begin() as connection:
            self._replace(connection, row)

    @staticmethod
    def _replace(connection, row: dict) -> None:
        where = (runs.c.file == row["file"]) & (runs.c.run == row["run"])
        old = connection.execute(sa.select(runs.c.id).where(where)).scalar()
        if old is not None:
            connection.execute(figures.delete().where(figures.c.run_id == old))
            connection.execute(runs.delete().where(runs.c.id == old))
        run_id = connection.execute(runs.insert().values(**row)).inserted_primary_key[0]
        Catalog._insert_figures(connection, run_id, row["protocol"], row["result"])

    @staticmethod
    def _insert_figures(connection, run_id: int, protocol: str, result: dict) -> None:
        rows = figure_rows(protocol, result)
        if rows:
            connection.execute(figures.insert(), [{"run_id": run_id, **r} for r in rows])

    def update_result(self, file: str, run: str, result: dict) -> bool:
        """Replace a catalogued run's result and figures (a re-analysis), the rest kept;
        whether the result differs from the catalog's."""
        with self.engine.begin() as connection:
            where = (runs.c.file == file) & (runs.c.run == run)
            columns = (runs.c.id, runs.c.protocol, runs.c.result)
            found = connection.execute(sa.select(*columns).where(where)).first()
            if found is None:
                raise KeyError(f"{file}:{run}: not in the catalog")
            if found.result == result:
                return False
            connection.execute(runs.update().where(runs.c.id == found.id).values(result=result))
            connection.execute(figures.delete().where(figures.c.run_id == found.id))
            self._insert_figures(connection, found.id, found.protocol, result)
        return True

    def add(self, paths: Iterable) -> AddReport:
        """Record every run of the files (folders searched for .h5 files); a file that
        cannot be read is reported and skipped."""
        report = AddReport()
        for path in hdf5_files(paths):
            try:
                with open_file(path) as handle:
                    rows = [run_row(path, group) for group in run_groups(handle)]
            except (OSError, BadInput, KeyError, ValueError) as error:
                report.skipped[str(path)] = f"{type(error).__name__}: {error}"
                continue
            with self.engine.begin() as connection:
                for row in rows:
                    self._replace(connection, row)
            report.files += 1
            report.runs += len(rows)
        return report

    def files(self) -> list[str]:
        """The files the catalog's runs are stored in."""
        with self.engine.begin() as connection:
            return list(connection.execute(sa.select(runs.c.file).distinct()).scalars())

    def rebuild(self, paths: Iterable) -> AddReport:
        """The catalog made again from the files alone (everything else forgotten)."""
        with self.engine.begin() as connection:
            connection.execute(figures.delete())
            connection.execute(runs.delete())
        return self.add(paths)

    def query(
        self,
        *,
        sample: str | None = None,
        device: str | None = None,
        protocol: str | None = None,
        station: str | None = None,
        status: str | None = None,
        since: str | None = None,
        until: str | None = None,
        figure_ranges: dict[str, tuple[float | None, float | None]] | None = None,
    ) -> pd.DataFrame:
        """Runs matching every filter given, one row each: identity, Table 1 figures (with
        ``<figure>_ci_low``/``_ci_high``), the file and group of its data. ``device`` may
        be a pattern (``d-*``); ``since``/``until`` are dates or times (UTC, ``until`` a
        date includes that day); ``figure_ranges``: name -> (low, high), either None."""
        listed = ("id", *IDENTITY, "file", "run", "host", "pid")  # not the JSON: it is slow
        query = sa.select(*(runs.c[name] for name in listed))
        for column, value in (("sample", sample), ("protocol", protocol), ("station", station)):
            if value is not None:
                query = query.where(runs.c[column] == value)
        if device is not None:
            query = query.where(runs.c.device.like(_like(device), escape="\\"))
        if since is not None:
            query = query.where(runs.c.started >= _utc(since))
        if until is not None:
            end = _utc(until, end_of_day=True)
            query = query.where(runs.c.started < end)
        for name, (low, high) in (figure_ranges or {}).items():
            match = (figures.c.run_id == runs.c.id) & (figures.c.name == name)
            if low is not None:
                match &= figures.c.value >= low
            if high is not None:
                match &= figures.c.value <= high
            query = query.where(sa.exists().where(match))
        named = [*TABLE1, *(figure_ranges or {})]
        with self.engine.begin() as connection:
            found = _frame(connection.execute(query.order_by(runs.c.started)))
            if found.empty:
                return pd.DataFrame(columns=[*IDENTITY, "file", "run"])
            wanted = figures.c.run_id.in_(query.with_only_columns(runs.c.id))
            bounds = (figures.c.run_id, figures.c.name, *(figures.c[c] for c in FIGURE_COLUMNS))
            chosen = sa.select(*bounds).where(wanted & figures.c.name.in_(named))
            values = _frame(connection.execute(chosen))
        running = found.index[found["status"] == "running"]
        dead = [i for i in running if _writer_gone(found.at[i, "host"], found.at[i, "pid"])]
        found.loc[dead, "status"] = "interrupted"
        if status is not None:  # as read now: a dead station's run is interrupted
            found = found[found["status"] == status]
        table = found[["id", *IDENTITY, "file", "run"]].set_index("id")
        if not values.empty:
            wide = values.pivot(index="run_id", columns="name", values=list(FIGURE_COLUMNS))
            kept = [(b, n) for b, n in wide.columns if b == "value" or wide[b, n].notna().any()]
            wide = wide[kept].set_axis([n + FIGURE_COLUMNS[b] for b, n in kept], axis=1)
            table = table.join(wide)
        shown = [f"{n}{s}" for n in dict.fromkeys(named) for s in FIGURE_COLUMNS.values()]
        order = [*IDENTITY, *(c for c in shown if c in table.columns), "file", "run"]
        return table[order].reset_index(drop=True)


FIGURE_COLUMNS = {"value": "", "ci_low": "_ci_low", "ci_high": "_ci_high"}  # -> suffix


def _frame(result) -> pd.DataFrame:
    """A query's rows as a DataFrame, made from the driver's plain tuples (the columns
    queried need no conversion by SQLAlchemy): making SQLAlchemy's rows and then tuples of
    them took half the time of a query returning thousands of runs."""
    return pd.DataFrame(result.cursor.fetchall(), columns=list(result.keys()))


def _like(pattern: str) -> str:
    """A glob (``d-*``, ``d-?``) as an SQL LIKE pattern."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _utc(when: str, end_of_day: bool = False) -> str:
    """A date or time as the ISO 8601 UTC text runs are stored with."""
    try:
        stamp = pd.Timestamp(when)
    except ValueError as error:
        raise BadInput(f"date {when}: not a date or time (e.g. 2026-12-01)") from error
    if end_of_day and len(when.strip()) == 10:
        stamp += pd.Timedelta(days=1)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat(timespec="milliseconds")


def _writer_gone(host, pid) -> bool:
    """Whether a run still ``running`` died: its writer on this host is gone, so its file
    says ``interrupted`` once read back (a writer on another host cannot be checked here)."""
    if host != socket.gethostname() or pid is None or pd.isna(pid):
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
