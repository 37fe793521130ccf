"""A Series 2600B SMU channel as TSP sees it: ``smua`` / ``smub`` and their reading buffers.

Attribute names, ranges, defaults after ``smuX.reset()`` / ``reset()`` and the error a bad
value gets are those of the command pages of the Series 2600B Reference Manual
(2600BS-901-01), cited by help-page id (WH-2600B nnnnn). A value outside the documented range
is refused with 1101 "Parameter too big" / 1102 "Parameter too small" (WH-2600B 77705; 17115
names 1102 for a zero limit). The physics (what the device does, ranges, noise, timing) is
the model's channel engine (``keithley2636b.Keithley2600Engine``).
"""

import math

from .tsp_runtime import TspError, in_range, one_of

DELAY_AUTO, DELAY_OFF = -1, 0
LIMIT_AUTO = 0
STATUS_AUTORANGE_MEASURE, STATUS_AUTORANGE_SOURCE = 0x04, 0x08
STATUS_REMOTE_SENSE, STATUS_COMPLIANCE, STATUS_FILTERED = 0x10, 0x40, 0x80  # WH-2600B 19921
TIMESTAMP_WRAP_TICKS = 2**32  # "unique timestamps for up to 71 minutes" at 1 us (15135)
# Dedicated buffers "can store over 140,000 readings" with basic items; each of timestamps
# and source values takes "four extra bytes" and lowers the capacity (WH-2600B 15129, 15132,
# 15133). The manual gives no figure for the lowered capacity: a basic reading is taken here
# as 8 bytes, so one extra item leaves 2/3 and both leave 1/2 of it.
DEDICATED_BASIC_CAPACITY = 140_000
BASIC_READING_BYTES, EXTRA_ITEM_BYTES = 8, 4
SOURCE_CURRENT_LOW_RANGE = 1e-9  # source rangei after reset, 2634B-2636B (WH-2600B 15153)


class Settings:
    """A TSP table of attributes whose values are checked by ``_checks`` on assignment."""

    _checks: dict = {}

    def __setattr__(self, name, value):
        check = self._checks.get(name)
        object.__setattr__(
            self, name, check(value) if check and not name.startswith("_") else value
        )


class BufferEntry:
    __slots__ = ("function", "reading", "source", "status", "t")

    def __init__(self, t, reading, source, status, function):
        self.t, self.reading, self.source, self.status = t, reading, source, status
        self.function = function


class BufferColumn:
    """A recall attribute (``readings``, ``timestamps`` ...): indexed 1..n like a Lua table."""

    def __init__(self, buffer: "ReadingBuffer", value):
        self._buffer, self._value = buffer, value

    def __getitem__(self, index: int):
        entries = self._buffer._entries
        if not 1 <= index <= len(entries):
            return None
        return self._value(entries[index - 1])

    def __len__(self) -> int:
        return len(self._buffer._entries)


