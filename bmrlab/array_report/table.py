"""The per-device table: one row per device of a sample, every figure its runs stored.

Read from the HDF5 file alone (the runs' typed results, ``bmrlab.results``), so a wafer
measured last year gives the same table today and nothing here knows the simulator. Where a
recipe's quick screen judged a device, its verdict is stored on the device's group
(``screen``: pass or fail, ``screen_reason``) and is in the table as it was stored. A
device's position comes from its id (:class:`~bmrlab.die_address.DieAddress`); an id that is
not a wafer address (``A1``, ``dut``) keeps an empty position and still has its row.

Which figures: every number a run's result states at its top level (``vset_mV``,
``on_off_ratio``, ``delay_ms``, ``set_energy_pJ``, ``endurance_cycles`` ...), every spread
of its ``stats`` that has no top-level figure of its own (``hrs_A``, ``lrs_A``), and the
numbers of its fits and curves (``delay_fit.V0_mV``, ``ppf.ppf_at_shortest``). Test
conditions (``delay_at_mV``, the retention pulse) are not figures: they are the same for
every device of a recipe. Each figure has the columns

- ``<figure>``: the value (the median over cycles, pulses or traces where it is one),
- ``<figure>_ci_low``, ``<figure>_ci_high``, ``<figure>_n``: its 95 % confidence interval
  and the count behind it, where the result holds them; ``<figure>_se`` for a fitted one,
- ``<figure>_note``: a qualifier (lower bound, censored) or why there is no value,
- ``<figure>_run``: the run it comes from (the group path); empty where no run of the device
  could state it (its protocol was not run).

A device measured twice by one protocol (a quick screen, then the full characterization)
takes each figure from the run with the most data behind it (the largest n), the later one
on a tie: the full characterization, not the screen.
"""

import json
from dataclasses import dataclass

import h5py
import numpy as np
import pandas as pd
from pydantic import BaseModel

from ..device import Conditions
from ..die_address import DieAddress
from ..errors import BadInput
from ..procedures import PROTOCOLS, stored_result
from ..results import ProtocolResult, Spread, field_extra
from ..standard import TABLE1
from ..storage.reader import STATUS_READ_BACK, open_file

POSITION = ("column", "row", "site", "device")
PARTS = ("ci_low", "ci_high", "n", "se", "note", "run")  # the columns beside a figure's value
CONDITIONS = set(Conditions.model_fields)  # how a figure was measured, not a result
STATUS_ORDER = ("failed", "aborted", "interrupted", "running", "finished")  # worst first
PART_SUFFIXES = ("_ci_low", "_ci_high", "_se")  # beside a nested figure: its interval, its error


@dataclass(frozen=True)
class Measured:
    """One figure as one run states it."""

    value: float | None
    units: str = ""
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    se: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Run:
    """A stored run as the table needs it (no data columns)."""

    path: str  # /sample/device/run_id
    device: str
    protocol: str
    status: str
    reason: str
    started: str
    figures: dict  # the stored result's JSON


def column(figure: str, part: str) -> str:
    """The name of a figure's ``part`` column: ``vset_mV_ci_low``."""
    return f"{figure}_{part}"


def _number(annotation) -> bool:
    """A field declared as a number (int or float, maybe None), not a flag."""
    args = getattr(annotation, "__args__", (annotation,))
    return bool(args) and all(a in (int, float, type(None)) for a in args) and args != (type(None),)


def _float(annotation) -> bool:
    """A field declared as a float (maybe None): a measured value, not a count."""
    args = getattr(annotation, "__args__", (annotation,))
    return float in args and all(a in (float, type(None)) for a in args)


def _spread(measure: Spread, units: str) -> Measured:
    return Measured(
        measure.median,
        units,
        measure.ci_low,
        measure.ci_high,
        measure.n,
        None,
        measure.reason or "",
    )


def result_figures(result: ProtocolResult) -> dict[str, Measured]:
    """Every figure ``result`` states, by column name (see the module's docstring)."""
    cls = type(result)
    stats = getattr(result, "stats", None)
    spreads: dict[str, tuple[Spread, str]] = {}  # the spreads of ``stats``, with their units
    if isinstance(stats, BaseModel):
        for name in type(stats).model_fields:
            spread = getattr(stats, name)
            if isinstance(spread, Spread):
                spreads[name] = (spread, str(field_extra(type(stats), name).get("units", "")))
    notes: dict[str, list[str]] = {}
    for name, flagged in result.flags().items():
        if flagged:
            extra = field_extra(cls, name)
            notes.setdefault(str(extra["qualifies"]), []).append(str(extra["words"]))
    found: dict[str, Measured] = {}
    for name, info in cls.model_fields.items():
        value = getattr(result, name)
        units = str(field_extra(cls, name).get("units", ""))
        if name in CONDITIONS or name == "stats" or name in result.flags():
            continue
        if _number(info.annotation):
            measured = _spread(spreads[name][0], units) if name in spreads else Measured(None)
            qualifiers = notes.get(name, []) if value is not None else []
            note = "; ".join(qualifiers + ([measured.note] if measured.note else []))
            found[name] = Measured(
                value, units, measured.ci_low, measured.ci_high, measured.n, None, note
            )
        elif isinstance(value, BaseModel):
            found.update(nested_figures(name, value))
    for name, (spread, units) in spreads.items():
        if name not in found:
            found[name] = _spread(spread, units)
    return found


