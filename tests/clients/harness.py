"""Run independent client code against the simulated station and record every call.

A client is code we did not write (a PyMeasure or QCoDeS driver, a vendor example's command
sequence, a manual's printed sequence) driven as a new user would. Each call is recorded as

- passed: it returned, and the instrument's error queue stayed empty;
- not modelled: it failed with the error that ``not_modelled.yaml`` lists for it;
- failed: it raised, or the instrument queued an error;
- hung: a query was never answered (a VISA timeout).

The same client runs in-process (``@bmrsim``, a fresh bench each time) and through
``bmrlab sim serve`` (raw sockets, pyvisa-py's ``@py``; one server for the clients, restarted
after a client that failed, so that none inherits a broken state).
"""

import contextlib
import ctypes
import io
import logging
import socket
import subprocess
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pyvisa
import yaml
from pyvisa.constants import StatusCode
from pyvisa.errors import VisaIOError

from bmrlab.sim.backend import forget_bench, register_bench
from bmrlab.sim.builder import DEFAULT_STATION, build_bench

HERE = Path(__file__).parent
OUTCOMES = ("passed", "not modelled", "failed", "hung")
TIMEOUT_S = 1.0  # a query unanswered for this long through the socket counts as hung
SLOW_TIMEOUT_S = 10.0  # for calls that run a sweep on a wall-clock instrument
WATCHDOG_S = 2.0  # beyond the VISA timeout, before the harness looks at a call still running
CALL_LIMIT_S = 30.0  # no call of a client may take longer

# the default simulated bench has one instrument of each model (bmrlab.sim.builder)
ROLE_OF_MODEL = {spec.model: role for role, spec in DEFAULT_STATION.instruments.items()}


@dataclass
class Call:
    client: str
    label: str
    outcome: str
    error: str = ""


def load_not_modelled() -> dict[tuple[str, str], dict]:
    """(client, call) -> entry; the file groups entries by instrument model."""
    data = yaml.safe_load((HERE / "not_modelled.yaml").read_text()) or {}
    return {
        (entry["client"], entry["call"]): {**entry, "model": model}
        for model, entries in data.items()
        for entry in entries or []
    }


def is_timeout(error: BaseException | None) -> bool:
    """A VISA or socket timeout, possibly wrapped by the client in its own exception."""
    while error is not None:
        if isinstance(error, VisaIOError) and error.error_code == StatusCode.error_timeout:
            return True
        if isinstance(error, (socket.timeout, TimeoutError)):
            return True
        error = error.__cause__ or error.__context__
    return False


# --- transports --------------------------------------------------------------------------------
class InProcess:
    """A fresh default bench per client, opened as a plain pyvisa client opens ``@bmrsim``."""

    name = "@bmrsim"

    def __init__(self):
        self._key = None

    @contextlib.contextmanager
    def bench(self):
        self._key = register_bench(build_bench(DEFAULT_STATION), client_paced=True)
        try:
            yield self
        finally:
            forget_bench(self._key)

    @property
    def visa_library(self) -> str:
        return f"{self._key}@bmrsim"

    def restart(self) -> None:
        """Nothing to do: every client gets a fresh bench."""

    def resource(self, role: str) -> str:
        return DEFAULT_STATION.instruments[role].resource


class Served:
    """``bmrlab sim serve`` in a subprocess on free ports; :meth:`stop` always ends it."""

    name = "sim serve"
    visa_library = "@py"

    def __init__(self):
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bmrlab.cli", "sim", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.resources = {}
        try:
            for _ in DEFAULT_STATION.instruments:
                line = self.process.stdout.readline()
                resource, rest = line.split(maxsplit=1)
                self.resources[rest.rsplit("(", 1)[1].rstrip(")\n")] = resource
        except ValueError:
            self.stop()
            raise RuntimeError("bmrlab sim serve did not list its instruments") from None

    def restart(self) -> None:
        self.stop()
        self.start()

    @contextlib.contextmanager
    def bench(self):
        yield self

    def resource(self, role: str) -> str:
        return self.resources[role]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- one client's run --------------------------------------------------------------------------
ERROR_QUERIES = {  # how to drain each model's error queue (code first in every reply)
    "keithley2450": ":SYST:ERR?",
    "keithley2400": ":SYST:ERR?",
    "keysight33500b": "SYST:ERR?",
    "agilent33220a": "SYST:ERR?",
    "keithley2636b": "print(errorqueue.next())",
}


