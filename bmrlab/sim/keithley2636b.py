"""Simulated Keithley 2636B System SourceMeter, channel A, speaking TSP (Lua) for real.

Messages are Lua chunks run by an embedded Lua interpreter (lupa) whose ``smua`` is this
SMU: ``smua.source.levelv = 0.1``, ``print(smua.measure.i())``, ``loadscript ... endscript``,
``printbuffer(1, n, smua.nvbuffer1.readings)``, ``errorqueue.next()``, and the trigger model
for list sweeps (``smua.trigger.source.listv``, ``smua.trigger.count``,
``trigger.timer[1]`` as the source stimulus, ``smua.trigger.initiate()``). Names follow the
Series 2600B Reference Manual (2600BS-901-01), section 7 "TSP command reference". A Lua syntax
error is queued as -285, a runtime error as -286, as the instrument does.
"""

import math
from collections import deque

from lupa import LuaError, LuaRuntime

from .scpi import ScpiError
from .smu import SimSmu

OUTPUT_OFF, OUTPUT_ON = 0, 1
OFF_MODES = {0: "NORM", 1: "ZERO", 2: "HIMP"}  # smua.OUTPUT_NORMAL, _ZERO, _HIGH_Z
NVBUFFER_CAPACITY = 100_000
STATUS_COMPLIANCE = 0x40  # bufferVar.statuses bit B6


def _values(table) -> list[float]:
    """A Lua table (1-based array) as a Python list."""
    return [float(table[k]) for k in range(1, len(table) + 1)]


class TspBuffer:
    """``smua.nvbuffer1``: readings with their timestamps, source values and statuses."""

    def __init__(self):
        self.appendmode = 0
        self.collecttimestamps = 1
        self.collectsourcevalues = 1
        self.capacity = NVBUFFER_CAPACITY
        self.entries = []  # (t, source, value, status)
        # the recall attributes (bufferVar.timestamps ...), one object each
        self.timestamps, self.sourcevalues, self.readings, self.statuses = (
            TspColumn(self, k) for k in range(4))

    @property
    def n(self) -> int:
        return len(self.entries)

    def clear(self) -> None:
        self.entries.clear()

    def add(self, reading, value: float | None = None) -> None:
        """Store a reading (``value``: what was measured, if not the current)."""
        if len(self.entries) < self.capacity:
            status = STATUS_COMPLIANCE if reading.limited else 0
            self.entries.append((reading.t, reading.source,
                                 reading.value if value is None else value, status))



class TspColumn:
    """One recall attribute of a buffer (readings, timestamps ...), indexed from 1."""

    def __init__(self, buffer: TspBuffer, k: int):
        self.buffer, self.k = buffer, k

    def __getitem__(self, index):
        t0 = self.buffer.entries[0][0] if self.k == 0 else 0.0
        return self.buffer.entries[int(index) - 1][self.k] - t0

    def __len__(self):
        return self.buffer.n


class TspSource:
    def __init__(self, smu: "SimKeithley2636B"):
        object.__setattr__(self, "smu", smu)
        object.__setattr__(self, "func", 1)  # smua.OUTPUT_DCVOLTS
        object.__setattr__(self, "delay", 0.0)

    def __getattr__(self, name):
        smu = self.smu
        values = {"levelv": smu.level, "rangev": smu.v_range, "autorangev": int(smu.v_range_auto),
                  "limiti": smu.i_limit, "output": int(smu.output), "compliance": smu.limit_tripped,
                  "offmode": {v: k for k, v in OFF_MODES.items()}[smu.off_mode]}
        if name in values:
            return values[name]
        raise AttributeError(f"smua.source.{name}")

    def __setattr__(self, name, value):
        smu = self.smu
        if name == "levelv":
            smu.apply_level(float(value))
        elif name == "rangev":
            smu.v_range_auto = False
            smu.set_voltage_range(float(value))
        elif name == "autorangev":
            smu.v_range_auto = bool(value)
        elif name == "limiti":
            smu.i_limit = float(value)
        elif name == "output":
            smu.output = int(value) == OUTPUT_ON
        elif name == "offmode":
            smu.off_mode = OFF_MODES[int(value)]
        elif name in ("func", "delay"):
            object.__setattr__(self, name, value)
        else:
            raise AttributeError(f"smua.source.{name} cannot be set")


