"""The protocol registry: the one place that lists what the CLI, GUI and recipes offer."""

from ..errors import BadInput
from .base import BmrProcedure
from .endurance import Endurance
from .iv_sweep import IvSweep
from .paired_pulse import PairedPulse
from .pulse_delay import PulseDelay
from .retention import Retention

PROTOCOLS: dict[str, type[BmrProcedure]] = {
    cls.name: cls for cls in (IvSweep, PulseDelay, Retention, Endurance, PairedPulse)}


def get_protocol(name: str) -> type[BmrProcedure]:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise BadInput(f"protocol {name!r} is not known (protocols: "
                       f"{', '.join(PROTOCOLS)})") from None