class ReadingBuffer:
    """``smuX.nvbufferY`` or a ``smuX.makebuffer(n)`` buffer (WH-2600B 15126, 15105)."""

    FILL_ONCE, FILL_WINDOW = 0, 1

    def __init__(self, clock_epoch: float, capacity: int | None = None):
        self._epoch = clock_epoch  # seconds since 1970 at virtual time 0
        self._fixed_capacity = capacity  # dynamic buffers: set when made (15129)
        self._entries: list[BufferEntry] = []
        self._next_window = 0
        self._columns = {
            name: BufferColumn(self, value)
            for name, value in (
                ("readings", lambda e: e.reading),
                ("statuses", lambda e: e.status),
                ("measurefunctions", lambda e: e.function),
                ("sourcevalues", lambda e: e.source),
                ("timestamps", self._timestamp),
            )
        }
        for name, value in (
            ("appendmode", 0),
            ("collecttimestamps", 0),
            ("collectsourcevalues", 0),
            ("timestampresolution", 1e-6),
            ("fillmode", 0),
            ("fillcount", 0),
            ("cachemode", 1),
        ):
            object.__setattr__(self, name, value)  # defaults: 15127, 15133, 15132, 15135, 18552

    # --- settings: some only while empty (5032, WH-2600B 15127 / 15132 / 15133 / 15135) ------
    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        if (
            name
            in ("appendmode", "collecttimestamps", "collectsourcevalues", "timestampresolution")
            and self._entries
        ):
            raise TspError(5032, "Cannot change this setting unless buffer is cleared")
        if name == "timestampresolution":
            value = self._power_of_two_microseconds(value)
        elif name == "fillcount":
            value = int(in_range(value, 0, self.capacity, "fillcount"))
        elif name in (
            "appendmode",
            "collecttimestamps",
            "collectsourcevalues",
            "fillmode",
            "cachemode",
        ):
            value = one_of(value, (0, 1), name)
        else:
            raise TspError(-286, f"TSP Runtime error: {name} is read-only")
        object.__setattr__(self, name, value)

    @staticmethod
    def _power_of_two_microseconds(value) -> float:
        """Minimum 1 us, rounded to an even power of 2 us (WH-2600B 15135; 5047)."""
        microseconds = float(value) * 1e6
        if microseconds < 1:
            raise TspError(5047, "Minimum timestamp resolution is 1us")
        return 2 ** round(math.log2(microseconds)) * 1e-6

    # --- read-only attributes -------------------------------------------------------------------
    @property
    def capacity(self) -> int:
        if self._fixed_capacity is not None:
            return self._fixed_capacity
        extras = int(self.collecttimestamps) + int(self.collectsourcevalues)
        return (
            DEDICATED_BASIC_CAPACITY
            * BASIC_READING_BYTES
            // (BASIC_READING_BYTES + EXTRA_ITEM_BYTES * extras)
        )

    @property
    def n(self) -> int:
        return len(self._entries)

    @property
    def fillcount_effective(self) -> int:
        return int(self.fillcount) or self.capacity

    @property
    def basetimestamp(self) -> float:
        """Seconds since 1970 of the first reading (WH-2600B 15128), 0 when empty."""
        return self._epoch + self._entries[0].t if self._entries else 0

    @property
    def readings(self) -> BufferColumn:
        return self._columns["readings"]

    @property
    def statuses(self) -> BufferColumn:
        return self._columns["statuses"]

    @property
    def measurefunctions(self) -> BufferColumn:
        return self._columns["measurefunctions"]

    @property
    def sourcevalues(self) -> BufferColumn | None:
        return self._columns["sourcevalues"] if self.collectsourcevalues else None

    @property
    def timestamps(self) -> BufferColumn | None:
        """None (nil) unless collected: "you cannot access any time information" (19922)."""
        return self._columns["timestamps"] if self.collecttimestamps else None

    def _timestamp(self, entry: BufferEntry) -> float:
        """Relative to the first reading, in ticks of ``timestampresolution`` that wrap
        after 2^32 ticks (71.6 min at 1 us) (WH-2600B 19922, 15135)."""
        resolution = self.timestampresolution
        ticks = round((entry.t - self._entries[0].t) / resolution)
        return (ticks % TIMESTAMP_WRAP_TICKS) * resolution

    # --- functions -------------------------------------------------------------------------------
    def __getitem__(self, index: int):
        """``bufferVar[N]``: the reading (the default recall attribute)."""
        return self.readings[index]

    def __len__(self) -> int:
        return self.n

    def clear(self) -> None:
        self._entries.clear()
        self._next_window = 0

    def clearcache(self) -> None:
        """Nothing cached off the instrument in the simulator (WH-2600B 15131)."""

    def start(self) -> None:
        """A measurement command begins: without append mode the old readings go (15127)."""
        if not int(self.appendmode):
            self.clear()

    def add(self, t: float, reading: float, source: float, status: int, function: str) -> None:
        """Store one reading; FILL_ONCE discards when full, FILL_WINDOW wraps (18552)."""
        entry = BufferEntry(t, reading, source, status, function)
        if (
            int(self.fillmode) == self.FILL_WINDOW
            and len(self._entries) >= self.fillcount_effective
        ):
            self._entries[self._next_window] = entry
            self._next_window = (self._next_window + 1) % self.fillcount_effective
        elif len(self._entries) < self.capacity:
            self._entries.append(entry)


