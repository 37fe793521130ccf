"""A simulated MPI SENTIO probe station: SENTIO's remote commands over a simulated wafer.

It answers the subset of SENTIO's native remote command set that steps over a wafer map
(docs/arrays.md lists it), over TCP as SENTIO does (:func:`serve`, one session per
connection) or in-process (:class:`SimSentioLink`). Moving the chuck takes time on the
bench's clock (:class:`StageMotion`); the device under the probes at contact is the wafer's
device at the chuck's position (:meth:`bmrlab.sim.wafer.SimWafer.place`), and with the
probes lifted the instruments see an open circuit.

Written from MPI's own Python package, sentio-prober-control 26.2.0 ("[P]" below, by
module: it is the reference for the command syntax and the replies), not from bmrlab's
driver. Where it is silent the simulator refuses rather than guesses, and says so in the
error message; each such choice is marked "strict".

Replies [P] Sentio/Response.py: one line ``<code>,<command id>,<message>``; ``code`` holds
the error code in its lowest 10 bits and status flags above them; the command id is 0 for
the synchronous commands simulated here. ``*`` commands follow IEEE 488.2: a query
(``*IDN?``) answers with a bare line, a setting (``*RCS 1``) has no reply ([P]
ProberSentio.send_cmd, and SentioProber.__init__ sends ``*RCS 1`` without reading).
"""

import math
import socketserver
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ..die_address import DieAddress
from ..errors import InstrumentError

VERSION = "26.2.0"  # the SENTIO release whose command set [P] 26.2.0 documents

# [P] Enumerations.RemoteCommandError
EXECUTION_ERROR = 2
HANDLER_NOT_FOUND = 3
INVALID_COMMAND = 4
INVALID_PARAMETER = 6
PARAMETER_COUNT = 7
OUT_OF_BOUNDS = 8
END_OF_ROUTE = 11
INVALID_OPERATION = 12
NOT_SUPPORTED = 13
# [P] Enumerations.StatusBits, shifted above the error code (Response.parse_resp)
STATUS_END_OF_ROUTE = 1 << 10
STATUS_LAST_SITE = 2 << 10

# [P] Enumerations.SteppingContactMode
CONTACT_MODES = ("BackToContact", "StepToSeparation", "LockContact")
# [P] Enumerations.RoutingStartPoint / RoutingPriority (to_string; from_string takes any case)
START_POINTS = ("ul", "ur", "ll", "lr")
PRIORITIES = ("r", "c", "wr", "wc")
# [P] Enumerations.TestSelection: n(othing), g(ood), u(gly), e(dge), a(ll); a rectangular
# map has no edge dies, so all but n select every present die
SELECTIONS = ("n", "g", "u", "e", "a")
# [P] Enumerations.ZReference: SENTIO >= 25.2 takes the long and the short form
Z_REFERENCES = {"contact": "Contact", "c": "Contact", "separation": "Separation",
                "s": "Separation", "zero": "Zero", "z": "Zero"}  # fmt: skip
# [P] Enumerations.XyReference (to_string short forms, from_string long forms)
XY_REFERENCES = {"h": "Home", "home": "Home", "z": "Zero", "zero": "Zero",
                 "m": "Machine", "machine": "Machine"}  # fmt: skip
Z_SIMULATED = "Contact, Separation, Zero"

PAD_TOLERANCE_UM = 25.0  # probes this far off a device's pad still land on it (strict: small)
CONTACT_HEIGHT_UM = 12_000.0  # chuck z at contact, from the z axis' zero (a trained value)


