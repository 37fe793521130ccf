"""A simulated bench in a process of its own, for the window.

In-process, the simulator (device physics, trigger models, SCPI parsing) is about 97 % of
the CPU time of a run on the simulated station, and it ran in the window's process: the run
thread held Python's interpreter lock while the window waited to draw. Here the bench runs
in a child process and the window's process keeps only what it has on hardware: drivers,
pyvisa, the file and the plot, waiting on a pipe as it would on a VISA bus.

:class:`BenchProcess` stands in for :class:`~bmrlab.sim.bench.SimBench` behind the
``@bmrsim`` backend (the messages, an instrument's error queue, whether it still answers),
so drivers, procedures, the runner and the manual panel run unchanged and share one
simulated device. Virtual time stays one clock: each request carries the station clock's
present (the procedure's waits), and the reply brings back the time the instruments took.

Either side may end: when the window's process is gone the child's pipe closes and the
child ends with its instruments (no simulated output is left on); when the child is gone a
message raises :class:`~bmrlab.sim.bench.Disconnected`, as a pulled cable does, and the run
fails through the guard's shutdown.
"""

import multiprocessing
import os
import threading

from .bench import Disconnected
from .library import load_device

NICE = 10  # the child's scheduling priority below the window's
START_TIMEOUT_S = 60  # the child imports the simulator and builds its instruments


def _serve(connection, config, device, start_time) -> None:
    """The child: answer requests until the window's process closes the pipe. It yields
    the CPU to the window (a real instrument has its own)."""
    os.nice(NICE)
    from ..clock import VirtualClock, WallClock
    from .builder import build_bench

    clock = VirtualClock(start_time) if start_time is not None else WallClock()
    try:
        bench = build_bench(config, device, clock)
    except Exception as error:  # said in the window's process, where the station is loaded
        connection.send((("raise", error), clock.now()))
        return
    names = {resource: instrument.name for resource, instrument in bench.instruments.items()}
    connection.send((("ok", names), clock.now()))
    while True:
        try:
            now, operation, args = connection.recv()
        except (EOFError, OSError):
            return  # the window's process ended: its simulated station ends with it
        if clock.virtual:
            clock.advance_to(now)
        try:
            if operation == "handle":
                answer = bench.handle(*args)
            elif operation == "check_alive":
                answer = bench.check_alive(*args)
            elif operation == "push_error":
                resource, code, text = args
                answer = bench.instruments[resource].push_error(code, text)
            elif operation == "output":
                answer = bench.by_name(args[0]).output
            else:  # fresh_device
                answer = bench.fresh_device(*args).name
            reply = ("ok", answer)
        except Exception as error:  # Disconnected, Unresponsive, a simulator fault: the caller's
            reply = ("raise", error)
        try:
            connection.send((reply, clock.now()))
        except (BrokenPipeError, OSError):
            return


class RemoteInstrument:
    """What the backend touches of a simulated instrument besides its messages."""

    def __init__(self, bench: "BenchProcess", resource: str, name: str):
        self.bench, self.resource, self.name = bench, resource, name

    def push_error(self, code: int, text: str) -> None:
        self.bench.call("push_error", self.resource, code, text)

    @property
    def output(self) -> bool:
        """Whether the simulated instrument's output is on (what a test checks)."""
        return self.bench.call("output", self.name)


class BenchProcess:
    """The bench of ``config`` (with ``device`` as the device under test) in a child
    process, driven by the station's ``clock``."""

    def __init__(self, config, device: str | None, clock):
        self.clock = clock
        self.lock = threading.RLock()  # the backend's: one message at a time
        self._pipe_lock = threading.Lock()  # one request and its reply at a time
        self.preset = load_device(device or config.simulation.device)
        context = multiprocessing.get_context("spawn")  # no copy of the window's threads
        self._connection, child = context.Pipe()
        start = clock.now() if clock.virtual else None
        self.process = context.Process(
            target=_serve, args=(child, config, device, start), daemon=True, name="bmrlab-sim"
        )
        self.process.start()
        child.close()
        if not self._connection.poll(START_TIMEOUT_S):
            self.close()
            raise RuntimeError("the simulated station's process did not start")
        try:
            names = self._reply()
        except Exception:
            self.close()
            raise
        self.instruments = {
            resource: RemoteInstrument(self, resource, name) for resource, name in names.items()
        }

    def call(self, operation: str, *args):
        with self._pipe_lock:
            try:
                self._connection.send((self.clock.now(), operation, args))
            except (BrokenPipeError, OSError):
                raise Disconnected("the simulated station's process has ended") from None
            return self._reply()

    def _reply(self):
        try:
            (kind, answer), now = self._connection.recv()
        except (EOFError, OSError):
            raise Disconnected("the simulated station's process has ended") from None
        if self.clock.virtual:
            self.clock.advance_to(now)
        if kind == "raise":
            raise answer
        return answer

    def handle(self, resource: str, message: str) -> bytes | None:
        return self.call("handle", resource, message)

    def check_alive(self, resource: str) -> None:
        self.call("check_alive", resource)

    def fresh_device(self, name: str = "dut") -> None:
        """The simulated prober's next device (see SimBench.fresh_device)."""
        self.call("fresh_device", name)

    def by_name(self, name: str) -> RemoteInstrument:
        return next(i for i in self.instruments.values() if i.name == name)

    def close(self) -> None:
        """End the child (closing the pipe ends it; a stuck child is terminated)."""
        self._connection.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)