class Source(Settings):
    """``smuX.source``: function, levels, ranges, limits, output (WH-2600B 151xx, 17115)."""

    def __init__(self, channel: "SmuChannel"):
        object.__setattr__(self, "_channel", channel)
        engine = channel.engine
        object.__setattr__(
            self,
            "_checks",
            {
                "func": lambda v: one_of(v, (0, 1), "source.func"),  # 15144
                "levelv": lambda v: in_range(v, -engine.max_volts, engine.max_volts, "levelv"),
                "leveli": lambda v: in_range(v, -engine.max_amps, engine.max_amps, "leveli"),
                "limitv": lambda v: in_range(v, engine.min_limitv, engine.max_volts, "limitv"),
                "limiti": lambda v: in_range(v, engine.min_limiti, engine.max_amps, "limiti"),
                "limitp": lambda v: in_range(v, 0, math.inf, "limitp"),
                "autorangev": lambda v: one_of(v, (0, 1), "autorangev"),  # 15139
                "autorangei": lambda v: one_of(v, (0, 1), "autorangei"),
                "offmode": lambda v: one_of(v, (0, 1, 2), "offmode"),  # 15150
                "delay": lambda v: _delay_setting(v, "source.delay"),  # 15142
                "sink": lambda v: one_of(v, (0, 1), "sink"),
                "settling": lambda v: one_of(v, (0, 1, 2, 3, 4, 128), "settling"),
            },
        )
        self.reset()

    def reset(self) -> None:
        """Defaults (WH-2600B 15144, 15146, 17115, 15153, 15139, 15150, 15151, 15142)."""
        for name, value in (
            ("func", 1),
            ("levelv", 0.0),
            ("leveli", 0.0),
            ("limitv", 20.0),
            ("limiti", 100e-3),
            ("limitp", 0),
            ("autorangev", 1),
            ("autorangei", 1),
            ("offmode", 0),
            ("delay", DELAY_OFF),
            ("sink", 0),
            ("settling", 0),
        ):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_rangev", 200e-3)
        object.__setattr__(self, "_rangei", SOURCE_CURRENT_LOW_RANGE)

    def __setattr__(self, name, value):
        engine = self._channel.engine
        if name == "rangev":  # WH-2600B 15153: a fixed range large enough for the value
            object.__setattr__(self, "_rangev", engine.voltage_range_for(value))
            object.__setattr__(self, "autorangev", 0)
        elif name == "rangei":
            object.__setattr__(self, "_rangei", engine.current_range_for(value))
            object.__setattr__(self, "autorangei", 0)
        elif name == "output":  # WH-2600B 15151: HIGH_Z (2) turns the output off
            state = one_of(value, (0, 1, 2), "output")
            if state == 2:
                object.__setattr__(self, "offmode", 2)
            engine.switch_output(state == 1)
        elif name in self._checks:
            checked = self._checks[name](value)
            if name in ("levelv", "leveli"):
                engine.check_level(name[-1], checked)
            object.__setattr__(self, name, checked)
        else:
            raise TspError(-286, f"TSP Runtime error: cannot set source.{name}")
        engine.source_changed()

    @property
    def rangev(self) -> float:
        """The range in use: with autorange the one the level needs (15153)."""
        if int(self.autorangev):
            return self._channel.engine.voltage_range_for(self.levelv)
        return self._rangev

    @property
    def rangei(self) -> float:
        """With autorange, the level's range, not below the 1 nA the 2636B resets to
        (WH-2600B 15153)."""
        if int(self.autorangei):
            return max(
                SOURCE_CURRENT_LOW_RANGE, self._channel.engine.current_range_for(self.leveli)
            )
        return self._rangei

    @property
    def output(self) -> int:
        return int(self._channel.engine.output)

    @property
    def compliance(self) -> bool:
        """True while the limit is in control of the source (WH-2600B 15141)."""
        return self._channel.engine.in_compliance()


def _delay_setting(value, what: str) -> float:
    """A delay in seconds, 0 (DELAY_OFF) or -1 (DELAY_AUTO) (WH-2600B 15142, 15111)."""
    number = float(value)
    return DELAY_AUTO if number == DELAY_AUTO else in_range(number, 0, 100e3, what)


class Filter(Settings):
    """``smuX.measure.filter`` (WH-2600B 15113-15115)."""

    _checks = {
        "count": lambda v: int(in_range(v, 1, 100, "filter.count")),
        "enable": lambda v: one_of(v, (0, 1), "filter.enable"),
        "type": lambda v: one_of(v, (0, 1, 2), "filter.type"),
    }

    def reset(self) -> None:
        self.count, self.enable, self.type = 1, 0, 1  # FILTER_OFF, FILTER_REPEAT_AVG