def nested_figures(prefix: str, model: BaseModel) -> dict[str, Measured]:
    """The numbers of a nested record, a fit or a curve, at any depth (``delay_fit.V0_mV``),
    each with what the project's naming conventions put beside it: ``<name>_se`` (a fitted
    parameter's standard error), ``<name>_ci_low`` / ``_ci_high`` (its interval); a record
    of ``value`` (or ``median``), ``ci_low``, ``ci_high`` and ``n`` is one figure named by
    the record (``set_probability``). Counts and lists are not figures."""
    cls = type(model)
    fields = cls.model_fields
    value_field = next((n for n in ("value", "median") if n in fields), None)
    found: dict[str, Measured] = {}
    if value_field and {"ci_low", "ci_high"} <= set(fields):
        units = str(field_extra(cls, value_field).get("units", ""))
        n = getattr(model, "n", None)
        low, high = (getattr(model, part) for part in ("ci_low", "ci_high"))
        found[prefix] = Measured(getattr(model, value_field), units, low, high, n)
        beside = {value_field, "ci_low", "ci_high", "n"}
    else:
        beside = set()
    for name, info in fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            found.update(nested_figures(f"{prefix}.{name}", value))
        elif _float(info.annotation) and name not in beside and not name.endswith(PART_SUFFIXES):
            low, high, se = (getattr(model, name + s, None) for s in PART_SUFFIXES)
            units = str(field_extra(cls, name).get("units", ""))
            found[f"{prefix}.{name}"] = Measured(value, units, low, high, se=se)
    return found


def protocol_figures(protocol: str) -> dict[str, str]:
    """The top-level figures a protocol's result can state, with their units (a run that
    stored no result still tested them: its device has no value, not an empty column)."""
    cls = PROTOCOLS.get(protocol)
    if cls is None:
        return {}
    model = cls.Result
    return {
        name: str(field_extra(model, name).get("units", ""))
        for name, info in model.model_fields.items()
        if name not in CONDITIONS and _number(info.annotation)
    }


def samples(path) -> list[str]:
    """The samples of a file: its top-level groups holding runs."""
    with open_file(path) as handle:
        return sorted(
            name
            for name, group in handle.items()
            if isinstance(group, h5py.Group) and any(_runs_of(group))
        )


def _runs_of(group: h5py.Group):
    for device, runs in group.items():
        if isinstance(runs, h5py.Group):
            for run in runs.values():
                if isinstance(run, h5py.Group) and "protocol" in run.attrs:
                    yield device, run


def choose_sample(path, sample: str | None) -> str:
    """``sample``, checked against the file; the file's only sample when None."""
    found = samples(path)
    if not found:
        raise BadInput(f"{path}: holds no bmrlab run")
    if sample is None:
        if len(found) > 1:
            raise BadInput(
                f"--sample: {path} holds several samples; choose one of {', '.join(found)}"
            )
        return found[0]
    if sample not in found:
        raise BadInput(f"--sample {sample}: not in {path} (samples: {', '.join(found)})")
    return sample


def screen_verdicts(path, sample: str) -> dict[str, tuple[str, str]]:
    """The quick-screen verdict a recipe stored on each device's group: (screen, reason)."""
    with open_file(path) as handle:
        return {
            device: (str(group.attrs["screen"]), str(group.attrs.get("screen_reason", "")))
            for device, group in handle[sample].items()
            if isinstance(group, h5py.Group) and "screen" in group.attrs
        }


def read_runs(path, sample: str) -> list[Run]:
    """Every run of ``sample``, oldest first."""
    runs = []
    with open_file(path) as handle:
        for device, group in _runs_of(handle[sample]):
            attrs = group.attrs
            status = str(attrs["status"])
            runs.append(
                Run(
                    path=group.name,
                    device=device,
                    protocol=str(attrs["protocol"]),
                    status=STATUS_READ_BACK.get(status, status),
                    reason=str(attrs.get("reason", "")),
                    started=str(attrs.get("started", "")),
                    figures=json.loads(attrs.get("figures", "{}")),
                )
            )
    return sorted(runs, key=lambda run: run.started)


