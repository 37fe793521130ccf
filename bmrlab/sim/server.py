"""``bmrlab sim serve``: the simulated instruments as raw SCPI sockets on 127.0.0.1.

Each instrument listens on its own port, like a LAN instrument's raw socket (port 5025 on
Keysight and Keithley instruments), so any VISA client reaches it as
``TCPIP0::127.0.0.1::<port>::SOCKET`` with ``\\n`` termination. Time is the wall clock.
Injected faults act on the socket: a disconnect closes it, a hung instrument stops
answering, a garbled reply is sent as it is.

Several clients may connect at once, to one instrument or to several. An instrument handles
one message at a time (as the real one does), while the others keep answering: a sweep or an
``*OPC?`` that takes seconds on one instrument holds up only that instrument's clients. A
message is complete at its ``\\n``: a query sent without one gets no reply until the
terminator arrives (the client's own timeout ends its wait), as on the instrument.
"""

import socketserver
import sys
import threading

from ..clock import WallClock
from .bench import Disconnected, SimBench


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        bench: SimBench = self.server.bench
        resource: str = self.server.resource
        for line in self.rfile:
            message = line.decode("ascii", errors="replace").strip()
            if not message:
                continue
            with self.server.busy:
                try:
                    reply = bench.handle(resource, message)
                except Disconnected:
                    return  # closing the connection is what a pulled cable looks like
                except Exception as error:  # a simulator fault: drop this client, serve on
                    print(f"{resource}: {message!r} failed: {error!r}", file=sys.stderr)
                    return
            if reply is not None:
                try:
                    self.wfile.write(reply + b"\n")
                    self.wfile.flush()
                except OSError:  # the client went away before reading its reply
                    return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def start(bench: SimBench, first_port: int = 0, host: str = "127.0.0.1") -> list:
    """Serve every instrument of ``bench``; returns (resource string, instrument, server).
    ``first_port`` 0 lets the system choose free ports."""
    if not isinstance(bench.clock, WallClock):
        raise ValueError("a served bench runs on the wall clock (clock: realtime)")
    bench.clock.release_while_waiting(bench.lock)
    served = []
    for k, (resource, instrument) in enumerate(bench.instruments.items()):
        server = _Server((host, first_port + k if first_port else 0), _Handler)
        server.bench, server.resource = bench, resource
        server.busy = threading.Lock()  # one message at a time per instrument
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        served.append((f"TCPIP0::{host}::{port}::SOCKET", instrument, server))
    return served
