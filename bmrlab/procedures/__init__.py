"""The protocol registry: the one place that lists what the CLI, GUI and recipes offer."""

from ..errors import BadInput
from .base import BmrProcedure
from .endurance import Endurance
from .forming import Forming
from .iv_sweep import IvSweep
from .multilevel import Multilevel
from .neuron import Neuron
from .paired_pulse import PairedPulse
from .pulse_delay import PulseDelay
from .read_disturb import ReadDisturb
from .retention import Retention
from .stp_ltp import StpLtp

PROTOCOLS: dict[str, type[BmrProcedure]] = {
    cls.name: cls for cls in (IvSweep, PulseDelay, Retention, Endurance, PairedPulse, StpLtp,
                              Neuron, ReadDisturb, Multilevel, Forming)}


def get_protocol(name: str) -> type[BmrProcedure]:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise BadInput(f"protocol {name!r} is not known (protocols: "
                       f"{', '.join(PROTOCOLS)})") from None
