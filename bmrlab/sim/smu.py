"""What every simulated source-measure unit shares, whatever language it speaks.

The source (level, fixed or auto range, current limit, output on/off and off-mode), the
measurement (aperture from NPLC, ranges with offset and noise floor, 2 % read noise), the
on-instrument list sweep that runs in virtual time, and the reading buffer. The model
files (``keithley2450.py`` ...) only translate their command sets onto this.

Timing hooks: each model overrides these in its own file to give its manual's timing.

- :meth:`SimSmu.source_delay_s`: the settling delay the instrument adds when the source
  level changes (first output-on and every change of level), given the present ranges and
  settings (for example the 2450's range-dependent source autodelay). A sweep's own delay
  comes on top of it.
- :meth:`SimSmu.reading_timing`: how long one reading occupies the instrument
  (:class:`ReadingTiming`: measure delay and reference readings before the signal aperture,
  the aperture, the overhead after it), given aperture, autozero, readback, measure delay.
- :attr:`SimSmu.overflow_reading` and :attr:`SimSmu.overrange_fraction`: what a reading
  above a fixed measure range returns, and where a range ends.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .scpi import ScpiError, WaitsForever, data_out_of_range

READ_NOISE = 0.02  # multiplicative, 1 sigma
READING_OVERHEAD_S = 0.2e-3  # per reading on top of the aperture (autozero off)
GLITCH_S = 20e-6  # duration of a range-change overshoot at the device
WAIT_EVENTS_MAX = 5_000_000  # a program still running after this many events is endless


@dataclass(frozen=True)
class ReadingTiming:
    """One reading on the instrument's time line: ``lead`` (measure delay, reference and
    readback conversions) before the signal aperture, the ``aperture``, then ``tail``
    (processing, storing) before the next action can start. Sampled mid-aperture."""

    lead: float
    aperture: float
    tail: float

    @property
    def total(self) -> float:
        return self.lead + self.aperture + self.tail

    @property
    def sample_at(self) -> float:
        return self.lead + self.aperture / 2


@dataclass
class Reading:
    t: float  # absolute virtual time of the sample (s)
    source: float  # source value (readback when on)
    value: float  # measured value: current (A) unless ``function`` says otherwise
    limited: bool  # the current limit clipped this point
    function: str = "CURR"  # what ``value`` is: CURR (A), VOLT (V) or RES (ohm)


@dataclass
class ReadingBuffer:
    capacity: int = 100_000
    readings: list = field(default_factory=list)
    fill_once: bool = False  # a full fill-once buffer stores nothing more
    style: str = "STAN"

    def append(self, reading: Reading) -> None:
        if self.fill_once and len(self.readings) >= self.capacity:
            return
        self.readings.append(reading)
        if len(self.readings) > self.capacity:  # fill-continuous: oldest readings go
            del self.readings[0]

    def clear(self) -> None:
        self.readings.clear()


@dataclass
class ListSweep:
    """A list sweep on the instrument. Each point: set ``levels[k % len]``; wait the source
    delay (when the level changed) plus the sweep ``delay``; take one reading into
    ``buffer``. ``total`` points (``math.inf``: until aborted); a ``period`` above zero
    paces the points (a trigger timer) when it is longer than a point takes."""

    levels: list
    delay: float
    total: float  # points, the list cycled as often as needed (math.inf: endless)
    buffer: str
    t0: float
    fail_abort: bool
    period: float = 0.0
    k: int = 0  # points started
    t_next: float = 0.0  # time of the next event
    measuring: bool = False  # the next event is the reading of point k-1
    ended: bool = False  # the last reading is processed: the instrument is idle

    def __post_init__(self):
        self.t_next = self.t0

    def next_event(self) -> tuple[float, str] | None:
        if self.measuring:
            return self.t_next, "measure"
        if self.k < self.total:
            return max(self.t_next, self.t0 + self.k * self.period), "level"
        return None if self.ended else (self.t_next, "end")

    def fire(self, smu: "SimSmu", t: float) -> None:
        timing = smu.reading_timing()
        if self.k >= self.total and not self.measuring:
            self.ended = True
            return
        if not self.measuring:
            settle = smu.change_level(self.levels[self.k % len(self.levels)])
            self.k += 1
            self.measuring = True
            self.t_next = t + settle + self.delay + timing.sample_at
            return
        reading = smu.sample(t)
        smu.store(self.buffer, reading)
        self.measuring = False
        self.t_next = t + timing.aperture / 2 + timing.tail
        if self.fail_abort and reading.limited:
            self.total = self.k  # the sweep stops at the limit

    @property
    def finished(self) -> bool:
        return self.next_event() is None

    def endless(self) -> bool:
        return self.total == math.inf


class SimSmu:
    """Source, measurement and list-sweep engine of a simulated SMU channel."""

    voltage_ranges = (0.02, 0.2, 2.0, 20.0, 200.0)
    current_ranges = (10e-9, 100e-9, 1e-6, 10e-6, 100e-6, 1e-3, 10e-3, 100e-3, 1.0)
    # offset term of each current range, removed by zeroing (datasheet order of magnitude)
    current_offsets = {
        10e-9: 50e-12,
        100e-9: 100e-12,
        1e-6: 400e-12,
        10e-6: 1.5e-9,
        100e-6: 15e-9,
        1e-3: 150e-9,
        10e-3: 1.5e-6,
        100e-3: 15e-6,
        1.0: 500e-6,
    }
    floor_fraction = 2e-6  # noise floor of a range at 1 NPLC, as a fraction of the range
    overshoot_v = 0.25  # glitch into the device when the source range changes under power
    overflow_reading = 9.9e37  # what a reading above a fixed measure range returns
    overrange_fraction = 1.05  # a range measures up to 105 % of its full scale
    reading_overhead = READING_OVERHEAD_S

    def __init__(self, bench, name: str, seed: int):
        self.bench = bench
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.buffers: dict[str, ReadingBuffer] = {}
        self.program = None  # what runs on the instrument: a list sweep or a trigger model
        self.switches: list[tuple[float, bool, float]] = []  # (t, output on, level) log
        self._output = False
        self.reset_source()

    @property
    def output(self) -> bool:
        return self._output

    @output.setter
    def output(self, on: bool) -> None:
        """Switch the output, logged so tests can see when (and at what level) it went off."""
        if on != self._output:
            self.switches.append((self.bench.clock.now(), on, self.level))
            self.settling = self.settling or on  # the first source output settles
        self._output = on

    # --- state ---------------------------------------------------------------------------
    def reset_source(self) -> None:
        self.output = False
        self.off_mode = "NORM"
        self.level = 0.0
        self.v_range = 20.0
        self.v_range_auto = True
        self.i_limit = 105e-6
        self.i_range = 1e-4
        self.i_range_auto = True
        self.nplc = 1.0
        self.line_frequency = 60.0
        self.zeroed = False
        self.readback = True
        self.source_delay = 0.0
        self.measure_delay = 0.0
        self.settling = False  # the level changed since the last reading: settle first
        self.source_list: list[float] = []
        self.limit_tripped = False
        self.stuck_limit = False  # a fault: the limit flag reads tripped whatever happens
        self.program = None
        self.armed_sweep = None  # what INIT starts: (levels, delay, total, buffer, fail_abort)
        self.buffers = {"defbuffer1": ReadingBuffer(), "defbuffer2": ReadingBuffer()}

    @property
    def aperture(self) -> float:
        return self.nplc / self.line_frequency

    # --- timing hooks (override per model) ------------------------------------------------
    def source_delay_s(self) -> float:
        """Settling delay added after a level change, before the next reading. Models whose
        sweeps pass their own delay (2400, 2636B) keep 0 here; the 2450 adds its autodelay."""
        return 0.0

    def reading_timing(self) -> ReadingTiming:
        """How long one reading occupies the instrument (measure delay, aperture, overhead)."""
        return ReadingTiming(self.measure_delay, self.aperture, self.reading_overhead)

    def drive(self, t: float) -> tuple[float, float]:
        """(voltage, current limit) that this channel applies to its device at ``t``."""
        if not self.output:
            return 0.0, math.inf
        return self.level, self.i_limit

    # --- source --------------------------------------------------------------------------
    def range_for(self, value: float, ranges) -> float:
        for r in ranges:
            if abs(value) <= r * 1.05:
                return r
        return ranges[-1]

    def set_voltage_range(self, value: float) -> None:
        new = self.range_for(value, self.voltage_ranges)
        if new != self.v_range and self.output:
            self.bench.glitch(self, math.copysign(self.overshoot_v, self.level or 1.0), GLITCH_S)
        self.v_range = new

    def apply_level(self, level: float) -> None:
        """Set the source level; a level beyond a fixed range is refused as on the 2450."""
        if self.v_range_auto:
            needed = self.range_for(level, self.voltage_ranges)
            if needed != self.v_range:
                self.set_voltage_range(needed)
        elif abs(level) > self.v_range * 1.05:
            raise data_out_of_range(f"{level:g} V beyond the {self.v_range:g} V range")
        self.settling = self.settling or level != self.level
        self.level = level

    def change_level(self, level: float) -> float:
        """A level change inside a sweep or trigger model: returns the settling delay
        (:meth:`source_delay_s`) it costs, zero when the level did not change."""
        self.apply_level(level)
        settle = self.source_delay_s() if self.settling else 0.0
        self.settling = False
        return settle

    # --- measurement -----------------------------------------------------------------------
    def sample(self, t: float) -> Reading:
        """Measure the device current at ``t``: range, offset, noise floor, 2 % read noise."""
        if not self.output:
            return Reading(t, 0.0, self._noisy(0.0, self.i_range), False)
        current, limited = self.bench.device_current(self)
        self.limit_tripped = limited or self.stuck_limit
        source = self.level
        if limited and self.readback:  # in compliance the output voltage falls
            source = math.copysign(
                self.i_limit / self.bench.device_of(self).conductance(), self.level
            )
        if self.i_range_auto:  # the range in use follows the signal (and is what RANG? says)
            self.i_range = self.range_for(current, self.current_ranges)
        if abs(current) > self.i_range * self.overrange_fraction:
            return Reading(t, source, self.overflow_reading, self.limit_tripped)
        return Reading(t, source, self._noisy(current, self.i_range), self.limit_tripped)

    def _noisy(self, current: float, rng: float) -> float:
        floor = rng * self.floor_fraction / math.sqrt(min(max(self.nplc, 0.001), 10.0))
        offset = 0.0 if self.zeroed else self.current_offsets[rng]
        return (
            current * (1 + READ_NOISE * self.rng.standard_normal())
            + offset
            + floor * self.rng.standard_normal()
        )

    def read_now(self) -> Reading:
        """A single triggered reading: settle if the level changed, then one reading."""
        clock, timing = self.bench.clock, self.reading_timing()
        settle = self.source_delay_s() if self.settling and self.output else 0.0
        self.settling = self.settling and not self.output
        clock.sleep(settle + timing.sample_at)
        self.bench.sync()
        reading = self.sample(clock.now())
        clock.sleep(timing.total - timing.sample_at)
        self.bench.sync()
        return reading

    # --- on-instrument list sweep ------------------------------------------------------------
    def start_list_sweep(self, levels, delay, total, buffer, fail_abort) -> None:
        """Run ``total`` points (``math.inf``: until aborted) of ``levels`` on the clock."""
        self.output = True
        self.program = ListSweep(
            levels=list(levels),
            delay=delay,
            total=total,
            buffer=buffer,
            t0=self.bench.clock.now(),
            fail_abort=fail_abort,
        )

    def abort(self) -> None:
        self.program = None

    def next_event_time(self) -> float:
        event = self.program.next_event() if self.program else None
        return event[0] if event else math.inf

    def fire_event(self, t: float) -> None:
        self.program.fire(self, t)
        if self.program.finished:
            self.program = None

    def store(self, buffer: str, reading: Reading) -> None:
        self.buffers[buffer].append(reading)

    def wait_idle(self) -> None:
        """``*WAI``, ``*OPC?``, ``waitcomplete()``: let the instrument's program finish. A
        program that cannot finish by itself (endless, or waiting for an event) blocks the
        instrument as on the bench: :class:`WaitsForever`, no reply until aborted."""
        for _ in range(WAIT_EVENTS_MAX):
            if self.program is None:
                return
            if self.program.endless():
                break
            self.bench.clock.advance_to(self.next_event_time())
            self.bench.sync()
        raise WaitsForever("the running program only ends by an abort")

    def buffer(self, name: str) -> ReadingBuffer:
        if name not in self.buffers:
            raise ScpiError(-230, f"Reading buffer {name} not found")
        return self.buffers[name]
