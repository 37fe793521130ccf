"""The ``@bmrsim`` pyvisa backend: simulated instruments behind the real pyvisa API.

``pyvisa.ResourceManager("@bmrsim")`` opens the default bench; ``"station.yaml@bmrsim"``
the bench that a station file describes. Any pyvisa client (pymeasure's stock drivers,
bmrlab's drivers, a user's raw script) then talks SCPI to the simulated instruments.
bmrlab's own stations register their bench in-process and open ``"bench:<key>@bmrsim"``.

Clock: a bmrlab station owns its bench's clock (pure virtual time: a 10^4 s retention runs in
seconds). A bench opened by a plain client (``@bmrsim``, ``station.yaml@bmrsim``) has nobody
to move its virtual clock but the instruments, so the wall time between the client's messages
passes on it too: a script that rests with ``time.sleep`` sees the device relax as on a bench.
"""

import itertools
from collections import deque

from pyvisa import attributes, constants, errors, highlevel, rname
from pyvisa.util import LibraryPath

from ..clock import ClientPace
from .bench import Disconnected, SimBench, Unresponsive

_benches: dict[str, tuple[SimBench, bool]] = {}  # key -> (bench, paced by its clients)
_keys = itertools.count(1)


def register_bench(bench: SimBench, client_paced: bool = False) -> str:
    """Make an in-process bench reachable as ``bench:<key>@bmrsim``; returns the library path.
    The caller owns the bench's clock, unless ``client_paced``: then the wall time between
    its clients' messages passes on it, as for a bench that ``@bmrsim`` opens by itself."""
    key = f"bench:{next(_keys)}"
    _benches[key] = (bench, client_paced)
    return key


def forget_bench(key: str) -> None:
    """Drop a bench and its cached pyvisa library, so a new station starts afresh."""
    _benches.pop(key, None)
    highlevel.VisaLibraryBase._registry.pop((BmrSimVisaLibrary, LibraryPath(key)), None)


class SimSession:
    """One open resource: attributes and the instrument's pending response."""

    def __init__(self, bench: SimBench, resource: str, parsed, pace: ClientPace | None):
        self.bench = bench
        self.pace = pace
        self.resource = resource
        self.output: deque = deque()
        self.attrs = {
            constants.ResourceAttribute.resource_name: resource,
            constants.ResourceAttribute.resource_class: parsed.resource_class,
            constants.ResourceAttribute.interface_type: parsed.interface_type_const,
        }
        self.session_type = (parsed.interface_type_const, parsed.resource_class)

    def write(self, data: bytes) -> tuple[int, constants.StatusCode]:
        instrument = self.bench.instruments[self.resource]
        if self.output:  # a new message discards an unread response (IEEE 488.2)
            self.output.clear()
            instrument.push_error(-410, "Query INTERRUPTED")
        # a line feed ends a program message (IEEE 488.2 7.5, program message terminator), on
        # the bus as on a socket: a write holding several lines is several messages, each
        # answered in turn
        text = data.decode("ascii", errors="replace")
        messages = [line.strip("\r") for line in text.split("\n") if line.strip("\r")]
        with self.bench.lock:
            if self.pace:
                self.pace.message_starts()
            try:
                for message in messages:
                    reply = self.bench.handle(self.resource, message)
                    if reply is not None:
                        self.output.append(reply + b"\n")
            except Disconnected:
                raise errors.VisaIOError(constants.StatusCode.error_connection_lost) from None
            finally:
                if self.pace:
                    self.pace.message_ends()
        return len(data), constants.StatusCode.success

    def read(self, count: int) -> tuple[bytes, constants.StatusCode]:
        try:
            self.bench.check_alive(self.resource)
        except Disconnected:
            raise errors.VisaIOError(constants.StatusCode.error_connection_lost) from None
        except Unresponsive:
            raise errors.VisaIOError(constants.StatusCode.error_timeout) from None
        if not self.output:
            self.bench.instruments[self.resource].push_error(-420, "Query UNTERMINATED")
            raise errors.VisaIOError(constants.StatusCode.error_timeout)
        pending = self.output[0]
        if len(pending) > count:
            self.output[0] = pending[count:]
            return pending[:count], constants.StatusCode.success_max_count_read
        self.output.popleft()
        return pending, constants.StatusCode.success_termination_character_read

    def get_attribute(self, attribute):
        attr = attributes.AttributesByID.get(attribute)
        if attr is None or not attr.in_resource(self.session_type):
            return 0, constants.StatusCode.error_nonsupported_attribute
        return self.attrs.setdefault(attribute, attr.default), constants.StatusCode.success

    def set_attribute(self, attribute, value):
        attr = attributes.AttributesByID.get(attribute)
        if attr is None or not attr.in_resource(self.session_type):
            return constants.StatusCode.error_nonsupported_attribute
        self.attrs[attribute] = value
        return constants.StatusCode.success


