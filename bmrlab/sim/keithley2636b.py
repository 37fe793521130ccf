"""Simulated Keithley 2636B System SourceMeter: two SMU channels on a TSP node.

``smua`` drives the device the bench wires to this instrument; ``smub`` is a full second
channel with its own state and buffers, wired to nothing (its terminals are open: it measures
no current, and as a current source it sits at its voltage limit). The node (Lua, scripts,
print/format, errorqueue, status) is :mod:`.tsp_runtime`; the channels' TSP attributes are
:mod:`.tsp_smu`; this module holds the 2636B's physics and timing, each from the Series 2600B
Reference Manual (2600BS-901-01) help pages (WH-2600B nnnnn):

- ranges 200 mV-200 V and 100 pA-1.5 A (27102); limits 20 mV-200 V, 100 pA-1.5 A (17115);
  a source level up to 101 % of its range (voltage source limit lines, manual figure 65);
- a reading above a fixed measure range is 9.91e37 (21260);
- measure autodelay (DELAY_AUTO, the 2636B default): the range's settling time of the
  "Measurement settling time considerations" table times ``delayfactor`` (11687, 15111,
  15112); the ~1 Hz analog filter on the 1 nA and 100 pA ranges (15106, 11687: 100 pA
  settles in <450 ms with it) is a one-pole low-pass on the current read on those ranges;
- autozero AUTO: two extra conversions (reference and zero) when an aperture's references
  are not cached; the cache keeps the last ten NPLC settings (15108, 11440);
- ``smuX.trigger.source.limitY`` replaces the normal limit while a sweep runs, unless it is
  LIMIT_AUTO (15179); ``endsweep.action`` SOURCE_IDLE returns to the idle level (15166);
- a source-range change under power overshoots up to 400 mV into the device.
"""

import math
import time
from dataclasses import dataclass

from .smu import ListSweep, Reading, ReadingTiming, SimSmu
from .tsp_runtime import TspError, TspNode, too_big
from .tsp_smu import DELAY_AUTO, LIMIT_AUTO, SmuChannel

OVERFLOW_READING = 9.91e37  # WH-2600B 21260
RANGE_HEADROOM = 1.01  # 101 % of range: the 20 V range's limit line is at 20.2 V
# WH-2600B 11687: current measure settling to 0.1 % on a fixed range (the DELAY_AUTO values)
MEASURE_SETTLING_S = {
    1.5: 120e-6,
    1.0: 120e-6,
    100e-3: 80e-6,
    10e-3: 80e-6,
    1e-3: 100e-6,
    100e-6: 150e-6,
    10e-6: 500e-6,
    1e-6: 2.5e-3,
    100e-9: 15e-3,
    10e-9: 90e-3,
    1e-9: 360e-3,
    100e-12: 360e-3,
}
FILTERED_RANGES = (1e-9, 100e-12)  # analog filter active on these (15106)
FILTERED_100PA_SETTLING_S = 450e-3  # 11687 note 3: 100 pA with the default analog filter
ANALOG_FILTER_TAU_S = 1 / (2 * math.pi * 1.0)  # "approximately 1 Hz" one-pole (15106)
# Source autodelay (15142 "based on the output settling time values as defined in the 2600B
# specifications"): voltage source settling to 0.1 % per range. The 2636B figures were not
# in the sources read; these are the Series 2600B datasheet's voltage-source settling
# times for the matching ranges, an assumption to be checked against the datasheet.
SOURCE_SETTLING_S = {0.2: 50e-6, 2.0: 50e-6, 20.0: 110e-6, 200.0: 700e-6}
AUTOZERO_CACHE = 10  # reference measurements of the last ten NPLC settings (15108)
READING_OVERHEAD_S = 0.05e-3  # 20 000 readings/s to memory at the shortest aperture


