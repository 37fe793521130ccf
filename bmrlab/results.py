"""Typed results: what a protocol's analysis returns, with units, as one pydantic model.

Every protocol declares its result model beside its analysis (``Result`` on the procedure).
The runner stores ``result.model_dump(mode="json")`` as the run's ``figures``; characterize,
the CLI, the window and the plots read attributes, so a renamed figure fails where it is
read by a type checker and at once in the tests, not deep inside a report. ``bmrlab schema``
publishes the JSON schema of every result, versioned by ``RESULT_SCHEMA_VERSION``.
"""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from .standard import TABLE1

# Bump when a stored field changes meaning, name or type (docs/results.md keeps the history).
RESULT_SCHEMA_VERSION = 2


def figure(units: str, description: str, default: Any = None) -> Any:
    """A result field with its units (in the JSON schema as ``units``) and meaning."""
    return Field(default, description=description, json_schema_extra={"units": units})


def flag(qualifies: str, words: str) -> Any:
    """A yes/no qualifier of the figure ``qualifies``, shown beside it in ``words`` when set
    (a lower bound, a censored value)."""
    return Field(
        False,
        description=words,
        json_schema_extra={"units": "", "qualifies": qualifies, "words": words},
    )


def field_extra(model: type[BaseModel], name: str) -> dict[str, Any]:
    """What ``figure`` and ``flag`` record on a field beyond its type: units, ``qualifies``
    and ``words``, ``key_units`` ({} for a field that has none)."""
    extra = model.model_fields[name].json_schema_extra
    return extra if isinstance(extra, dict) else {}


class ResultModel(BaseModel):
    """Strict: an unknown field is an error, so the analysis and its model cannot drift."""

    model_config = ConfigDict(extra="forbid")


class Spread(ResultModel):
    """A figure over cycles, pulses or traces: median, its 95 % confidence interval
    (bootstrap, ``ci_low`` .. ``ci_high``), the 5-95 % spread of the values, count and the
    values; ``reason`` says why there is no median."""

    median: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p5: float | None = None
    p95: float | None = None
    n: int = 0
    values: list[float] = []
    reason: str | None = None


class ProtocolResult(ResultModel):
    """Base of every protocol's result. Table 1 columns keep their Table 1 names."""

    protocol: ClassVar[str] = ""

    def table1(self) -> dict[str, Any]:
        """The Table 1 columns this result holds (``vset_mV``, ``delay_ms``, ...)."""
        return {key: getattr(self, key) for key in TABLE1 if key in type(self).model_fields}

    def flags(self) -> dict[str, bool]:
        """The qualifiers (``flag`` fields) and whether each is set."""
        return {
            name: getattr(self, name)
            for name in type(self).model_fields
            if field_extra(type(self), name).get("qualifies")
        }
