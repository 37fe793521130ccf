"""A TSP node as the Series 2600B runs it: every message is Lua, run by a real interpreter.

The interpreter is Lua 5.1, the nearest to the instrument's Lua 5.0 that the embedding offers:
its numbers are all doubles and it keeps 5.0's ``table.getn`` and ``math.mod``, which TSP
scripts use.

What the node offers besides its SMU channels, each from the Series 2600B Reference Manual
(2600BS-901-01) command pages, cited by their help-page id ("WH-2600B 80596" is the page
``80596.htm`` of the vendor's per-command help for the 2600B):

- scripts: ``loadscript [name]`` / ``loadandrunscript [name]`` ... ``endscript``, in one
  message or line by line over several (WH-2600B 16481, 10835 anonymous, 370 named: a global
  of the script's name references it); ``name()``, ``name.run()``, ``run()``, ``script.run()``,
  ``script.anonymous()`` (2399, 16856, 18833); ``script.new(code, name)`` (15064);
- output: ``print`` (one response line each, numbers with ``format.asciiprecision`` digits,
  WH-2600B 14797), ``printnumber``, ``printbuffer`` (", " separated, indices clamped to
  1..n, 80596); ``format.data`` ASCII / REAL32 / REAL64 with ``format.byteorder``: a binary
  block is ``#0`` + the IEEE 754 values + newline (14803, 14801);
- ``errorqueue`` (17242, 14749, 14750), ``status`` basics (29255 status byte, 15861
  ``status.reset()``, 27209 sweeping, 28238 measurement per SMU), ``delay`` (13949),
  ``waitcomplete`` (13986), ``timer.reset``/``timer.measure.t`` (15282, 15281),
  ``trigger.timer[N]``, ``localnode`` (15012, 15013), ``display`` (14699, 14712, 14741),
  ``beeper``, ``reset()`` (13933) which may stand inside a script, ``exit()`` (14769),
  the ``bit`` library (14632-14642);
- IEEE 488.2 common commands, each alone in a message, run as their documented script
  equivalents (WH-2600B 2271, 2273).

Errors are queued as the instrument does (WH-2600B 77705): a Lua syntax error -285, a runtime
error -286, a refused setting with its own code (1101 parameter too big, ...). Any Python
exception inside the node becomes a -286 entry: a simulated instrument never dies.
"""

import math
import struct
from collections import deque

from lupa.lua51 import LuaError, LuaRuntime, LuaSyntaxError

from .scpi import ScpiError

ERROR_QUEUE_LENGTH = 100
EVENT_IDS = {"trigger": 1}  # trigger.EVENT_ID, the *TRG event (WH-2600B 2278)

# WH-2600B 2273 "Script command equivalents" of the common commands
COMMON_COMMANDS = {
    "*CLS": "status.reset() errorqueue.clear()",
    "*ESE?": "print(status.standard.enable)",
    "*ESR?": "print(status.standard.event)",
    "*IDN?": "print([[Keithley Instruments, Model ]]..localnode.model..[[, ]]"
    "..localnode.serialno..[[, ]]..localnode.revision)",
    "*OPC?": "waitcomplete() print([[1]])",
    "*OPC": "opc()",
    "*RST": "reset()",
    "*SRE?": "print(status.request_enable)",
    "*STB?": "print(status.condition)",
    "*TST?": "print([[0]])",
    "*WAI": "waitcomplete()",
}
COMMON_WITH_ARGUMENT = {"*ESE": "status.standard.enable = {}", "*SRE": "status.request_enable = {}"}
LOAD_KEYWORDS = ("loadscript", "loadandrunscript")


class TspError(ScpiError):
    """A TSP command the instrument refuses (code and message of WH-2600B 77705)."""


def too_big(what: str) -> TspError:
    return TspError(1101, f"Parameter too big: {what}")


def too_small(what: str) -> TspError:
    return TspError(1102, f"Parameter too small: {what}")


def in_range(value, low: float, high: float, what: str) -> float:
    """A numeric setting checked against its documented range (1101 above, 1102 below)."""
    number = float(value)
    if not number <= high:
        raise too_big(what)
    if not number >= low:
        raise too_small(what)
    return number


def one_of(value, allowed, what: str) -> int:
    """An enumerated setting (AUTOZERO_*, OUTPUT_*, ...): a value outside the documented
    set is refused, with 1101/1102 when it lies beyond the set's ends."""
    number = float(value)
    if number not in allowed:
        if number > max(allowed):
            raise too_big(what)
        if number < min(allowed):
            raise too_small(what)
        raise TspError(-224, f"Illegal parameter value: {what}")
    return int(number)