@dataclass
class TspReading(Reading):
    """A reading with the programmed source value (a current source's level) beside it."""

    sourced: float = 0.0

    def value_of(self, function: str) -> float:
        """What ``measure.i/v/r/p`` returns from one conversion pair (WH-2600B 15122)."""
        if self.value == OVERFLOW_READING:
            return OVERFLOW_READING
        return {
            "i": self.value,
            "v": self.source,
            "r": self.source / self.value if self.value else OVERFLOW_READING,
            "p": self.source * self.value,
        }[function]


@dataclass
class ProgramPlan:
    """What the channel's running program sources and stores: a trigger-model sweep, or an
    overlapped measurement (``measure.overlappedY``, WH-2600B 15120), which keeps the
    normal limits, waits the measure delay before its first reading only (77107) and has
    no end-sweep action."""

    function: str  # source function of the levels: "v" or "i"
    functions: tuple  # what each point measures ("i", "v", "r", "p")
    buffers: tuple  # a reading buffer (or None) per measured function
    measuring: bool
    sweep: bool = True


class Keithley2600Engine(SimSmu):
    """One 2636B channel's source and measurement, in virtual time."""

    voltage_ranges = (0.2, 2.0, 20.0, 200.0)
    current_ranges = (
        100e-12,
        1e-9,
        10e-9,
        100e-9,
        1e-6,
        10e-6,
        100e-6,
        1e-3,
        10e-3,
        100e-3,
        1.0,
        1.5,
    )
    current_offsets = {
        100e-12: 120e-15,
        1e-9: 240e-15,
        10e-9: 3e-12,
        100e-9: 40e-12,
        1e-6: 400e-12,
        10e-6: 1.5e-9,
        100e-6: 15e-9,
        1e-3: 150e-9,
        10e-3: 1.5e-6,
        100e-3: 15e-6,
        1.0: 1.5e-3,
        1.5: 3.5e-3,
    }
    reading_overhead = READING_OVERHEAD_S
    overshoot_v = 0.4  # a 2600B source-range change under power: up to 400 mV
    max_volts, max_amps = 200.0, 1.5  # WH-2600B 15146
    min_limitv, min_limiti = 20e-3, 100e-12  # WH-2600B 17115
    max_measure_count = 2**31 - 1
    overflow_reading = OVERFLOW_READING
    overrange_fraction = RANGE_HEADROOM
    default_measure_delay = DELAY_AUTO  # 2634B/2635B/2636B (WH-2600B 15111)

    def __init__(self, bench, name: str, seed: int, node: TspNode, wired: bool):
        self.node = node
        self.wired = wired
        self.channel: SmuChannel | None = None
        self.sweep_plan: ProgramPlan | None = None
        SimSmu.__init__(self, bench, name, seed)
        self._reset_physics()

    def _reset_physics(self) -> None:
        self.source_function = "v"
        self.source_amps = 0.0
        self.v_limit = 20.0
        self.last_current_range = 100e-3
        self.filter_state: tuple | None = None  # (t, filtered current, range)
        self.zero_cache: list[float] = []  # NPLC settings with fresh references
        self.autozero = 2
        self.digital_stack: list[float] = []

    # --- what tsp_smu asks of the engine ------------------------------------------------------
    def voltage_range_for(self, value) -> float:
        return self._range_for(abs(float(value)), self.voltage_ranges, "voltage range")

    def current_range_for(self, value) -> float:
        return self._range_for(abs(float(value)), self.current_ranges, "current range")

    @staticmethod
    def _range_for(magnitude: float, ranges, what: str) -> float:
        """The smallest range that holds the value; beyond the largest: 1101 (15153)."""
        for r in ranges:
            if magnitude <= r * RANGE_HEADROOM:
                return r
        raise too_big(what)

    def now(self) -> float:
        return self.bench.clock.now()

    def wait_until(self, t: float) -> None:
        if t > self.now():
            self.bench.clock.advance_to(t)
            self.bench.sync()

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.bench.clock.sleep(seconds)
            self.bench.sync()

    @property
    def line_frequency(self) -> float:
        return float(self.node.localnode.linefreq)

    @line_frequency.setter
    def line_frequency(self, value) -> None:
        """The line frequency is the node's (``localnode.linefreq``); the engine's reset
        does not change it."""

    @property
    def nplc(self) -> float:
        return float(self.channel.measure.nplc) if self.channel else 1.0

    @nplc.setter
    def nplc(self, value) -> None:
        """Held by ``smuX.measure.nplc``."""

    def switch_output(self, on: bool) -> None:
        if on and not self.output:
            self.filter_state = None
        self.output = on
        if not on:
            self.limit_tripped = False

    def autozero_changed(self, mode: int) -> None:
        """ONCE refreshes the present aperture's references now (two conversions, 15108)."""
        self.autozero = mode
        self.zeroed = True  # references from power-on or the last refresh stay in use
        if mode == 1:
            self._sleep(2 * self.aperture)
            self._cache_references()

    def _cache_references(self) -> None:
        if self.nplc in self.zero_cache:
            self.zero_cache.remove(self.nplc)
        self.zero_cache = (self.zero_cache + [self.nplc])[-AUTOZERO_CACHE:]

    def source_changed(self) -> None:
        """Apply the channel's source settings: function, range (overshoot if it changes
        under power), level, limits."""
        source = self.channel.source
        self.source_function = "v" if int(source.func) == 1 else "i"
        new_range = source.rangev
        if new_range != self.v_range:
            self.set_voltage_range(new_range)
        self.v_range_auto = bool(int(source.autorangev))
        self.level = float(source.levelv)
        self.source_amps = float(source.leveli)
        self.v_limit = float(source.limitv)
        self.i_limit = self._sweep_limit("limiti", float(source.limiti))
        self.v_limit = self._sweep_limit("limitv", self.v_limit)

    def _sweep_limit(self, name: str, normal: float) -> float:
        """While a sweep runs a trigger limit other than LIMIT_AUTO replaces the normal one
        (WH-2600B 15179): it matters for safety, the guard set the normal limit."""
        if self.program is None or not self.sweep_plan.sweep:
            return normal
        override = float(getattr(self.channel.trigger.source, name))
        return normal if override == LIMIT_AUTO else override

    def set_voltage_range(self, value: float) -> None:
        if self.wired:
            SimSmu.set_voltage_range(self, value)
        else:
            self.v_range = self.range_for(value, self.voltage_ranges)

    def check_level(self, function: str, value: float) -> None:
        """A level beyond a fixed source range: 5005 "Value too big for range" (77705)."""
        source = self.channel.source
        fixed = not int(source.autorangev if function == "v" else source.autorangei)
        limit = source.rangev if function == "v" else source.rangei
        if fixed and abs(value) > limit * RANGE_HEADROOM:
            raise TspError(5005, "Value too big for range")

    def in_compliance(self) -> bool:
        """Updated by a source change too, not only by a reading (WH-2600B 15141)."""
        if self.output:
            self.limit_tripped = self._operating_point()[1] or self.stuck_limit
        return self.limit_tripped

    # --- the device at the terminals -------------------------------------------------------------
    def _conductance(self) -> float:
        return self.bench.device_of(self).conductance() if self.wired else 0.0

    def _current_source_voltage(self) -> float:
        """A current source drives the voltage that pushes its level through the device,
        up to its voltage limit (open terminals: the limit)."""
        conductance = self._conductance()
        wanted = (
            self.source_amps / conductance
            if conductance > 0
            else math.copysign(math.inf, self.source_amps or 1.0)
        )
        return max(-self.v_limit, min(self.v_limit, wanted))

    def drive(self, t: float) -> tuple[float, float]:
        if not self.output:
            return 0.0, math.inf
        if self.source_function == "i":
            return self._current_source_voltage(), math.inf
        return self.level, self.i_limit

    def _operating_point(self) -> tuple[float, bool, float]:
        """(current, limit reached, voltage at the terminals) now."""
        if self.source_function == "i":
            volts = self._current_source_voltage()
            current = self.bench.device_current(self)[0] if self.wired else 0.0
            return current, abs(volts) >= self.v_limit and self.source_amps != 0, volts
        if not self.wired:
            return 0.0, False, self.level
        current, limited = self.bench.device_current(self)
        volts = self.level
        if limited:  # in compliance the output voltage falls to what the limit allows
            conductance = self._conductance()
            if conductance > 0:
                volts = math.copysign(min(abs(self.level), self.i_limit / conductance), self.level)
        return current, limited, volts

    def _measure_range(self, current: float) -> float:
        if self.channel and not int(self.channel.measure.autorangei):
            return self.channel.measure.rangei
        low = float(self.channel.measure.lowrangei) if self.channel else self.current_ranges[0]
        return max(low, self.range_for(current, self.current_ranges))

    def sample(self, t: float) -> TspReading:
        """Measure at ``t``: range, analog filter, offset, noise; 9.91e37 above a fixed
        range."""
        if self.output:
            current, limited, volts = self._operating_point()
        else:
            current, limited, volts = 0.0, False, 0.0
        self.limit_tripped = (limited or self.stuck_limit) and self.output
        rng = self._measure_range(current)
        self.last_current_range = rng
        sourced = self.source_amps if self.source_function == "i" else volts
        if abs(current) > rng * self.overrange_fraction:
            self.filter_state = None
            return TspReading(t, volts, OVERFLOW_READING, self.limit_tripped, sourced=sourced)
        filtered = self._analog_filter(t, current, rng)
        return TspReading(t, volts, self._noisy(filtered, rng), self.limit_tripped, sourced=sourced)

    def _analog_filter(self, t: float, current: float, rng: float) -> float:
        """One-pole ~1 Hz low-pass on the 1 nA and 100 pA ranges (WH-2600B 15106): the
        input is taken as steady at its present value since the previous reading; a range
        change starts the filter afresh (settling after it is the measure autodelay's)."""
        previous = self.filter_state
        self.filter_state = (t, current, rng)
        if (
            previous is None
            or previous[2] != rng
            or rng not in FILTERED_RANGES
            or not self._analog_filter_on()
        ):
            return current
        t0, y0, _ = previous
        y = current + (y0 - current) * math.exp(-(t - t0) / ANALOG_FILTER_TAU_S)
        self.filter_state = (t, y, rng)
        return y

    def _analog_filter_on(self) -> bool:
        return bool(self.channel and int(self.channel.measure.analogfilter))

    # --- timing of a measurement -----------------------------------------------------------------
    def measure_delay_for(self, functions=("i",)) -> float:
        """The measure delay: a set value, or on DELAY_AUTO the settling time of the range
        in use times the delay factor, for current measurements (15111, 15112, 11687)."""
        measure = self.channel.measure
        delay = float(measure.delay)
        if delay != DELAY_AUTO:
            return delay
        if functions == ("v",):
            return 0.0
        current = self._operating_point()[0] if self.output else 0.0
        rng = self._measure_range(current)
        settle = MEASURE_SETTLING_S[rng]
        if rng == 100e-12 and int(measure.analogfilter):
            settle = FILTERED_100PA_SETTLING_S
        return settle * float(measure.delayfactor)

    def source_delay_s(self) -> float:
        """``smuX.source.delay``; DELAY_AUTO: the source range's settling time (15142)."""
        delay = float(self.channel.source.delay)
        return SOURCE_SETTLING_S[self.v_range] if delay == DELAY_AUTO else delay

    def wait_measure_delay(self, functions=("i",)) -> None:
        self._sleep(self.measure_delay_for(functions))

    def _references_cost(self) -> float:
        """AUTOZERO_AUTO: two extra conversions when this aperture's references are not
        cached (15108, 11440)."""
        if self.autozero != 2 or self.nplc in self.zero_cache:
            return 0.0
        self._cache_references()
        return 2 * self.aperture

    def _repeat_count(self) -> int:
        measure_filter = self.channel.measure.filter
        if int(measure_filter.enable) and int(measure_filter.type) == 1:  # REPEAT_AVG
            return int(measure_filter.count)
        return 1

    def reading_timing(self) -> ReadingTiming:
        """A reading inside a sweep: the measure delay (applied at every sweep point,
        WH-2600B 12486; an overlapped measurement waits it before its first reading only)
        and any reference conversions, the aperture (times the repeat filter's count), the
        per-reading overhead."""
        plan = self.sweep_plan
        first = plan is None or plan.sweep or self.program is None or self.program.k == 0
        delay = self.measure_delay_for(plan.functions if plan else ("i",)) if first else 0.0
        return ReadingTiming(
            delay + self._references_cost(),
            self._repeat_count() * self.aperture,
            self.reading_overhead,
        )

    def take_reading(self) -> TspReading:
        """One reading of a measure command (its measure delay is waited before the first
        only): references if due, the aperture, the digital filter (15113-15115)."""
        repeat = self._repeat_count()
        self._sleep(self._references_cost() + repeat * self.aperture / 2)
        readings = [self.sample(self.now()) for _ in range(repeat)]
        reading = readings[-1]
        self._sleep(repeat * self.aperture / 2 + self.reading_overhead)
        if int(self.channel.measure.filter.enable) and reading.value != OVERFLOW_READING:
            reading.value = self._digital_filter(
                [r.value for r in readings], self.channel.measure.filter
            )
        return reading

    def _digital_filter(self, values: list[float], measure_filter) -> float:
        """Repeat average of ``values``; moving average or median over the last
        ``count`` conversions (WH-2600B 15115)."""
        kind, count = int(measure_filter.type), int(measure_filter.count)
        if kind == 1:
            return sum(values) / len(values)
        self.digital_stack = (self.digital_stack + values)[-count:]
        ordered = sorted(self.digital_stack)
        if kind == 0:
            return sum(ordered) / len(ordered)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    # --- trigger-model sweep ---------------------------------------------------------------------
    def start_sweep(self, channel: SmuChannel) -> None:
        """``smuX.trigger.initiate()``: a source-measure sweep, paced by a timer when the
        source stimulus is one, stored into the trigger measure buffers (15168, 15172)."""
        if self.program is not None:
            raise TspError(
                5042, "Cannot perform requested action while an overlapped operation is in progress"
            )
        trigger = channel.trigger
        function = trigger.source._function
        levels = list(trigger.source._levels) if int(trigger.source.action) else []
        for level in levels:
            self.check_level(function, level)
        if not levels:  # source action disabled: the present level throughout
            function = self.source_function
            levels = [self.level if function == "v" else self.source_amps]
        measuring = int(trigger.measure.action) != 0
        buffers = trigger.measure._buffers if measuring else ()
        for buffer in buffers:
            if buffer is not None:
                buffer.start()
        timer = next(
            (t for t in self.node.timers if t.EVENT_ID == int(trigger.source.stimulus)), None
        )
        self.sweep_plan = ProgramPlan(function, trigger.measure._functions, buffers, measuring)
        self.program = ListSweep(
            levels=levels,
            delay=0.0,
            total=int(trigger.count) * int(trigger.arm.count),
            buffer="",
            t0=self.now(),
            fail_abort=False,
            period=float(timer.delay) if timer is not None else 0.0,
        )
        self.source_changed()  # the sweep's limits replace the normal ones (15179)

    def start_overlapped(self, functions: tuple, buffers: tuple) -> None:
        """``measure.overlappedY(buffer)``: ``measure.count`` readings ``interval`` apart
        into the buffers while the script goes on (WH-2600B 15120, 77107, 15117)."""
        if self.program is not None:
            raise TspError(
                5042, "Cannot perform requested action while an overlapped operation is in progress"
            )
        measure = self.channel.measure
        level = self.level if self.source_function == "v" else self.source_amps
        self.sweep_plan = ProgramPlan(self.source_function, functions, buffers, True, sweep=False)
        self.program = ListSweep(
            levels=[level],
            delay=0.0,
            total=int(measure.count),
            buffer="",
            t0=self.now(),
            fail_abort=False,
            period=float(measure.interval),
        )

    def apply_level(self, level: float) -> None:
        """A sweep step: the sweep's source function at ``level``."""
        function = self.sweep_plan.function if self.sweep_plan else self.source_function
        self.source_function = function
        self.settling = self.settling or level != (
            self.level if function == "v" else self.source_amps
        )
        if function == "i":
            self.source_amps = level
            return
        if self.v_range_auto:
            needed = self.range_for(level, self.voltage_ranges)
            if needed != self.v_range:
                self.set_voltage_range(needed)
        self.level = level

    def store(self, buffer: str, reading: TspReading) -> None:
        plan = self.sweep_plan
        if not plan.measuring:
            return
        for function, target in zip(plan.functions, plan.buffers, strict=True):
            if target is not None:
                self.channel.store(target, reading, function, reading.value_of(function))

    def fire_event(self, t: float) -> None:
        SimSmu.fire_event(self, t)
        if self.program is None:
            self._end_sweep()

    def _end_sweep(self) -> None:
        """Normal limits again; SOURCE_IDLE returns to the programmed level (15166)."""
        plan, self.sweep_plan = self.sweep_plan, None
        if not plan.sweep:
            return
        hold = int(self.channel.trigger.endsweep.action) == 1
        held = (self.level, self.source_amps)
        self.source_changed()
        if hold:
            self.level, self.source_amps = held

    def abort(self) -> None:
        """The sweep stops; output and settings stay (WH-2600B 15088)."""
        running = self.program is not None
        self.program = None
        if running and self.channel is not None:
            self._end_sweep()


