"""What every bmrlab protocol is: a pymeasure Procedure with a name, checks and analysis.

A protocol says *what* to do (parameters, the levels to source, what to emit); the runner
(``bmrlab.runner``) decides *how* it runs: storage, stop requests, status, shutdown. The
same class serves the CLI, the GUI and recipes.
"""

from typing import ClassVar

from pymeasure.experiment import FloatParameter, IntegerParameter, Parameter, Procedure

from .. import standard
from ..errors import BadInput
from ..units import format_quantity, parse_quantity


class Quantity(FloatParameter):
    """A float parameter in SI units that also accepts ``800mV``-style text."""

    def convert(self, value):
        number = parse_quantity(value, self.units or "")
        if number < self.minimum or number > self.maximum:
            raise ValueError(f"{format_quantity(number, self.units or '')} is outside "
                             f"{format_quantity(self.minimum, self.units or '')} .. "
                             f"{format_quantity(self.maximum, self.units or '')}")
        return number


class QuantityList(Parameter):
    """A list of quantities in SI units: ``100mV,200mV`` or ``[0.1, 0.2]``."""

    def __init__(self, name, units=None, minimum=-1e9, maximum=1e9, **kwargs):
        self.units, self.minimum, self.maximum = units, minimum, maximum
        super().__init__(name, **kwargs)

    def convert(self, value):
        if isinstance(value, str):
            items = value.split(",")
        elif isinstance(value, (int, float)):
            items = [value]
        else:
            items = list(value)
        numbers = [parse_quantity(item, self.units or "") for item in items
                   if str(item).strip()]
        if not numbers:
            raise ValueError("expected at least one value")
        for number in numbers:
            if number < self.minimum or number > self.maximum:
                raise ValueError(f"{format_quantity(number, self.units or '')} is outside "
                                 f"{format_quantity(self.minimum, self.units or '')} .. "
                                 f"{format_quantity(self.maximum, self.units or '')}")
        return numbers


class Count(IntegerParameter):
    """An integer parameter whose errors name the value and the allowed range."""

    def convert(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(f"expected a whole number, got {value!r}")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f"expected a whole number, got {value!r}") from None
        if not self.minimum <= number <= self.maximum:
            raise ValueError(f"{number} is outside {self.minimum} .. {self.maximum}")
        return number


def compliance_parameter() -> Quantity:
    """The current limit every protocol sets (default: the standard 1 uA)."""
    return Quantity("compliance", units="A", minimum=1e-9, maximum=1.0,
                    default=standard.COMPLIANCE_A, description="current limit")


class BmrProcedure(Procedure):
    """Base of the protocols. Subclasses set the class attributes and implement the hooks."""

    name: ClassVar[str]  # registry key, e.g. "iv-sweep"
    title: ClassVar[str]
    description: ClassVar[str]
    COLUMNS: ClassVar[dict[str, str]]  # data column -> units
    LIVE_PLOT: ClassVar[dict]  # what the GUI draws while it runs (x, y, log axes, grouping)

    station = None  # set by the runner before startup

    def __init__(self, **kwargs):
        self.DATA_COLUMNS = list(self.COLUMNS)
        super().__init__(**kwargs)

    # --- parameters ----------------------------------------------------------------------
    @classmethod
    def build(cls, values: dict) -> "BmrProcedure":
        """A procedure with ``values`` applied; every bad one named in a BadInput."""
        procedure = cls()
        known = procedure._parameters
        problems = []
        for name, value in values.items():
            if name not in known:
                problems.append(f"{name}: not a parameter of {cls.name} "
                                f"(parameters: {', '.join(known)})")
                continue
            try:
                procedure.set_parameters({name: value})
            except ValueError as error:
                problems.append(f"{name} = {value}: {error}")
        if problems:
            raise BadInput(*problems)
        procedure.refresh_parameters()
        return procedure

    def parameter_units(self) -> dict:
        return {name: getattr(p, "units", None) or "" for name, p in self._parameters.items()}

    @classmethod
    def condition_defaults(cls, conditions: dict, given: dict) -> dict:
        """Parameter defaults that follow from the device's test conditions (not results);
        ``given``: the values the user set, which win (and may make a default moot)."""
        return {}

    # --- hooks ---------------------------------------------------------------------------
    def check(self, station) -> None:
        """Refuse parameters the station cannot run (BadInput) before anything is sent."""
        raise NotImplementedError

    def check_nplc(self, station) -> None:
        """Refuse (BadInput) an nplc the station's SMU model does not take, before connecting."""
        if "nplc" not in self._parameters:
            return
        smu_class = station.smu_class
        low, high = smu_class.nplc_range
        if not low <= self.nplc <= high:
            raise BadInput(f"nplc = {self.nplc:g} is not allowed: the {smu_class.model} takes "
                           f"nplc {low:g} .. {high:g}")

    def check_fits_a_reading(self, station, name: str) -> None:
        """Refuse a step, sample or pulse ``name`` shorter than one reading at this
        protocol's nplc on the station's SMU."""
        value, shortest = getattr(self, name), station.smu_class.shortest_step(self.nplc)
        if value < shortest:
            raise BadInput(f"{name} = {value:g} s is not allowed: one reading at nplc "
                           f"{self.nplc:g} takes up to {shortest:.3g} s on the "
                           f"{station.smu_class.model}; lengthen {name} or lower nplc")

    def estimated_duration(self) -> float | None:
        """Seconds the run should take on the instrument, from the parameters alone (shown
        before it starts); None when the protocol cannot tell (it adapts as it goes)."""
        return None

    def analyze(self, data: dict) -> dict:
        """Figures from the measured columns (pure analysis, no instrument access)."""
        return {}

    def save_figures(self, data: dict, figures: dict, directory, stem: str) -> list:
        """Write the protocol's PNG figures; return their paths."""
        return []

    # --- helpers for execute() ---------------------------------------------------------------
    def wait(self, seconds: float) -> None:
        """Wait through the station clock; raises Stopped when a stop is requested."""
        self.station.wait(seconds, self.should_stop)

    def shutdown(self):
        if self.station is not None:
            self.station.safe_off()