class Register:
    """One status register set: a live condition and enable/event/ntr/ptr (WH-2600B 15833)."""

    def __init__(self, condition=lambda: 0, ptr: int = 0, **members):
        object.__setattr__(self, "_condition", condition)
        object.__setattr__(self, "_ptr_default", ptr)
        object.__setattr__(self, "_members", members)
        self.reset()

    def reset(self) -> None:
        for name, value in (("enable", 0), ("event", 0), ("ntr", 0), ("ptr", self._ptr_default)):
            object.__setattr__(self, name, value)
        for member in self._members.values():
            member.reset()

    @property
    def condition(self) -> int:
        return int(self._condition())

    def __getattr__(self, name):
        members = object.__getattribute__(self, "_members")
        if name in members:
            return members[name]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name not in ("enable", "ntr", "ptr"):
            raise TspError(-286, f"TSP Runtime error: status register {name} is read-only")
        object.__setattr__(self, name, int(in_range(value, 0, 65535, name)))


class ScriptExit(Exception):
    """``exit()``: the running script stops here, without an error (WH-2600B 14769)."""


def _exit() -> None:
    raise ScriptExit


class TspScript:
    """A loaded script: a global of its name references it; calling it or ``run()`` runs it."""

    def __init__(self, node: "TspNode", name: str, source: str, body):
        self.node, self.name, self.source, self._body = node, name, source, body

    def run(self) -> None:
        self._body()

    def __call__(self) -> None:
        self._body()


class Timer:
    """``trigger.timer[N]``: delay, count, passthrough, stimulus, and its event number."""

    def __init__(self, number: int):
        self.number = number
        self.EVENT_ID = 20 + number
        self.reset()

    def reset(self) -> None:
        self.delay = 10e-6  # WH-2600B 15794: 10 us after reset
        self.count = 1
        self.passthrough = False
        self.stimulus = 0


def _bit_index(index) -> int:
    return int(in_range(index, 1, 32, "bit index"))


def _bit_mask(index, width) -> int:
    return ((1 << int(in_range(width, 1, 32, "bit width"))) - 1) << (_bit_index(index) - 1)


class BitLibrary:
    """``bit``: integer logic on numbers, fractions truncated, bit 1 the least significant
    (WH-2600B 14632-14642)."""

    bitand = staticmethod(lambda a, b: int(a) & int(b))
    bitor = staticmethod(lambda a, b: int(a) | int(b))
    bitxor = staticmethod(lambda a, b: int(a) ^ int(b))
    clear = staticmethod(lambda value, index: int(value) & ~(1 << (_bit_index(index) - 1)))
    get = staticmethod(lambda value, index: int(value) & (1 << (_bit_index(index) - 1)))
    set = staticmethod(lambda value, index: int(value) | (1 << (_bit_index(index) - 1)))
    test = staticmethod(lambda value, index: bool(int(value) >> (_bit_index(index) - 1) & 1))
    toggle = staticmethod(lambda value, index: int(value) ^ (1 << (_bit_index(index) - 1)))

    @staticmethod
    def getfield(value, index, width) -> int:
        return (int(value) & _bit_mask(index, width)) >> (_bit_index(index) - 1)

    @staticmethod
    def setfield(value, index, width, field) -> int:
        mask = _bit_mask(index, width)
        return (int(value) & ~mask) | ((int(field) << (_bit_index(index) - 1)) & mask)


class _Namespace:
    """A plain TSP table of settings (display, beeper, localnode ...)."""

    def __init__(self, **values):
        self.__dict__.update(values)


