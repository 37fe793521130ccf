"""The simulated bench: instruments wired to devices, all moving on one clock.

Instruments act lazily: whenever a message arrives (or a test asks), :meth:`SimBench.sync`
replays every instrument's scheduled events (sweep levels, readings) in time order up to
the clock's present, advancing each device under the sum of the drives wired to it.
"""

import math
import threading

from .model import BmrDevice

TRANSACTION_S = 0.5e-3  # bus and parser time of one message, in simulated time


class SimBench:
    def __init__(self, clock):
        self.clock = clock
        self.devices: dict[str, BmrDevice] = {}
        self.instruments: dict[str, object] = {}  # VISA resource name -> simulated instrument
        self.wiring: dict[str, str] = {}  # instrument name -> device name
        self.transactions = 0
        self.lock = threading.RLock()

    def add_device(self, device: BmrDevice) -> None:
        self.devices[device.name] = device

    def add_instrument(self, resource: str, instrument, device: str) -> None:
        self.instruments[resource] = instrument
        self.wiring[instrument.name] = device

    def device_of(self, instrument) -> BmrDevice:
        return self.devices[self.wiring[instrument.name]]

    def by_name(self, name: str):
        return next(i for i in self.instruments.values() if i.name == name)

    # --- physics ---------------------------------------------------------------------------
    def drive(self, device_name: str) -> tuple[float, float]:
        """Sum of the voltages wired to a device and the tightest current limit among them."""
        v, limit = 0.0, math.inf
        for instrument in self.instruments.values():
            if self.wiring[instrument.name] == device_name:
                dv, di = instrument.drive()
                v, limit = v + dv, min(limit, di)
        return v, limit

    def device_current(self, instrument) -> tuple[float, bool]:
        name = self.wiring[instrument.name]
        v, limit = self.drive(name)
        return self.devices[name].current(v, limit)

    def _advance_devices(self, t: float) -> None:
        for name, device in self.devices.items():
            device.advance(t, *self.drive(name))

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
        v, limit = self.drive(device.name)
        device.advance(t, v, limit)
        device.expose(v + volts, t=t, seconds=seconds, source=instrument.name)
        device.advance(t + seconds, v + volts, limit)

    # --- messages ----------------------------------------------------------------------------
    def handle(self, resource: str, message: str) -> str | None:
        """One program message to one instrument; returns its response, if any."""
        with self.lock:
            self.transactions += 1
            self.clock.sleep(TRANSACTION_S)
            self.sync()
            reply = self.instruments[resource].handle(message)
            self.sync()
            return reply