class TspMeasure:
    def __init__(self, smu: "SimKeithley2636B"):
        object.__setattr__(self, "smu", smu)
        object.__setattr__(self, "delay", 0.0)
        object.__setattr__(self, "count", 1)

    def __getattr__(self, name):
        smu = self.smu
        values = {"nplc": smu.nplc, "rangei": smu.i_range, "autorangei": int(smu.i_range_auto),
                  "autozero": 1 if smu.zeroed else 0}
        if name in values:
            return values[name]
        raise AttributeError(f"smua.measure.{name}")

    def __setattr__(self, name, value):
        smu = self.smu
        if name == "nplc":
            if not 0.001 <= float(value) <= 25:
                raise ValueError("nplc must be within 0.001 to 25")
            smu.nplc = float(value)
        elif name == "rangei":
            smu.i_range_auto = False
            smu.i_range = smu.range_for(float(value), smu.current_ranges)
        elif name == "autorangei":
            smu.i_range_auto = bool(value)
        elif name == "autozero":
            smu.zeroed = smu.zeroed or int(value) in (1, 2)  # AUTOZERO_ONCE or _AUTO
        elif name in ("delay", "count"):
            object.__setattr__(self, name, value)
        else:
            raise AttributeError(f"smua.measure.{name} cannot be set")

    def i(self, buffer=None):
        reading = self.smu.read_now()
        if buffer is not None:
            buffer.add(reading)
        return reading.value

    def v(self, buffer=None):
        reading = self.smu.read_now()
        if buffer is not None:
            buffer.add(reading, reading.source)
        return reading.source

    def iv(self, ibuffer=None, vbuffer=None):
        reading = self.smu.read_now()
        if ibuffer is not None:
            ibuffer.add(reading)
        if vbuffer is not None:
            vbuffer.add(reading, reading.source)
        return reading.value, reading.source


class TspTimer:
    def __init__(self, number: int):
        self.number = number
        self.delay = 10e-6
        self.count = 1
        self.passthrough = False
        self.stimulus = 0
        self.EVENT_ID = 100 + number


class TspTriggerModel:
    """``smua.trigger``: a source list stepped by a stimulus, a reading at each step."""

    def __init__(self, smu: "SimKeithley2636B", timers):
        self.smu = smu
        self.timers = timers
        self.count = 1
        self.source = TspTriggerSource()
        self.measure = TspTriggerMeasure()
        self.arm = _Settings(count=1, stimulus=0)
        self.endpulse = _Settings(action=1, stimulus=0)
        self.endsweep = _Settings(action=0)
        self.SOURCE_COMPLETE_EVENT_ID, self.MEASURE_COMPLETE_EVENT_ID = 201, 202
        self.PULSE_COMPLETE_EVENT_ID, self.SWEEP_COMPLETE_EVENT_ID = 203, 204
        self.IDLE_EVENT_ID, self.ARMED_EVENT_ID = 205, 206

    def initiate(self):
        smu = self.smu
        levels = self.source.levels or [smu.level]
        total = int(self.count) * int(self.arm.count)
        delay = smu.channel.measure.delay
        timer = next((t for t in self.timers if t.EVENT_ID == self.source.stimulus), None)
        natural = delay + smu.aperture + smu.reading_overhead
        smu.trigger_buffer = self.measure.buffer
        smu.start_list_sweep(levels, delay, total, "tsp", False)
        if timer is not None:  # the timer paces the steps, if slower than a reading
            smu.program.period = max(timer.delay, natural)

    def abort(self):
        self.smu.abort()


class TspTriggerSource:
    def __init__(self):
        self.action = 0
        self.stimulus = 0
        self.limiti = math.inf
        self.levels = []

    def listv(self, table):
        self.levels = _values(table)

    def linearv(self, start, stop, points):
        n = int(points)
        self.levels = [start + (stop - start) * k / max(n - 1, 1) for k in range(n)]


class TspTriggerMeasure:
    def __init__(self):
        self.action = 0
        self.stimulus = 0
        self.buffer = None

    def i(self, buffer):
        self.buffer = buffer


class _Settings:
    def __init__(self, **values):
        self.__dict__.update(values)


class TspErrorQueue:
    """``errorqueue``: next() gives code, message, severity, node."""

    def __init__(self, errors: deque):
        self.errors = errors

    @property
    def count(self) -> int:
        return len(self.errors)

    def clear(self) -> None:
        self.errors.clear()

    def next(self):
        code, message = self.errors.popleft() if self.errors else (0, "Queue Is Empty")
        return code, message, 0, 0


class TspChannel:
    """What Lua sees as ``smua``."""

    OUTPUT_OFF, OUTPUT_ON, OUTPUT_DCAMPS, OUTPUT_DCVOLTS = 0, 1, 0, 1
    OUTPUT_NORMAL, OUTPUT_ZERO, OUTPUT_HIGH_Z = 0, 1, 2
    AUTORANGE_OFF, AUTORANGE_ON = 0, 1
    AUTOZERO_OFF, AUTOZERO_ONCE, AUTOZERO_AUTO = 0, 1, 2
    ENABLE, DISABLE = 1, 0
    SOURCE_IDLE, SOURCE_HOLD = 0, 1

    def __init__(self, smu: "SimKeithley2636B", timers):
        self.source = TspSource(smu)
        self.measure = TspMeasure(smu)
        self.nvbuffer1 = TspBuffer()
        self.nvbuffer2 = TspBuffer()
        self.trigger = TspTriggerModel(smu, timers)
        self._smu = smu

    def reset(self):
        self._smu.reset()

    def abort(self):
        self._smu.abort()