class TspNode:
    """The Lua runtime of one instrument; the model adds its SMU channels as globals."""

    model = ""
    revision = ""

    def __init__(self, serial: str, clock, sync):
        self.serial = serial
        self.clock, self.sync = clock, sync
        self.errors: deque = deque(maxlen=ERROR_QUEUE_LENGTH)
        self.output: list[str] = []
        self.loading: tuple[str, str, list] | None = None  # (keyword, name, lines)
        self.anonymous: TspScript | None = None
        self.timer_zero = 0.0
        self.lua = LuaRuntime(
            unpack_returned_tuples=True,
            register_eval=False,
            attribute_handlers=(self._get, self._set),
        )
        self.timers = [Timer(k) for k in range(1, 9)]
        self.format = _Namespace(
            ASCII=1,
            SREAL=2,
            REAL32=2,
            REAL=3,
            REAL64=3,
            DREAL=3,
            NORMAL=0,
            NETWORK=0,
            BIGENDIAN=0,
            SWAPPED=1,
            LITTLEENDIAN=1,
        )
        self.status = _StatusModel(self)
        self._load = self.lua.globals().loadstring
        self._collectgarbage = self.lua.globals().collectgarbage
        self._collectgarbage("stop")  # collected between messages only, see _collect
        self._install_globals()
        self.reset_node()

    # --- what Lua sees ----------------------------------------------------------------------
    @staticmethod
    def _get(obj, key):
        """Lua's ``obj.key`` / ``obj[n]`` on a Python object: private names do not exist,
        integer keys index (``nvbuffer1[N]``, ``trigger.timer[N]``), unknown names are nil."""
        if isinstance(key, (int, float)):
            return obj[int(key)]
        if not isinstance(key, str) or key.startswith("_"):
            return None
        return getattr(obj, key, None)

    @staticmethod
    def _set(obj, key, value):
        """Lua's ``obj.key = value``: only existing attributes can be set (strict)."""
        if not isinstance(key, str) or key.startswith("_") or not hasattr(obj, key):
            raise TspError(-286, f"TSP Runtime error: cannot set {key}")
        setattr(obj, key, value)

    def _install_globals(self) -> None:
        g = self.lua.globals()
        g.print = self._print
        g.printnumber = self._printnumber
        g.printbuffer = self._printbuffer
        g.delay = self._delay
        g.waitcomplete = self.wait_complete
        g.opc = self._opc
        g.reset = self.reset_node
        g.exit = _exit
        g.bit = BitLibrary()
        g.format = self.format
        g.status = self.status
        g.errorqueue = ErrorQueue(self.errors)
        g.timer = _Namespace(reset=self._timer_reset, measure=_Namespace(t=self._timer_t))
        g.trigger = _Namespace(
            timer=self.lua.table_from({t.number: t for t in self.timers}),
            EVENT_ID=EVENT_IDS["trigger"],
        )
        # Python keeps its own references: lupa hands back a Python object read from a Lua
        # table inside a callback wrapped in a tuple
        self.localnode = g.localnode = _Namespace(
            model=self.model,
            serialno=self.serial,
            revision=self.revision,
            linefreq=60,
            autolinefreq=False,
            prompts=0,
            prompts4882=1,
            showerrors=0,
            description=f"Keithley Instruments SMU {self.model} - {self.serial}",
        )
        self.display = g.display = _Namespace(
            SMUA=0,
            SMUB=1,
            SMUA_SMUB=2,
            USER=3,
            screen=2,
            text="",
            clear=self._display_clear,
            settext=self._display_settext,
            sendkey=lambda code: None,
        )
        g.beeper = _Namespace(ON=1, OFF=0, enable=1, beep=lambda seconds, hz: None)
        self.script = g.script = _Namespace(
            run=self._run_anonymous,
            new=self._script_new,
            anonymous=None,
            user=_Namespace(scripts=self.lua.table()),
        )
        g.run = self._run_anonymous

    # --- state -----------------------------------------------------------------------------------
    def reset_node(self, system=True) -> None:
        """``reset()`` / ``*RST``: every setting back to its default; scripts and user
        variables stay (WH-2600B 13933). The model extends this with its channels."""
        self.format.data, self.format.byteorder, self.format.asciiprecision = 1, 1, 6
        for timer in self.timers:
            timer.reset()
        self.display.screen = self.display.SMUA_SMUB

    def push_error(self, code: int, message: str) -> None:
        self.errors.append((code, message))

    # --- output ----------------------------------------------------------------------------------
    def format_number(self, value) -> str:
        """A number as print/printbuffer give it: ``asciiprecision`` significant digits in
        exponent form (WH-2600B 14797: precision 10 prints 2.540000000e+00)."""
        number = float(value)
        if math.isnan(number):
            return "nan"
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        digits = max(int(self.format.asciiprecision), 1)
        return f"{number:.{digits - 1}e}"

    def _text(self, value) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return self.format_number(value)
        if value is None:
            return "nil"
        if isinstance(value, str):
            return value
        return f"{type(value).__name__}: {id(value):#x}"

    def _print(self, *values) -> None:
        self.output.append("\t".join(self._text(v) for v in values))

    def _binary(self, numbers) -> str:
        """``#0`` + IEEE 754 values in ``format.byteorder`` (WH-2600B 14803, 14801)."""
        order = "<" if int(self.format.byteorder) == 1 else ">"
        kind = "f" if int(self.format.data) == 2 else "d"
        block = struct.pack(f"{order}{len(numbers)}{kind}", *numbers)
        return "#0" + block.decode("latin-1")

    def _numbers_out(self, numbers: list[float]) -> None:
        if int(self.format.data) == 1:
            self.output.append(", ".join(self.format_number(v) for v in numbers))
        else:
            self.output.append(self._binary(numbers))

    def _printnumber(self, *values) -> None:
        self._numbers_out([float(v) for v in values])

    def _printbuffer(self, first, last, *columns) -> None:
        """Rows first..last of one or more buffer columns (or Lua tables), interleaved;
        indices clamped to 1..n; rows a running sweep has yet to measure are output as they
        come (WH-2600B 80596)."""
        if any(c is None for c in columns):
            raise TspError(-286, "TSP Runtime error: printbuffer of a nil table")
        # a reading buffer stands for its readings (80596)
        columns = [c.readings if hasattr(type(c), "readings") else c for c in columns]
        while any(len(c) < int(last) for c in columns) and self.step():
            pass
        n = min(len(c) for c in columns) if columns else 0
        rows = range(max(int(first), 1), min(int(last), n) + 1)
        self._numbers_out([float(c[k]) for k in rows for c in columns])

    # --- time ------------------------------------------------------------------------------------
    def _delay(self, seconds) -> None:
        self.clock.sleep(in_range(seconds, 0, 100e3, "delay"))
        self.sync()

    def _timer_reset(self) -> None:
        self.timer_zero = self.clock.now()

    def _timer_t(self) -> float:
        return round(self.clock.now() - self.timer_zero, 6)  # 1 us resolution (15281)

    def wait_complete(self, group=None) -> None:
        """Overlapped operations (sweeps) finish: until ``step`` finds nothing to run."""
        while self.step():
            pass

    def step(self) -> bool:
        """Advance to the next event of a running overlapped operation; False when none
        runs. The model's channels provide the events."""
        return False

    def sweeping(self, channel: str) -> bool:
        """Whether the named SMU channel runs a sweep (status.operation.sweeping)."""
        return False

    def _opc(self) -> None:
        self.wait_complete()
        self.status.standard.set_event(1)  # OPC bit B0

    def _display_clear(self) -> None:
        self.display.text = ""

    def _display_settext(self, text) -> None:
        self.display.text, self.display.screen = str(text), self.display.USER

    # --- scripts ---------------------------------------------------------------------------------
    def _compile(self, source: str, name: str):
        """A Lua function of ``source``; a syntax error is raised as -285."""
        loaded = self._load(source, "=" + (name or "anonymous"))
        body, message = loaded if isinstance(loaded, tuple) else (loaded, None)
        if body is None:
            raise TspError(-285, f"TSP Syntax error at line {self._line_of(message)}")
        return body

    @staticmethod
    def _line_of(message) -> str:
        parts = str(message).split(":")
        return ":".join(parts[1:]).strip() if len(parts) > 1 else str(message)

    def _define_script(self, name: str, source: str) -> TspScript:
        script = TspScript(self, name, source, self._compile(source, name))
        if name:
            self.lua.globals()[name] = script
            self.script.user.scripts[name] = script
        else:
            self.anonymous = self.script.anonymous = script
        return script

    def _script_new(self, code, name="") -> TspScript:
        return self._define_script(str(name or ""), str(code))

    def _run_anonymous(self) -> None:
        if self.anonymous is None:
            raise TspError(-286, "TSP Runtime error: no anonymous script")
        self.anonymous.run()

    # --- messages --------------------------------------------------------------------------------
    def handle(self, message: str) -> str | None:
        """One message: common command, script lines, or a Lua chunk; prints are the reply."""
        self.output = []
        try:
            self._handle_lines(message.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        except Exception as error:  # never die: the fault is the instrument's error entry
            self.push_error(-286, f"TSP Runtime error: {error}")
        self._collect()
        if not self.output:
            return None
        return "\n".join(self.output)  # a binary block's bytes as characters 0-255

    def _collect(self) -> None:
        """Lua's garbage collection, run here between messages and never while Lua is inside
        a Python call: collected there, lupa (2.6) can let Lua's references to Python objects
        point at the wrong object (``smua.nvbuffer1`` found as ``smua.measure``)."""
        self._collectgarbage("collect")
        self._collectgarbage("stop")

    def _handle_lines(self, lines: list[str]) -> None:
        chunk: list[str] = []
        for line in lines:
            words = line.split()
            if self.loading is not None:
                if words[:1] == ["endscript"]:
                    self._end_script()
                else:
                    self.loading[2].append(line)
            elif words and words[0] in LOAD_KEYWORDS:
                self._execute("\n".join(chunk))
                chunk = []
                self.loading = (words[0], words[1] if len(words) > 1 else "", [])
            elif line.strip().startswith("*") and not chunk:
                self._common_command(line.strip())
            else:
                chunk.append(line)
        self._execute("\n".join(chunk))

    def _common_command(self, text: str) -> None:
        header, _, argument = text.partition(" ")
        header = header.upper()
        if header in COMMON_COMMANDS and not argument:
            self._execute(COMMON_COMMANDS[header])
        elif header in COMMON_WITH_ARGUMENT and argument:
            self._execute(COMMON_WITH_ARGUMENT[header].format(float(argument)))
        else:  # not Lua either: the interpreter refuses it
            self.push_error(-285, f"TSP Syntax error at line 1: unexpected symbol near '{text}'")

    def _end_script(self) -> None:
        keyword, name, lines = self.loading
        self.loading = None
        try:
            script = self._define_script(name, "\n".join(lines))
        except TspError as error:
            self.push_error(error.code, error.message)
            return
        if keyword == "loadandrunscript":
            self._guarded(script.run)

    def _execute(self, chunk: str) -> None:
        if not chunk.strip():
            return
        try:
            body = self._compile(chunk, "chunk")
        except TspError as error:
            self.push_error(error.code, error.message)
            return
        self._guarded(body)

    def _guarded(self, call) -> None:
        """Run Lua; its failure is queued as the instrument would, never raised."""
        try:
            call()
        except ScriptExit:
            pass
        except ScpiError as error:
            self.push_error(error.code, error.message)
        except LuaSyntaxError as error:
            self.push_error(-285, f"TSP Syntax error at line {self._line_of(error)}")
        except LuaError as error:
            self.push_error(
                -286, f"TSP Runtime error at line {self._line_of(str(error).splitlines()[0])}"
            )
        except Exception as error:  # a Python fault inside the simulator
            self.push_error(-286, f"TSP Runtime error: {type(error).__name__}: {error}")


class ErrorQueue:
    """``errorqueue``: count, clear(), next() -> code, message, severity, node (17242)."""

    def __init__(self, errors: deque):
        self._errors = errors

    @property
    def count(self) -> int:
        return len(self._errors)

    def clear(self) -> None:
        self._errors.clear()

    def next(self):
        code, message = self._errors.popleft() if self._errors else (0, "Queue Is Empty")
        return code, message, 0 if code == 0 else 20, 1


class _StandardEvent(Register):
    def set_event(self, bits: int) -> None:
        object.__setattr__(self, "event", self.event | bits)


class _StatusModel:
    """``status``: the status byte (WH-2600B 29255), ``status.reset()`` (15861), and the
    register sets clients read. Bits: B0 measurement summary, B2 error available,
    B5 standard event summary (enabled standard events)."""

    MSB, EAV, ESB = 1, 4, 32

    def __init__(self, node: TspNode):
        self._node = node
        self.request_enable = 0
        self.standard = _StandardEvent()
        self.operation = Register(ptr=31769, sweeping=Register(self._sweeping, ptr=6))
        self.measurement = Register(instrument=_Group())
        self.MEASUREMENT_SUMMARY_BIT, self.ERROR_AVAILABLE = self.MSB, self.EAV
        self.EVENT_SUMMARY_BIT = self.ESB

    def _sweeping(self) -> int:
        return sum(
            bit for bit, channel in ((2, "smua"), (4, "smub")) if self._node.sweeping(channel)
        )

    def add_channel(self, name: str, condition) -> None:
        """``status.measurement.instrument.smuX``: B0 voltage limit, B1 current limit."""
        setattr(self.measurement.instrument, name, Register(condition))

    @property
    def condition(self) -> int:
        byte = self.EAV if self._node.errors else 0
        if self.standard.event & self.standard.enable:
            byte |= self.ESB
        return byte

    def reset(self) -> None:
        self.request_enable = 0
        for register in (self.standard, self.operation, self.measurement):
            register.reset()


class _Group:
    """A table of register sets (``status.measurement.instrument``), reset together."""

    def reset(self) -> None:
        for register in vars(self).values():
            register.reset()