@dataclass
class ClientRun:
    """Records the calls of one client on one transport. A call that raises is recorded and
    the client carries on, as a user at a prompt would."""

    client: str
    model: str
    transport: object
    not_modelled: dict
    calls: list[Call] = field(default_factory=list)
    _visa: list = field(default_factory=list)  # pyvisa resources whose timeout we manage
    _errors: object = None  # our own session to the instrument, for its error queue
    cannot_run: str = ""  # why the remaining calls cannot run (the client was not constructed)
    reconnected: bool = False  # a connection was cut, maybe mid-message
    _sent: list = field(default_factory=list)  # what the client wrote during the current call

    @property
    def role(self) -> str:
        return ROLE_OF_MODEL[self.model]

    @property
    def resource(self) -> str:
        return self.transport.resource(self.role)

    @property
    def visa_library(self) -> str:
        return self.transport.visa_library

    def watch(self, visa_resource) -> None:
        """A pyvisa resource the client opened: its timeout is set short (slow calls raise
        it) and what the client writes is noted, to show beside a failure."""
        visa_resource.timeout = TIMEOUT_S * 1000
        write_raw = visa_resource.write_raw

        def noted(message: bytes):
            self._sent.append(message.decode("ascii", errors="replace").strip())
            return write_raw(message)

        visa_resource.write_raw = noted
        self._visa.append(visa_resource)

    def open_raw(self):
        rm = pyvisa.ResourceManager(self.visa_library)
        res = rm.open_resource(self.resource, read_termination="\n", write_termination="\n")
        self.watch(res)
        return res

    def construct(self, make, label: str = "construct"):
        """The client's first call: without it, the others are recorded as not run."""
        made = self.call(label, make)
        if made is None:
            self.cannot_run = f"not run: {label} failed"
        return made

    def call(self, label: str, fn, *args, slow: bool = False, **kwargs):
        """Run ``fn`` and record its outcome; returns its value (None when it failed)."""
        if self.cannot_run:
            self.calls.append(Call(self.client, label, "failed", self.cannot_run))
            return None
        self._sent.clear()
        with self._patience(slow):  # a slow call's error query waits for the same work
            value, error = self._watched(
                label,
                lambda: fn(*args, **kwargs),
                (SLOW_TIMEOUT_S if slow else TIMEOUT_S) + WATCHDOG_S,
            )
            sent = list(self._sent)
            queued = [] if self.cannot_run else self._drain_errors()
        if error is not None and is_timeout(error):
            outcome, text = "hung", f"no answer within the timeout ({_short(error)})"
        elif error is not None or queued:
            outcome = "failed"
            text = "; ".join(filter(None, [_short(error) if error else "", *queued]))
        else:
            outcome, text = "passed", ""
        if outcome != "passed" and sent:
            text += f" [sent: {' | '.join(sent)[:300]}]"
        listed = self.not_modelled.get((self.client, label))
        if outcome == "failed" and listed and listed["error"] in text:
            outcome = "not modelled"
        self.calls.append(Call(self.client, label, outcome, text))
        return value

    def get(self, obj, name: str, prefix: str = "", label: str | None = None):
        """Read a driver property; ``obj`` may be None when construction failed."""
        return self.call(label or f"{prefix}{name}?", lambda: getattr(obj, name))

    def set(self, obj, name: str, value, prefix: str = ""):
        return self.call(f"{prefix}{name} = {value!r}", lambda: setattr(obj, name, value))

    def method(self, obj, name: str, *args, prefix: str = "", slow: bool = False, **kwargs):
        shown = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
        return self.call(
            f"{prefix}{name}({shown})", lambda: getattr(obj, name)(*args, **kwargs), slow=slow
        )

    def param(self, root, path: str, *value, prefix: str = "", slow: bool = False):
        """A QCoDeS parameter or function by its dotted path under ``root``: get it with no
        value, set it with one."""

        def resolve():
            obj = root
            for part in path.split("."):
                obj = getattr(obj, part)
            return obj(*value)

        return self.call(f"{prefix}{path}({', '.join(map(repr, value))})", resolve, slow=slow)

    def _watched(self, label: str, fn, limit_s: float):
        """``fn()`` in a worker thread: (value, error). A call still running after ``limit_s``
        while the client has raised its own VISA timeout beyond ours (QCoDeS' Keithley2600
        adds 5000 s for a time trace), or after CALL_LIMIT_S in any case, waits for an answer
        that will not come: it counts as hung and the client is reconnected. A call that
        makes many short queries is let run meanwhile."""
        box = {"value": None, "error": None}

        def work():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    box["value"] = fn()
                except Exception as exc:  # the client's own error is what we record
                    box["error"] = exc

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        worker.join(limit_s)
        waited = limit_s
        while worker.is_alive() and waited < CALL_LIMIT_S and not self._waits_long():
            worker.join(1.0)
            waited += 1.0
        if not worker.is_alive():
            return box["value"], box["error"]
        self._reconnect()  # the client's pending read fails
        worker.join(5.0)
        if worker.is_alive():  # an in-process instrument busy for ever: interrupt it
            _raise_in(worker, TimeoutError)
            worker.join(5.0)
        if worker.is_alive():
            self.cannot_run = f"not run: the instrument did not come back after {label!r}"
        return None, TimeoutError(f"no answer after {waited:.0f} s; the client was reconnected")

    def _reconnect(self) -> None:
        """Close the client's connections under it (its pending read fails) and reopen them,
        so that it carries on with its next call."""
        self.reconnected = True
        for res in self._visa:
            with contextlib.suppress(Exception):
                res.close()
            with contextlib.suppress(Exception):
                res.open()
                res.timeout = TIMEOUT_S * 1000
                res.read_termination = res.read_termination  # a new session: set it again

    def _waits_long(self) -> bool:
        with contextlib.suppress(Exception):
            return any(
                res.timeout is None or res.timeout > SLOW_TIMEOUT_S * 1000 for res in self._visa
            )
        return True

    @contextlib.contextmanager
    def _patience(self, slow: bool):
        if not slow:
            yield
            return
        for res in self._visa:
            with contextlib.suppress(Exception):
                res.timeout = SLOW_TIMEOUT_S * 1000
        try:
            yield
        finally:
            for res in self._visa:
                with contextlib.suppress(Exception):
                    res.timeout = TIMEOUT_S * 1000

    def _drain_errors(self) -> list[str]:
        """The instrument's queued errors, read on the client's own connection (a socket
        server handles each connection in its own thread: a second connection could ask
        before the client's last command was parsed), or on ours before it has one."""
        session = self._visa[0] if self._visa and _is_open(self._visa[0]) else None
        if session is None:
            if self._errors is None:
                self._errors = self.open_raw()
                self._visa.remove(self._errors)
            session = self._errors
        found = []
        for _ in range(100):
            try:
                reply = session.query(ERROR_QUERIES[self.model]).strip()
            except Exception as exc:
                found.append(f"error queue unreadable: {_short(exc)}")
                break
            code = reply.replace("\t", ",").split(",", 1)[0]
            try:
                if int(float(code)) == 0:
                    break
            except ValueError:
                if code.lower() in ("nil", ""):
                    break
            found.append(reply)
        return found

    def clear_errors(self) -> None:
        """Empty the error queue before the client starts (a served bench is shared)."""
        self._drain_errors()

    def close(self) -> None:
        for res in [*self._visa, self._errors]:
            with contextlib.suppress(Exception):
                if res is not None:
                    res.close()
        self._errors = None

    def summary(self) -> dict:
        counts = {outcome: sum(c.outcome == outcome for c in self.calls) for outcome in OUTCOMES}
        counts["calls"] = len(self.calls)
        counts["pass_rate"] = counts["passed"] / len(self.calls) if self.calls else 0.0
        return counts


def _raise_in(thread: threading.Thread, error: type) -> None:
    """Raise ``error`` inside ``thread`` at its next Python instruction: the only way to stop
    an in-process simulated instrument that never returns (it holds its bench's lock)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident), ctypes.py_object(error)
    )


def _is_open(resource) -> bool:
    try:
        _ = resource.session  # raises once the session is closed
    except pyvisa.errors.InvalidSession:
        return False
    return True


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:200]}"


def run_client(name: str, transport) -> ClientRun:
    """One client's scenario on one transport, each client on fresh instruments in-process."""
    from .clients import CLIENTS

    model, scenario = CLIENTS[name]
    logging.getLogger("pymeasure").setLevel(logging.CRITICAL)
    logging.getLogger("qcodes").setLevel(logging.CRITICAL)
    with transport.bench(), contextlib.redirect_stdout(io.StringIO()):  # QCoDeS greets
        run = ClientRun(name, model, transport, load_not_modelled())
        try:
            run.clear_errors()
            scenario(run)
        finally:
            run.close()
    if run.reconnected or any(c.outcome in ("failed", "hung") for c in run.calls):
        transport.restart()  # the next client gets instruments in a known state
    return run