class Measure(Settings):
    """``smuX.measure``: aperture, ranges, autozero, delays, count, filters, and the
    measurement functions ``i() v() r() p() iv()`` (WH-2600B 15106-15122, 77107)."""

    def __init__(self, channel: "SmuChannel"):
        object.__setattr__(self, "_channel", channel)
        engine = channel.engine
        object.__setattr__(
            self,
            "_checks",
            {
                "nplc": lambda v: in_range(v, 0.001, 25, "nplc"),  # 15119
                "autorangev": lambda v: one_of(v, (0, 1, 2), "autorangev"),  # 15107
                "autorangei": lambda v: one_of(v, (0, 1, 2), "autorangei"),
                "autozero": lambda v: one_of(v, (0, 1, 2), "autozero"),  # 15108
                "delay": lambda v: _delay_setting(v, "measure.delay"),  # 15111
                "delayfactor": lambda v: in_range(v, 0, 100, "delayfactor"),  # 15112
                "count": lambda v: int(in_range(v, 1, engine.max_measure_count, "count")),
                "interval": lambda v: in_range(v, 0, 1, "interval"),  # 15117
                "analogfilter": lambda v: one_of(v, (0, 1), "analogfilter"),  # 15106
                "highcrangedelayfactor": lambda v: in_range(v, 1, 99, "highcrangedelayfactor"),
                "lowrangei": lambda v: engine.current_range_for(v),
                "lowrangev": lambda v: engine.voltage_range_for(v),
            },
        )
        object.__setattr__(self, "filter", Filter())
        self.reset()

    def reset(self) -> None:
        """Defaults: nplc 1, autoranging, AUTOZERO_AUTO, measure delay DELAY_AUTO on the
        2634B/2635B/2636B, factor 1, count 1, interval 0, analog filter on (15119, 15107,
        15108, 15111, 15112, 77107, 15117, 15106); ranges 200 mV and 100 mA (15121)."""
        engine = self._channel.engine
        for name, value in (
            ("nplc", 1.0),
            ("autorangev", 1),
            ("autorangei", 1),
            ("autozero", 2),
            ("delay", engine.default_measure_delay),
            ("delayfactor", 1.0),
            ("count", 1),
            ("interval", 0.0),
            ("analogfilter", 1),
            ("highcrangedelayfactor", 10),
            ("lowrangei", engine.current_ranges[0]),
            ("lowrangev", engine.voltage_ranges[0]),
        ):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_rangev", 200e-3)
        object.__setattr__(self, "_rangei", 100e-3)
        self.filter.reset()
        engine.autozero_changed(2)

    def __setattr__(self, name, value):
        engine = self._channel.engine
        if name == "rangev":
            object.__setattr__(self, "_rangev", engine.voltage_range_for(value))
            object.__setattr__(self, "autorangev", 0)
        elif name == "rangei":  # WH-2600B 15121: setting a range ends autoranging
            object.__setattr__(self, "_rangei", engine.current_range_for(value))
            object.__setattr__(self, "autorangei", 0)
        elif name in self._checks:
            Settings.__setattr__(self, name, value)
            if name == "autozero":
                engine.autozero_changed(int(self.autozero))
                if int(self.autozero) == 1:  # AUTOZERO_ONCE: once, then off (15108)
                    object.__setattr__(self, "autozero", 0)
        else:
            raise TspError(-286, f"TSP Runtime error: cannot set measure.{name}")

    @property
    def rangev(self) -> float:
        return self._rangev

    @property
    def rangei(self) -> float:
        """With autorange, the range of the last measurement (15121)."""
        engine = self._channel.engine
        return engine.last_current_range if int(self.autorangei) else self._rangei

    # --- measurement functions (WH-2600B 15122) ------------------------------------------------
    def i(self, buffer=None):
        return self._channel.measure_into(("i",), (buffer,))[0]

    def v(self, buffer=None):
        return self._channel.measure_into(("v",), (buffer,))[0]

    def r(self, buffer=None):
        return self._channel.measure_into(("r",), (buffer,))[0]

    def p(self, buffer=None):
        return self._channel.measure_into(("p",), (buffer,))[0]

    def iv(self, ibuffer=None, vbuffer=None):
        return tuple(self._channel.measure_into(("i", "v"), (ibuffer, vbuffer)))

    # --- overlapped: the script goes on while the readings are taken (WH-2600B 15120) -----
    def overlappedi(self, buffer):
        self._channel.measure_overlapped(("i",), (buffer,))

    def overlappedv(self, buffer):
        self._channel.measure_overlapped(("v",), (buffer,))

    def overlappedr(self, buffer):
        self._channel.measure_overlapped(("r",), (buffer,))

    def overlappedp(self, buffer):
        self._channel.measure_overlapped(("p",), (buffer,))

    def overlappediv(self, ibuffer, vbuffer):
        self._channel.measure_overlapped(("i", "v"), (ibuffer, vbuffer))