class SimKeithley2636B(Keithley2600Engine):
    """The instrument on the bench: channel A's engine, with the node and channel B."""

    model = "2636B"

    def __init__(self, bench, name: str, serial: str, seed: int):
        self.serial = serial
        node = Node2636B(serial, bench.clock, bench.sync, self)
        Keithley2600Engine.__init__(self, bench, name, seed, node, wired=True)
        self.channel_b = Keithley2600Engine(bench, f"{name}.smub", seed + 1, node, wired=False)
        epoch = time.time() - bench.clock.now()  # basetimestamp: seconds since 1970
        node.add_channel("smua", SmuChannel(self, epoch))
        node.add_channel("smub", SmuChannel(self.channel_b, epoch))
        self.errors = node.errors

    @property
    def idn(self) -> str:
        """The *IDN? reply (WH-2600B 2275)."""
        return f"Keithley Instruments, Model {self.model}, {self.serial}, {self.node.revision}"

    @property
    def engines(self) -> tuple[Keithley2600Engine, Keithley2600Engine]:
        return self, self.channel_b

    def reset(self) -> None:
        self.node.reset_node()

    def push_error(self, code: int, message: str) -> None:
        self.node.push_error(code, message)

    def handle(self, message: str) -> str | None:
        return self.node.handle(message)

    # --- the bench sees both channels' sweeps ----------------------------------------------------
    def next_event_time(self) -> float:
        return min(Keithley2600Engine.next_event_time(engine) for engine in self.engines)

    def fire_event(self, t: float) -> None:
        engine = min(self.engines, key=lambda e: Keithley2600Engine.next_event_time(e))
        Keithley2600Engine.fire_event(engine, t)

    def step(self) -> bool:
        """Let time run to the next sweep event of either channel; False when both idle."""
        t = self.next_event_time()
        if t == math.inf:
            return False
        self.bench.clock.advance_to(t)
        self.bench.sync()
        return True

    def wait_idle(self) -> None:
        """``waitcomplete()``, ``*OPC?``: both channels' sweeps finish."""
        while self.step():
            pass