@dataclass(frozen=True)
class StageMotion:
    """How fast the chuck moves: the simulator's assumptions for a 200 mm automatic probe
    station (MPI does not publish per-move times; docs/arrays.md explains the numbers)."""

    xy_speed_um_s: float = 50_000.0  # 50 mm/s top speed in x and y
    xy_accel_um_s2: float = 1_000_000.0  # 1 m/s^2 acceleration and deceleration
    z_speed_um_s: float = 5_000.0  # 5 mm/s in z
    separation_gap_um: float = 300.0  # separation height below contact
    contact_settle_s: float = 0.05  # the probes' scrub and the chuck settling at contact

    def axis_time(self, distance_um: float) -> float:
        """Trapezoidal (or triangular, for short moves) velocity profile of one axis."""
        d = abs(distance_um)
        v, a = self.xy_speed_um_s, self.xy_accel_um_s2
        if d <= v * v / a:
            return 2.0 * math.sqrt(d / a)
        return d / v + v / a

    def xy_time(self, dx_um: float, dy_um: float) -> float:
        """x and y move together: the longer axis sets the time."""
        return max(self.axis_time(dx_um), self.axis_time(dy_um))

    def z_time(self) -> float:
        return self.separation_gap_um / self.z_speed_um_s


class Refused(Exception):
    """A remote command SENTIO would answer with an error code."""

    def __init__(self, code: int, message: str, status: int = 0):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Session:
    """One client connection: whether it switched to the native command set."""

    native = False


