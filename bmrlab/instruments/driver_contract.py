"""What the SMU and pulse-generator interfaces call on a model's driver.

A driver is pymeasure's, extended (one module per model). These protocols are the whole of
what :class:`~bmrlab.instruments.smu.Smu`, :class:`~bmrlab.instruments.pulse_generator.
PulseGenerator` and the station use of it; the registry types each model's driver with
them, so mypy checks every driver against the contract. Levels arrive already checked by
the station's guard.
"""

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

import numpy as np


class InstrumentDriver(Protocol):
    """What the station and both interfaces use of any driver."""

    @property
    def id(self) -> str:
        """The ``*IDN?`` reply."""

    @property
    def adapter(self) -> Any:
        """The VISA session (the station closes it)."""

    def raise_errors(self) -> None:
        """Raise InstrumentError with the instrument's messages if its error queue is not
        empty."""

    def output_on(self) -> None: ...

    def instrument_facts(self) -> dict:
        """Queries only (``bmrlab station check`` and every run's record)."""


class SmuDriver(InstrumentDriver, Protocol):
    """A source-measure unit sourcing voltage and measuring current, in its own language."""

    # bmrlab's off-mode names ("zero", ...) -> the model's word for each; the names are the
    # off-modes a station file may choose for this model
    OFF_MODES: ClassVar[dict[str, str]]

    def configure_voltage_source(
        self, source_range: float, compliance: float, off_mode: str
    ) -> None:
        """From a reset with the output off: fixed source range, current limit, no source
        delay, ``off_mode`` (the model's word, from ``OFF_MODES``)."""

    def configure_current_measurement(self, nplc: float, current_range: float | None) -> None:
        """Aperture, range (None: auto), no filter, zeroed once; the buffer ready."""

    def set_level(self, volts: float) -> None: ...

    def measure_current_on(self, current_range: float, nplc: float) -> None:
        """Fixed measure range and aperture, references refreshed once for them, with the
        output on: measurement settings only, so the source holds its range and level."""

    def line_frequency(self) -> float: ...

    def read_once(self) -> tuple[float, float, bool]:
        """One reading at the present level: (source value, current, limited)."""

    def upload_list(self, levels: np.ndarray) -> None: ...

    def arm_list_sweep(self, dwell: float, delay: float, passes: int, list_length: int) -> None:
        """``passes`` runs of the uploaded list, one reading every ``dwell`` s taken after
        ``delay``, into an empty buffer; :meth:`start` starts it."""

    def start(self) -> None: ...

    def buffer_capacity(self) -> int:
        """Readings the buffer holds as configured (a query: nothing changes)."""

    def buffer_count(self) -> int:
        """Readings in the buffer so far."""

    def buffer_readings(
        self, first: int, last: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Readings ``first..last`` (1-based, inclusive): (time, source value, current,
        limited)."""

    def wait_idle(self, wait: Callable[[float], None]) -> None:
        """Until the sweep has ended (``wait(seconds)`` is the station's stop-aware wait)."""

    def output_off_safely(self, zero: float) -> None:
        """Stop the sweep, source ``zero`` (0 V, checked by the guard), output off."""


class PulseGeneratorDriver(InstrumentDriver, Protocol):
    """A function generator giving rectangular pulses from 0 V in triggered bursts."""

    model_name: ClassVar[str]
    min_amplitude: ClassVar[float]  # the smallest pulse into a high impedance (V)

    def configure_bursts(self, load: str, trigger_source: str) -> None:
        """Output off, a reset, and every setting the bursts depend on."""

    def program_pulses(self, high: float, width: float, period: float, count: int) -> None:
        """With the output off: ``count`` pulses from 0 V to ``high``."""

    def fire(self) -> None: ...

    def output_off(self) -> None: ...
