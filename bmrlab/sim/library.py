"""The simulated device library: a simulated device is made from its device file.

The file format is :mod:`bmrlab.device` (the same file gives the test conditions on a
hardware station). The simulator takes the explicit ``model:`` parameters from it and
calibrates the others from its published figures under its conditions (``calibration.py``),
so that measuring the simulated device gives the figures back. Analysis never reads these
files.
"""

from pydantic import ValidationError

from ..device import DeviceFile, preset_names, resolve_device
from ..errors import BadInput
from ..validation import load_yaml, problems_of
from .calibration import calibrate_cached
from .model import BmrDevice, ModelParams
from .reference import ReferencePreset, is_reference

__all__ = ["DevicePreset", "load_device", "preset_names"]

# stand-ins for the parameters calibration fills, to validate the explicit ones alone
_PLACEHOLDERS = {
    "G_off": 1e-11,
    "G_on": 1e-5,
    "tau0": 1e-2,
    "V0": 0.1,
    "tau_x": 1e-2,
    "k_d0": 0.1,
    "w_max": 1e-2,
}


class DevicePreset:
    """A loaded device file with its model parameters."""

    def __init__(self, key: str, spec: DeviceFile, params: ModelParams):
        self.key = key
        self.spec = spec
        self.params = params

    def conditions(self) -> dict:
        return self.spec.test_conditions()

    def build(self, seed: int, name: str) -> BmrDevice:
        return BmrDevice(self.params, seed=seed, name=name)


def load_device(name_or_path: str) -> DevicePreset | ReferencePreset:
    """A library preset or device file; or a reference part for the station check
    (``open``, ``resistor:<value>``, see reference.py)."""
    if is_reference(name_or_path):
        return ReferencePreset(name_or_path)
    path = resolve_device(
        name_or_path, "--device", others="a reference part (open, resistor:<value>) "
    )
    spec = load_yaml(path, DeviceFile, "device file")
    try:
        ModelParams.model_validate({**_PLACEHOLDERS, **spec.model})
    except ValidationError as error:
        raise BadInput(*problems_of(error, prefix=f"{path}: model.")) from None
    try:
        params = calibrate_cached(
            spec.volatile, spec.published_figures(), spec.model, spec.test_conditions()
        )
    except BadInput as error:
        raise BadInput(*(f"{path}: {p}" for p in error.problems)) from None
    return DevicePreset(path.stem, spec, params)