class TriggerSource(Settings):
    """``smuX.trigger.source``: the sweep's source action (WH-2600B 15178-15184)."""

    def __init__(self, channel: "SmuChannel"):
        object.__setattr__(self, "_channel", channel)
        engine = channel.engine
        object.__setattr__(
            self,
            "_checks",
            {
                "action": lambda v: one_of(v, (0, 1), "source.action"),
                "stimulus": lambda v: int(in_range(v, 0, 65535, "source.stimulus")),
                "limitv": lambda v: _sweep_limit(v, engine.min_limitv, engine.max_volts, "limitv"),
                "limiti": lambda v: _sweep_limit(v, engine.min_limiti, engine.max_amps, "limiti"),
            },
        )
        self.reset()

    def reset(self) -> None:
        """action DISABLE, stimulus 0, limits LIMIT_AUTO (15178, 15184, 15179)."""
        for name, value in (
            ("action", 0),
            ("stimulus", 0),
            ("limitv", LIMIT_AUTO),
            ("limiti", LIMIT_AUTO),
        ):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_levels", [])
        object.__setattr__(self, "_function", "v")

    def __setattr__(self, name, value):
        if name not in self._checks:
            raise TspError(-286, f"TSP Runtime error: cannot set trigger.source.{name}")
        Settings.__setattr__(self, name, value)

    def _configure(self, function: str, levels: list[float]) -> None:
        """The last configured source action is the one used (15180)."""
        engine = self._channel.engine
        bound = engine.max_volts if function == "v" else engine.max_amps
        for level in levels:
            in_range(level, -bound, bound, f"sweep level {level:g}")
        object.__setattr__(self, "_levels", levels)
        object.__setattr__(self, "_function", function)

    def listv(self, table):
        self._configure("v", _lua_list(table))

    def listi(self, table):
        self._configure("i", _lua_list(table))

    def linearv(self, start, stop, points):
        self._configure("v", _linear(start, stop, points))

    def lineari(self, start, stop, points):
        self._configure("i", _linear(start, stop, points))

    def logv(self, start, stop, points, asymptote):
        self._configure("v", _logarithmic(start, stop, points, asymptote))

    def logi(self, start, stop, points, asymptote):
        self._configure("i", _logarithmic(start, stop, points, asymptote))


def _sweep_limit(value, low: float, high: float, what: str) -> float:
    """LIMIT_AUTO (0) or a limit in the normal limit's range (WH-2600B 15179)."""
    number = float(value)
    return LIMIT_AUTO if number == LIMIT_AUTO else in_range(number, low, high, what)


def _lua_list(table) -> list[float]:
    values = [float(table[k]) for k in range(1, len(table) + 1)]
    if not values:
        raise TspError(-222, "Parameter data out of range: empty source list")
    return values


def _linear(start, stop, points) -> list[float]:
    """``points`` uniform values, start and stop included (WH-2600B 15180)."""
    n = int(in_range(points, 1, 2**31, "points"))
    start, stop = float(start), float(stop)
    return [start + (stop - start) * k / max(n - 1, 1) for k in range(n)]


def _logarithmic(start, stop, points, asymptote) -> list[float]:
    """Geometric values between start and stop, offset by an asymptote that must lie
    outside [start, stop] (WH-2600B 15182)."""
    n = int(in_range(points, 2, 2**31, "points"))
    start, stop, asymptote = float(start), float(stop), float(asymptote)
    if min(start, stop) <= asymptote <= max(start, stop):
        raise TspError(-222, "Parameter data out of range: asymptote between start and stop")
    a, b = start - asymptote, stop - asymptote
    return [asymptote + a * (b / a) ** (k / (n - 1)) for k in range(n)]


