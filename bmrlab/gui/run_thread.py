"""A run in a worker thread, talking to the window through a queue the window drains on a
timer: batches, progress and the result arrive in order, and the window never waits."""

import queue
import threading

from .. import runner


class RunThread:
    """Runs queued (protocol, values, sample, device) jobs one after the other."""

    def __init__(self, station, out):
        self.station = station
        self.out = out
        self.events: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, jobs: list[tuple[str, dict, str, str]]) -> None:
        self.stop.clear()
        self.thread = threading.Thread(target=self._run, args=(list(jobs),), daemon=True)
        self.thread.start()

    def abort(self) -> None:
        """The guard's safe shutdown: the run ends at its next wait (0 V, output off)."""
        self.stop.set()

    def _run(self, jobs) -> None:
        for protocol, values, sample, device in jobs:
            if self.stop.is_set():
                break
            try:
                procedure = runner.prepare(self.station, protocol, values)
            except Exception as error:  # checked in the form already; never crash the thread
                self.events.put(("error", f"{protocol}: {error}"))
                continue
            self.events.put(("started", (protocol, procedure)))
            result = runner.run(self.station, procedure, self.out, sample=sample,
                                device=device, stop=self.stop,
                                on_event=lambda topic, record: self.events.put((topic, record)))
            self.events.put(("finished", result))
        self.events.put(("idle", None))
