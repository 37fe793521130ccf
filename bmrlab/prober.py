"""The prober: what brings the next device under the probes.

Characterize and recipes move between devices only through :meth:`Prober.next_device`.
Behind it sit the simulator's fresh device, a person moving the probes by hand, and an MPI
SENTIO probe station stepping over its wafer map (docs/arrays.md). A station gets its
prober from the station file's ``prober:`` entry; by default a simulated station has the
simulated prober (the simulated SENTIO prober when it has a simulated wafer) and a hardware
station the manual one.
"""

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable

from .die_address import FORMAT_HELP, DieAddress
from .errors import BadInput, RunFailed
from .instruments.sentio import STEP_TO_SEPARATION


class Prober(ABC):
    """Moves to the next device. ``unattended``: no person is needed for a move.
    ``pristine_copies``: without an id, the next device is a pristine copy of the same device
    (the simulated chip), so a characterization may take one for each protocol; on a wafer
    the next device is another device, so it measures one device throughout."""

    kind = ""
    unattended = False
    pristine_copies = False
    current = ""  # id of the device under the probes, '' when the prober cannot tell

    @abstractmethod
    def next_device(self, device_id: str = "", sample: str = "") -> str:
        """Bring device ``device_id`` of ``sample`` under the probes and make contact (no
        id: a pristine device of the same kind, or the next of the wafer's route). Nothing
        is sourced while it moves. Returns the id of the device now under the probes."""

    def check(self) -> str:
        """Why the prober could not move now (e.g. nobody to ask), else ''."""
        return ""

    def contact(self) -> None:
        """Probes down on the device (a prober that cannot lift them: nothing to do)."""
        return None

    def separate(self) -> None:
        """Probes lifted off the device."""
        return None

    def identity(self) -> str:
        """What the prober says it is (recorded with the runs), '' if nothing; an automatic
        prober is reached for it."""
        return ""

    def close(self) -> None:
        """Let go of the prober's connection, if it has one."""
        return None


class SimulatedProber(Prober):
    """The simulated chip: the next device is a pristine one of the same kind, its
    variability drawn anew (a reference part stays the same part)."""

    kind = "simulated"
    unattended = True
    pristine_copies = True

    def __init__(self, bench):
        self.bench = bench

    def next_device(self, device_id: str = "", sample: str = "") -> str:
        self.bench.fresh_device()
        self.current = device_id
        return device_id


class ManualProber(Prober):
    """A person moves the probes and presses Enter. ``ask`` shows the prompt and waits
    (default: the terminal)."""

    kind = "manual"

    def __init__(self, ask: Callable[[str], object] | None = None):
        self.ask = ask or input
        self._terminal = ask is None

    @staticmethod
    def prompt(device_id: str = "", sample: str = "") -> str:
        where = f"device {device_id}" if device_id else "a pristine device of the same kind"
        return f"Move the probes to {where}{f' of {sample}' if sample else ''}, then press Enter: "

    def next_device(self, device_id: str = "", sample: str = "") -> str:
        self.ask(self.prompt(device_id, sample))
        self.current = device_id
        return device_id

    def check(self) -> str:
        if self._terminal and not sys.stdin.isatty():
            return "a person is asked to move the probes, but stdin is not a terminal"
        return ""


class RouteEnded(RunFailed):
    """The prober's stepping route has no further die."""


class SentioProber(Prober):
    """An MPI SENTIO probe station stepping over its wafer map. ``connect()`` returns a
    :class:`~bmrlab.instruments.sentio.SentioRemote`; it is called at the first move, so
    loading a station sends nothing. Steps end with the probes lifted; contact is made
    once the chuck has arrived. A device id names a die and site (``c3r4``, ``c3r4s1``);
    no id: the next die of the route SENTIO holds (its first die at the first move)."""

    kind = "sentio"
    unattended = True

    def __init__(self, connect: Callable):
        self._connect = connect
        self._remote = None
        self._version = ""
        self._started = False

    @property
    def remote(self):
        if self._remote is None:
            remote = self._connect()
            remote.set_stepping_contact_mode(STEP_TO_SEPARATION)
            self._version = remote.version()
            self._remote = remote
        return self._remote

    def next_device(self, device_id: str = "", sample: str = "") -> str:
        remote = self.remote
        if device_id:
            address = DieAddress.parse(device_id)
            if address is None:
                raise BadInput(
                    f"device {device_id}: the SENTIO prober steps to dies named {FORMAT_HELP}"
                )
            column, row, site = remote.step_die(address.column, address.row, address.site)
        elif not self._started:
            column, row, site = remote.step_first_die()
        elif remote.end_of_route:
            raise RouteEnded("the prober's stepping route has no further die")
        else:
            column, row, site = remote.step_next_die()
        self._started = True
        remote.move_contact()
        self.current = str(DieAddress(column, row, site))
        return self.current

    def contact(self) -> None:
        self.remote.move_contact()

    def separate(self) -> None:
        """Probes lifted: no device is under test until the next move lands them again
        (``Station.reach`` to this same die steps to it and makes contact)."""
        self.remote.move_separation()
        self.current = ""

    def identity(self) -> str:
        _ = self.remote  # SENTIO's version is read when it is first reached
        return self._version

    def close(self) -> None:
        if self._remote is not None:
            self._remote.close()
            self._remote = None


def make_prober(kind: str, bench=None, connect: Callable | None = None) -> Prober:
    """The prober a station file names (``bench``: the simulated bench, if any;
    ``connect``: how to reach SENTIO, for ``sentio``)."""
    if kind == "sentio":
        if connect is None:
            raise ValueError("a SENTIO prober needs to know how to reach SENTIO")
        return SentioProber(connect)
    return SimulatedProber(bench) if kind == "simulated" else ManualProber()
