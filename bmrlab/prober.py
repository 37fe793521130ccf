"""The prober: what brings the next device under the probes.

Characterize and recipes move between devices only through :meth:`Prober.next_device`.
Behind it sit the simulator's fresh device, a person moving the probes by hand, and (later)
an automatic prober. A station gets its prober from the station file's ``prober:`` entry;
by default a simulated station has the simulated prober and a hardware station the manual
one.
"""

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable


class Prober(ABC):
    """Moves to the next device. ``unattended``: no person is needed for a move, so a
    characterization may take a pristine device for each protocol."""

    kind = ""
    unattended = False

    @abstractmethod
    def next_device(self, device_id: str = "", sample: str = "") -> None:
        """Bring device ``device_id`` of ``sample`` under the probes and make contact (no
        id: a pristine device of the same kind). Nothing is sourced while it moves."""

    def check(self) -> str:
        """Why the prober could not move now (e.g. nobody to ask), else ''."""
        return ""


class SimulatedProber(Prober):
    """The simulated chip: the next device is a pristine one of the same kind, its
    variability drawn anew (a reference part stays the same part)."""

    kind = "simulated"
    unattended = True

    def __init__(self, bench):
        self.bench = bench

    def next_device(self, device_id: str = "", sample: str = "") -> None:
        self.bench.fresh_device()


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

    def next_device(self, device_id: str = "", sample: str = "") -> None:
        self.ask(self.prompt(device_id, sample))

    def check(self) -> str:
        if self._terminal and not sys.stdin.isatty():
            return "a person is asked to move the probes, but stdin is not a terminal"
        return ""


def make_prober(kind: str, bench=None) -> Prober:
    """The prober a station file names (``bench``: the simulated bench, if any)."""
    return SimulatedProber(bench) if kind == "simulated" else ManualProber()
