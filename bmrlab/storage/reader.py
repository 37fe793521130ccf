"""Read runs back: list them, load one as a pandas DataFrame, export CSV."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import pandas as pd

from ..errors import BadInput
from .stored_run import BLOCK_ROWS, run_parameters, stored_rows

STATUS_READ_BACK = {"running": "interrupted"}  # a run still 'running' in a closed file died


@dataclass
class RunData:
    path: Path
    run: str  # group path, /sample/device/run_id
    protocol: str
    status: str
    reason: str
    parameters: dict
    units: dict
    figures: dict
    station: dict
    data: pd.DataFrame
    metadata: dict = field(default_factory=dict)  # the user's notes (operator, chip, ...)


def _is_run(obj) -> bool:
    return isinstance(obj, h5py.Group) and "protocol" in obj.attrs


def _runs(handle: h5py.File) -> list[str]:
    found = []
    handle.visititems(lambda name, obj: found.append("/" + name) if _is_run(obj) else None)
    return sorted(found, key=lambda name: handle[name].attrs["started"])


def open_file(path) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except (OSError, BlockingIOError) as error:
        raise BadInput(f"{path}: cannot be read as a bmrlab HDF5 file ({error})") from None


def list_runs(path) -> pd.DataFrame:
    """One row per run: run path, protocol, status, start and end."""
    with open_file(path) as handle:
        rows = []
        for name in _runs(handle):
            attrs = handle[name].attrs
            status = str(attrs["status"])
            rows.append(
                {
                    "run": name,
                    "protocol": str(attrs["protocol"]),
                    "status": STATUS_READ_BACK.get(status, status),
                    "step": str(attrs.get("recipe_step", "")),
                    "started": str(attrs["started"]),
                    "ended": str(attrs["ended"]),
                    "rows": stored_rows(handle[name]),
                }
            )
    return pd.DataFrame(
        rows, columns=["run", "protocol", "status", "step", "started", "ended", "rows"]
    )


def find_run(handle: h5py.File, path, run: str | None) -> str:
    """The group path of ``run`` (a group path or a run id; the last run if None). A group
    path is looked up directly: listing the runs visits every object of the file (most of
    the time of a re-analysis when a file holds hundreds of runs)."""
    if run is not None and run.startswith("/") and _is_run(handle.get(run)):
        return run
    runs = _runs(handle)
    if not runs:
        raise BadInput(f"{path}: holds no bmrlab run")
    if run is None:
        return runs[-1]
    matches = [r for r in runs if r == run or r.endswith("/" + run.strip("/"))]
    if not matches:
        raise BadInput(f"{path}: no run {run!r} (runs: {', '.join(runs)})")
    return matches[-1]


def column_names(group: h5py.Group) -> list[str]:
    """A run's columns in the order the protocol declared them (then any others)."""
    order = json.loads(group.attrs.get("columns", "[]"))
    return [k for k in order if k in group] + [k for k in group if k not in order]


def load_run(path, run: str | None = None) -> RunData:
    """Load one run (by group path or run id; the last run if None) as a DataFrame."""
    with open_file(path) as handle:
        name = find_run(handle, path, run)
        group = handle[name]
        attrs = dict(group.attrs)
        rows = stored_rows(group)
        data = pd.DataFrame({k: group[k][:rows] for k in column_names(group)})
        units = {k: str(group[k].attrs.get("units", "")) for k in group}
    parameters = run_parameters(attrs)
    units.update({k[:-6]: str(v) for k, v in attrs.items() if k.endswith(".units")})
    status = str(attrs["status"])
    return RunData(
        path=Path(path),
        run=name,
        protocol=str(attrs["protocol"]),
        status=STATUS_READ_BACK.get(status, status),
        reason=str(attrs["reason"]),
        parameters=parameters,
        units=units,
        figures=json.loads(attrs["figures"]),
        station=json.loads(attrs["station"]),
        data=data,
        metadata=json.loads(attrs.get("metadata", "{}")),
    )


def export_csv(path, run: str | None, out) -> Path:
    """Write one run's columns to CSV, with the units in the header (``v_V`` is in V),
    ``BLOCK_ROWS`` rows at a time: a run of any length is exported in the memory of one
    block."""
    out = Path(out)
    with open_file(path) as handle:
        group = handle[find_run(handle, path, run)]
        names, rows = column_names(group), stored_rows(group)
        with open(out, "w", newline="") as csv:
            for start in range(0, max(rows, 1), BLOCK_ROWS):
                stop = min(start + BLOCK_ROWS, rows)
                block = pd.DataFrame({k: group[k][start:stop] for k in names})
                block.to_csv(csv, index=False, header=start == 0)
    return out
