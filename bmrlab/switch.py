"""The switch matrix: which of the devices one landing of the probes reaches is under test.

On chips where one landing reaches several devices (crossbars, pads shared by many
devices), a switch matrix connects the SMU to one of them. :meth:`Station.reach` lands the
probes and then selects the device through :attr:`Station.switch`, which is always a
:class:`Switch`: :class:`NoSwitch` (one device per landing) unless the station file names a
switch (``instruments: switch:``, docs/arrays.md).

A relay moves only while nothing is sourced: every move passes the station guard's
interlock (:meth:`~bmrlab.safety.Guard.check_switching`, the SMU at 0 V or off) and opens
every channel before closing the new one (break before make), then waits until the relay has
settled.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable

from .errors import BadInput


class Switch(ABC):
    """Picks the device under test among the ``devices`` one landing reaches."""

    devices = 1
    selected: int | None = None  # the device connected now (None: none, or not known)

    def check(self, index: int, device_id: str = "") -> None:
        """Refuse a device the switch cannot reach (BadInput, nothing sent)."""
        if not 0 <= index < self.devices:
            what = f"device {device_id}" if device_id else f"matrix device {index}"
            reach = (
                "d0 only: the station has no switch matrix"
                if self.devices == 1
                else f"d0 to d{self.devices - 1} (instruments.switch.channels)"
            )
            raise BadInput(f"{what}: one landing of the probes reaches {reach}")

    @abstractmethod
    def select(self, index: int) -> None:
        """Device ``index`` (0-based) connected, every other one disconnected: all channels
        open, then that device's closed (break before make), only with the SMU at 0 V
        (the guard), returning once the relay has settled."""

    @abstractmethod
    def release(self) -> None:
        """Every channel open (no device connected), with the SMU at 0 V."""

    def identity(self) -> str:
        """What the switch says it is (recorded with the runs), '' if there is none."""
        return ""

    def close(self) -> None:
        """Let go of the switch's connection, if it has one."""
        return None


class NoSwitch(Switch):
    """No matrix: the probes reach one device, device 0."""

    def select(self, index: int) -> None:
        self.check(index)
        self.selected = index

    def release(self) -> None:
        self.selected = None


class MatrixSwitch(Switch):
    """A Keithley 707B: device k is reached by closing ``channels[k]``.

    ``connect()`` returns the driver (:class:`~bmrlab.instruments.keithley707b.Keithley707B`);
    it is called at the first move, so loading a station sends nothing. ``interlock()``
    raises unless the SMU is at 0 V or off (the station's guard); ``user_delay`` is added
    after each close on top of the relay's own settling (``channel.setdelay``).
    """

    def __init__(
        self,
        connect: Callable,
        channels: list[str],
        interlock: Callable[[], None],
        user_delay: float = 0.0,
    ):
        self._connect = connect
        self.channels = list(channels)
        self.devices = len(self.channels)
        self._interlock = interlock
        self.user_delay = user_delay
        self._driver = None

    @property
    def driver(self):
        if self._driver is None:
            driver = self._connect()
            self._interlock()  # preparing opens every channel
            driver.prepare(self.channels, self.user_delay)
            self._driver = driver
        return self._driver

    def select(self, index: int) -> None:
        self.check(index)
        driver = self.driver
        self._interlock()
        driver.select(self.channels[index])
        self.selected = index

    def release(self) -> None:
        driver = self.driver
        self._interlock()
        driver.open_all()
        self.selected = None

    def identity(self) -> str:
        return self.driver.id

    @property
    def settings(self) -> dict:
        """What is recorded with every run: the channels and the one closed now."""
        selected = self.channels[self.selected] if self.selected is not None else ""
        return {"channels": self.channels, "close_delay_s": self.user_delay, "closed": selected}

    def instrument_facts(self) -> dict:
        """What the matrix reports about itself (queries only), and its channels."""
        return {**self.driver.instrument_facts(), "channels": ",".join(self.channels)}

    def close(self) -> None:
        if self._driver is not None:
            self._driver.adapter.close()
            self._driver = None