def _count(args: list[str], low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(args) <= high:
        wanted = f"{low}" if low == high else f"{low} to {high}"
        raise Refused(PARAMETER_COUNT, f"expected {wanted} parameters, got {len(args)}")


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise Refused(INVALID_PARAMETER, f"{what} must be an integer, got {text!r}") from None


def _float(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise Refused(INVALID_PARAMETER, f"{what} must be a number, got {text!r}")
    return value


def _choice(text: str, choices, what: str) -> str:
    if text.lower() not in choices:
        raise Refused(INVALID_PARAMETER, f"{what} must be one of {', '.join(choices)}")
    return text.lower()


class SimSentio:
    """SENTIO's wafer map, chuck and stepping over a :class:`~bmrlab.sim.wafer.SimWafer`
    on a simulated bench. At start the wafer's project is open: the map is the wafer's die
    grid with its sites as subsites, every die selected, home and contact height trained,
    and the probes in contact with the home die's first device (die 0, 0), so that a
    measurement without a move measures that device."""

    def __init__(self, wafer, bench, motion: StageMotion | None = None):
        self.wafer = wafer
        self.bench = bench
        self.clock = bench.clock
        self.motion = motion or StageMotion()
        self.lock = threading.Lock()  # one command at a time, from any connection
        layout = wafer.layout
        self.index_size = (layout.die_width_um, layout.die_height_um)
        self.subsites = [(s.name, s.x_um, s.y_um) for s in layout.sites]
        self._new_map(layout.columns, layout.rows)
        self.selected = set(self.present)
        _, self.x, self.y = self.subsites[0]  # chuck position from the home position (µm)
        self.die, self.site = (0, 0), 0
        self.at_contact = True
        self.contact_mode = "BackToContact"  # strict: [P] does not say SENTIO's default
        self.moves = 0  # chuck moves (x-y or z), for tests and throughput figures
        wafer.place(bench, self._under_probes())
        self._commands: dict[str, Callable[[list[str]], tuple[int, str]]] = {
            "status:get_version": self._version,
            "select_module": self._select_module,
            "set_stepping_contact_mode": self._set_contact_mode,
            "get_chuck_site_status": self._site_status,
            "move_chuck_contact": lambda a: self._move_z_legacy(a, True),
            "move_chuck_separation": lambda a: self._move_z_legacy(a, False),
            "chuck:move_z": self._move_z,
            "get_chuck_z": lambda a: (0, f"{self._z(self._z_reference(a, 1)):.1f}"),
            "chuck:get_z": self._get_z,
            "get_chuck_xy": self._get_xy_legacy,
            "chuck:get_xy": self._get_xy,
            "map:create_rect": self._create_rect,
            "map:get_num_cols": lambda a: self._query(a, self.columns),
            "map:get_num_rows": lambda a: self._query(a, self.rows),
            "map:get_num_dies": self._num_dies,
            "map:get_index_size": lambda a: self._query(a, "{},{}".format(*self.index_size)),
            "map:set_index_size": self._set_index_size,
            "map:path:select_dies": self._select_dies,
            "map:path:get_die": self._path_die,
            "map:set_routing": self._set_routing,
            "map:get_routing": lambda a: self._query(a, ",".join(self.routing)),
            "map:die:select": lambda a: self._die_edit(a, "select"),
            "map:die:unselect": lambda a: self._die_edit(a, "unselect"),
            "map:die:add": lambda a: self._die_edit(a, "add"),
            "map:die:remove": lambda a: self._die_edit(a, "remove"),
            "map:die:get_status": self._die_status,
            "map:die:get_current_index": self._current_index,
            "map:die:get_current_subsite": lambda a: self._query(a, self._here()[2]),
            "map:get_die_seq": lambda a: self._query(a, self._sequence()),
            "map:step_first_die": self._step_first,
            "map:step_next_die": self._step_next,
            "map:bin_step_next_die": self._bin_step_next,
            "map:step_previous_die": self._step_previous,
            "map:step_die": self._step_die,
            "map:subsite:get_num": self._subsite_count,
            "map:subsite:get": self._subsite_get,
            "map:subsite:step": self._subsite_step,
            "map:subsite:step_next": self._subsite_next,
        }

    # --- protocol -------------------------------------------------------------------------
    def handle(self, line: str, session: Session) -> str | None:
        """One command line of one client; its reply line, or None (a ``*`` setting)."""
        line = line.strip()
        if line.startswith("*"):
            return self._common(line, session)
        if not session.native:  # strict: [P] always sends *RCS 1 first
            return f"{INVALID_COMMAND},0,the native remote command set is off: send *RCS 1"
        name, _, rest = line.partition(" ")
        args = [a.strip() for a in rest.split(",")] if rest.strip() else []
        command = self._commands.get(name)
        if command is None:
            return f"{HANDLER_NOT_FOUND},0,{name}: not a command of this simulated SENTIO"
        try:
            with self.lock:
                status, message = command(args)
        except Refused as refusal:
            return f"{refusal.status | refusal.code},0,{refusal.message}"
        return f"{status},0,{message}"

    def _common(self, line: str, session: Session) -> str | None:
        name, _, argument = line.partition(" ")
        if name.upper() == "*RCS":
            session.native = argument.strip() == "1"  # 0: the compatibility set, not simulated
            return None
        if name.upper() == "*IDN?":
            return f"MPI Corporation,SENTIO (bmrlab simulation),0,{VERSION}"
        return f"{HANDLER_NOT_FOUND},0,{name}: not a command of this simulated SENTIO"

    @staticmethod
    def _query(args: list[str], value) -> tuple[int, str]:
        _count(args, 0)
        return 0, str(value)

    # --- system and chuck ---------------------------------------------------------------
    def _version(self, args):
        _count(args, 0)
        # [P] SentioProber.__init__ reads the release with r"Version:\s*([\d\.]+)"
        return 0, f"SENTIO Version: {VERSION} (bmrlab simulation)"

    def _select_module(self, args):
        _count(args, 1, 2)
        if args[0] != "Wafermap":  # [P] Enumerations.Module; only the wafer map is simulated
            raise Refused(NOT_SUPPORTED, f"module {args[0]} is not simulated (only Wafermap)")
        return 0, "OK"

    def _set_contact_mode(self, args):
        _count(args, 1)
        if args[0] not in CONTACT_MODES:
            raise Refused(INVALID_PARAMETER, f"mode must be one of {', '.join(CONTACT_MODES)}")
        self.contact_mode = args[0]
        return 0, "OK"

    def _site_status(self, args):
        # [P] get_chuck_site_status: has home, has contact, overtravel active, vacuum on
        _count(args, 1)
        self._wafer_site(args[0])
        return 0, "1,1,0,1"

    @staticmethod
    def _wafer_site(site: str) -> None:
        if site != "Wafer":  # [P] Enumerations.ChuckSite; the aux sites are not simulated
            raise Refused(NOT_SUPPORTED, f"chuck site {site} is not simulated (only Wafer)")

    def _z(self, reference: str) -> float:
        """Chuck height against a z reference ([P] Enumerations.ZReference)."""
        z = CONTACT_HEIGHT_UM - (0.0 if self.at_contact else self.motion.separation_gap_um)
        offsets = {
            "Zero": 0.0,
            "Contact": CONTACT_HEIGHT_UM,
            "Separation": CONTACT_HEIGHT_UM - self.motion.separation_gap_um,
        }
        return z - offsets[reference]

    @staticmethod
    def _z_reference(args: list[str], count: int) -> str:
        _count(args, count)
        reference = Z_REFERENCES.get(args[0].lower())
        if reference is None:
            raise Refused(NOT_SUPPORTED, f"z reference {args[0]}: simulated are {Z_SIMULATED}")
        return reference

    def _move_z_legacy(self, args, contact: bool):
        # [P] move_chuck_contact / move_chuck_separation: the height reached (µm from zero)
        _count(args, 0)
        self._lift(not contact)
        return 0, f"{self._z('Zero'):.1f}"

    def _move_z(self, args):
        # [P] StageCommandGroup.move_z: "chuck:move_z <ref>,<z>" -> "<z>,<ref>"
        _count(args, 2)
        reference = self._z_reference(args[:1], 1)
        if _float(args[1], "z") != 0.0 or reference == "Zero":
            raise Refused(NOT_SUPPORTED, "only contact or separation height (z 0) is simulated")
        self._lift(reference == "Separation")
        return 0, f"{self._z(reference):.1f},{reference}"

    def _get_z(self, args):
        reference = self._z_reference(args, 1)
        return 0, f"{self._z(reference):.1f},{reference}"

    def _home(self) -> tuple[float, float]:
        """The home position (die 0, 0) in chuck coordinates: the wafer's upper left die,
        with the middle of the die grid at the chuck's zero."""
        layout = self.wafer.layout
        return (
            -(layout.columns - 1) / 2 * layout.die_width_um,
            (layout.rows - 1) / 2 * layout.die_height_um,
        )

    def _xy(self, reference: str) -> tuple[float, float]:
        if reference == "Home":
            return self.x, self.y
        x0, y0 = self._home()  # Zero and Machine: one work position, the wafer's
        return x0 + self.x, y0 + self.y

    def _get_xy_legacy(self, args):
        # [P] get_chuck_xy(site, ref) sends "get_chuck_xy Wafer, H"; get_chuck_xy_pos sends
        # no parameter (strict: then the absolute position, reference Zero)
        _count(args, 0, 2)
        if args:
            self._wafer_site(args[0])
        reference = "Zero"
        if len(args) == 2:
            reference = self._xy_reference(args[1])
        return 0, "{:.1f},{:.1f}".format(*self._xy(reference))

    def _get_xy(self, args):
        # [P] StageCommandGroup.get_xy: "chuck:get_xy <ref>" -> "<x>,<y>,<ref>"
        _count(args, 1)
        reference = self._xy_reference(args[0])
        return 0, "{:.1f},{:.1f},{}".format(*self._xy(reference), reference)

    @staticmethod
    def _xy_reference(text: str) -> str:
        reference = XY_REFERENCES.get(text.lower())
        if reference is None:
            raise Refused(NOT_SUPPORTED, f"xy reference {text}: simulated are Home, Zero, Machine")
        return reference

    # --- motion -------------------------------------------------------------------------
    def _lift(self, up: bool) -> None:
        """Chuck to separation (``up``: the probes leave the pads at once) or to contact
        (the probes land at the end of the move, then settle)."""
        if up == (not self.at_contact):
            return
        self.moves += 1
        if up:
            self.wafer.place(self.bench, None)
            self.clock.sleep(self.motion.z_time())
            self.at_contact = False
            return
        self.clock.sleep(self.motion.z_time())
        self.at_contact = True
        self.wafer.place(self.bench, self._under_probes())
        self.clock.sleep(self.motion.contact_settle_s)

    def _under_probes(self) -> DieAddress | None:
        """The wafer's device whose pad is under the probes at the chuck's x, y."""
        layout = self.wafer.layout
        for k, site in enumerate(layout.sites):
            column = round((self.x - site.x_um) / layout.die_width_um)
            row = round((site.y_um - self.y) / layout.die_height_um)
            dx = self.x - (column * layout.die_width_um + site.x_um)
            dy = self.y - (-row * layout.die_height_um + site.y_um)
            if abs(dx) <= PAD_TOLERANCE_UM and abs(dy) <= PAD_TOLERANCE_UM:
                address = DieAddress(column, row, k)
                return address if self.wafer.contains(address) else None
        return None

    def _go(self, die: tuple[int, int], site: int, last_of_route: bool) -> tuple[int, str]:
        """Step the chuck to ``site`` of map die ``die`` (column, row) under the stepping
        contact mode; the reply's status and 'column,row,site'."""
        if site not in range(len(self.subsites)):
            raise Refused(OUT_OF_BOUNDS, f"site {site}: the dies have {len(self.subsites)} sites")
        if self.at_contact and self.contact_mode == "LockContact":
            raise Refused(INVALID_OPERATION, "stepping is locked at contact (LockContact)")
        back = self.at_contact and self.contact_mode == "BackToContact"
        self._lift(True)
        width, height = self.index_size
        _, sx, sy = self.subsites[site]
        x, y = die[0] * width + sx, -die[1] * height + sy
        self.clock.sleep(self.motion.xy_time(x - self.x, y - self.y))
        self.moves += 1
        self.x, self.y, self.die, self.site = x, y, die, site
        if back:
            self._lift(False)
        return STATUS_END_OF_ROUTE if last_of_route else 0, f"{die[0]},{die[1]},{site}"

    # --- the map ------------------------------------------------------------------------
    def _new_map(self, columns: int, rows: int) -> None:
        self.columns, self.rows = columns, rows
        self.present = {(c, r) for c in range(columns) for r in range(rows)}
        self.selected: set[tuple[int, int]] = set()  # strict: a new map selects nothing
        self.routing = ("ul", "r")  # strict: [P] does not say SENTIO's default
        self.bins: dict[tuple[int, int], int] = {}
        self.die: tuple[int, int] | None = None
        self.site = 0

    def _create_rect(self, args):
        _count(args, 2)
        columns, rows = _int(args[0], "columns"), _int(args[1], "rows")
        if not (1 <= columns <= 1000 and 1 <= rows <= 1000):  # strict: limits not documented
            raise Refused(OUT_OF_BOUNDS, "columns and rows must be between 1 and 1000")
        self._new_map(columns, rows)
        return 0, "OK"

    def _die_arg(self, args, first: int = 0) -> tuple[int, int]:
        die = (_int(args[first], "column"), _int(args[first + 1], "row"))
        if not (0 <= die[0] < self.columns and 0 <= die[1] < self.rows):
            raise Refused(OUT_OF_BOUNDS, f"die {die[0]}, {die[1]} is outside the map")
        return die

    def _num_dies(self, args):
        _count(args, 1)
        counts = {
            "Present": len(self.present),
            "Selected": len(self.selected),
            "Total": self.columns * self.rows,
        }
        if args[0] not in counts:
            raise Refused(INVALID_PARAMETER, "expected Present, Selected or Total")
        return 0, str(counts[args[0]])

    def _set_index_size(self, args):
        _count(args, 2)
        size = (_float(args[0], "x"), _float(args[1], "y"))
        if min(size) <= 0:
            raise Refused(OUT_OF_BOUNDS, "the die size must be > 0")
        self.index_size = size
        return 0, "OK"

    def _select_dies(self, args):
        _count(args, 1)
        selection = _choice(args[0], SELECTIONS, "selection")
        self.selected = set() if selection == "n" else set(self.present)
        return 0, "OK"

    def _set_routing(self, args):
        _count(args, 2)
        self.routing = (
            _choice(args[0], START_POINTS, "start point"),
            _choice(args[1], PRIORITIES, "priority"),
        )
        return 0, "OK"

    def _die_edit(self, args, action: str):
        _count(args, 2)
        die = self._die_arg(args)
        if action == "add":
            self.present.add(die)
        elif action == "remove":
            self.present.discard(die)
            self.selected.discard(die)
        elif die not in self.present:
            raise Refused(INVALID_OPERATION, f"die {die[0]}, {die[1]} is not present")
        elif action == "select":
            self.selected.add(die)
        else:
            self.selected.discard(die)
        return 0, "OK"

    def _die_status(self, args):
        # [P] WafermapDieCommandGroup.get_status: 1 selected, 2 not selected, 3 not present
        _count(args, 2)
        die = self._die_arg(args)
        return 0, str(1 if die in self.selected else 2 if die in self.present else 3)

    def route(self) -> list[tuple[int, int]]:
        """The selected dies in stepping order: from the start point's corner along rows
        (r) or columns (c), meandering for wr/wc. Row 0 is the top row (strict: [P] names
        the corners but not the row numbering)."""
        start, priority = self.routing
        columns = list(range(self.columns))[:: -1 if start in ("ur", "lr") else 1]
        rows = list(range(self.rows))[:: -1 if start in ("ll", "lr") else 1]
        outer, inner = (rows, columns) if priority in ("r", "wr") else (columns, rows)
        order = []
        for k, a in enumerate(outer):
            line = inner[::-1] if priority.startswith("w") and k % 2 else inner
            order += [(b, a) if priority in ("r", "wr") else (a, b) for b in line]
        return [die for die in order if die in self.selected]

    def _current(self) -> tuple[int, int]:
        if self.die is None:
            raise Refused(INVALID_OPERATION, "no current die: step to a die first")
        return self.die

    def _here(self) -> tuple[int, int, int]:
        return (*self._current(), self.site)

    def _sequence(self) -> int:
        """The current die's place in the route (-1: a die off the route)."""
        route = self.route()
        die = self._current()
        return route.index(die) if die in route else -1

    def _site_arg(self, args, index: int) -> int | None:
        return _int(args[index], "site") if len(args) > index else None

    def _step_to(self, index: int, site: int | None) -> tuple[int, str]:
        route = self.route()
        return self._go(route[index], self.site if site is None else site, index == len(route) - 1)

    def _step_first(self, args):
        _count(args, 0, 1)
        if not self.route():
            raise Refused(INVALID_OPERATION, "no die is selected for test")
        return self._step_to(0, self._site_arg(args, 0) or 0)

    def _step_next(self, args):
        _count(args, 0, 1)
        return self._step_to(self._next_index(), self._site_arg(args, 0))

    def _next_index(self) -> int:
        sequence = self._sequence()
        if sequence < 0:  # strict: [P] does not say where a step from off the route goes
            raise Refused(INVALID_OPERATION, "the current die is not on the route")
        if sequence == len(self.route()) - 1:
            raise Refused(END_OF_ROUTE, "end of route", STATUS_END_OF_ROUTE)
        return sequence + 1

    def _bin_step_next(self, args):
        # [P] bin_step_next_die: "map:bin_step_next_die <bin>[, <site>]"
        _count(args, 1, 2)
        die = self._current()
        index = self._next_index()
        self.bins[die] = _int(args[0], "bin")
        return self._step_to(index, self._site_arg(args, 1))

    def _step_previous(self, args):
        _count(args, 0)
        sequence = self._sequence()
        if sequence <= 0:
            raise Refused(INVALID_OPERATION, "no previous die on the route")
        return self._step_to(sequence - 1, None)

    def _step_die(self, args):
        # [P] step_die: "map:step_die <column>, <row>, <site>"
        _count(args, 2, 3)
        die = self._die_arg(args)
        if die not in self.present:
            raise Refused(INVALID_OPERATION, f"die {die[0]}, {die[1]} is not present")
        route = self.route()
        last = bool(route) and die == route[-1]
        return self._go(die, self._site_arg(args, 2) or 0, last)

    def _path_die(self, args):
        _count(args, 1)
        route, index = self.route(), _int(args[0], "sequence")
        if index not in range(len(route)):
            raise Refused(OUT_OF_BOUNDS, f"sequence {index}: the route has {len(route)} dies")
        return 0, "{},{}".format(*route[index])

    def _current_index(self, args):
        # [P] WafermapDieCommandGroup.get_current_index: "<route index>,<column>,<row>"
        _count(args, 0)
        return 0, "{},{},{}".format(self._sequence(), *self._current())

    def _subsite_count(self, args):
        # [P] WafermapSubsiteGroup.get_num sends an optional group (Present, Active...);
        # every die has all its sites here
        _count(args, 0, 1)
        return 0, str(len(self.subsites))

    def _subsite_get(self, args):
        # [P] WafermapSubsiteGroup.get: "map:subsite:get <index>, <orient>" -> "id,x,y"
        _count(args, 1, 2)
        index = _int(args[0], "index")
        if index not in range(len(self.subsites)):
            raise Refused(OUT_OF_BOUNDS, f"subsite {index}: the dies have {len(self.subsites)}")
        if len(args) == 2 and args[1].upper() not in ("MAP", "UR"):
            raise Refused(NOT_SUPPORTED, "only the map's own axis orientation is simulated")
        name, x, y = self.subsites[index]
        return 0, f"{name},{x},{y}"

    def _subsite_step(self, args):
        _count(args, 1)
        names = [name for name, _, _ in self.subsites]
        site = names.index(args[0]) if args[0] in names else _int(args[0], "subsite")
        return self._step_site(site)

    def _subsite_next(self, args):
        """Next site of the die; from its last site, the first site of the next die."""
        _count(args, 0)
        if self.site + 1 < len(self.subsites):
            return self._step_site(self.site + 1)
        die = self.route()[self._next_index()]
        self._go(die, 0, last_of_route=False)
        return self._subsite_reply()

    def _step_site(self, site: int):
        self._go(self._current(), site, last_of_route=False)
        return self._subsite_reply()

    def _subsite_reply(self) -> tuple[int, str]:
        """After a subsite step: the last site of a die is flagged ([P] StatusBits.LastSite),
        the end of route only at the last site of the route's last die."""
        route, (column, row, site) = self.route(), self._here()
        status = 0
        if site == len(self.subsites) - 1:
            status = STATUS_LAST_SITE
            if route and (column, row) == route[-1]:
                status |= STATUS_END_OF_ROUTE
        return status, f"{column},{row},{site}"


class SimSentioLink:
    """The simulated SENTIO reached in-process, line by line, as a TCP link reaches SENTIO
    (a station's own simulated prober: no socket, no thread)."""

    def __init__(self, sim: SimSentio):
        self.sim = sim
        self.session = Session()
        self._replies: deque[str] = deque()

    def send(self, line: str) -> None:
        reply = self.sim.handle(line, self.session)
        if reply is not None:
            self._replies.append(reply)

    def read_line(self) -> str:
        if not self._replies:
            raise InstrumentError("simulated SENTIO: no reply is pending")
        return self._replies.popleft()

    def close(self) -> None:
        self._replies.clear()


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        session = Session()
        for raw in self.rfile:
            line = raw.decode("ascii", errors="replace").strip()
            if not line:
                continue
            reply = self.server.sim.handle(line, session)
            if reply is not None:
                try:
                    self.wfile.write(reply.encode("ascii", errors="replace") + b"\n")
                    self.wfile.flush()
                except OSError:  # the client left before reading its reply
                    return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(sim: SimSentio, host: str = "127.0.0.1", port: int = 0) -> socketserver.TCPServer:
    """Serve ``sim`` on ``host:port`` (0: a free port; SENTIO's own is 35555) in a
    background thread; ``server.server_address`` says where, ``server.shutdown()`` stops."""
    server = _Server((host, port), _Handler)
    server.sim = sim
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
