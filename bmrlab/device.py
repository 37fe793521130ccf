"""The device file: what is known about a device before it is measured, on any station.

A device file (``bmrlab/config_files/devices/<preset>.yaml`` or any file a user writes) holds

- ``name``, ``reference`` and ``volatile`` (which decides unipolar or bipolar cycling);
- ``conditions``: how to measure it, the conditions its published figures were measured
  under (compliance, sweep rate, the delay amplitude, the retention pulse); the standard ones
  where not given. The protocols take their defaults from them;
- ``published``: the paper's Table 1 figures, to compare the measured ones against. They
  never become measured figures and no protocol reads them;
- ``model``: the simulator's explicit model parameters (ignored on a hardware station).

Runs store the test conditions and, separately, the published figures.
"""

from pathlib import Path

from pydantic import Field, model_validator

from . import standard
from .config import Strict
from .errors import BadInput
from .paths import DEVICE_LIBRARY, shipped_names
from .validation import Amps, load_yaml

RETENTION_PULSE_V, RETENTION_PULSE_S = standard.RETENTION_PULSE


class Conditions(Strict):
    """How the device is measured (test conditions, not results)."""

    compliance: Amps = Field(standard.COMPLIANCE_A, gt=0, description="current limit")
    sweep_rate: float = Field(
        standard.SWEEP_STEP_V / standard.SWEEP_DWELL_S, gt=0, description="I-V sweep rate (V/s)"
    )
    delay_at_mV: float = Field(
        standard.DELAY_AT_V * 1e3, gt=0, description="amplitude of the delay figure"
    )
    retention_pulse_mV: float = Field(
        RETENTION_PULSE_V * 1e3, gt=0, description="amplitude of the retention pulse"
    )
    retention_pulse_ms: float = Field(
        RETENTION_PULSE_S * 1e3, gt=0, description="width of the retention pulse"
    )


class Published(Strict):
    """The published (Table 1) figures, measured under the file's conditions."""

    vset_mV: float | None = Field(None, gt=0)
    vreset_mV: float | None = Field(None, gt=0)
    on_off_ratio: float | None = Field(None, gt=1)
    endurance_cycles: float | None = Field(None, gt=0)
    delay_ms: float | None = Field(None, gt=0, description="at conditions.delay_at_mV")
    retention_ms: float | None = Field(None, gt=0, description="after conditions' pulse")


class DeviceFile(Strict):
    name: str
    reference: str = ""
    volatile: bool = True
    conditions: Conditions = Conditions()
    published: Published = Published()
    model: dict = Field(
        default_factory=dict, description="the simulator's explicit model parameters"
    )

    @model_validator(mode="before")
    @classmethod
    def _earlier_layout(cls, data):
        """A file in the layout before conditions and published figures were apart."""
        moved = [
            key
            for key in ("figures", "compliance", "sweep_rate")
            if isinstance(data, dict) and key in data
        ]
        if moved:
            raise ValueError(
                f"{', '.join(moved)}: no longer top-level keys: the figures go "
                "under published:, compliance, sweep_rate, delay_at_mV and "
                "retention_pulse_mV/_ms under conditions:"
            )
        return data

    def test_conditions(self) -> dict:
        """The conditions as the protocols and the runs take them."""
        c = self.conditions
        return {
            "volatile": self.volatile,
            "compliance": c.compliance,
            "sweep_dwell_s": standard.SWEEP_STEP_V / c.sweep_rate,
            "delay_at_mV": c.delay_at_mV,
            "retention_pulse_mV": c.retention_pulse_mV,
            "retention_pulse_ms": c.retention_pulse_ms,
            "sweep_v_max": standard.SWEEP_V_MAX,
        }

    def published_figures(self) -> dict:
        """The published figures the file gives (none invented)."""
        return self.published.model_dump(exclude_none=True)


def preset_names() -> list[str]:
    return shipped_names(DEVICE_LIBRARY)


def resolve_device(name_or_path: str, option: str = "--device-file", others: str = "") -> Path:
    """The file of a library preset or a .yaml path; ``others``: what else ``option``
    accepts, for the message."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        return path
    candidate = DEVICE_LIBRARY / f"{name_or_path}.yaml"
    if not candidate.exists():
        raise BadInput(
            f"{option} {name_or_path}: not a preset of the device library "
            f"(presets: {', '.join(preset_names())}), {others}nor a .yaml "
            "device file"
        )
    return candidate


def load_device_file(name_or_path: str, option: str = "--device-file") -> DeviceFile:
    """A library preset or device file, validated (every problem by its YAML path)."""
    return load_yaml(resolve_device(name_or_path, option), DeviceFile, "device file")
