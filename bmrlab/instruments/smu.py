"""The source-measure unit interface that procedures use, and its shared engine.

Procedures ask for five things: :meth:`Smu.configure`, :meth:`Smu.sweep` (a list of levels,
one reading per level, timed by the instrument), :meth:`Smu.pulse_train` and
:meth:`Smu.time_trace` (both sweeps of a particular shape), :meth:`Smu.read` (one reading,
timed by the host) and :meth:`Smu.set_bias` (a held level, ramped). A model file
(``keithley2450.py`` ...) supplies a driver with a few primitives (the contract is
:class:`~bmrlab.instruments.driver_contract.SmuDriver`): configure, set a level, read once,
upload a level list and start it, count the readings taken, fetch a range of them, wait for
the end of a sweep, switch off. The engine here splits a long sweep into segments the
instrument can hold, polls the buffer while the instrument does the timing, hands readings
over in chunks, and stops on request. Every level goes through the station's guard before
it is sent.
"""

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import InstrumentError
from .driver_contract import SmuDriver

log = logging.getLogger(__name__)

POLL_S = 0.25  # how often the buffer count is asked while a sweep runs
FETCH_POINTS = 500  # fetch once this many new readings are waiting ...
FETCH_S = 1.0  # ... or this long after the last fetch (live plots keep moving)


@dataclass
class Readings:
    """A chunk of readings: index within the operation, time since the SMU was configured,
    source value, current, whether the current limit clipped the point, the time since the
    operation's first step began (from the instrument's own timestamps: exact within a
    segment, with the host's estimate of the gap between segments), and whether the current
    was above the fixed measure range (the instrument's overflow value; ``i`` is NaN there)."""

    index: np.ndarray
    t: np.ndarray
    v: np.ndarray
    i: np.ndarray
    limit: np.ndarray
    elapsed: np.ndarray
    overflow: np.ndarray


def mark_overflow(i, overflow_reading: float) -> tuple[np.ndarray, np.ndarray]:
    """Currents with the instrument's overflow value replaced by NaN, and where they were."""
    i = np.asarray(i, dtype=float)
    overflow = np.abs(i) >= overflow_reading
    return np.where(overflow, np.nan, i), overflow


@dataclass
class Segment:
    levels: np.ndarray
    count: int
    first_index: int  # index of its first reading within the whole sweep


