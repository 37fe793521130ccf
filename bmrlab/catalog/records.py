"""A stored run as catalog rows: its identity and settings from the run group's attributes,
and its figures flattened from the typed result (``vset_mV``, ``delay_fit.v0_mV``, ...) with
the 95 % interval and n of the spread the result keeps for it under ``stats``."""

import json
import math
import os
import socket
from pathlib import Path

import h5py

from ..procedures import get_protocol
from ..results import field_extra
from ..storage.reader import STATUS_READ_BACK
from ..storage.stored_run import stored_rows


def _json(attrs, name: str) -> dict:
    text = attrs.get(name, "")
    return json.loads(text) if text else {}


def run_row(file: Path, group: h5py.Group, *, writing: bool = False) -> dict:
    """The ``runs`` row of a run group. ``writing``: the run is being written by this process
    now (its status stays ``running`` and the host and process are kept to tell later whether
    it died); otherwise a ``running`` run in a closed file is ``interrupted``, as the reader
    says."""
    attrs = group.attrs
    _, sample, device, _ = group.name.split("/", 3)
    metadata = _json(attrs, "metadata")
    status = str(attrs["status"])
    return {
        "file": str(Path(file).resolve()),
        "run": group.name,
        "sample": sample,
        "device": device,
        "die": metadata.get("die"),
        "protocol": str(attrs["protocol"]),
        "station": str(_json(attrs, "station").get("name", "")),
        "operator": metadata.get("operator"),
        "step": str(attrs.get("recipe_step", "")),
        "started": str(attrs["started"]),
        "ended": str(attrs.get("ended", "")) or None,
        "status": status if writing else STATUS_READ_BACK.get(status, status),
        "reason": str(attrs.get("reason", "")),
        "rows": stored_rows(group),
        "host": socket.gethostname() if writing else None,
        "pid": os.getpid() if writing else None,
        "parameters": _parameters(attrs),
        "conditions": _json(attrs, "conditions"),
        "metadata": metadata,
        "result": _json(attrs, "figures"),
        "result_schema": int(attrs["result_schema"]) if "result_schema" in attrs else None,
    }


def _parameters(attrs) -> dict:
    """The run's parameters (the attrs that have a ``.units`` companion), JSON-safe."""
    values = {}
    for name in attrs:
        if f"{name}.units" in attrs:
            value = attrs[name]
            values[name] = value.tolist() if hasattr(value, "tolist") else value
    return values


def figure_rows(protocol: str, result: dict) -> list[dict]:
    """One row per scalar figure of a result (nested fits with dotted names; ``stats`` is
    read only for the interval and n of the figure of the same name)."""
    stats: dict = result["stats"] if isinstance(result.get("stats"), dict) else {}
    try:
        model = get_protocol(protocol).Result
    except Exception:  # a protocol this version does not know: its figures without units
        model = None
    rows = []
    for name, value in _scalars(result, exclude={"stats"}):
        spread: dict = stats[name] if isinstance(stats.get(name), dict) else {}
        units = None
        if model is not None and name in model.model_fields:
            units = str(field_extra(model, name).get("units", "")) or None
        rows.append(
            {
                "name": name,
                "value": value,
                "ci_low": spread.get("ci_low"),
                "ci_high": spread.get("ci_high"),
                "n": spread.get("n"),
                "units": units,
            }
        )
    return rows


def _scalars(values: dict, exclude=frozenset(), prefix: str = ""):
    """(dotted name, float) of every finite number or yes/no in nested dicts."""
    for name, value in values.items():
        if name in exclude:
            continue
        if isinstance(value, dict):
            yield from _scalars(value, prefix=f"{prefix}{name}.")
        elif isinstance(value, (bool, int, float)) and math.isfinite(float(value)):
            yield f"{prefix}{name}", float(value)
