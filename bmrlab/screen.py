"""The quick screen of a recipe: a few short runs on each device, and the pass criteria
that decide whether the device gets the rest of the recipe (its full characterization).

A device passes when every criterion holds on the figures its screen runs measured (a
figure that was not measured fails it: the device did not do it). The verdict is stored
with the device, as attributes of its HDF5 group ``/<sample>/<device>``: ``screen``
(``pass`` or ``fail``) and ``screen_reason`` (which criteria failed, with the measured
values), so the per-device table reads it from the file alone.
"""

import json

import h5py
from pydantic import Field, model_validator

from .config import Strict
from .procedures import get_protocol

# the field's usual yield criteria (docs/arrays.md): a low set voltage and a clear On/Off
DEFAULT_CRITERIA = {"vset_mV": {"below": 120.0}, "on_off_ratio": {"above": 10.0}}


class Criterion(Strict):
    below: float | None = None
    above: float | None = None

    @model_validator(mode="after")
    def _bound(self):
        if (self.below is None) == (self.above is None):
            raise ValueError("give exactly one of below, above")
        return self

    def failure(self, name: str, value) -> str:
        """Why ``value`` of figure ``name`` fails this criterion ('' if it holds)."""
        if value is None:
            return f"{name} not measured"
        if self.below is not None and not value < self.below:
            return f"{name} = {value:.4g}, not below {self.below:g}"
        if self.above is not None and not value > self.above:
            return f"{name} = {value:.4g}, not above {self.above:g}"
        return ""


class ScreenCriteria(Strict):
    """``pass_if``: figure -> bound; ``skip_die_after``: once this many devices of a die
    failed, its remaining devices are skipped (not screened)."""

    pass_if: dict[str, Criterion] = Field(
        default_factory=lambda: {k: Criterion(**v) for k, v in DEFAULT_CRITERIA.items()},
        min_length=1,
    )
    skip_die_after: int | None = Field(None, ge=1)

    def unknown_figures(self, protocols: list[str]) -> list[str]:
        """Criteria naming a figure none of the screen's protocols measures."""
        known = {name for p in protocols for name in get_protocol(p).Result.model_fields}
        return [
            f"screen.pass_if.{name}: not a figure of the screen's protocols "
            f"({', '.join(protocols)}: {', '.join(sorted(known))})"
            for name in self.pass_if
            if name not in known
        ]

    def verdict(self, figures: dict) -> str:
        """'' when the figures pass every criterion, else why not."""
        failures = [c.failure(name, figures.get(name)) for name, c in self.pass_if.items()]
        return "; ".join(f for f in failures if f)

    def as_dict(self) -> dict:
        """The criteria as plain data (stored, and given to the wafer report)."""
        return {name: c.model_dump(exclude_none=True) for name, c in self.pass_if.items()}


def record_verdict(out, device_group: str, why_not: str, criteria: dict) -> None:
    """Store a device's screen verdict on its group (``device_group``: /<sample>/<device>)."""
    with h5py.File(out, "a") as handle:
        attrs = handle[device_group].attrs
        attrs["screen"] = "fail" if why_not else "pass"
        attrs["screen_reason"] = why_not
        attrs["screen_criteria"] = json.dumps(criteria)


def stored_verdicts(out, sample: str) -> dict[str, tuple[str, str]]:
    """Device -> (``pass`` or ``fail``, why not) of every screened device of ``sample``."""
    with h5py.File(out, "r") as handle:
        devices = handle[sample].items() if sample in handle else []
        return {
            name: (str(group.attrs["screen"]), str(group.attrs["screen_reason"]))
            for name, group in devices
            if "screen" in group.attrs
        }


def yield_line(verdicts: dict[str, tuple[str, str]]) -> str:
    """``screen: 372 of 400 devices passed (93.0 %)``."""
    passed = sum(verdict == "pass" for verdict, _ in verdicts.values())
    share = f" ({100 * passed / len(verdicts):.1f} %)" if verdicts else ""
    return f"screen: {passed} of {len(verdicts)} devices passed{share}"
