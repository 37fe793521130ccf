"""The simulated device library: a device is defined by its published (Table 1) figures.

A device file (``config/devices/<preset>.yaml`` or any file a user writes) holds the name,
the reference, whether the device is volatile, its figures with the conditions they were
measured under, and the model parameters that reproduce them. Analysis never reads these
files; only the simulator and the choice of test conditions do.
"""

from pathlib import Path

from pydantic import Field, ValidationError

from ..config import Strict
from ..errors import BadInput
from ..paths import DEVICE_LIBRARY
from ..validation import load_yaml, problems_of
from .model import ModelParams


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
    figures: Figures = Figures()
    model: dict = Field(default_factory=dict, description="explicit model parameters")


class DevicePreset:
    """A loaded device file with its model parameters."""

    def __init__(self, key: str, spec: DeviceFile, params: ModelParams):
        self.key = key
        self.spec = spec
        self.params = params

    def conditions(self) -> dict:
        """Test conditions that go with the published figures (not results)."""
        f = self.spec.figures
        return {"volatile": self.spec.volatile, "delay_at_mV": f.delay_at_mV,
                "retention_pulse_mV": f.retention_pulse_mV,
                "retention_pulse_ms": f.retention_pulse_ms}


def preset_names() -> list[str]:
    return sorted(p.stem for p in DEVICE_LIBRARY.glob("*.yaml"))


def resolve_device(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        return path
    candidate = DEVICE_LIBRARY / f"{name_or_path}.yaml"
    if not candidate.exists():
        raise BadInput(f"--device {name_or_path}: not a preset of the device library "
                       f"(presets: {', '.join(preset_names())}) nor a .yaml device file")
    return candidate


def load_device(name_or_path: str) -> DevicePreset:
    path = resolve_device(name_or_path)
    spec = load_yaml(path, DeviceFile, "device file")
    try:
        params = ModelParams.model_validate(spec.model)
    except ValidationError as error:
        raise BadInput(*problems_of(error, prefix=f"{path}: model.")) from None
    return DevicePreset(path.stem, spec, params)
