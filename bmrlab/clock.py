"""The station clock: every wait of a procedure and every timed action of the simulator.

A procedure never calls ``time.sleep``: it waits through the station, which slices the wait
so that a stop request is seen within 100 ms. On hardware the clock is the wall clock; on a
simulated station it is usually virtual, so a 10^4 s retention runs in a moment.
"""

import time


class WallClock:
    """Real time, counted from the clock's creation."""

    virtual = False

    def __init__(self):
        self._start = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._start

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def advance_to(self, t: float) -> None:
        """Block until ``t`` (the simulator's ``*OPC?`` on a realtime station)."""
        self.sleep(t - self.now())


class VirtualClock:
    """Simulated time that moves only when something waits or an instrument works."""

    virtual = True

    def __init__(self, start: float = 0.0):
        self._t = float(start)

    def now(self) -> float:
        return self._t

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._t += seconds

    def advance_to(self, t: float) -> None:
        self._t = max(self._t, t)


def make_clock(kind: str):
    return VirtualClock() if kind == "virtual" else WallClock()