def run_figures(run: Run) -> dict[str, Measured]:
    """The figures of one run; a run of a known protocol that stored no result (it failed
    or stopped) states each of its protocol's figures as missing, with its status."""
    result = stored_result(run.protocol, run.figures)
    if result is not None:
        return result_figures(result)
    why = f"{run.protocol} {run.status}" + (f": {run.reason}" if run.reason else "")
    return {
        name: Measured(None, units, note=why)
        for name, units in protocol_figures(run.protocol).items()
    }


def _rank(measured: Measured) -> tuple:
    """Which of two runs' values of a figure wins: one with a value, then the larger n."""
    return (measured.value is not None, measured.n or 0)


def device_row(device: str, runs: list[Run]) -> tuple[dict, dict[str, str]]:
    """A device's row of the table, and the units of the figures in it."""
    address = DieAddress.parse(device)
    row: dict = {"device_id": device}
    for name in POSITION:
        row[name] = getattr(address, name) if address else None
    statuses = [run.status for run in runs]
    row["runs"] = len(runs)
    row["status"] = min(statuses, key=lambda s: STATUS_ORDER.index(s) if s in STATUS_ORDER else 0)
    row["statuses"] = "; ".join(f"{run.protocol} {run.status}" for run in runs)
    row["reasons"] = "; ".join(
        f"{run.protocol}: {run.reason}" for run in runs if run.status != "finished" and run.reason
    )
    best: dict[str, tuple[Measured, Run]] = {}
    for run in runs:  # oldest first: a later run wins a tie
        for name, measured in run_figures(run).items():
            if name not in best or _rank(measured) >= _rank(best[name][0]):
                best[name] = (measured, run)
    units = {}
    for name, (measured, run) in best.items():
        units[name] = measured.units
        row[name] = measured.value
        row[column(name, "ci_low")] = measured.ci_low
        row[column(name, "ci_high")] = measured.ci_high
        row[column(name, "n")] = measured.n
        row[column(name, "se")] = measured.se
        row[column(name, "note")] = measured.note
        row[column(name, "run")] = run.path
    return row, units


def _figure_order(names) -> list[str]:
    """Table 1's figures first, in its order; then the others in the order the runs state
    them."""
    names = list(dict.fromkeys(names))
    first = [n for n in TABLE1 if n in names]
    return first + [n for n in names if n not in first]


def device_table(path, sample: str | None = None) -> pd.DataFrame:
    """One row per device of ``sample`` (the file's only sample when None): position,
    runs and their statuses, every figure with its interval, n and run (module docstring).
    ``table.attrs["figures"]`` maps each figure to its units, in column order."""
    sample = choose_sample(path, sample)
    runs = read_runs(path, sample)
    verdicts = screen_verdicts(path, sample)
    by_device: dict[str, list[Run]] = {}
    for run in runs:
        by_device.setdefault(run.device, []).append(run)
    rows, units = [], {}
    for device in sorted(by_device, key=_device_order):
        row, found = device_row(device, by_device[device])
        row["screen"], row["screen_reason"] = verdicts.get(device, ("", ""))
        rows.append(row)
        units.update(found)
    figures = _figure_order(units)
    columns = ["device_id", *POSITION, "runs", "status", "statuses", "reasons"]
    columns += ["screen", "screen_reason"]
    for name in figures:
        columns += [name, *(column(name, part) for part in PARTS)]
    table = pd.DataFrame(rows, columns=columns)
    for name in POSITION:
        table[name] = table[name].astype("Int64")
    for name in figures:
        table[name] = pd.to_numeric(table[name], errors="coerce").astype(float)
        for part in ("ci_low", "ci_high", "se"):
            table[column(name, part)] = table[column(name, part)].astype(float)
        table[column(name, "n")] = table[column(name, "n")].astype("Int64")
        for part in ("note", "run"):
            table[column(name, part)] = table[column(name, part)].fillna("").astype(str)
    for name in ("statuses", "reasons", "screen", "screen_reason"):
        table[name] = table[name].astype(str)
    table.attrs["sample"] = sample
    table.attrs["figures"] = {name: units[name] for name in figures}
    return table


def _device_order(device: str) -> tuple:
    """Wafer addresses in row, column, site, device order; other ids after them by name."""
    address = DieAddress.parse(device)
    if address is None:
        return (1, 0, 0, 0, 0, device)
    return (0, address.row, address.column, address.site, address.device, device)


def figure_values(table: pd.DataFrame, figure: str) -> np.ndarray:
    """The finite values of a figure over the devices."""
    values = table[figure].to_numpy(dtype=float)
    return values[np.isfinite(values)]


def tested(table: pd.DataFrame, figure: str) -> pd.Series:
    """Which devices a run tested for ``figure`` (its value may still be missing)."""
    return table[column(figure, "run")] != ""