class Node2636B(TspNode):
    """The 2636B's node: its model, firmware, the two channels and the KISweep functions."""

    model = "2636B"
    revision = "4.0.5"

    def __init__(self, serial: str, clock, sync, instrument: SimKeithley2636B):
        self.instrument = instrument
        self.channels: dict[str, SmuChannel] = {}
        TspNode.__init__(self, serial, clock, sync)
        self.lua.execute(KISWEEP_LUA)

    def add_channel(self, name: str, channel: SmuChannel) -> None:
        self.channels[name] = channel
        self.lua.globals()[name] = channel
        engine = channel.engine
        self.status.add_channel(
            name,
            lambda: (
                (1 if engine.limit_tripped and engine.source_function == "i" else 0)
                | (2 if engine.limit_tripped and engine.source_function == "v" else 0)
            ),
        )
        channel.reset()

    def reset_node(self, system=True) -> None:
        """``reset()`` / ``*RST``: both channels too (WH-2600B 13933, 15136)."""
        TspNode.reset_node(self, system)
        for channel in getattr(self, "channels", {}).values():
            channel.reset()

    def sweeping(self, name: str) -> bool:
        channel = self.channels.get(name)
        return channel is not None and channel.engine.program is not None

    def step(self) -> bool:
        return self.instrument.step()


