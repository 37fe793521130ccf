"""Yield by criterion: which devices pass each criterion, and the share that do.

A criterion bounds one figure of the per-device table (below, above, or only that it was
measured). A device is tested for a criterion when one of its runs could state the figure
(its protocol ran); it passes when the figure is there and within the bound; a tested device
without the figure fails (it did not set, no pulse switched), with the run's own reason. A
device passes when it passes every criterion it was tested for (at least one). The defaults
are the field's; docs/arrays.md gives the reason for each.
"""

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from ..config import Strict
from ..errors import BadInput
from ..procedures import PROTOCOLS
from ..result_rows import value_text
from ..validation import load_yaml, validate
from .table import column, protocol_figures, tested

CONFIDENCE = 0.95
NOT_JUDGED = "not judged"  # tested for none of the criteria


class Criterion(Strict):
    """One figure below or above a bound (strictly, as a recipe's ``skip_rest_if`` and its
    screen's ``pass_if``); neither bound: only that the figure was measured."""

    figure: str = Field(description="a figure of the per-device table, e.g. vset_mV")
    below: float | None = None
    above: float | None = None
    name: str = Field(
        "",
        pattern=r"^[A-Za-z0-9_.]*$",
        description="short key (default: from the rule, e.g. vset_mV_below_120)",
    )
    why: str = Field("", description="the reason for the bound, in words")

    @model_validator(mode="after")
    def _named(self):
        if not self.name:
            bounds = [f"{word}_{value:g}" for word, value in self._bounds()]
            self.name = "_".join([self.figure, *bounds]) if bounds else f"{self.figure}_measured"
        return self

    def _bounds(self) -> list[tuple[str, float]]:
        return [(w, v) for w, v in (("above", self.above), ("below", self.below)) if v is not None]

    def rule(self, units: str = "") -> str:
        """The bound in words: ``vset_mV below 120 mV``."""
        bounds = [f"{word} {value_text(value, units)}" for word, value in self._bounds()]
        return f"{self.figure} " + (" and ".join(bounds) if bounds else "measured")

    def failure(self, value: float, note: str, units: str = "") -> str:
        """Why ``value`` fails ('' if it passes): the value against the bound, or why the
        figure is missing."""
        if not np.isfinite(value):
            return f"{self.figure} not measured" + (f": {note}" if note else "")
        shown = value_text(float(value), units)
        if self.below is not None and not value < self.below:
            return f"{self.figure} {shown}, not below {value_text(self.below, units)}"
        if self.above is not None and not value > self.above:
            return f"{self.figure} {shown}, not above {value_text(self.above, units)}"
        return ""


class Criteria(Strict):
    """A criteria file: ``criteria: [{figure, below|above, name, why}, ...]``."""

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
        figure="vset_mV",
        below=120,
        why="a bio-voltage memristor sets below 120 mV, the amplitude of a neuron's action "
        "potential",
    ),
    Criterion(
        figure="on_off_ratio",
        above=10,
        why="a read tells the two states apart: the window endurance counts cycles in",
    ),
    Criterion(
        figure="delay_ms",
        why="the device sets under a pulse at the delay amplitude within the time-out, "
        "not only in a slow sweep",
    ),
)

CriteriaGiven = Sequence[Criterion] | Mapping[str, Mapping[str, float]]


def as_criteria(given: CriteriaGiven | None) -> list[Criterion]:
    """Criteria as a list: the defaults for None; a recipe screen's ``pass_if`` mapping
    (``{"vset_mV": {"below": 120}}``) becomes one criterion per figure."""
    if given is None:
        return list(DEFAULT_CRITERIA)
    if isinstance(given, Mapping):
        return [
            validate(Criterion, {"figure": figure, **bounds}, "criteria")
            for figure, bounds in given.items()
        ]
    return list(given)


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


def judge(table: pd.DataFrame, given: CriteriaGiven | None = None) -> pd.DataFrame:
    """``table`` with ``pass_<name>`` per criterion (True, False, or empty: not tested),
    ``passed`` (pass, fail, not judged) and ``failed_because`` (every failure, in words);
    ``given``: the criteria (``as_criteria``; the defaults when None)."""
    criteria = as_criteria(given)
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
    out["passed"] = np.where(~judged, NOT_JUDGED, np.where(failed, "fail", "pass"))
    out["failed_because"] = ["; ".join(why) for why in whys]
    return out


def wilson(passed: int, tested: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of a yield, in % (it stays inside 0-100 % and is not
    empty at 0 or all passed, unlike p +- 1.96 se); (nan, nan) when nothing was tested."""
    if tested == 0:
        return float("nan"), float("nan")
    z = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)
    share = passed / tested
    scale = 1 + z**2 / tested
    centre = (share + z**2 / (2 * tested)) / scale
    half = z * math.sqrt(share * (1 - share) / tested + z**2 / (4 * tested**2)) / scale
    return 100 * max(centre - half, 0.0), 100 * min(centre + half, 1.0)


def yield_table(judged: pd.DataFrame, given: CriteriaGiven | None = None) -> pd.DataFrame:
    """One row per criterion and one for all of them: devices tested and passed, the yield
    (%) with its 95 % interval, the rule and its reason (``judged``: by ``judge`` with the
    same criteria)."""
    units = judged.attrs["figures"]
    rows = []
    for c in as_criteria(given):
        outcome = judged[pass_column(c)]
        rows.append((c.name, c.rule(units.get(c.figure, "")), c.why, outcome))
    overall = judged["passed"].map({"pass": True, "fail": False, NOT_JUDGED: pd.NA})
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
