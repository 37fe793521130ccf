"""What the commands print about results: one run's figures (``run``, ``analyze``), the
differences between a recomputed result and the stored one, a recipe's outcome table, and
the number format they share. Figures are read as attributes of the protocol's typed result
(bmrlab.results), so nothing here knows a protocol's layout."""

import json
from typing import Any

from ..results import ProtocolResult, ResultModel, Spread
from ..standard import TABLE1

LONG_LIST = 6  # a differing list longer than this is shown by its length


def result_json(result: ProtocolResult | None) -> dict:
    """A result as ``--json`` prints it: ``figures`` (its Table 1 columns), its flags
    (``on_off_lower_bound`` ...) beside them, ``stats`` (per-figure spreads) and ``results``
    (everything else: fits, PPF indices, spike counts ...)."""
    if result is None:
        return {"figures": {}, "stats": {}, "results": {}}
    dumped = result.model_dump(mode="json")
    figures = {key: dumped.pop(key) for key in result.table1()}
    flags = {key: dumped.pop(key) for key in result.flags() if key in dumped}
    stats = dumped.pop("stats", {})
    return {"figures": figures, **flags, "stats": stats, "results": dumped}


def figure_lines(result: ProtocolResult) -> list[str]:
    """The figures as lines: Table 1 columns with their spread, the flags that are set
    (with what they mean), then the rest of the result."""
    lines = []
    stats = getattr(result, "stats", None)
    table1 = result.table1()
    for key, value in table1.items():
        spread = getattr(stats, key, None)
        line = f"  {key:<13} {format_value(value)}"
        if isinstance(spread, Spread) and spread.n:
            line += (f"   (5-95 %: {format_value(spread.p5)} .. {format_value(spread.p95)}, "
                     f"n = {spread.n})")
        elif value is None and isinstance(spread, Spread) and spread.reason:
            line = f"  {key:<13} {spread.reason}"
        lines.append(line)
    fields = type(result).model_fields
    for key, value in result.flags().items():
        if value and key not in table1:
            lines.append(f"  {key:<13} {fields[key].description}")
    for key, value in result:
        if key not in table1 and key != "stats" and not isinstance(value, bool):
            lines.append(f"  {key:<13} {describe(value)}")
    return lines


def describe(value) -> str:
    """A value beyond Table 1 on one line: a nested result as its named fields."""
    if isinstance(value, ResultModel):
        return ", ".join(f"{key} {describe_leaf(item)}" for key, item in value)
    return describe_leaf(value)


def describe_leaf(value) -> str:
    if isinstance(value, ResultModel):
        value = value.model_dump(mode="json")
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str)
    return format_value(value)


def run_report(outcome, device: str, as_json: bool) -> None:
    """A finished (or failed) ``runner.run``: status, where it is stored, its figures."""
    if as_json:
        print(json.dumps({"device": device, "protocol": outcome.protocol,
                          "status": outcome.status, "reason": outcome.reason,
                          "file": str(outcome.path), "run": outcome.run,
                          **result_json(outcome.result),
                          "files": [str(p) for p in outcome.figure_files]}, default=str))
        return
    print(f"{outcome.protocol} on {device}: {outcome.status}"
          + (f" ({outcome.reason})" if outcome.reason else ""))
    print(f"  run      {outcome.run}")
    print(f"  file     {outcome.path}")
    if outcome.result is not None:
        for line in figure_lines(outcome.result):
            print(line)
    for path in outcome.figure_files:
        print(f"  figure   {path}")


MISSING = object()


def differences(now: dict, stored: dict, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted path, now, stored) for every leaf where two JSON results differ; a value one
    side lacks is ``MISSING``."""
    found = []
    for key in dict.fromkeys([*now, *stored]):
        new, old = now.get(key, MISSING), stored.get(key, MISSING)
        if isinstance(new, dict) and isinstance(old, dict):
            found += differences(new, old, f"{prefix}{key}.")
        elif new != old:
            found.append((prefix + key, new, old))
    return found


def format_difference(value) -> str:
    if value is MISSING:
        return "(none)"
    if isinstance(value, list) and len(value) > LONG_LIST:
        return f"[{len(value)} values]"
    return describe_leaf(value)


def recipe_report(recipe, out, outcomes, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"recipe": recipe.name, "file": str(out), "runs": [
            {"device": o.planned.device.id, "protocol": o.planned.protocol,
             "step": o.planned.key, "status": o.status, "reason": o.reason, "run": o.run,
             "figures": table1(o.figures)}
            for o in outcomes]}, default=str))
        return
    print(f"{recipe.name}: {len(outcomes)} runs into {out}")
    print(f"  {'device':<8} {'protocol':<13} {'status':<9} figures")
    for o in outcomes:
        shown = ", ".join(f"{k} {format_value(v)}" for k, v in table1(o.figures).items()
                          if v is not None)
        note = o.reason if o.status not in ("finished", "resumed") else shown
        print(f"  {o.planned.device.id:<8} {o.planned.protocol:<13} {o.status:<9} {note}")


def table1(figures: dict) -> dict:
    """The Table 1 columns among stored figures (JSON), in Table 1's order."""
    return {k: figures[k] for k in TABLE1 if k in figures}


def format_value(value) -> str:
    if value is None:
        return "not found"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) >= 1e4 or abs(value) < 1e-2 else f"{value:.1f}"
    return str(value)