class TriggerMeasure(Settings):
    """``smuX.trigger.measure``: what each sweep point measures, into which buffers (15172)."""

    _checks = {
        "action": lambda v: one_of(v, (0, 1, 2), "measure.action"),
        "stimulus": lambda v: int(in_range(v, 0, 65535, "measure.stimulus")),
    }

    def reset(self) -> None:
        self.action, self.stimulus = 0, 0
        object.__setattr__(self, "_functions", ("i",))
        object.__setattr__(self, "_buffers", (None,))

    def _set(self, functions, buffers) -> None:
        if any(b is not None and not isinstance(b, ReadingBuffer) for b in buffers):
            raise TspError(5033, "Reading buffer not found within device")
        object.__setattr__(self, "_functions", functions)
        object.__setattr__(self, "_buffers", buffers)

    def i(self, buffer):
        self._set(("i",), (buffer,))

    def v(self, buffer):
        self._set(("v",), (buffer,))

    def r(self, buffer):
        self._set(("r",), (buffer,))

    def p(self, buffer):
        self._set(("p",), (buffer,))

    def iv(self, ibuffer, vbuffer):
        self._set(("i", "v"), (ibuffer, vbuffer))


class Stage(Settings):
    """``trigger.arm`` / ``trigger.endpulse`` / ``trigger.endsweep`` (15162, 15166)."""

    _checks = {
        "count": lambda v: int(in_range(v, 1, 2**31, "arm.count")),
        "stimulus": lambda v: int(in_range(v, 0, 65535, "stimulus")),
        "action": lambda v: one_of(v, (0, 1), "action"),
    }

    def __init__(self, **defaults):
        object.__setattr__(self, "_defaults", defaults)
        self.reset()

    def reset(self) -> None:
        for name, value in self._defaults.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        if name not in self._defaults:
            raise TspError(-286, f"TSP Runtime error: cannot set {name}")
        Settings.__setattr__(self, name, value)


class Trigger(Settings):
    """``smuX.trigger``: count, arm/source/measure/endpulse/endsweep and ``initiate()``."""

    _checks = {"count": lambda v: int(in_range(v, 1, 2**31, "trigger.count"))}
    SOURCE_COMPLETE_EVENT_ID, MEASURE_COMPLETE_EVENT_ID = 201, 202
    PULSE_COMPLETE_EVENT_ID, SWEEP_COMPLETE_EVENT_ID = 203, 204
    IDLE_EVENT_ID, ARMED_EVENT_ID, SWEEPING_EVENT_ID = 205, 206, 207

    def __init__(self, channel: "SmuChannel"):
        object.__setattr__(self, "_channel", channel)
        object.__setattr__(self, "source", TriggerSource(channel))
        object.__setattr__(self, "measure", TriggerMeasure())
        object.__setattr__(self, "arm", Stage(count=1, stimulus=0))
        object.__setattr__(self, "endpulse", Stage(action=1, stimulus=0))  # SOURCE_HOLD
        object.__setattr__(self, "endsweep", Stage(action=0))  # SOURCE_IDLE
        self.reset()

    def reset(self) -> None:
        object.__setattr__(self, "count", 1)
        for part in (self.source, self.measure, self.arm, self.endpulse, self.endsweep):
            part.reset()

    def __setattr__(self, name, value):
        if name != "count":
            raise TspError(-286, f"TSP Runtime error: cannot set trigger.{name}")
        Settings.__setattr__(self, name, value)

    def initiate(self) -> None:
        self._channel.engine.start_sweep(self._channel)

    def abort(self) -> None:
        self._channel.engine.abort()


