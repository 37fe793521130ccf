"""The simulated bench: instruments wired to devices, all moving on one clock.

Instruments act lazily: whenever a message arrives (or a test asks), :meth:`SimBench.sync`
replays every instrument's scheduled events (sweep levels, readings) in time order up to
the clock's present, advancing each device under the sum of the drives wired to it.
"""

import math
import threading
from dataclasses import dataclass

from .model import BmrDevice

TRANSACTION_S = 0.5e-3  # bus and parser time of one message, in simulated time
GARBLED = b"\x8f#0\xff"  # what a reply looks like after line noise


class Disconnected(ConnectionError):
    """The simulated instrument's connection is gone (cable pulled, power lost)."""


class Unresponsive(TimeoutError):
    """The simulated instrument no longer answers (hung firmware)."""


@dataclass
class ActiveFault:
    instrument: str
    kind: str
    after: int
    error: str
    struck: bool = False


class SimBench:
    def __init__(self, clock):
        self.clock = clock
        self.devices: dict[str, BmrDevice] = {}
        self.instruments: dict[str, object] = {}  # VISA resource name -> simulated instrument
        self.wiring: dict[str, str] = {}  # instrument name -> device name
        self.transactions = 0
        self.lock = threading.RLock()
        self.faults: list[ActiveFault] = []
        self.messages: dict[str, int] = {}  # messages received, per instrument name
        self.broken: dict[str, str] = {}  # instrument name -> 'timeout' | 'disconnect'
        self.garble_next: set[str] = set()

    def add_device(self, device: BmrDevice) -> None:
        self.devices[device.name] = device

    def fresh_device(self, name: str = "dut"):
        """Replace a device by a pristine one of the same kind (the probes moved to the next
        nominally identical device of the chip, or an identical reference part); its variability
        is drawn anew."""
        with self.lock:
            old = self.devices[name]
            self.sync()
            device = type(old)(old.p, seed=old.seed + 104_729, name=name)
            device.t = self.clock.now()
            self.devices[name] = device
            return device

    def add_instrument(self, resource: str, instrument, device: str) -> None:
        self.instruments[resource] = instrument
        self.wiring[instrument.name] = device

    def device_of(self, instrument) -> BmrDevice:
        return self.devices[self.wiring[instrument.name]]

    def by_name(self, name: str):
        return next(i for i in self.instruments.values() if i.name == name)

    # --- physics ---------------------------------------------------------------------------
    def drive(self, device_name: str, t: float) -> tuple[float, float]:
        """Sum of the voltages wired to a device at ``t`` and the tightest current limit."""
        v, limit = 0.0, math.inf
        for instrument in self.instruments.values():
            if self.wiring[instrument.name] == device_name:
                dv, di = instrument.drive(t)
                v, limit = v + dv, min(limit, di)
        return v, limit

    def device_current(self, instrument) -> tuple[float, bool]:
        name = self.wiring[instrument.name]
        device = self.devices[name]
        return device.current(*self.drive(name, device.t))

    def _advance_devices(self, t: float) -> None:
        """Each drive is constant between events: evaluate it inside the segment, away from
        the edges that bound it."""
        for name, device in self.devices.items():
            device.advance(t, *self.drive(name, (device.t + t) / 2))

    def sync(self) -> None:
        """Replay all instrument events up to the clock's present."""
        with self.lock:
            now = self.clock.now()
            while True:
                instrument = min(self.instruments.values(), key=lambda i: i.next_event_time())
                t_event = instrument.next_event_time()
                if t_event > now:
                    break
                self._advance_devices(t_event)
                instrument.fire_event(t_event)
            self._advance_devices(now)

    def glitch(self, instrument, volts: float, seconds: float) -> None:
        """A transient from an instrument (range change under power) reaches the device."""
        device = self.device_of(instrument)
        t = self.clock.now()
        v, limit = self.drive(device.name, t)
        device.advance(t, v, limit)
        device.expose(v + volts, t=t, seconds=seconds, source=instrument.name)
        device.advance(t + seconds, v + volts, limit)

    # --- faults ------------------------------------------------------------------------------
    def add_faults(self, faults) -> None:
        self.faults += [ActiveFault(f.instrument, f.kind, f.after, f.error) for f in faults]

    def _strike(self, instrument) -> None:
        count = self.messages[instrument.name]
        for fault in self.faults:
            if fault.instrument != instrument.name or fault.struck or count <= fault.after:
                continue
            fault.struck = True
            if fault.kind in ("timeout", "disconnect"):
                self.broken[instrument.name] = fault.kind
            elif fault.kind == "garbled":
                self.garble_next.add(instrument.name)
            elif fault.kind == "error":
                code, _, message = fault.error.partition(",")
                instrument.push_error(int(code), message.strip('"'))
            elif fault.kind == "stuck-compliance":
                instrument.stuck_limit = True

    def check_alive(self, resource: str) -> None:
        """Raise as the bus would for a broken instrument."""
        kind = self.broken.get(self.instruments[resource].name)
        if kind == "disconnect":
            raise Disconnected(resource)
        if kind == "timeout":
            raise Unresponsive(resource)

    # --- messages ----------------------------------------------------------------------------
    def handle(self, resource: str, message: str) -> bytes | None:
        """One program message to one instrument; returns its response, if any (raw bytes,
        since a garbled reply is not text)."""
        with self.lock:
            instrument = self.instruments[resource]
            self.messages[instrument.name] = self.messages.get(instrument.name, 0) + 1
            self._strike(instrument)
            if self.broken.get(instrument.name) == "disconnect":
                raise Disconnected(resource)
            self.transactions += 1
            self.clock.sleep(TRANSACTION_S)
            self.sync()
            if instrument.name in self.broken:  # hung: takes nothing, answers nothing
                return None
            reply = instrument.handle(message)
            self.sync()
            if reply is None:
                return None
            data = reply.encode("latin-1")  # binary blocks carry bytes 0-255 as characters
            if instrument.name in self.garble_next:
                self.garble_next.discard(instrument.name)
                return GARBLED + data[: len(data) // 2]
            return data
