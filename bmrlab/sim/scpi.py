"""A small SCPI engine for the simulated instruments: headers, arguments, error queue, status.

An instrument declares its commands as SCPI patterns in the manual's notation, e.g.
``[:SOURce[1]]:VOLTage[:LEVel][:IMMediate][:AMPLitude]``: upper-case letters are the short
form, brackets mark optional nodes and a trailing ``[1]`` an optional numeric suffix; a
pattern ending in ``?`` is a query only.

Parsing follows IEEE 488.2-1992 section 7 and SCPI-99 section 6.2 strictly:

- A program message holds commands separated by ``;``. A header with a leading ``:`` starts
  from the root; a header without one is resolved relative to the path of the previous
  command of the same message (its header without the last node), and only there: there is
  no fallback to the root (IEEE 488.2 7.6.1, SCPI-99 6.2.4). The first command of a message
  starts from the root. Common commands (``*XXX``) may stand anywhere and leave the path as
  it was.
- A command error (-100 to -199: syntax, data type, missing parameter, undefined header)
  discards the rest of the message (IEEE 488.2 6.1.6.1); execution and device errors do not.
- An unknown header, or a query of a command that has none, queues -113 and gives no reply.
- Every error sets its bit in the Standard Event Status Register (IEEE 488.2 11.5.1): -1xx
  command error (bit 5), -2xx execution error (bit 4), -3xx and positive codes device error
  (bit 3), -4xx query error (bit 2). A Python exception inside a handler becomes a -300
  entry: a simulated instrument never dies.
- The IEEE 488.2 common commands are all here (``*IDN? *RST *CLS *OPC *OPC? *WAI *TRG *STB?
  *ESR? *ESE *ESE? *SRE *SRE? *TST?``), with the status byte of IEEE 488.2 11.2 as the
  Keithley 2450 lays it out (WH-2450 31635: bit 0 MSB, 2 EAV, 3 QSB, 4 MAV, 5 ESB, 6 MSS,
  7 OSB), and the SCPI-99 mandatory STATus:OPERation / STATus:QUEStionable registers.
"""

import math
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

NO_ERROR = (0, "No error")
ERROR_QUEUE_SIZE = 100

# Standard Event Status Register bits (IEEE 488.2 11.5.1; WH-2450 31653)
ESR_OPC, ESR_QYE, ESR_DDE, ESR_EXE, ESR_CME, ESR_PON = 1, 4, 8, 16, 32, 128
# Status byte bits (IEEE 488.2 11.2; 2450 layout, WH-2450 31635)
STB_MSB, STB_EAV, STB_QSB, STB_MAV, STB_ESB, STB_MSS, STB_OSB = 1, 4, 8, 16, 32, 64, 128


class ScpiError(Exception):
    """A command the instrument refuses: goes to its error queue as (code, message)."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{code},{message}")
        self.code = code
        self.message = message


class WaitsForever(Exception):
    """The instrument waits for something that will not come within this message (an endless
    sweep under ``*WAI``/``*OPC?``): it answers nothing and executes nothing more of it."""


def undefined_header(header: str) -> ScpiError:
    return ScpiError(-113, "Undefined header")


def illegal_value(detail: str = "") -> ScpiError:
    return ScpiError(-224, "Illegal parameter value" + (f"; {detail}" if detail else ""))


def data_out_of_range(detail: str = "") -> ScpiError:
    return ScpiError(-222, "Data out of range" + (f"; {detail}" if detail else ""))


def settings_conflict(detail: str = "") -> ScpiError:
    return ScpiError(-221, "Settings conflict" + (f"; {detail}" if detail else ""))


class Arguments(list):
    """A command's parameters: asking for one that was not sent is -109 Missing parameter."""

    def __getitem__(self, index):
        try:
            return super().__getitem__(index)
        except IndexError:
            raise ScpiError(-109, "Missing parameter") from None


def _node_regex(node: str) -> str:
    """``VOLTage`` -> ``(?:VOLTAGE|VOLT)``; ``SOURce[1]`` also takes the suffix 1."""
    suffix = ""
    if node.endswith("[1]"):
        node, suffix = node[:-3], "1?"
    short = "".join(c for c in node if not c.islower())
    forms = sorted({re.escape(short.upper()), re.escape(node.upper())}, key=len, reverse=True)
    return "(?:" + "|".join(forms) + ")" + suffix


