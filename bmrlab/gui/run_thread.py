"""A run in a worker thread, talking to the window through a queue the window drains on a
timer: batches, progress and the result arrive in order, and the window never waits. One
job at a time: the window's queue decides what runs next (and pauses after an abort)."""

import queue
import threading
import time

from .. import runner


class StopRequest(threading.Event):
    """A stop request that says why; the runner stores the reason with the aborted run."""

    reason = ""

    def request(self, reason: str) -> None:
        self.reason = reason
        self.set()


class RunThread:
    """Runs one (protocol, values, sample, device, metadata) job in a thread of its own."""

    def __init__(self, station, out):
        self.station = station
        self.out = out
        self.events: queue.Queue = queue.Queue()
        self.stop = StopRequest()
        self.thread: threading.Thread | None = None
        self.started_at: float | None = None  # time.monotonic() when the job began

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, job: tuple[str, dict, str, str, dict]) -> None:
        self.stop = StopRequest()
        self.started_at = time.monotonic()
        self.thread = threading.Thread(target=self._run, args=job, daemon=True)
        self.thread.start()

    def abort(self, reason: str = "stopped on request by the user") -> None:
        """The guard's safe shutdown: the run ends at its next wait (0 V, output off)."""
        self.stop.request(reason)

    def join(self, timeout: float) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self, protocol, values, sample, device, metadata) -> None:
        try:
            try:
                procedure = runner.prepare(self.station, protocol, values)
            except Exception as error:  # checked in the form already; never crash the thread
                self.events.put(("error", f"{protocol}: {error}"))
                return
            self.events.put(("started", (protocol, procedure)))
            result = runner.run(
                self.station,
                procedure,
                self.out,
                sample=sample,
                device=device,
                stop=self.stop,
                metadata=metadata,
                on_event=lambda topic, record: self.events.put((topic, record)),
            )
            self.events.put(("finished", result))
        except Exception as error:  # e.g. an unwritable file: reported, the window goes on
            self.events.put(("error", f"{protocol}: {type(error).__name__}: {error}"))
        finally:
            self.events.put(("idle", None))
