"""What the commands print about results: one run's figures (``run``, ``analyze``), the
differences between a recomputed result and the stored one, a recipe's outcome table, and
the number format they share. A result is shown from its typed model alone (its fields,
units and flags), so nothing here knows a protocol's layout."""

import json
from typing import Any

from ..result_rows import result_rows
from ..results import ProtocolResult
from ..standard import TABLE1

LONG_LIST = 6  # a differing list longer than this is shown by its length


def result_json(result: ProtocolResult | None) -> dict:
    """A result as ``--json`` prints it: ``figures`` (its Table 1 columns), its flags
    (``on_off_lower_bound`` ...) beside them, and ``results``: the whole typed result (every
    figure, spread, confidence interval and fit with its standard errors, as stored in the
    run's ``figures`` attr and described by ``bmrlab schema``)."""
    if result is None:
        return {"figures": {}, "results": {}}
    dumped = result.model_dump(mode="json")
    figures = {key: dumped[key] for key in result.table1()}
    flags = {key: dumped[key] for key in result.flags() if key in dumped}
    return {"figures": figures, **flags, "results": dumped}


INTERVAL_LEGEND = (
    "  [low, high]: 95 % confidence interval of the median; ±: standard error of a fit"
)


def figure_lines(result: ProtocolResult) -> list[str]:
    """The figures in words (bmrlab.result_rows, as the window shows them): value with its
    95 % confidence interval, 5-95 % spread and n, notes (a lower bound, a censored value,
    why a figure is missing); a last line says what the brackets mean where there are any."""
    rows = result_rows(result)
    width = max((len(row.figure) for row in rows), default=0)
    lines = []
    for row in rows:
        line = f"  {row.figure:<{width}}  {row.value}"
        beside = ([f"5-95 %: {row.spread}"] if row.spread else []) + (
            [f"n = {row.n}"] if row.n else []
        )
        if beside:
            line += f"   ({', '.join(beside)})"
        if row.note:
            line += f"   [{row.note}]" if row.value else row.note
        lines.append(line)
    if any("[" in row.value or "[" in row.note or "±" in row.note for row in rows):
        lines.append(INTERVAL_LEGEND)
    return lines


def run_report(outcome, device: str, as_json: bool) -> None:
    """A finished (or failed) ``runner.run``: status, where it is stored, its figures."""
    if as_json:
        print(
            json.dumps(
                {
                    "device": device,
                    "protocol": outcome.protocol,
                    "status": outcome.status,
                    "reason": outcome.reason,
                    "file": str(outcome.path),
                    "run": outcome.run,
                    **result_json(outcome.result),
                    "files": [str(p) for p in outcome.figure_files],
                },
                default=str,
            )
        )
        return
    print(
        f"{outcome.protocol} on {device}: {outcome.status}"
        + (f" ({outcome.reason})" if outcome.reason else "")
    )
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
    """One side of a difference: a JSON value on one line, a long list by its length."""
    if value is MISSING:
        return "(none)"
    if isinstance(value, list) and len(value) > LONG_LIST:
        return f"[{len(value)} values]"
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str)
    return format_value(value)


def recipe_report(recipe, out, outcomes, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "recipe": recipe.name,
                    "file": str(out),
                    "runs": [
                        {
                            "device": o.planned.device.id,
                            "protocol": o.planned.protocol,
                            "step": o.planned.key,
                            "status": o.status,
                            "reason": o.reason,
                            "run": o.run,
                            "figures": table1(o.figures),
                            "results": o.figures,  # the run's whole result, as stored
                        }
                        for o in outcomes
                    ],
                },
                default=str,
            )
        )
        return
    print(f"{recipe.name}: {len(outcomes)} runs into {out}")
    print(f"  {'device':<8} {'protocol':<13} {'status':<9} figures")
    for o in outcomes:
        shown = ", ".join(
            f"{k} {format_value(v)}" for k, v in table1(o.figures).items() if v is not None
        )
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
