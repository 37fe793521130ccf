"""The station clock: every wait of a procedure and every timed action of the simulator.

A procedure never calls ``time.sleep``: it waits through the station, which slices the wait
so that a stop request is seen within 100 ms. On hardware the clock is the wall clock; on a
simulated station it is usually virtual, so a 10^4 s retention runs in a moment.
"""

import threading
import time


class WallClock:
    """Real time, counted from the clock's creation."""

    virtual = False

    def __init__(self):
        self._start = time.monotonic()
        self._waiting: threading.Condition | None = None

    def now(self) -> float:
        return time.monotonic() - self._start

    def release_while_waiting(self, lock) -> None:
        """Let go of ``lock`` (a served bench's) during every wait, so that an instrument busy
        for a while (a sweep, ``*OPC?``) does not hold up the clients of the others."""
        self._waiting = threading.Condition(lock)

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self._waiting is None:
            time.sleep(seconds)
            return
        deadline = time.monotonic() + seconds
        with self._waiting:  # Condition.wait releases the lock fully, even when re-entered
            while (left := deadline - time.monotonic()) > 0:
                self._waiting.wait(left)

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


class ClientPace:
    """Lets the wall time between a client's messages pass on a virtual clock as well.

    Unchanged client code waits with its own ``time.sleep`` (between two pulses, before a
    read): on a bench, the device relaxes meanwhile. The in-process backend calls
    :meth:`message_starts` before and :meth:`message_ends` after each message of a plain
    pyvisa client; the time spent inside a message is the instruments' own, simulated.
    """

    def __init__(self, clock: VirtualClock):
        self.clock = clock
        self._idle_since: float | None = None

    def message_starts(self) -> None:
        if self._idle_since is not None:
            self.clock.sleep(time.monotonic() - self._idle_since)
        self._idle_since = None

    def message_ends(self) -> None:
        self._idle_since = time.monotonic()


def make_clock(kind: str):
    return VirtualClock() if kind == "virtual" else WallClock()
