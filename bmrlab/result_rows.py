"""A typed result in words, as a physicist reads it: one row per figure with its value in
units, as "median [low, high]" (the 95 % confidence interval) where the result holds one, the
5-95 % spread and n, fitted parameters with their standard errors ("26.9 ± 7.9 ms"), and
notes (lower bound, censored, why a figure is missing). The window's figures panel and the
terminal report both show these rows.

Nothing here knows a protocol: the rows come from the result model alone (its fields'
units and descriptions, ``Spread``, nested models, mappings and lists), so a new protocol's
figures are shown as soon as it declares its ``Result``. Naming conventions carry the
uncertainty: a field ``p_se`` is the standard error of ``p``; in a curve (a model of
equal-length lists) the lists ``y_ci_low`` and ``y_ci_high`` are the interval of ``y`` at
each point and ``n`` the count behind it.
"""

from collections.abc import Collection
from dataclasses import dataclass

from pydantic import BaseModel

from .results import ProtocolResult, Spread, field_extra
from .standard import TABLE1
from .units import format_quantity

PREFIXES = {"p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6}
SI_UNITS = ("V", "A", "s", "S", "Hz", "ohm")
NAMES = {
    "vset_mV": "Vset",
    "vreset_mV": "Vreset",
    "on_off_ratio": "On/Off ratio",
    "endurance_cycles": "endurance (cycles)",
    "delay_ms": "switching delay",
    "delay_at_mV": "delay measured at",
    "retention_ms": "retention",
    "retention_pulse_mV": "retention pulse amplitude",
    "retention_pulse_ms": "retention pulse width",
    "hrs_A": "HRS current",
    "lrs_A": "LRS current",
    "ppf": "PPF",
    "delay_fit": "delay fit",
    "retention_fit": "retention fit",
    "forming_V": "forming voltage",
    "forming": "forming search",
}
LIST_SHOWN = 6  # values of a list shown in one row before "..."


CI_SUFFIXES = ("_ci_low", "_ci_high")  # a curve's interval of a list, point by point
SE_SUFFIX = "_se"  # the standard error of the field it follows


@dataclass(frozen=True)
class Row:
    figure: str
    value: str  # "63.2 [60.1, 65.0] mV": median and its 95 % confidence interval, if any
    spread: str = ""  # 5-95 %
    n: str = ""
    note: str = ""


def si(units: str) -> tuple[str, float]:
    """(SI unit, scale to it) of a field's units: ``mV`` -> ("V", 1e-3); others as is."""
    if units in SI_UNITS:
        return units, 1.0
    if len(units) > 1 and units[0] in PREFIXES and units[1:] in SI_UNITS:
        return units[1:], PREFIXES[units[0]]
    return "", 1.0


def value_text(value, units: str = "") -> str:
    """A value in words: ``63 mV``, ``1.6e+06``, ``yes``, ``not measured``."""
    if value is None:
        return "not measured"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" + (f" {units}" if units and not si(units)[0] else "")
    if isinstance(value, float):
        unit, scale = si(units)
        if unit:
            return format_quantity(value * scale, unit, 3)
        return f"{value:.3g}" + (f" {units}" if units else "")
    return str(value)


def _in_units_of(value: float, shown: str, units: str, digits: int = 3) -> str:
    """``value`` (in ``units``) as a bare number in the unit ``shown`` ends in (``63.2 mV``
    -> mV), so an interval or an error reads in the unit of the figure beside it."""
    unit, scale = si(units)
    if unit and " " in shown:
        written = shown.rpartition(" ")[2]
        prefix = written[: -len(unit)] if written.endswith(unit) else ""
        value = value * scale / PREFIXES.get(prefix, 1.0)
    text = f"{value:.{digits}g}"
    return f"{float(text):.0f}" if "e+" in text and abs(value) < 1e6 else text  # 1200, not 1.2e+03


def interval_text(value, low, high, units: str = "") -> str:
    """A figure with its 95 % confidence interval, ``63.2 [60.1, 65.0] mV``; the value alone
    (``value_text``) when there is no interval."""
    shown = value_text(value, units)
    if value is None or low is None or high is None or isinstance(value, bool):
        return shown
    number, _, unit = shown.partition(" ")
    bounds = f"[{_in_units_of(low, shown, units)}, {_in_units_of(high, shown, units)}]"
    return f"{number} {bounds}" + (f" {unit}" if unit else "")


def error_text(value, error, units: str = "") -> str:
    """A fitted parameter with its standard error (two digits), ``26.9 ± 7.9 ms``."""
    shown = value_text(value, units)
    if value is None or error is None:
        return shown
    number, _, unit = shown.partition(" ")
    return f"{number} ± {_in_units_of(error, shown, units, 2)}" + (f" {unit}" if unit else "")


def _label(model: type[BaseModel], name: str) -> str:
    """A field's name in words, without the unit it ends in (``tau1_ms`` -> ``tau1``)."""
    if name in NAMES:
        return NAMES[name]
    extra = field_extra(model, name)
    units, key_units = str(extra.get("units", "")), str(extra.get("key_units", ""))
    for suffix in (f"_by_{key_units}" if key_units else None, f"_{units}" if units else None):
        if suffix and name.endswith(suffix):
            name = name[: -len(suffix)]
    return name.replace("_", " ")


def _spread_row(label: str, spread: Spread, units: str, notes: list[str], value=None) -> Row:
    """The median (or ``value`` when the result states the figure itself) with its 95 %
    confidence interval, its 5-95 % spread and n; the reason where the value would be when
    there is none. The interval is that of the median: it is shown with ``value`` only where
    ``value`` is the median."""
    shown = spread.median if value is None else value
    span = ""
    if spread.p5 is not None and spread.p95 is not None:
        low, high = value_text(spread.p5, units), value_text(spread.p95, units)
        if " " in low and low.rpartition(" ")[2] == high.rpartition(" ")[2]:
            low = low.rpartition(" ")[0]  # 54.9 .. 69.3 mV: the unit once
        span = f"{low} .. {high}"
    notes = notes + _detail(spread, exclude=set(Spread.model_fields))
    is_median = shown is not None and spread.median is not None and shown == spread.median
    text = (
        interval_text(shown, spread.ci_low, spread.ci_high, units)
        if is_median
        else value_text(shown, units)
    )
    if shown is None and spread.reason:
        text = spread.reason
    elif spread.reason:
        notes.append(spread.reason)
    return Row(label, text, span, str(spread.n), "; ".join(notes))


def _detail(model: BaseModel, exclude: Collection[str] = frozenset()) -> list[str]:
    """A model's scalar fields as ``name value unit`` (a fit's parameters with their
    standard errors, ``value ± error``; a figure with its confidence interval, ``value [low,
    high]``; a spread's counts); set flags in their own words."""
    fields = type(model).model_fields
    beside = {  # what is shown with the field it belongs to
        name + end for name in fields for end in (SE_SUFFIX, *CI_SUFFIXES) if name + end in fields
    }
    parts = []
    for name in fields:
        if name in exclude or name in beside:
            continue
        value, extra = getattr(model, name), field_extra(type(model), name)
        units = str(extra.get("units", ""))
        if isinstance(value, bool):
            if value and extra.get("words"):
                parts.append(str(extra["words"]))
            elif not extra.get("words"):
                parts.append(f"{_label(type(model), name)}: {value_text(value)}")
        elif isinstance(value, (int, float)):
            low, high, error = (
                getattr(model, name + end) if name + end in beside else None
                for end in (*CI_SUFFIXES, SE_SUFFIX)
            )
            text = (
                interval_text(value, low, high, units)
                if low is not None
                else error_text(value, error, units)
            )
            parts.append(f"{_label(type(model), name)} = {text}")
        elif isinstance(value, str):
            parts.append(value)
    return parts


def _list_text(values: list, units: str) -> str:
    shown = ", ".join(value_text(v, units) for v in values[:LIST_SHOWN])
    return shown + (f", ... ({len(values)} values)" if len(values) > LIST_SHOWN else "")


def _table_rows(label: str, model: BaseModel) -> list[Row] | None:
    """A model of equal-length lists is a curve: the first list is x, the others y; one
    row per point (``PPF index at 1 ms``). None if ``model`` is not one."""
    cls = type(model)
    lists = [
        n
        for n in cls.model_fields
        if isinstance(getattr(model, n), list)
        and all(isinstance(v, (int, float)) or v is None for v in getattr(model, n))
    ]
    if len(lists) < 2 or len({len(getattr(model, n)) for n in lists}) != 1:
        return None
    columns = {name: getattr(model, name) for name in lists}
    x, ys = lists[0], [n for n in lists[1:] if not n.endswith(CI_SUFFIXES) and n != "n"]
    x_units = str(field_extra(cls, x).get("units", ""))
    counted = [y for y in ys if y + CI_SUFFIXES[0] in columns] or ys  # what ``n`` counts
    rows = []
    for k, x_value in enumerate(columns[x]):
        for y in ys:
            low, high = (columns[y + end][k] if y + end in columns else None for end in CI_SUFFIXES)
            rows.append(
                Row(
                    f"{label} {_label(cls, y)} at {value_text(x_value, x_units)}",
                    interval_text(
                        columns[y][k], low, high, str(field_extra(cls, y).get("units", ""))
                    ),
                    n=str(columns["n"][k]) if "n" in columns and y in counted else "",
                )
            )
    others = _detail(model, exclude=set(lists))
    rest = [
        n for n in cls.model_fields if n not in lists and isinstance(getattr(model, n), BaseModel)
    ]
    for name in rest:
        rows += _rows(f"{label} {_label(cls, name)}".strip(), getattr(model, name), "", None, [])
    if others:
        rows.append(Row(label or "curve", "", note="; ".join(others)))
    return rows


def _rows(
    label: str, value, units: str, spread: Spread | None, notes: list[str], key_units: str = ""
) -> list[Row]:
    if isinstance(value, Spread):
        return [_spread_row(label, value, units, notes)]
    if spread is not None and not isinstance(value, (BaseModel, dict, list)):
        return [_spread_row(label, spread, units, notes, value)]
    if isinstance(value, BaseModel):
        table = _table_rows(label, value)
        if table is not None:
            return table
        nested = [
            n
            for n in type(value).model_fields
            if isinstance(getattr(value, n), (BaseModel, dict, list))
        ]
        if not nested:  # a fit or a small record: one row
            return [Row(label, "", note="; ".join(_detail(value)))]
        rows = []
        for name in type(value).model_fields:
            extra = field_extra(type(value), name)
            rows += _rows(
                f"{label} {_label(type(value), name)}".strip(),
                getattr(value, name),
                str(extra.get("units", "")),
                None,
                [],
                str(extra.get("key_units", "")),
            )
        return rows
    if isinstance(value, dict):
        rows = []
        for key, item in value.items():
            try:
                where = value_text(float(key), key_units) if key_units else str(key)
            except ValueError:
                where = str(key)
            rows += _rows(f"{label} at {where}", item, units, None, [])
        return rows
    if isinstance(value, list):
        if value and all(isinstance(v, BaseModel) for v in value):
            return [
                Row(f"{label} {k + 1}", "", note="; ".join(_detail(v))) for k, v in enumerate(value)
            ]
        return [Row(label, _list_text(value, units))]
    return [Row(label, value_text(value, units), note="; ".join(notes))]


def result_rows(result: ProtocolResult) -> list[Row]:
    """Every figure of ``result``: the Table 1 columns first, then the protocol's own; the
    spreads in ``stats`` beside the figure they belong to."""
    cls = type(result)
    notes: dict[str, list[str]] = {}
    for name, flagged in result.flags().items():
        if flagged:
            extra = field_extra(cls, name)
            notes.setdefault(str(extra["qualifies"]), []).append(str(extra["words"]))
    stats = getattr(result, "stats", None)
    spreads = (
        {n: getattr(stats, n) for n in type(stats).model_fields}
        if isinstance(stats, BaseModel)
        else {}
    )
    order = [n for n in TABLE1 if n in cls.model_fields]
    order += [
        n for n in cls.model_fields if n not in order and n != "stats" and n not in result.flags()
    ]
    rows = []
    for name in order:
        extra = field_extra(cls, name)
        spread = spreads.get(name)
        rows += _rows(
            _label(cls, name),
            getattr(result, name),
            str(extra.get("units", "")),
            spread if isinstance(spread, Spread) else None,
            notes.get(name, []),
            str(extra.get("key_units", "")),
        )
    for name, value in spreads.items():
        if name in cls.model_fields or not isinstance(stats, BaseModel):
            continue
        extra = field_extra(type(stats), name)
        rows += _rows(
            _label(type(stats), name),
            value,
            str(extra.get("units", "")),
            None,
            [],
            str(extra.get("key_units", "")),
        )
    return rows
