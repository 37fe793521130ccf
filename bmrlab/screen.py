"""The quick screen of a recipe: a few short runs on each device, and the pass criteria
that decide whether the device gets the rest of the recipe (its full characterization).

A device passes when every criterion holds on the figures its screen runs measured (a
figure that was not measured fails it: the device did not do it). The verdict is stored
with the device, as attributes of its HDF5 group ``/<sample>/<device>``: ``screen``
(``pass`` or ``fail``) and ``screen_reason`` (which criteria failed, with the measured
values), so the per-device table reads it from the file alone.
"""

import json
import math

import h5py
from pydantic import Field

from .array_report.criteria import DEFAULT_CRITERIA, Criterion
from .config import Strict
from .procedures import get_protocol

# the field's yield criteria that a quick I-V screen measures (docs/arrays.md "Yield
# criteria"): a set below 120 mV and an On/Off above 10
SCREEN_CRITERIA = [c for c in DEFAULT_CRITERIA if c.figure in ("vset_mV", "on_off_ratio")]


class ScreenCriteria(Strict):
    """``pass_if``: the criteria (as in a criteria file: figure, below or above);
    ``skip_die_after``: once this many devices of a die failed, its remaining devices are
    skipped (not screened)."""

    pass_if: list[Criterion] = Field(default_factory=lambda: list(SCREEN_CRITERIA), min_length=1)
    skip_die_after: int | None = Field(None, ge=1)

    def unknown_figures(self, protocols: list[str]) -> list[str]:
        """Criteria naming a figure none of the screen's protocols measures."""
        known = {name for p in protocols for name in get_protocol(p).Result.model_fields}
        return [
            f"screen.pass_if[{k}]: {c.figure} is not a figure of the screen's protocols "
            f"({', '.join(protocols)}: {', '.join(sorted(known))})"
            for k, c in enumerate(self.pass_if)
            if c.figure not in known
        ]

    def verdict(self, figures: dict) -> str:
        """'' when the figures pass every criterion, else why not."""
        failures = []
        for criterion in self.pass_if:
            value = figures.get(criterion.figure)
            failures.append(criterion.failure(math.nan if value is None else value, ""))
        return "; ".join(f for f in failures if f)

    def as_json(self) -> str:
        """The criteria as stored with each verdict."""
        return json.dumps([c.model_dump(exclude_defaults=True) for c in self.pass_if])


def record_verdict(out, device_group: str, why_not: str, criteria: ScreenCriteria) -> None:
    """Store a device's screen verdict on its group (``device_group``: /<sample>/<device>)."""
    with h5py.File(out, "a") as handle:
        attrs = handle[device_group].attrs
        attrs["screen"] = "fail" if why_not else "pass"
        attrs["screen_reason"] = why_not
        attrs["screen_criteria"] = criteria.as_json()


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
