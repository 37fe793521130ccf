"""What every simulated source-measure unit shares, whatever language it speaks.

The source (level, fixed or auto range, current limit, output on/off and off-mode), the
measurement (aperture from NPLC, ranges with offset and noise floor, 2 % read noise), the
on-instrument list sweep that runs in virtual time, and the reading buffer. The model
files (``keithley2450.py`` ...) only translate their command sets onto this.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .scpi import ScpiError, data_out_of_range

READ_NOISE = 0.02  # multiplicative, 1 sigma
READING_OVERHEAD_S = 0.2e-3  # per reading on top of the aperture (autozero off)
GLITCH_S = 20e-6  # duration of a range-change overshoot at the device


@dataclass
class Reading:
    t: float  # absolute virtual time of the sample (s)
    source: float  # source value (readback when on)
    value: float  # measured current (A)
    limited: bool  # the current limit clipped this point


@dataclass
class ReadingBuffer:
    capacity: int = 100_000
    readings: list = field(default_factory=list)

    def append(self, reading: Reading) -> None:
        self.readings.append(reading)
        if len(self.readings) > self.capacity:  # fill-continuous: oldest readings go
            del self.readings[0]

    def clear(self) -> None:
        self.readings.clear()


@dataclass
class ListSweep:
    """A list sweep on the instrument: point k sources ``levels[k % len]`` at
    ``t0 + k*period`` and is measured one delay and half an aperture later."""

    levels: list
    delay: float
    total: int  # points, the list cycled as often as needed
    buffer: str
    t0: float
    period: float
    aperture: float
    fail_abort: bool
    k: int = 0  # next point
    measured: bool = True  # whether point k-1 has been measured

    def next_event(self) -> tuple[float, str] | None:
        if not self.measured:
            return self.t0 + (self.k - 1) * self.period + self.delay + self.aperture / 2, "measure"
        if self.k < self.total:
            return self.t0 + self.k * self.period, "level"
        return None

    def fire(self, smu: "SimSmu", t: float) -> None:
        _, kind = self.next_event()
        if kind == "level":
            smu.apply_level(self.levels[self.k % len(self.levels)])
            self.k += 1
            self.measured = False
            return
        reading = smu.sample(t)
        smu.store(self.buffer, reading)
        self.measured = True
        if self.fail_abort and reading.limited:
            self.k = self.total  # the sweep stops at the limit

    @property
    def progress(self) -> int:
        return self.k


class SimSmu:
    """Source, measurement and list-sweep engine of a simulated SMU channel."""

    voltage_ranges = (0.02, 0.2, 2.0, 20.0, 200.0)
    current_ranges = (10e-9, 100e-9, 1e-6, 10e-6, 100e-6, 1e-3, 10e-3, 100e-3, 1.0)
    # offset term of each current range, removed by zeroing (datasheet order of magnitude)
    current_offsets = {10e-9: 50e-12, 100e-9: 100e-12, 1e-6: 400e-12, 10e-6: 1.5e-9,
                       100e-6: 15e-9, 1e-3: 150e-9, 10e-3: 1.5e-6, 100e-3: 15e-6, 1.0: 500e-6}
    floor_fraction = 2e-6  # noise floor of a range at 1 NPLC, as a fraction of the range
    overshoot_v = 0.25  # glitch into the device when the source range changes under power

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
        self.source_list: list[float] = []
        self.limit_tripped = False
        self.stuck_limit = False  # a fault: the limit flag reads tripped whatever happens
        self.program = None
        self.armed_sweep = None  # what INIT starts: (levels, delay, total, buffer, fail_abort)
        self.buffers = {"defbuffer1": ReadingBuffer(), "defbuffer2": ReadingBuffer()}

    @property
    def aperture(self) -> float:
        return self.nplc / self.line_frequency

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
        self.level = level

    # --- measurement -----------------------------------------------------------------------
    def sample(self, t: float) -> Reading:
        """Measure the device current at ``t``: range, offset, noise floor, 2 % read noise."""
        if not self.output:
            return Reading(t, 0.0, self._noisy(0.0, self.i_range), False)
        current, limited = self.bench.device_current(self)
        self.limit_tripped = limited or self.stuck_limit
        source = self.level
        if limited and self.readback:  # in compliance the output voltage falls
            source = math.copysign(self.i_limit / self.bench.device_of(self).conductance(),
                                   self.level)
        rng = self.range_for(current, self.current_ranges) if self.i_range_auto else self.i_range
        if abs(current) > rng * 1.05:
            return Reading(t, source, 9.9e37, self.limit_tripped)
        return Reading(t, source, self._noisy(current, rng), self.limit_tripped)

    def _noisy(self, current: float, rng: float) -> float:
        floor = rng * self.floor_fraction / math.sqrt(min(max(self.nplc, 0.001), 10.0))
        offset = 0.0 if self.zeroed else self.current_offsets[rng]
        return (current * (1 + READ_NOISE * self.rng.standard_normal())
                + offset + floor * self.rng.standard_normal())

    def read_now(self) -> Reading:
        """A single triggered reading: the instrument is busy for one aperture."""
        clock = self.bench.clock
        clock.sleep(self.source_delay + self.aperture / 2)
        self.bench.sync()
        reading = self.sample(clock.now())
        clock.sleep(self.aperture / 2 + self.reading_overhead)
        self.bench.sync()
        return reading

    # --- on-instrument list sweep ------------------------------------------------------------
    reading_overhead = READING_OVERHEAD_S

    def start_list_sweep(self, levels, delay, total, buffer, fail_abort) -> None:
        self.output = True
        self.program = ListSweep(
            levels=list(levels), delay=delay, total=total, buffer=buffer,
            t0=self.bench.clock.now(), period=delay + self.aperture + self.reading_overhead,
            aperture=self.aperture, fail_abort=fail_abort)

    def abort(self) -> None:
        self.program = None

    def next_event_time(self) -> float:
        event = self.program.next_event() if self.program else None
        return event[0] if event else math.inf

    def fire_event(self, t: float) -> None:
        self.program.fire(self, t)
        if self.program.next_event() is None:
            self.program = None

    def store(self, buffer: str, reading: Reading) -> None:
        self.buffers[buffer].append(reading)

    def wait_idle(self) -> None:
        """``*WAI``, ``*OPC?``, ``waitcomplete()``: let the instrument's program finish."""
        while self.program is not None:
            self.bench.clock.advance_to(self.next_event_time())
            self.bench.sync()

    def buffer(self, name: str) -> ReadingBuffer:
        if name not in self.buffers:
            raise ScpiError(-230, f"Reading buffer {name} not found")
        return self.buffers[name]