def plan_segments(levels, repeat: int, max_list: int, max_buffer: int) -> Iterator[Segment]:
    """Split ``repeat`` passes over ``levels`` into lists and counts the instrument holds,
    one at a time (a day-long sweep is not planned ahead in memory)."""
    levels = np.asarray(levels, dtype=float)
    index = 0
    if len(levels) <= max_list:
        per_segment = max(1, max_buffer // len(levels))
        for done in range(0, repeat, per_segment):
            count = min(per_segment, repeat - done)
            yield Segment(levels, count, index)
            index += count * len(levels)
        return
    pieces = [levels[k : k + max_list] for k in range(0, len(levels), max_list)]
    for _ in range(repeat):
        for piece in pieces:
            yield Segment(piece, 1, index)
            index += len(piece)


@dataclass(frozen=True)
class PulseTrain:
    """``count`` rectangular pulses to ``level`` of ``width`` every ``period``, ``off_level``
    between them, the current sampled every ``sample_interval`` throughout (inside the pulse
    too). Width and period are whole numbers of samples: the instrument times the samples."""

    level: float
    width: float
    off_level: float
    period: float
    count: int
    sample_interval: float

    @property
    def samples_on(self) -> int:
        return max(1, round(self.width / self.sample_interval))

    @property
    def samples_per_period(self) -> int:
        return max(self.samples_on + 1, round(self.period / self.sample_interval))

    def problems(self) -> list[str]:
        """What makes this train impossible to time exactly (empty if nothing)."""
        found = []
        for name, value, n in (
            ("width", self.width, self.samples_on),
            ("period", self.period, self.samples_per_period),
        ):
            if not math.isclose(n * self.sample_interval, value, rel_tol=0.01):
                found.append(
                    f"{name} = {value:g} s is not a whole number of sample "
                    f"intervals ({self.sample_interval:g} s)"
                )
        if self.period <= self.width:
            found.append(f"period = {self.period:g} s must be longer than width = {self.width:g} s")
        return found

    def levels(self) -> np.ndarray:
        """One period: the pulse, then the off level."""
        levels = np.full(self.samples_per_period, float(self.off_level))
        levels[: self.samples_on] = self.level
        return levels

    def pulse_of(self, index) -> tuple[np.ndarray, np.ndarray]:
        """For reading indices: the pulse number (1-based) and whether it is inside the pulse."""
        index = np.asarray(index)
        within = index % self.samples_per_period
        return index // self.samples_per_period + 1, within < self.samples_on


class Smu:
    """A source-measure unit as procedures see it, over a bmrlab driver.

    A model file supplies the driver (pymeasure's, extended) and a subclass of this with
    the model's facts (list and buffer sizes, ranges, per-reading overhead). The driver
    speaks the model's language behind the methods of :class:`SmuDriver`. Every level passes
    through the guard before the driver sees it.

    Timing model (what the drivers configure, see docs/instruments.md): no source delay, no
    autozero, no readback, so a sweep step is the sweep delay, then one aperture plus
    ``reading_overhead_s``.
    """

    model: str
    max_list_points: int
    max_buffer_points: int  # before connecting; the 2450 reports its own at configure
    voltage_ranges: tuple[float, ...]
    nplc_range: tuple[float, float]  # (min, max) the model takes
    current_resolution: float  # of the lowest current range: what "pA" can mean here
    reading_overhead_s: float  # per reading, besides the aperture
    overflow_reading = 9.9e37  # what a reading above a fixed range returns
    whole_buffer_only = False  # the buffer can only be read once a segment is complete
    queries_wait_for_sweep = False  # a query sent while the sweep runs is answered at its end
    min_delay = 0.0  # the shortest nonzero delay of a sweep step

    def __init__(self, driver: SmuDriver, guard, clock, off_mode: str):
        self.driver = driver
        self.guard = guard
        self.clock = clock
        self.off_mode = off_mode
        self.settings: dict = {}
        self.level = 0.0  # the level the source holds between operations
        self.output_on = False
        self.t_origin = clock.now()
        self._aperture = 0.0

    @classmethod
    def shortest_step(cls, nplc: float) -> float:
        """Longest time one reading can take at ``nplc`` (50 Hz mains), before connecting."""
        return nplc / 50.0 + cls.reading_overhead_s

    def step_time(self) -> float:
        """Time one reading takes on this instrument as configured."""
        return self._aperture + self.reading_overhead_s

    def actual_dwell(self, dwell: float) -> float:
        """The step the instrument will really take for ``dwell``: a reading, plus a delay
        of 0 or at least ``min_delay`` (the nearer one)."""
        delay = max(0.0, dwell - self.step_time())
        if 0 < delay < self.min_delay:
            delay = 0.0 if delay < self.min_delay / 2 else self.min_delay
        return self.step_time() + delay

    def step_overhead(self, levels) -> float:
        """The mean per-reading overhead over the steps of ``levels`` (a model whose steps
        take longer when the level changes says so here; ``reading_overhead_s`` is the
        longest)."""
        return self.reading_overhead_s

    def sample_phase(self, dwell: float) -> float:
        """When in a ``dwell``-long step its reading is taken: after the step's delay, in the
        middle of the aperture."""
        return self.actual_dwell(dwell) - self.step_time() + self._aperture / 2

    def identify(self) -> str:
        return self.driver.id

    def instrument_facts(self) -> dict:
        """What the connected instrument reports about itself (queries only, nothing set):
        identity, model, serial, firmware, options, line frequency, buffer capacity, source
        delay, autozero, and the NPLC range bmrlab allows on this model."""
        return {**self.driver.instrument_facts(), "nplc_range": tuple(self.nplc_range)}

    # --- model primitives, over the driver ----------------------------------------------
    def _configure(self, source_range, compliance, nplc, current_range) -> dict:
        """Source range first (output still off), limit, measurement, 0 V, error check,
        output on; returns what is worth recording."""
        d = self.driver
        d.configure_voltage_source(source_range, compliance, d.OFF_MODES[self.off_mode])
        d.configure_current_measurement(nplc, current_range)
        d.set_level(self.guard.level(0.0))
        line_frequency = d.line_frequency()
        self.max_buffer_points = d.buffer_capacity()
        d.raise_errors()
        d.output_on()
        self._aperture = nplc / line_frequency
        return {"line_frequency_Hz": line_frequency, "buffer_capacity": self.max_buffer_points}

    def _set_level(self, volts: float) -> None:
        self.driver.set_level(volts)

    def _read_at(self, volts: float) -> tuple[float, float, bool]:
        """Source ``volts`` and take one reading: (source readback, current, limit)."""
        self.driver.set_level(volts)
        return self.driver.read_once()

    def _start(self, levels: np.ndarray, dwell: float, count: int) -> None:
        """Load ``levels``, set up ``count`` passes with one reading every ``dwell`` s taken
        at the end of each step, check the error queue, start."""
        d = self.driver
        d.upload_list(levels)
        dwell = self.actual_dwell(dwell)
        delay = max(0.0, dwell - (self._aperture + self.step_overhead(levels)))
        d.arm_list_sweep(dwell, delay, count, len(levels))
        d.raise_errors()
        d.start()

    def _count(self) -> int:
        return self.driver.buffer_count()

    def _fetch(self, first: int, last: int) -> tuple[np.ndarray, ...]:
        """Readings ``first..last`` (1-based, inclusive): (rel_t, v, i, limit)."""
        return self.driver.buffer_readings(first, last)

    def _finish(self, level: float, wait) -> None:
        """After a segment's last reading: wait (``wait(seconds)``, the station's stop-aware
        wait) until the instrument's sweep has ended, since it rejects or delays commands
        until then; then hold ``level`` with the output on, written out because the 2450's
        sources do not say what a finished sweep leaves (the 2400 and 2636B keep the output
        on at the last level: the same state, written once more)."""
        self.driver.wait_idle(wait)
        self.driver.set_level(level)
        self.driver.output_on()

    # --- the interface --------------------------------------------------------------------
    def configure(
        self,
        *,
        max_abs_v: float,
        compliance: float,
        nplc: float,
        current_range: float | None = None,
    ) -> None:
        """Fixed source range for the run's largest |V| (set before the output goes on),
        current limit, aperture, measure range (None: auto), zeroed once; output on at 0 V."""
        source_range = self.guard.source_range(max_abs_v, self.voltage_ranges)
        extra = self._configure(
            source_range, self.guard.compliance(compliance), nplc, current_range
        )
        self.level = 0.0
        self.output_on = True
        self.t_origin = self.clock.now()
        self.settings = {
            "source_range_V": source_range,
            "compliance_A": compliance,
            "nplc": nplc,
            "current_range_A": current_range or "auto",
            "off_mode": self.off_mode,
            "current_resolution_A": self.current_resolution,
            **extra,
        }

    def _checked(self, levels) -> np.ndarray:
        """``levels`` if the guard passes them and the fixed source range holds them."""
        levels = self.guard.levels(levels)
        source_range = self.settings.get("source_range_V", np.inf)
        if levels.size and np.max(np.abs(levels)) > source_range:
            raise InstrumentError(
                f"{np.max(np.abs(levels)):g} V is beyond the "
                f"{source_range:g} V source range fixed at configure"
            )
        return levels

    def set_bias(self, volts: float) -> None:
        """Hold ``volts``, reached in steps no larger than the station's max_step."""
        if volts == self.level:
            return
        self._checked([volts])
        for level in self.guard.ramp(self.level, volts):
            self._set_level(level)
            self.level = float(level)

    def read(self, volts: float) -> Readings:
        """One reading at ``volts`` (a short read pulse, timed by the host), then back to the
        held level."""
        level = float(self._checked([volts])[0])
        t = self.clock.now() - self.t_origin
        v, current, limit = self._read_at(level)
        if level != self.level:
            self._set_level(self.guard.level(self.level))
        i, overflow = mark_overflow([current], self.overflow_reading)
        return Readings(
            np.array([0]),
            np.array([t]),
            np.array([v]),
            i,
            np.array([limit]),
            np.array([0.0]),
            overflow,
        )

    def sweep(self, levels, dwell: float, repeat: int, on_chunk, wait, after_start=None) -> int:
        """Run ``repeat`` passes over ``levels`` on the instrument, ``dwell`` s per point.

        ``on_chunk(Readings)`` receives readings as they arrive; ``wait(seconds)`` is the
        station's stop-aware wait (raises when a stop is requested); ``after_start()`` is
        called once the instrument runs (to fire another instrument into the sweep). Returns
        the number of readings taken. The source holds the last level afterwards (set
        explicitly once each segment has ended).
        """
        levels = self._checked(levels)
        if dwell < self.step_time() * (1 - 1e-9):
            raise InstrumentError(
                f"dwell {dwell * 1e3:g} ms is shorter than one reading "
                f"({self.step_time() * 1e3:.3g} ms at nplc {self.settings.get('nplc')})"
            )
        taken, t_first = 0, None
        for segment in plan_segments(levels, repeat, self.max_list_points, self.max_buffer_points):
            t_segment = self.clock.now() - self.t_origin
            t_first = t_segment if t_first is None else t_first
            self._start(segment.levels, dwell, segment.count)
            self.level = float(segment.levels[-1])
            if after_start is not None and segment.first_index == 0:
                after_start()
            expected = len(segment.levels) * segment.count
            taken += self._collect(
                expected,
                segment.first_index,
                t_segment + self.sample_phase(dwell),
                t_first,
                dwell,
                on_chunk,
                wait,
            )
            self._finish(self.guard.level(self.level), wait)
        return taken

    def pulse_train(self, train: PulseTrain, on_chunk, wait) -> int:
        """Pulses timed by the instrument, sampled throughout; ``Readings.index`` maps to
        pulses with :meth:`PulseTrain.pulse_of`."""
        self.guard.pulse_width(train.samples_on * train.sample_interval)
        problems = train.problems()
        if problems:
            raise InstrumentError("; ".join(problems))
        return self.sweep(train.levels(), train.sample_interval, train.count, on_chunk, wait)

    def pulse(self, volts: float, width: float, wait) -> None:
        """One pulse to ``volts`` for ``width`` and back to 0 V, timed by the instrument in
        steps of at least one reading (readings not kept)."""
        self.guard.pulse_width(width)
        steps = max(1, int(width // self.step_time()))
        self.sweep([volts] * steps + [0.0], width / steps, 1, lambda r: None, wait)

    def time_trace(
        self, bias: float, interval: float, points: int, on_chunk, wait, after_start=None
    ) -> int:
        """``points`` readings every ``interval`` s at a fixed ``bias`` (ramped to first)."""
        self.set_bias(bias)
        return self.sweep([bias], interval, points, on_chunk, wait, after_start)

    def safe_off(self) -> None:
        """Stop the instrument's program, 0 V at once (a step down cannot switch a BMR; the
        shortest exposure is the safest), output off in the configured off-mode."""
        self.driver.output_off_safely(self.guard.level(0.0))
        self.level = 0.0
        self.output_on = False

    # --- the sweep engine ---------------------------------------------------------------------
    def _collect(self, expected, first_index, t_offset, t_first, dwell, on_chunk, wait) -> int:
        """Poll, fetch and hand over one segment's readings; ``t_offset`` is when its first
        reading was taken, ``t_first`` when the sweep's first step began."""
        fetched = available = 0
        last_fetch = self.clock.now()
        deadline = self.clock.now() + expected * dwell * 2 + 10.0
        # where queries wait for the sweep, none is sent before it should have ended, so a
        # stop request is still seen (and the stop command is one the instrument runs at once)
        quiet_until = last_fetch + expected * dwell if self.queries_wait_for_sweep else 0.0

        def hand_over(available):
            t, v, i, limit = self._fetch(fetched + 1, available)
            index = np.arange(first_index + fetched, first_index + available)
            i, overflow = mark_overflow(i, self.overflow_reading)
            on_chunk(Readings(index, t + t_offset, v, i, limit, t + t_offset - t_first, overflow))

        try:
            while fetched < expected:
                wait(min(POLL_S, (expected - available) * dwell + 1e-3))
                if self.clock.now() < quiet_until:
                    continue
                available = min(self._count(), expected)
                due = available == expected or (
                    not self.whole_buffer_only
                    and (
                        available - fetched >= FETCH_POINTS
                        or self.clock.now() - last_fetch >= FETCH_S
                    )
                )
                if available > fetched and due:
                    hand_over(available)
                    fetched, last_fetch = available, self.clock.now()
                if self.clock.now() > deadline:
                    self.driver.raise_errors()  # the instrument's own reason, if it gave one
                    raise InstrumentError(f"sweep stalled: {fetched} of {expected} readings")
        except BaseException:  # a stop, Ctrl+C or a failure: the source goes safe first,
            self.safe_off()  # then what the buffer already holds is kept
            try:
                available = min(self._count(), expected)
                if available > fetched:
                    hand_over(available)
            except Exception as error:  # the instrument may be what failed
                log.warning("readings after %d could not be read back: %s", fetched, error)
            raise
        return fetched