# The KISweep factory script functions, written here from their descriptions (WH-2600B
# 12175, 12181, 12177, 12192, 12184, 19138, 12190): each point sources a level, settles for
# stime, measures, and stores readings, source values and timestamps in smuX.nvbuffer1.
# Logarithmic levels: start * 10^((k-1) * (log10(stop) - log10(start)) / (points - 1)).
KISWEEP_LUA = """
local function kisweep(smu, func, levels, stime, points)
    if points < 2 then error("points must be >= 2") end
    local buffer = smu.nvbuffer1
    buffer.clear()
    buffer.appendmode = 1
    buffer.collecttimestamps = 1
    buffer.collectsourcevalues = 1
    smu.source.func = func
    smu.source.output = smu.OUTPUT_ON
    for k = 1, points do
        local level = levels(k)
        if func == smu.OUTPUT_DCVOLTS then
            smu.source.levelv = level
            delay(stime)
            smu.measure.i(buffer)
        else
            smu.source.leveli = level
            delay(stime)
            smu.measure.v(buffer)
        end
    end
    smu.source.output = smu.OUTPUT_OFF
end
local function linear(start, stop, points)
    return function(k) return start + (k - 1) * (stop - start) / (points - 1) end
end
local function logarithmic(start, stop, points)
    local step = (math.log10(stop) - math.log10(start)) / (points - 1)
    return function(k) return start * 10 ^ ((k - 1) * step) end
end
local function list(values)
    return function(k) return values[k] end
end
function SweepVLinMeasureI(smu, startv, stopv, stime, points)
    kisweep(smu, smu.OUTPUT_DCVOLTS, linear(startv, stopv, points), stime, points)
end
function SweepILinMeasureV(smu, starti, stopi, stime, points)
    kisweep(smu, smu.OUTPUT_DCAMPS, linear(starti, stopi, points), stime, points)
end
function SweepVLogMeasureI(smu, startv, stopv, stime, points)
    kisweep(smu, smu.OUTPUT_DCVOLTS, logarithmic(startv, stopv, points), stime, points)
end
function SweepILogMeasureV(smu, starti, stopi, stime, points)
    kisweep(smu, smu.OUTPUT_DCAMPS, logarithmic(starti, stopi, points), stime, points)
end
function SweepVListMeasureI(smu, vlist, stime, points)
    kisweep(smu, smu.OUTPUT_DCVOLTS, list(vlist), stime, points)
end
function SweepIListMeasureV(smu, ilist, stime, points)
    kisweep(smu, smu.OUTPUT_DCAMPS, list(ilist), stime, points)
end
"""
