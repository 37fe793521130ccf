"""What every bmrlab protocol is: a pymeasure Procedure with a name, checks and analysis.

A protocol says *what* to do (parameters, the levels to source, what to emit) and what its
figures are (a typed ``Result``, computed from the stored run alone); the runner
(``bmrlab.runner``) decides *how* it runs: storage, stop requests, status, shutdown, and
hands the protocol a :class:`~bmrlab.procedures.context.RunContext`. The same class serves
the CLI, the GUI, recipes and the offline re-analysis of stored runs.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

from pymeasure.experiment import (
    BooleanParameter,
    FloatParameter,
    IntegerParameter,
    ListParameter,
    Parameter,
    Procedure,
)

from .. import standard
from ..errors import BadInput
from ..results import ProtocolResult
from ..storage.stored_run import StoredRun
from ..units import format_quantity, parse_quantity
from .context import RunContext


def check_in_range(number: float, minimum: float, maximum: float, units: str) -> float:
    """``number`` if within ``minimum .. maximum``; else a ValueError naming both."""
    if number < minimum or number > maximum:
        raise ValueError(
            f"{format_quantity(number, units)} is outside "
            f"{format_quantity(minimum, units)} .. {format_quantity(maximum, units)}"
        )
    return number


V = TypeVar("V")  # the value type of a parameter
P = TypeVar("P", bound="Typed")
R = TypeVar("R", bound=ProtocolResult)  # a protocol's result model


class Typed(Generic[V]):
    """The value type ``V`` of a parameter, for the type checker.

    A protocol declares ``v_max = Quantity(...)`` on its class, and pymeasure's Procedure
    sets the converted value on each instance (``setattr(self, name, value)``): the class
    holds the parameter, an instance the value. The overloads below say exactly that, so
    ``cls.v_max`` is a ``Quantity`` and ``self.v_max`` a ``float`` to mypy. They exist for
    the type checker only: at run time a parameter is no descriptor, as pymeasure expects.
    """

    if TYPE_CHECKING:

        @overload
        def __get__(self: P, instance: None, owner: type) -> P: ...

        @overload
        def __get__(self, instance: object, owner: type) -> V: ...

        def __get__(self, instance: object, owner: type) -> Any: ...

        def __set__(self, instance: object, value: V) -> None: ...


class Quantity(FloatParameter, Typed[float]):
    """A float parameter in SI units that also accepts ``800mV``-style text."""

    def convert(self, value):
        units = self.units or ""
        return check_in_range(parse_quantity(value, units), self.minimum, self.maximum, units)


class QuantityList(Parameter, Typed[list[float]]):
    """A list of quantities in SI units: ``100mV,200mV`` or ``[0.1, 0.2]``."""

    def __init__(self, name, units=None, minimum=-1e9, maximum=1e9, **kwargs):
        self.units, self.minimum, self.maximum = units, minimum, maximum
        super().__init__(name, **kwargs)

    def convert(self, value):
        items: Sequence[str | float]
        if isinstance(value, str):
            items = value.split(",")
        elif isinstance(value, (int, float)):
            items = [value]
        else:
            items = list(value)
        units = self.units or ""
        numbers = [
            check_in_range(parse_quantity(item, units), self.minimum, self.maximum, units)
            for item in items
            if str(item).strip()
        ]
        if not numbers:
            raise ValueError("expected at least one value")
        return numbers


class Count(IntegerParameter, Typed[int]):
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


class Flag(BooleanParameter, Typed[bool]):
    """A yes/no parameter."""


class Choice(ListParameter, Typed[str]):
    """One of a fixed list of words (``choices``)."""


def phase_legend(phases: type[IntEnum]) -> str:
    """The units text of a ``phase`` column: what each code means (``0 rest, 1 read``)."""
    return ", ".join(f"{p.value} {p.name.lower().replace('_', ' ')}" for p in phases)


def nplc_parameter(default: float, description: str = "aperture of each reading") -> Quantity:
    """``nplc``: the measurement aperture in power-line cycles; the SMU model's own range is
    checked before the run (``check_nplc``)."""
    return Quantity(
        "nplc", units="", minimum=0.001, maximum=10.0, default=default, description=description
    )


def v_read_parameter(description: str = "read voltage") -> Quantity:
    """``v_read``: the small voltage a state is read at (the standard 20 mV)."""
    return Quantity(
        "v_read",
        units="V",
        minimum=1e-3,
        maximum=1.0,
        default=standard.V_READ,
        description=description,
    )


def set_pulse_parameters(
    amplitude_note: str = "", width_note: str = ""
) -> tuple[Quantity, Quantity]:
    """``set_v`` and ``set_width``: the set pulse of the protocols that set the device before
    measuring (endurance, multilevel, read disturb from the LRS)."""
    return (
        Quantity(
            "set_v",
            units="V",
            minimum=1e-3,
            maximum=200.0,
            default=0.2,
            description=f"set pulse amplitude{amplitude_note}",
        ),
        Quantity(
            "set_width",
            units="s",
            minimum=1e-4,
            maximum=10.0,
            default=10e-3,
            description=f"set pulse width{width_note}",
        ),
    )


def precision_parameters(repeats: str, figure: str) -> tuple[Count, Quantity]:
    """``max_<repeats>`` and ``precision``: repeat the cycles, pulses or traces beyond the
    first ones, up to ``max_<repeats>``, until the median figure's 95 % interval is within
    +-``precision`` of it (characterize asks for 10 %; 0 = no more than asked)."""
    return (
        Count(
            f"max_{repeats}",
            minimum=1,
            maximum=10_000,
            default=60,
            description=f"more {repeats}, up to this many, until the 95 % interval of the "
            f"{figure} is within +-precision of it",
        ),
        Quantity(
            "precision",
            units="",
            minimum=0.0,
            maximum=1.0,
            default=0.0,
            description=f"relative half-width of the 95 % interval of the {figure} that ends "
            f"the {repeats}; 0 = exactly the {repeats} asked for",
        ),
    )


def compliance_parameter() -> Quantity:
    """The current limit every protocol sets (default: the standard 1 uA)."""
    return Quantity(
        "compliance",
        units="A",
        minimum=1e-9,
        maximum=1.0,
        default=standard.COMPLIANCE_A,
        description="current limit",
    )


@dataclass(frozen=True)
class ParameterSpec:
    """What a user may set, as the CLI, the window and the docs show it."""

    name: str
    kind: str  # "quantity", "quantities", "count", "flag" or "choice"
    units: str
    default: Any
    minimum: float | None
    maximum: float | None
    description: str
    choices: tuple = ()


@dataclass(frozen=True)
class Mark:
    """A figure marked on the live plot when the run ends: a dashed line at ``x`` (in the
    units of the live plot's x column), labelled with its value."""

    x: float
    label: str
    group: float | None = None  # the live plot's group (legend) value whose colour it takes


@dataclass(frozen=True)
class Curve:
    """A figure that replaces the samples on the live plot when the run ends (the PPF index
    against the interval), with a reference line and a fitted curve if there are any."""

    spec: dict  # like LIVE_PLOT: x, y, log_x, log_y
    units: dict[str, str]
    columns: dict[str, list]
    reference_y: float | None = None
    fit: tuple[list, list, str] | None = None  # x, y and its legend text


@dataclass(frozen=True)
class ResultPlot:
    """What the window draws of a result: marks on the samples, or a curve instead."""

    marks: tuple[Mark, ...] = ()
    curve: Curve | None = None


def _spec(name: str, parameter: Parameter) -> ParameterSpec:
    kind = {
        Quantity: "quantity",
        QuantityList: "quantities",
        Count: "count",
        Flag: "flag",
        Choice: "choice",
    }[type(parameter)]
    return ParameterSpec(
        name=name,
        kind=kind,
        units=getattr(parameter, "units", None) or "",
        default=parameter.default,
        minimum=getattr(parameter, "minimum", None),
        maximum=getattr(parameter, "maximum", None),
        description=parameter.description or "",
        choices=tuple(getattr(parameter, "choices", None) or ()),
    )


if TYPE_CHECKING:

    class PymeasureParameters:
        """What a protocol uses of pymeasure's Procedure: its parameter machinery.

        At run time BmrProcedure derives from pymeasure's Procedure. It is not one in the
        sense of that class's contract, though: pymeasure's Worker calls ``startup(self)``
        and ``execute(self)`` after setting ``station``, ``emit`` and ``should_stop`` on the
        procedure, while a protocol's hooks take the RunContext from bmrlab's runner, their
        only caller; no protocol is ever handed to pymeasure's Worker. So the type checker
        sees this declaration of the part bmrlab uses instead of the whole class, and checks
        every protocol's hooks against BmrProcedure's signatures.
        """

        DATA_COLUMNS: list[str]
        _parameters: dict[str, Parameter]

        def __init__(self, **kwargs: Any) -> None: ...

        def set_parameters(
            self, parameters: dict[str, Any], except_missing: bool = True
        ) -> None: ...

        def refresh_parameters(self) -> None: ...

        def parameter_values(self) -> dict[str, Any]: ...
else:
    PymeasureParameters = Procedure


class BmrProcedure(PymeasureParameters, Generic[R]):
    """Base of the protocols. Subclasses set the class attributes and implement the hooks.

    Generic in the protocol's result model ``R``: ``class PulseDelay(BmrProcedure[
    PulseDelayResult])`` makes ``analyze`` return, and ``result_plot``/``save_figures`` take,
    a ``PulseDelayResult`` (``Result`` is that same class, for reading stored figures).
    """

    name: ClassVar[str]  # registry key, e.g. "iv-sweep"
    title: ClassVar[str]
    description: ClassVar[str]
    COLUMNS: ClassVar[dict[str, str]]  # data column -> units
    LIVE_PLOT: ClassVar[dict]  # what the GUI draws while it runs (x, y, log axes, grouping)
    Result: ClassVar[type[ProtocolResult]]  # R itself (a ClassVar cannot name R)
    rank: ClassVar[int] = 100  # place in listings: the Table 1 protocols set 1..5
    nplc: float  # reading aperture: a parameter of every protocol (check_nplc skips others)

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
                problems.append(
                    f"{name}: not a parameter of {cls.name} (parameters: {', '.join(known)})"
                )
                continue
            try:
                procedure.set_parameters({name: value})
            except ValueError as error:
                problems.append(f"{name} = {value}: {error}")
        if problems:
            raise BadInput(*problems)
        procedure.refresh_parameters()
        return procedure

    @classmethod
    def parameter_specs(cls) -> dict[str, ParameterSpec]:
        """Every parameter of the protocol, in declaration order."""
        return {name: _spec(name, parameter) for name, parameter in cls()._parameters.items()}

    def parameter_units(self) -> dict:
        return {name: spec.units for name, spec in self.parameter_specs().items()}

    @classmethod
    def condition_defaults(cls, conditions: dict, given: dict) -> dict:
        """Parameter defaults that follow from the device's test conditions (not results);
        ``given``: the values the user set, which win (and may make a default moot).
        Here: the device's current limit, for every protocol that sets one."""
        if "compliance" in conditions and isinstance(getattr(cls, "compliance", None), Parameter):
            return {"compliance": conditions["compliance"]}
        return {}

    # --- hooks (called by bmrlab.runner only, see PymeasureParameters) --------------------
    def startup(self, ctx: RunContext) -> None:
        """Configure the instruments for the run (nothing is sourced yet)."""

    def execute(self, ctx: RunContext) -> None:
        """Source, measure and ``ctx.emit`` the rows; ``ctx.wait`` between steps."""
        raise NotImplementedError

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
            raise BadInput(
                f"nplc = {self.nplc:g} is not allowed: the {smu_class.model} takes "
                f"nplc {low:g} .. {high:g}"
            )

    def check_fits_a_reading(self, station, name: str) -> None:
        """Refuse a step, sample or pulse ``name`` shorter than one reading at this
        protocol's nplc on the station's SMU."""
        value, shortest = getattr(self, name), station.smu_class.shortest_step(self.nplc)
        if value < shortest:
            raise BadInput(
                f"{name} = {value:g} s is not allowed: one reading at nplc "
                f"{self.nplc:g} takes up to {shortest:.3g} s on the "
                f"{station.smu_class.model}; lengthen {name} or lower nplc"
            )

    def estimated_duration(self) -> float | None:
        """Seconds the run should take on the instrument, from the parameters alone (shown
        before it starts); None when the protocol cannot tell (it adapts as it goes)."""
        return None

    def analyze(self, stored: StoredRun) -> R:
        """The figures of a stored run: its measured columns and the recorded instrument
        settings only, so a run is re-analysed offline exactly as when it ended."""
        raise NotImplementedError

    @classmethod
    def result_plot(cls, result: R) -> ResultPlot:
        """The result drawn on the window's plot when the run ends (nothing by default)."""
        return ResultPlot()

    def save_figures(
        self, stored: StoredRun, result: R | None, directory: Path, stem: str
    ) -> list[Path]:
        """Write the protocol's PNG figures; return their paths."""
        return []
