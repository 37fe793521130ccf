"""A small SCPI engine for the simulated instruments: headers, arguments, the error queue.

An instrument declares its commands as SCPI patterns in the manual's notation, e.g.
``[:SOURce[1]]:VOLTage[:LEVel][:IMMediate][:AMPLitude]``: upper-case letters are the short
form, brackets mark optional nodes and a trailing ``[1]`` an optional numeric suffix. A
message may hold several commands separated by ``;``; a command that does not start with
``:`` continues from the previous command's path, as IEEE 488.2 says. Unknown headers and
bad arguments go to the error queue with the standard SCPI codes, like a real instrument.
"""

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

NO_ERROR = (0, "No error")


class ScpiError(Exception):
    """A command the instrument refuses: goes to its error queue as (code, message)."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{code},{message}")
        self.code = code
        self.message = message


def undefined_header(header: str) -> ScpiError:
    return ScpiError(-113, "Undefined header")


def illegal_value(detail: str = "") -> ScpiError:
    return ScpiError(-224, "Illegal parameter value" + (f"; {detail}" if detail else ""))


def data_out_of_range(detail: str = "") -> ScpiError:
    return ScpiError(-222, "Data out of range" + (f"; {detail}" if detail else ""))


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
    regex: re.Pattern
    handler: Callable  # handler(args: list[str], query: bool, match) -> str | None


def split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside quotes and parentheses."""
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


def parse_number(arg: str, minimum: float | None = None, maximum: float | None = None,
                 default: float | None = None) -> float:
    """Numeric argument with the MIN/MAX/DEF keywords."""
    text = arg.strip().upper()
    keywords = {"MIN": minimum, "MINIMUM": minimum, "MAX": maximum, "MAXIMUM": maximum,
                "DEF": default, "DEFAULT": default}
    if text in keywords and keywords[text] is not None:
        return float(keywords[text])
    try:
        value = float(text)
    except ValueError:
        raise ScpiError(-104, "Data type error") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise data_out_of_range(f"{value:g} not in [{minimum:g}, {maximum:g}]")
    return value


class ScpiInstrument:
    """Base of the simulated SCPI instruments: dispatch, error queue, IEEE 488.2 basics."""

    idn = "SIMULATED,INSTRUMENT,0,0"

    def __init__(self):
        self.errors: deque = deque(maxlen=100)
        self._commands: list[Command] = []
        self.register("*IDN?", lambda a, q, m: self.idn)
        self.register("*CLS", lambda a, q, m: self.errors.clear())
        self.register("*RST", lambda a, q, m: self.reset())
        self.register("*OPC", self._opc)
        self.register("*WAI", lambda a, q, m: self.wait_idle())
        self.register(":SYSTem:ERRor[:NEXT]", self._next_error)
        self.register(":SYSTem:ERRor:COUNt", lambda a, q, m: str(len(self.errors)))

    def register(self, pattern: str, handler: Callable) -> None:
        self._commands.append(Command(compile_pattern(pattern.rstrip("?")), handler))

    def reset(self) -> None:
        """``*RST``: the model's power-on settings."""

    def wait_idle(self) -> None:
        """``*WAI``/``*OPC?``: finish overlapped operations (the bench advances its clock)."""

    def push_error(self, code: int, message: str) -> None:
        self.errors.append((code, message))

    def _opc(self, args, query, match):
        self.wait_idle()
        return "1" if query else None

    def _next_error(self, args, query, match):
        code, message = self.errors.popleft() if self.errors else NO_ERROR
        return f'{code},"{message}"'

    def handle(self, message: str) -> str | None:
        """Execute one program message; return the response to its queries, if any."""
        responses, path = [], ""
        for raw in split_top(message.strip(), ";"):
            command = raw.strip()
            if not command:
                continue
            header, _, argtext = command.partition(" ")
            candidates = [header]
            if not header.startswith((":", "*")) and path:
                candidates.insert(0, path + ":" + header)  # IEEE 488.2 path rule first
            try:
                header = self._resolve(candidates)
                if not header.startswith("*"):
                    path = header.rsplit(":", 1)[0] if ":" in header.lstrip(":") else ""
                reply = self.execute(header, argtext)
            except ScpiError as error:
                self.push_error(error.code, error.message)
                continue
            if reply is not None:
                responses.append(reply)
        return ";".join(responses) if responses else None

    def _lookup(self, header: str):
        name = header[:-1] if header.endswith("?") else header
        name = name if name.startswith((":", "*")) else ":" + name
        for command in self._commands:
            match = command.regex.match(name)
            if match:
                return command, match
        return None, None

    def _resolve(self, candidates: list[str]) -> str:
        for header in candidates:
            if self._lookup(header)[0]:
                return header
        raise undefined_header(candidates[-1])

    def execute(self, header: str, argtext: str) -> str | None:
        command, match = self._lookup(header)
        if command is None:
            raise undefined_header(header)
        query = header.endswith("?")
        args = [a.strip() for a in split_top(argtext, ",")] if argtext.strip() else []
        reply = command.handler(args, query, match)
        if query and reply is None:
            raise undefined_header(header)
        return reply if query else None