def _pattern_nodes(pattern: str) -> list[tuple[bool, str]]:
    """``[:SOURce[1]]:VOLTage[:LEVel]`` -> [(True, 'SOURce[1]'), (False, 'VOLTage'), ...]."""
    nodes, k = [], 0
    while k < len(pattern):
        if pattern[k] == "]":  # end of a nested optional group: its nodes stay optional
            k += 1
            continue
        optional = pattern.startswith("[:", k)
        k += 2 if optional else (1 if pattern[k] == ":" else 0)
        match = re.compile(r"[*A-Za-z0-9]+(?:\[1\])?").match(pattern, k)
        nodes.append((optional, match.group()))
        k = match.end() + (1 if optional and pattern.startswith("]", match.end()) else 0)
    return nodes


def compile_pattern(pattern: str) -> re.Pattern:
    """Turn a manual-style SCPI header pattern into a case-insensitive regex."""
    body = ""
    for optional, node in _pattern_nodes(pattern):
        piece = ("" if node.startswith("*") else ":") + _node_regex(node)
        body += f"(?:{piece})?" if optional else piece
    return re.compile("^" + body + "$", re.IGNORECASE)


@dataclass
class Command:
    pattern: str
    regex: re.Pattern
    handler: Callable  # handler(args: Arguments, query: bool, match) -> str | None
    query_only: bool


HEADER = re.compile(r"^(?::?\*[A-Za-z]+\??|:?[A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9]*)*\??)$")