class BmrSimVisaLibrary(highlevel.VisaLibraryBase):
    """pyvisa library object whose resources are the instruments of one simulated bench."""

    @staticmethod
    def get_library_paths():
        return (LibraryPath("unset"),)

    @staticmethod
    def get_debug_info():
        return {"backend": "bmrlab simulated station"}

    def _init(self) -> None:
        from .builder import bench_for_library_path

        path = str(self.library_path)
        self.bench, paced = _benches.get(path) or (bench_for_library_path(path), True)
        self.pace = ClientPace(self.bench.clock) if paced and self.bench.clock.virtual else None
        self.sessions: dict[int, object] = {}
        self._handles = itertools.count(1000)
        # pyvisa normalizes names (a USB name gains its interface number): match on that
        self._resources = {str(rname.parse_resource_name(r)): r for r in self.bench.instruments}

    def _register(self, obj) -> int:
        handle = next(self._handles)
        self.sessions[handle] = obj
        return handle

    def open_default_resource_manager(self):
        return self._register(self), constants.StatusCode.success

    def list_resources(self, session, query="?*::INSTR"):
        found = rname.filter(tuple(self.bench.instruments), query)
        if not found:
            raise errors.VisaIOError(constants.StatusCode.error_resource_not_found)
        return found

    def open(
        self,
        session,
        resource_name,
        access_mode=constants.AccessModes.no_lock,
        open_timeout=constants.VI_TMO_IMMEDIATE,
    ):
        try:
            parsed = rname.parse_resource_name(resource_name)
        except rname.InvalidResourceName:
            return 0, constants.StatusCode.error_invalid_resource_name
        name = self._resources.get(str(parsed))
        if name is None:
            return 0, constants.StatusCode.error_resource_not_found
        return (
            self._register(SimSession(self.bench, name, parsed, self.pace)),
            constants.StatusCode.success,
        )

    def close(self, session):
        return (
            constants.StatusCode.success
            if self.sessions.pop(session, None) is not None
            else constants.StatusCode.error_invalid_object
        )

    def _session(self, session) -> SimSession:
        try:
            return self.sessions[session]
        except KeyError:
            raise errors.VisaIOError(constants.StatusCode.error_invalid_object) from None

    def write(self, session, data):
        return self._session(session).write(data)

    def read(self, session, count):
        return self._session(session).read(count)

    def clear(self, session):
        self._session(session).output.clear()
        return constants.StatusCode.success

    def flush(self, session, mask):
        return constants.StatusCode.success

    def get_attribute(self, session, attribute):
        return self._session(session).get_attribute(attribute)

    def set_attribute(self, session, attribute, attribute_state):
        return self._session(session).set_attribute(attribute, attribute_state)

    def disable_event(self, session, event_type, mechanism):
        return constants.StatusCode.success

    def discard_events(self, session, event_type, mechanism):
        return constants.StatusCode.success
