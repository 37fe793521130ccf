"""The simulated device library: a device is defined by its published (Table 1) figures.

A device file (``bmrlab/config_files/devices/<preset>.yaml`` or any file a user writes) holds the name,
the reference, whether the device is volatile, its figures with the conditions they were
measured under, and optionally model parameters. The simulator calibrates the remaining
parameters from the figures (``calibration.py``). Analysis never reads these files; only the
simulator and the choice of test conditions do.
"""

from pathlib import Path

from pydantic import Field, ValidationError

from .. import standard
from ..config import Strict
from ..errors import BadInput
from ..paths import DEVICE_LIBRARY
from ..validation import Amps, load_yaml, problems_of
from .calibration import calibrate_cached
from .model import BmrDevice, ModelParams
from .reference import ReferencePreset, is_reference

# stand-ins for the parameters calibration fills, to validate the explicit ones alone
_PLACEHOLDERS = {"G_off": 1e-11, "G_on": 1e-5, "tau0": 1e-2, "V0": 0.1, "tau_x": 1e-2,
                 "k_d0": 0.1, "w_max": 1e-2}


class Figures(Strict):
    """Table 1 columns. Condition keys say how the figure was measured."""

    vset_mV: float | None = Field(None, gt=0)
    vreset_mV: float | None = Field(None, gt=0)
    on_off_ratio: float | None = Field(None, gt=1)
    endurance_cycles: float | None = Field(None, gt=0)
    delay_ms: float | None = Field(None, gt=0)
    delay_at_mV: float | None = Field(None, gt=0)
    retention_ms: float | None = Field(None, gt=0)
    retention_pulse_mV: float | None = Field(None, gt=0)
    retention_pulse_ms: float | None = Field(None, gt=0)


class DeviceFile(Strict):
    name: str
    reference: str = ""
    volatile: bool = True
    compliance: Amps = Field(standard.COMPLIANCE_A, gt=0, description="standard current limit")
    sweep_rate: float = Field(standard.SWEEP_STEP_V / standard.SWEEP_DWELL_S, gt=0,
                              description="I-V sweep rate (V/s) the figures were measured at")
    figures: Figures = Figures()
    model: dict = Field(default_factory=dict, description="explicit model parameters")

    def conditions(self) -> dict:
        """Test conditions of the figures (given, or the standard ones). Not results."""
        f = self.figures
        pulse_v, pulse_s = standard.RETENTION_PULSE
        return {
            "volatile": self.volatile,
            "compliance": self.compliance,
            "sweep_dwell_s": standard.SWEEP_STEP_V / self.sweep_rate,
            "delay_at_mV": f.delay_at_mV or standard.DELAY_AT_V * 1e3,
            "retention_pulse_mV": f.retention_pulse_mV or pulse_v * 1e3,
            "retention_pulse_ms": f.retention_pulse_ms or pulse_s * 1e3,
            "retention_expected_ms": f.retention_ms or 30.0,
            "sweep_v_max": standard.SWEEP_V_MAX,
        }


class DevicePreset:
    """A loaded device file with its model parameters."""

    def __init__(self, key: str, spec: DeviceFile, params: ModelParams):
        self.key = key
        self.spec = spec
        self.params = params

    def conditions(self) -> dict:
        return self.spec.conditions()

    def build(self, seed: int, name: str) -> BmrDevice:
        return BmrDevice(self.params, seed=seed, name=name)


def preset_names() -> list[str]:
    return sorted(p.stem for p in DEVICE_LIBRARY.glob("*.yaml"))


def resolve_device(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        return path
    candidate = DEVICE_LIBRARY / f"{name_or_path}.yaml"
    if not candidate.exists():
        raise BadInput(f"--device {name_or_path}: not a preset of the device library "
                       f"(presets: {', '.join(preset_names())}), a reference part (open, "
                       "resistor:<value>) nor a .yaml device file")
    return candidate


def load_device(name_or_path: str) -> DevicePreset | ReferencePreset:
    """A library preset or device file; or a reference part for the station check
    (``open``, ``resistor:<value>``, see reference.py)."""
    if is_reference(name_or_path):
        return ReferencePreset(name_or_path)
    path = resolve_device(name_or_path)
    spec = load_yaml(path, DeviceFile, "device file")
    try:
        ModelParams.model_validate({**_PLACEHOLDERS, **spec.model})
    except ValidationError as error:
        raise BadInput(*problems_of(error, prefix=f"{path}: model.")) from None
    try:
        params = calibrate_cached(spec.volatile, spec.figures.model_dump(), spec.model,
                                  spec.conditions())
    except BadInput as error:
        raise BadInput(*(f"{path}: {p}" for p in error.problems)) from None
    return DevicePreset(path.stem, spec, params)
