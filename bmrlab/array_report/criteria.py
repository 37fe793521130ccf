"""The screen: which devices pass, by criterion, and the yield of each criterion.

A criterion bounds one figure of the per-device table (at most, at least, or only that it
was measured). A device is tested for a criterion when one of its runs could state the
figure (its protocol ran); it passes when the figure is there and within the bounds; a
tested device without the figure fails (it did not set, no pulse switched), with the run's
own reason. A device passes the screen when it passes every criterion it was tested for
(at least one). The defaults are the field's; docs/arrays.md gives the reason for each.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import Field, model_validator
from scipy import stats

from ..config import Strict
from ..errors import BadInput
from ..procedures import PROTOCOLS
from ..result_rows import value_text
from ..validation import load_yaml
from .table import column, protocol_figures, tested

CONFIDENCE = 0.95


class Criterion(Strict):
    """One figure within bounds (inclusive); neither bound: the figure was measured."""

    name: str = Field(pattern=r"^[A-Za-z0-9_]+$", description="short key, e.g. set_below_120mV")
    figure: str = Field(description="a figure of the per-device table, e.g. vset_mV")
    at_most: float | None = None
    at_least: float | None = None
    why: str = Field("", description="the reason for the bound, in words")

    def rule(self, units: str = "") -> str:
        """The bound in words: ``vset_mV <= 120 mV``."""
        parts = []
        if self.at_least is not None:
            parts.append(f">= {value_text(self.at_least, units)}")
        if self.at_most is not None:
            parts.append(f"<= {value_text(self.at_most, units)}")
        return f"{self.figure} " + (" and ".join(parts) if parts else "measured")

    def failure(self, value: float, note: str, units: str = "") -> str:
        """Why ``value`` fails ('' if it passes): the value against the bound, or why the
        figure is missing."""
        if not np.isfinite(value):
            return f"{self.figure} not measured" + (f": {note}" if note else "")
        shown = value_text(float(value), units)
        if self.at_most is not None and value > self.at_most:
            return f"{self.figure} {shown} > {value_text(self.at_most, units)}"
        if self.at_least is not None and value < self.at_least:
            return f"{self.figure} {shown} < {value_text(self.at_least, units)}"
        return ""


class Criteria(Strict):
    """A criteria file: ``criteria: [{name, figure, at_most|at_least, why}, ...]``."""

    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self):
        names = [c.name for c in self.criteria]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"criterion names must be unique (repeated: {', '.join(repeated)})")
        return self


DEFAULT_CRITERIA = (
    Criterion(
        name="set_below_120mV",
        figure="vset_mV",
        at_most=120,
        why="a bio-voltage memristor sets at no more than 120 mV, the amplitude of a "
        "neuron's action potential",
    ),
    Criterion(
        name="on_off_above_10",
        figure="on_off_ratio",
        at_least=10,
        why="a read tells the two states apart: the window endurance counts cycles in",
    ),
    Criterion(
        name="sets_within_timeout",
        figure="delay_ms",
        why="the device sets under a pulse at the delay amplitude within the time-out, "
        "not only in a slow sweep",
    ),
)


def load_criteria(path) -> list[Criterion]:
    """The criteria of a YAML file (BadInput naming every problem by its path)."""
    return list(load_yaml(path, Criteria, "criteria file").criteria)


def known_figures() -> set[str]:
    return {name for protocol in PROTOCOLS for name in protocol_figures(protocol)}


def check_criteria(criteria: Sequence[Criterion], table: pd.DataFrame) -> None:
    """Refuse a criterion on a figure that neither the table nor any protocol has."""
    figures = set(table.attrs["figures"])
    problems = [
        f"criterion {c.name}: figure {c.figure!r} is not a figure of these runs nor of any "
        f"protocol (figures here: {', '.join(table.attrs['figures']) or 'none'})"
        for c in criteria
        if c.figure not in figures | known_figures()
    ]
    if problems:
        raise BadInput(*problems)


def pass_column(criterion: Criterion) -> str:
    return f"pass_{criterion.name}"


def screen(table: pd.DataFrame, criteria: Sequence[Criterion] = DEFAULT_CRITERIA) -> pd.DataFrame:
    """``table`` with ``pass_<name>`` per criterion (True, False, or empty: not tested),
    ``screen`` (pass, fail, not screened) and ``screen_why`` (every failure, in words)."""
    check_criteria(criteria, table)
    units = table.attrs["figures"]
    out = table.copy()
    whys: list[list[str]] = [[] for _ in range(len(out))]
    passes = []
    for c in criteria:
        if c.figure in units:
            was_tested = tested(out, c.figure).to_numpy()
            values = out[c.figure].to_numpy(dtype=float)
            notes = out[column(c.figure, "note")].to_numpy()
        else:
            was_tested = np.zeros(len(out), bool)
            values, notes = np.full(len(out), np.nan), np.full(len(out), "")
        result = pd.array([pd.NA] * len(out), dtype="boolean")
        for k in np.flatnonzero(was_tested):
            failure = c.failure(values[k], str(notes[k]), units.get(c.figure, ""))
            result[k] = not failure
            if failure:
                whys[k].append(failure)
        out[pass_column(c)] = result
        passes.append(pass_column(c))
    judged = out[passes].notna().any(axis=1)
    failed = out[passes].eq(False).any(axis=1)
    out["screen"] = np.where(~judged, "not screened", np.where(failed, "fail", "pass"))
    out["screen_why"] = ["; ".join(why) for why in whys]
    return out


def wilson(passed: int, tested: int) -> tuple[float, float]:
    """The 95 % (Wilson score) interval of a yield, in %; (nan, nan) when nothing was
    tested."""
    if tested == 0:
        return float("nan"), float("nan")
    interval = stats.binomtest(passed, tested).proportion_ci(CONFIDENCE, method="wilson")
    return 100 * interval.low, 100 * interval.high


def yield_table(screened: pd.DataFrame, criteria: Sequence[Criterion]) -> pd.DataFrame:
    """One row per criterion and one for the whole screen: devices tested and passed, the
    yield (%) with its 95 % interval, the rule and its reason."""
    units = screened.attrs["figures"]
    rows = []
    for c in criteria:
        outcome = screened[pass_column(c)]
        rows.append((c.name, c.rule(units.get(c.figure, "")), c.why, outcome))
    overall = screened["screen"].map({"pass": True, "fail": False, "not screened": pd.NA})
    rows.append(("all", "every criterion a device was tested for", "", overall))
    table = []
    for name, rule, why, outcome in rows:
        n_tested, n_passed = int(outcome.notna().sum()), int(outcome.eq(True).sum())
        low, high = wilson(n_passed, n_tested)
        table.append(
            {
                "criterion": name,
                "rule": rule,
                "tested": n_tested,
                "passed": n_passed,
                "yield_percent": 100 * n_passed / n_tested if n_tested else float("nan"),
                "ci_low_percent": low,
                "ci_high_percent": high,
                "why": why,
            }
        )
    return pd.DataFrame(table)