class SimKeithley2636B(SimSmu):
    model = "2636B"
    voltage_ranges = (0.2, 2.0, 20.0, 200.0)
    current_ranges = (100e-12, 1e-9, 10e-9, 100e-9, 1e-6, 10e-6, 100e-6, 1e-3, 10e-3, 100e-3,
                      1.0, 1.5)
    current_offsets = {100e-12: 120e-15, 1e-9: 240e-15, 10e-9: 3e-12, 100e-9: 40e-12,
                       1e-6: 400e-12, 10e-6: 1.5e-9, 100e-6: 15e-9, 1e-3: 150e-9,
                       10e-3: 1.5e-6, 100e-3: 15e-6, 1.0: 1.5e-3, 1.5: 3.5e-3}
    reading_overhead = 0.05e-3  # 20 000 readings/s to memory at the shortest aperture
    overshoot_v = 0.4  # a 2600B source-range change under power: up to 400 mV

    def __init__(self, bench, name: str, serial: str, seed: int):
        self.errors = deque(maxlen=100)
        self.serial = serial
        self.idn = f"Keithley Instruments Inc., Model 2636B, {serial}, 3.2.2"
        SimSmu.__init__(self, bench, name, seed)
        self.reset()

    def reset(self) -> None:
        self.reset_source()
        self.v_range = 0.2
        self.i_range = 100e-9
        self.trigger_buffer = None
        self.script_name = None  # inside loadscript ... endscript
        self.script_lines: list[str] = []
        self.output_lines: list[str] = []
        self._start_lua()

    def _start_lua(self) -> None:
        self.timers = [TspTimer(k) for k in range(1, 9)]
        self.channel = TspChannel(self, self.timers)
        self.lua = LuaRuntime(unpack_returned_tuples=True, register_eval=False)
        g = self.lua.globals()
        g.smua = self.channel
        g.print = self._print
        g.printbuffer = self._printbuffer
        g.delay = self._delay
        g.waitcomplete = self.wait_idle
        g.reset = self.reset
        g.errorqueue = TspErrorQueue(self.errors)
        g.localnode = _Settings(model="2636B", serialno=self.serial, linefreq=60,
                                prompts=0, showerrors=0)
        g.trigger = _Settings(timer=self.lua.table_from({t.number: t for t in self.timers}))
        g.format = _Settings(asciiprecision=6, data=1, ASCII=1)

    # --- the bench interface ------------------------------------------------------------
    def push_error(self, code: int, message: str) -> None:
        self.errors.append((code, message))

    def store(self, buffer: str, reading) -> None:
        if self.trigger_buffer is not None:
            self.trigger_buffer.add(reading)

    # --- TSP globals ----------------------------------------------------------------------
    @staticmethod
    def _format(value) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return f"{value:.5e}"
        return "nil" if value is None else str(value)

    def _print(self, *values) -> None:
        self.output_lines.append("\t".join(self._format(v) for v in values))

    def _printbuffer(self, first, last, *columns) -> None:
        values = [self._format(column[k]) for k in range(int(first), int(last) + 1)
                  for column in columns]
        self.output_lines.append(", ".join(values))

    def _delay(self, seconds) -> None:
        self.bench.clock.sleep(float(seconds))
        self.bench.sync()

    # --- messages -----------------------------------------------------------------------------
    def handle(self, message: str) -> str | None:
        text = message.strip()
        if text == "*IDN?":
            return self.idn
        if text == "*OPC?":
            self.wait_idle()
            return "1"
        if text in ("*RST", "reset()"):
            self.reset()
            return None
        if text == "*CLS":
            self.errors.clear()
            return None
        if self.script_name is not None or text.startswith("loadscript"):
            return self._load_script_line(text)
        return self._run(text)

    def _load_script_line(self, text: str) -> None:
        if text.startswith("loadscript"):
            self.script_name = text.split()[1] if len(text.split()) > 1 else "anonymous"
            self.script_lines = []
        elif text == "endscript":
            body = "\n".join(self.script_lines)
            self._run(f"{self.script_name} = function() {body}\nend")
            self.script_name = None
        else:
            self.script_lines.append(text)
        return None

    def _run(self, chunk: str) -> str | None:
        self.output_lines = []
        try:
            self.lua.execute(chunk)
        except LuaError as error:
            code = -285 if "syntax" in type(error).__name__.lower() else -286
            self.push_error(code, f"TSP {'Syntax' if code == -285 else 'Runtime'} error: "
                                  f"{str(error).splitlines()[0]}")
        except ScpiError as error:
            self.push_error(error.code, error.message)
        except (AttributeError, ValueError, KeyError, TypeError, IndexError) as error:
            self.push_error(-286, f"TSP Runtime error: {error}")
        return "\n".join(self.output_lines) if self.output_lines else None