class SmuChannel:
    """What Lua sees as ``smua`` / ``smub``: constants, settings, buffers, functions."""

    OUTPUT_DCAMPS, OUTPUT_DCVOLTS = 0, 1
    OUTPUT_OFF, OUTPUT_ON, OUTPUT_HIGH_Z = 0, 1, 2
    OUTPUT_NORMAL, OUTPUT_ZERO = 0, 1
    AUTORANGE_OFF, AUTORANGE_ON, AUTORANGE_FOLLOW_LIMIT = 0, 1, 2
    AUTOZERO_OFF, AUTOZERO_ONCE, AUTOZERO_AUTO = 0, 1, 2
    DELAY_OFF, DELAY_AUTO = DELAY_OFF, DELAY_AUTO
    DISABLE, ENABLE, ASYNC = 0, 1, 2
    SOURCE_IDLE, SOURCE_HOLD = 0, 1
    LIMIT_AUTO = LIMIT_AUTO
    FILTER_OFF, FILTER_ON = 0, 1
    FILTER_MOVING_AVG, FILTER_REPEAT_AVG, FILTER_MEDIAN = 0, 1, 2
    SENSE_LOCAL, SENSE_REMOTE, SENSE_CALA = 0, 1, 3
    FILL_ONCE, FILL_WINDOW = ReadingBuffer.FILL_ONCE, ReadingBuffer.FILL_WINDOW

    def __init__(self, engine, epoch: float):
        self.engine = engine
        self._epoch = epoch
        engine.channel = self
        self.source = Source(self)
        self.measure = Measure(self)
        self.trigger = Trigger(self)
        self.nvbuffer1 = ReadingBuffer(epoch)
        self.nvbuffer2 = ReadingBuffer(epoch)
        self._sense = 0

    @property
    def sense(self) -> int:
        return self._sense

    @sense.setter
    def sense(self, value) -> None:
        """SENSE_LOCAL / SENSE_REMOTE; CALA only when calibration is enabled (15138)."""
        mode = one_of(value, (0, 1, 3), "sense")
        if mode == 3:
            raise TspError(5004, "Operation conflicts with CALA sense mode")
        self._sense = mode

    def reset(self) -> None:
        """``smuX.reset()``: output off, every smuX setting to its default (WH-2600B 15136).
        The dedicated buffers keep their readings (they are not settings)."""
        self.engine.abort()
        self.engine.switch_output(False)
        self.source.reset()
        self.measure.reset()
        self.trigger.reset()
        self._sense = 0
        self.engine.source_changed()

    def abort(self) -> None:
        """Ends the sweep; output and settings stay (WH-2600B 15088)."""
        self.engine.abort()

    def makebuffer(self, size) -> ReadingBuffer:
        return ReadingBuffer(self._epoch, int(in_range(size, 1, 2**31, "bufferSize")))

    # --- measuring -----------------------------------------------------------------------------
    def measure_into(self, functions, buffers) -> list[float]:
        """One measurement command: ``measure.count`` readings into the buffers if given
        (one reading without a buffer), the measure delay before the first, ``interval``
        between starts (WH-2600B 15122, 77107, 15117)."""
        for buffer in buffers:
            if buffer is not None and not isinstance(buffer, ReadingBuffer):
                raise TspError(5033, "Reading buffer not found within device")
        stored = [b for b in buffers if b is not None]
        count = int(self.measure.count) if stored else 1
        for buffer in stored:
            buffer.start()
        engine = self.engine
        engine.wait_measure_delay(tuple(functions))
        start = engine.now()
        values = []
        for k in range(count):
            engine.wait_until(start + k * float(self.measure.interval))
            reading = engine.take_reading()
            values = [reading.value_of(f) for f in functions]
            for function, buffer, value in zip(functions, buffers, values, strict=True):
                if buffer is not None:
                    self.store(buffer, reading, function, value)
        return values

    def measure_overlapped(self, functions, buffers) -> None:
        """Overlapped measurements always go to a reading buffer (WH-2600B 15126)."""
        if any(not isinstance(b, ReadingBuffer) for b in buffers):
            raise TspError(5033, "Reading buffer not found within device")
        for buffer in buffers:
            buffer.start()
        self.engine.start_overlapped(tuple(functions), tuple(buffers))

    def store(self, buffer: ReadingBuffer, reading, function: str, value: float) -> None:
        status = (
            (STATUS_COMPLIANCE if reading.limited else 0)
            | (STATUS_AUTORANGE_MEASURE if int(self.measure.autorangei) else 0)
            | (STATUS_AUTORANGE_SOURCE if int(self.source.autorangev) else 0)
            | (STATUS_REMOTE_SENSE if self._sense == 1 else 0)
            | (STATUS_FILTERED if int(self.measure.filter.enable) else 0)
        )
        names = {"i": "Current", "v": "Voltage", "r": "Resistance", "p": "Power"}
        buffer.add(reading.t, value, reading.sourced, status, names[function])