def split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside quotes and parentheses (and never inside a quoted string)."""
    out, depth, quote, start = [], 0, "", 0
    for k, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == sep and depth == 0:
            out.append(text[start:k])
            start = k + 1
    out.append(text[start:])
    return out


def unquote(arg: str) -> str:
    arg = arg.strip()
    if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "\"'":
        return arg[1:-1]
    return arg


def parse_bool(arg: str) -> bool:
    text = arg.strip().upper()
    if text in ("1", "ON"):
        return True
    if text in ("0", "OFF"):
        return False
    raise illegal_value(f"expected ON/OFF, got {arg.strip()}")


def parse_number(
    arg: str,
    minimum: float | None = None,
    maximum: float | None = None,
    default: float | None = None,
) -> float:
    """Numeric argument with the MIN/MAX/DEF keywords."""
    text = arg.strip().upper()
    keywords = {
        "MIN": minimum,
        "MINIMUM": minimum,
        "MAX": maximum,
        "MAXIMUM": maximum,
        "DEF": default,
        "DEFAULT": default,
    }
    if text in keywords and keywords[text] is not None:
        return float(keywords[text])
    try:
        value = float(text)
    except ValueError:
        raise ScpiError(-104, "Data type error") from None
    if not math.isfinite(value):
        raise ScpiError(-104, "Data type error")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise data_out_of_range(f"{value:g} not in [{minimum:g}, {maximum:g}]")
    return value


class StatusRegister:
    """A SCPI status register set (SCPI-99 9.1; 2450 ``:STATus:OPERation``/``QUEStionable``):
    a condition, an event register that latches rising condition bits, an enable mask."""

    def __init__(self):
        self.condition = 0
        self.event = 0
        self.enable = 0

    def set(self, bits: int) -> None:
        self.event |= bits & ~self.condition
        self.condition |= bits

    def clear(self, bits: int) -> None:
        self.condition &= ~bits

    def read_event(self) -> int:
        """``[:EVENt]?``: reading clears the event register."""
        event, self.event = self.event, 0
        return event

    @property
    def summary(self) -> bool:
        return bool(self.event & self.enable)

    def preset(self) -> None:
        """``:STATus:PRESet`` clears the event and enable registers (WH-2450 33635)."""
        self.event = self.enable = 0


class ScpiInstrument:
    """Base of the simulated SCPI instruments: dispatch, error queue, IEEE 488.2 status."""

    idn = "SIMULATED,INSTRUMENT,0,0"

    def __init__(self):
        self.errors: deque = deque()
        self._commands: list[Command] = []
        self.esr = ESR_PON  # power-on sets PON (IEEE 488.2 11.5.1.1.1; WH-2450 31653)
        self.ese = 0
        self.sre = 0
        self.operation = StatusRegister()
        self.questionable = StatusRegister()
        self._opc_pending = False
        self._responses = 0  # replies already made in the message being parsed (MAV)
        r = self.register
        # IEEE 488.2 section 10, common commands
        r("*IDN?", lambda a, q, m: self.idn)
        r("*RST", lambda a, q, m: self.reset())
        r("*CLS", lambda a, q, m: self.clear_status())
        r("*OPC", self._opc)
        r("*WAI", lambda a, q, m: self.wait_idle())
        r("*TRG", lambda a, q, m: self.trigger())
        r("*TST?", lambda a, q, m: "0")  # self-test passed (IEEE 488.2 10.38)
        r("*STB?", lambda a, q, m: str(self.status_byte()))
        r("*ESR?", self._esr)
        r("*ESE", self._enable_register("ese", 0xFF))
        r("*SRE", self._enable_register("sre", 0xBF))  # bit 6 (MSS) is not enabled
        # SCPI-99 section 4.2.1, mandatory SYSTem and STATus commands
        r(":SYSTem:ERRor[:NEXT]?", self._next_error)
        r(":SYSTem:ERRor:COUNt?", lambda a, q, m: str(len(self.errors)))
        r(":SYSTem:VERSion?", lambda a, q, m: "1999.0")
        for name, register in (("OPERation", self.operation), ("QUEStionable", self.questionable)):
            r(f":STATus:{name}[:EVENt]?", self._event_reader(register))
            r(f":STATus:{name}:CONDition?", self._condition_reader(register))
            r(f":STATus:{name}:ENABle", self._enable_writer(register))
        r(":STATus:PRESet", lambda a, q, m: self.preset_status())

    def register(self, pattern: str, handler: Callable) -> None:
        """Declare a command; a model may replace a base command by registering it again."""
        name = pattern.rstrip("?")
        command = Command(name, compile_pattern(name), handler, pattern.endswith("?"))
        self._commands = [c for c in self._commands if c.pattern != name] + [command]

    # --- hooks the models override -----------------------------------------------------------
    def reset(self) -> None:
        """``*RST``: the model's power-on settings."""

    def wait_idle(self) -> None:
        """``*WAI``/``*OPC?``: finish overlapped operations (the bench advances its clock)."""

    def busy(self) -> bool:
        """An overlapped operation (sweep, trigger model, burst) is still running."""
        return False

    def trigger(self) -> None:
        """``*TRG``: a bus trigger. With nothing waiting for one, it has no effect."""

    def summary_bits(self) -> int:
        """Status-byte bits the model's own registers contribute (MSB, QSB, OSB)."""
        return (STB_QSB if self.questionable.summary else 0) | (
            STB_OSB if self.operation.summary else 0
        )

    # --- error queue and status ------------------------------------------------------------
    def push_error(self, code: int, message: str) -> None:
        """Queue an error and set its class bit in the Standard Event Status Register. A
        full queue replaces its last entry by -350 Queue overflow (SCPI-99 21.8.1)."""
        if -199 <= code <= -100:
            self.esr |= ESR_CME
        elif -299 <= code <= -200:
            self.esr |= ESR_EXE
        elif -499 <= code <= -400:
            self.esr |= ESR_QYE
        elif code != 0:
            self.esr |= ESR_DDE
        if len(self.errors) >= ERROR_QUEUE_SIZE:
            self.errors[-1] = (-350, "Queue overflow")
            return
        self.errors.append((code, message))

    def status_byte(self) -> int:
        """``*STB?``: the status byte, MSS computed from the enabled bits (IEEE 488.2 11.2.2)."""
        self._complete_opc()
        stb = self.summary_bits()
        stb |= STB_EAV if self.errors else 0
        stb |= STB_MAV if self._responses else 0
        stb |= STB_ESB if self.esr & self.ese else 0
        return stb | (STB_MSS if stb & self.sre else 0)

    def clear_status(self) -> None:
        """``*CLS``: clear the event registers and the error queue, cancel a pending ``*OPC``
        (IEEE 488.2 10.3); enable registers stay."""
        self.errors.clear()
        self.esr = 0
        self.operation.read_event()
        self.questionable.read_event()
        self._opc_pending = False

    def preset_status(self) -> None:
        self.operation.preset()
        self.questionable.preset()

    def _complete_opc(self) -> None:
        if self._opc_pending and not self.busy():
            self._opc_pending = False
            self.esr |= ESR_OPC

    def _opc(self, args, query, match):
        """``*OPC?`` waits and answers 1; ``*OPC`` sets the OPC bit once idle (IEEE 488.2
        10.18, 12.5.2)."""
        if query:
            self.wait_idle()
            return "1"
        self._opc_pending = True
        self._complete_opc()

    def _esr(self, args, query, match):
        self._complete_opc()
        esr, self.esr = self.esr, 0
        return str(esr)

    def _enable_register(self, attribute: str, mask: int):
        def handler(args, query, match):
            if query:
                return str(getattr(self, attribute))
            setattr(self, attribute, int(parse_number(args[0], 0, 255)) & mask)

        return handler

    @staticmethod
    def _event_reader(register: StatusRegister):
        return lambda a, q, m: str(register.read_event())

    @staticmethod
    def _condition_reader(register: StatusRegister):
        return lambda a, q, m: str(register.condition)

    @staticmethod
    def _enable_writer(register: StatusRegister):
        def handler(args, query, match):
            if query:
                return str(register.enable)
            register.enable = int(parse_number(args[0], 0, 65535))

        return handler

    def _next_error(self, args, query, match):
        code, message = self.errors.popleft() if self.errors else NO_ERROR
        return f'{code},"{message}"'

    # --- parsing ---------------------------------------------------------------------------
    def handle(self, message: str) -> str | None:
        """Execute program messages (one a line); return the replies to their queries."""
        self._responses = 0
        self._complete_opc()
        replies = []
        for line in split_top(message.strip(), "\n"):
            replies += self._program_message(line.strip())
        return ";".join(replies) if replies else None

    def _program_message(self, message: str) -> list[str]:
        replies, path = [], ""
        for raw in split_top(message, ";"):
            command = raw.strip()
            if not command:
                continue
            header, argtext = (re.split(r"\s+", command, maxsplit=1) + [""])[:2]
            try:
                full = self._full_header(header, path)
                if not full.startswith("*"):
                    path = full.rstrip("?").rsplit(":", 1)[0]
                reply = self.execute(full, argtext)
            except ScpiError as error:
                self.push_error(error.code, error.message)
                if -199 <= error.code <= -100:
                    break  # a command error discards the rest of the message
                continue
            except WaitsForever:
                break
            except Exception as error:  # a simulator fault: an error entry, never a crash
                self.push_error(
                    -300, f"Device-specific error; {header}: {type(error).__name__}: {error}"
                )
                continue
            if reply is not None:
                replies.append(reply)
                self._responses += 1
        return replies

    @staticmethod
    def _full_header(header: str, path: str) -> str:
        """The header from the root: relative headers continue the previous command's path."""
        if not HEADER.match(header):
            raise ScpiError(-102, "Syntax error")
        if header.startswith(":*"):  # a common command has no path: no such header
            raise undefined_header(header)
        if header.startswith((":", "*")):
            return header
        return f"{path}:{header}"

    def _lookup(self, header: str):
        name = header[:-1] if header.endswith("?") else header
        name = name if name.startswith((":", "*")) else ":" + name
        for command in self._commands:
            match = command.regex.match(name)
            if match:
                return command, match
        return None, None

    def execute(self, header: str, argtext: str) -> str | None:
        command, match = self._lookup(header)
        query = header.endswith("?")
        if command is None or (command.query_only and not query):
            raise undefined_header(header)
        args = (
            Arguments(a.strip() for a in split_top(argtext, ","))
            if argtext.strip()
            else Arguments()
        )
        if any(not a for a in args):  # "a,,b" or a trailing comma (IEEE 488.2 7.4.1)
            raise ScpiError(-102, "Syntax error; empty parameter")
        reply = command.handler(args, query, match)
        if query and reply is None:
            raise undefined_header(header)
        return reply if query else None
