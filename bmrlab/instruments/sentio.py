"""MPI SENTIO probe stations: the remote commands bmrlab needs, over TCP/IP.

SENTIO (the control software of MPI's probe systems) listens for remote commands on TCP
port 35555. After ``*RCS 1`` (switch to SENTIO's native remote command set; it has no
reply) every command is one line and is answered by one line
``<code>,<command id>,<message>``: the lowest 10 bits of ``code`` are the error code (0: no
error), the bits above it carry status flags, of which bit 0 (code 1024) is *end of route*:
the step reached the last die of the stepping route. The syntax and replies used here are
those of MPI's own Python package ``sentio-prober-control`` (``Sentio/Response.py``,
``Enumerations.py`` ``StatusBits`` and ``RemoteCommandError``, and its command groups
``WafermapCommandGroup``, ``WafermapDieCommandGroup``), the reference for SENTIO's remote
commands: docs/arrays.md lists each command with its source.
"""

import socket
from collections.abc import Callable

from ..errors import BadInput, InstrumentError

DEFAULT_PORT = 35555
ERROR_BITS = 10  # Response.parse_resp: errc = code & 1023, status = code >> 10
END_OF_ROUTE = 1  # StatusBits.EndOfRoute
# SteppingContactMode.StepToSeparation: a step ends with the probes lifted; bmrlab makes
# contact itself once the chuck is where it should be
STEP_TO_SEPARATION = "StepToSeparation"


class SentioError(InstrumentError):
    """SENTIO refused a remote command; ``code`` is its error code."""

    def __init__(self, command: str, code: int, message: str):
        self.code = code
        super().__init__(f"SENTIO refused '{command}': error {code} ({message})")


def parse_address(address: str, where: str = "resource ") -> tuple[str, int]:
    """``host:port`` (port 35555 when left out) or BadInput naming ``where``."""
    host, _, port = address.rpartition(":") if ":" in address else (address, "", "")
    if not host or (port and not (port.isdigit() and 0 < int(port) < 65536)):
        raise BadInput(
            f"{where}{address}: expected host:port of SENTIO's remote interface, "
            f"e.g. 192.168.0.20:{DEFAULT_PORT}"
        )
    return host, int(port) if port else DEFAULT_PORT


class TcpLink:
    """One line out, one line back, over SENTIO's TCP/IP remote interface."""

    def __init__(self, address: str, timeout_s: float = 30.0):
        host, port = parse_address(address)
        self.address = f"{host}:{port}"
        try:
            self._socket = socket.create_connection((host, port), timeout=timeout_s)
        except OSError as error:
            raise InstrumentError(
                f"SENTIO at {self.address}: cannot connect ({error.strerror or error})"
            ) from None
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader = self._socket.makefile("r", encoding="ascii", newline="\n")

    def send(self, line: str) -> None:
        self._socket.sendall(line.encode("ascii") + b"\n")

    def read_line(self) -> str:
        try:
            line = self._reader.readline()
        except TimeoutError:
            raise InstrumentError(f"SENTIO at {self.address}: no reply (timeout)") from None
        if not line:
            raise InstrumentError(f"SENTIO at {self.address}: the connection was closed")
        return line.rstrip("\r\n")

    def close(self) -> None:
        self._reader.close()
        self._socket.close()


class SentioRemote:
    """SENTIO's wafer-map stepping, chuck contact/separation and position queries.

    ``link``: anything with ``send(line)``, ``read_line()`` and ``close()`` (a
    :class:`TcpLink`, or the simulator's in-process link)."""

    def __init__(self, link):
        self.link = link
        self.end_of_route = False  # the last step reached the route's last die
        self.status = 0  # status flags of the last reply
        self.link.send("*RCS 1")  # native command set; no reply (SentioProber.__init__)

    def command(self, command: str) -> str:
        """Send one remote command; its reply message, or SentioError. The reply's status
        flags are kept in ``status``."""
        self.link.send(command)
        reply = self.link.read_line()
        fields = reply.split(",", 2)
        if len(fields) != 3 or not fields[0].lstrip("-").isdigit():
            raise InstrumentError(f"SENTIO: unexpected reply {reply!r} to '{command}'")
        code = int(fields[0])
        self.status = code >> ERROR_BITS
        error = code & ((1 << ERROR_BITS) - 1)
        if error:
            raise SentioError(command, error, fields[2])
        return fields[2]

    def _step(self, command: str) -> tuple[int, int, int]:
        """A stepping command: (column, row, site) after it; notes the end-of-route flag,
        which SENTIO also sets on the error of a step past the route's end."""
        try:
            message = self.command(command)
        finally:
            self.end_of_route = bool(self.status & END_OF_ROUTE)
        column, row, site = (int(v) for v in message.split(",")[:3])
        return column, row, site

    def version(self) -> str:
        return self.command("status:get_version")

    def set_stepping_contact_mode(self, mode: str) -> None:
        self.command(f"set_stepping_contact_mode {mode}")

    def step_first_die(self) -> tuple[int, int, int]:
        return self._step("map:step_first_die")

    def step_next_die(self) -> tuple[int, int, int]:
        return self._step("map:step_next_die")

    def step_die(self, column: int, row: int, site: int = 0) -> tuple[int, int, int]:
        return self._step(f"map:step_die {column}, {row}, {site}")

    def move_contact(self) -> float:
        """Chuck up to contact height; returns it (µm from the z axis' zero)."""
        return float(self.command("move_chuck_contact"))

    def move_separation(self) -> float:
        """Chuck down to separation height (probes lifted); returns it (µm)."""
        return float(self.command("move_chuck_separation"))

    def position(self) -> tuple[float, float]:
        """Chuck x, y (µm) relative to the wafer's home position."""
        x, y = self.command("get_chuck_xy Wafer, H").split(",")[:2]
        return float(x), float(y)

    def die_index(self) -> tuple[int, int, int]:
        """(position in the stepping route, column, row) of the current die."""
        sequence, column, row = self.command("map:die:get_current_index").split(",")[:3]
        return int(sequence), int(column), int(row)

    def subsite(self) -> int:
        return int(self.command("map:die:get_current_subsite"))

    def close(self) -> None:
        self.link.close()


def tcp_remote(address: str, timeout_s: float = 30.0) -> Callable[[], SentioRemote]:
    """A connector for :class:`~bmrlab.prober.SentioProber`: SENTIO at ``host:port``."""
    return lambda: SentioRemote(TcpLink(address, timeout_s))
