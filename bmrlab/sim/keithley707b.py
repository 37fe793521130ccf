"""Simulated Keithley 707B switching matrix: the ``channel`` commands on a TSP node.

The node (Lua, print/format, errorqueue, ``*IDN?``, ``reset()``) is :mod:`.tsp_runtime`; this
module holds the 707B's channels, written from the Models 707B and 708B Switching Matrix
Reference Manual (707B-901-01 Rev. A, August 2010, and Rev. B, January 2015; "[M] 7-24" is
its page 7-24):

- channel specifiers: slot digit, row letter, two-digit column (``1A01``); a channel list is
  a string of channels and ranges (``1A01:1A05``, the rectangle between its corners) separated
  by commas or semicolons, and ``slotX`` / ``allslots`` where a command takes them ([M] 2-89
  "Channel list parameter for remote commands");
- ``channel.close`` adds to the closed channels and refuses ``slotX``/``allslots``; once an
  error is found nothing is closed ([M] 7-17 Rev. B); ``channel.open`` ([M] 7-35);
  ``channel.exclusiveclose`` opens every other channel, then closes those listed, and ``""``
  opens all ([M] 7-24); ``channel.getclose`` lists the closed channels sorted, separated by
  ``;``, or nil when none is closed ([M] 7-27); ``channel.setdelay``/``getdelay``: a user
  delay after a channel closes, none when it opens, 0 after a reset ([M] 7-44, 7-29);
- ``channel.connectrule`` (BREAK_BEFORE_MAKE 1, the default; MAKE_BEFORE_BREAK 2; OFF 0):
  under break-before-make every channel opens before any closes and the command lasts the
  open settling plus the close settling; make-before-break closes first; OFF the longer of
  the two ([M] 7-20, 7-21, 2-91); ``channel.connectsequential`` (default OFF, [M] 7-21);
- a close completes after the relay's settling time, then the channel's user delay ([M] 7-29);
- ``format.asciiprecision`` defaults to 10 digits ([M] 7-93). The manual's two examples of
  printed numbers disagree (2.54 at precision 10 is "2.54000" in Rev. A, "2.5400000" in
  Rev. B); numbers are printed in the shortest form with up to that many significant digits,
  so an error code prints as ``-224`` and a count as ``0``, as the open-source 707B driver of
  hephy-dd/comet (used on the instrument) reads them (``int(code)``).

Where the manual is silent the simulator is strict, and says so in the error message:

- one 8 x 12 matrix card (7174A: rows A-H, columns 01-12) in slot 1, the other slots empty;
  a channel of an empty slot, outside the card, a malformed list, a channel pattern (not
  simulated) are refused with -224 "Illegal parameter value" (the manual says an error is
  generated; its code is not in the pages read);
- on a simulated wafer, a close that would connect two of the wafer's devices at once, or
  short two matrix rows through a column, is refused with -221 "Settings conflict": the
  bench does not simulate devices in parallel (a real 707B closes them);
- the relays' settling time is not in the pages read: 1 ms to close and to open, an
  assumption to be checked against the matrix card's datasheet.
"""

import math
import re

from .tsp_runtime import TspError, TspNode, in_range, one_of

SLOTS = range(1, 7)  # [M] 7-27: slotX, X = 1 to 6 on the 707B
CARD_SLOT = 1  # strict: one 7174A-like card, in slot 1
ROWS = "ABCDEFGH"
COLUMNS = range(1, 13)
CLOSE_SETTLE_S = 1e-3  # assumption (see the module's docstring)
OPEN_SETTLE_S = 1e-3
MAX_DELAY_S = 60.0  # strict: the manual gives no upper limit of channel.setdelay
BREAK_BEFORE_MAKE, MAKE_BEFORE_BREAK, OFF = 1, 2, 0  # [M] 7-20
SPECIFIER = re.compile(r"([1-6])([A-H])(\d\d)")


def illegal(what: str) -> TspError:
    return TspError(-224, f"Illegal parameter value: {what}")


def _channel(text: str) -> tuple[int, int, int]:
    """(slot, row index, column) of one channel specifier on the installed card."""
    match = SPECIFIER.fullmatch(text)
    if match is None:
        raise illegal(f"{text} is not a channel (slot row column, e.g. 1A01)")
    slot, row, column = int(match[1]), ROWS.index(match[2]), int(match[3])
    if slot != CARD_SLOT:
        raise illegal(f"{text}: slot {slot} is empty (simulated: one card, in slot 1)")
    if column not in COLUMNS:
        raise illegal(f"{text}: the card has columns 01-12")
    return slot, row, column


def channel_name(slot: int, row: int, column: int) -> str:
    return f"{slot}{ROWS[row]}{column:02d}"


def card_channels() -> list[str]:
    return [channel_name(CARD_SLOT, r, c) for r in range(len(ROWS)) for c in COLUMNS]


def parse_list(channel_list, slots_allowed: bool) -> list[str]:
    """The channels a channel list names, in slot, row, column order; refused whole."""
    if not isinstance(channel_list, str):
        raise illegal("a channel list is a string")
    found: set[str] = set()
    for item in (i.strip() for i in re.split(r"[,;]", channel_list)):
        if not item:
            continue
        if item == "allslots" or re.fullmatch(r"slot\d", item):
            if not slots_allowed:
                raise illegal(f"{item}: not allowed in this command")
            slot = CARD_SLOT if item == "allslots" else int(item[4:])
            if slot not in SLOTS:
                raise illegal(f"{item}: the 707B has slots 1-6")
            if slot == CARD_SLOT:
                found.update(card_channels())
            continue
        first, _, last = item.partition(":")
        a = _channel(first.strip())
        b = _channel(last.strip()) if last else a
        if b < a or b[2] < a[2]:
            raise illegal(f"{item}: a range runs from the lowest channel to the highest")
        found.update(
            channel_name(a[0], r, c) for r in range(a[1], b[1] + 1) for c in range(a[2], b[2] + 1)
        )
    return sorted(found)


class ChannelCommands:
    """The ``channel`` table of the 707B."""

    BREAK_BEFORE_MAKE, MAKE_BEFORE_BREAK, OFF, ON = BREAK_BEFORE_MAKE, MAKE_BEFORE_BREAK, OFF, 1
    TYPE_SWITCH = 1  # [M] 7-35 channel.gettype

    def __init__(self, matrix: "SimKeithley707B"):
        self._matrix = matrix
        self._closed: frozenset[str] = frozenset()
        self._delays: dict[str, float] = {}
        self.defaults()

    # --- attributes ---------------------------------------------------------------------
    @property
    def connectrule(self) -> int:
        return self._rule

    @connectrule.setter
    def connectrule(self, value) -> None:
        self._rule = one_of(value, (OFF, BREAK_BEFORE_MAKE, MAKE_BEFORE_BREAK), "connectrule")

    @property
    def connectsequential(self) -> int:
        return self._sequential

    @connectsequential.setter
    def connectsequential(self, value) -> None:
        self._sequential = one_of(value, (0, 1), "connectsequential")

    # --- functions ----------------------------------------------------------------------
    def defaults(self) -> None:
        """After a reset: no user delays, break-before-make, not sequential ([M] 7-44,
        7-20, 7-21)."""
        self.reset("allslots")
        self._rule, self._sequential = BREAK_BEFORE_MAKE, OFF

    def reset(self, channel_list) -> None:
        """``channel.reset``: the listed channels' attributes (their user delay) to defaults."""
        for channel in parse_list(channel_list, slots_allowed=True):
            self._delays[channel] = 0.0

    def close(self, channel_list) -> None:
        wanted = parse_list(channel_list, slots_allowed=False)
        if not wanted:
            raise illegal("an empty channel list closes nothing")
        self._change(self._closed | set(wanted), closing=set(wanted))

    def open(self, channel_list) -> None:
        opening = set(parse_list(channel_list, slots_allowed=True))
        self._change(self._closed - opening, closing=set())

    def exclusiveclose(self, channel_list) -> None:
        wanted = set(parse_list(channel_list, slots_allowed=False))
        self._change(frozenset(wanted), closing=wanted - self._closed)

    def getclose(self, channel_list):
        scope = set(parse_list(channel_list, slots_allowed=True))
        closed = sorted(self._closed & scope)
        return ";".join(closed) if closed else None

    def setdelay(self, channel_list, value) -> None:
        seconds = in_range(value, 0, MAX_DELAY_S, "delay")
        for channel in parse_list(channel_list, slots_allowed=True):
            self._delays[channel] = seconds

    def getdelay(self, channel_list) -> str:
        channels = parse_list(channel_list, slots_allowed=True)
        return ",".join(self._matrix.node.format_number(self._delays[c]) for c in channels)

    def gettype(self, channel_list) -> str:
        return ",".join("1" for _ in parse_list(channel_list, slots_allowed=True))

    # --- the relays -----------------------------------------------------------------------
    def _change(self, target: frozenset[str] | set[str], closing: set[str]) -> None:
        """Move the relays from the closed set to ``target`` under the connect rule, taking
        the settling time and the closed channels' user delay on the bench's clock."""
        target = frozenset(target)
        opening = self._closed - target
        if not opening and not closing:
            return
        rule = self._rule
        middle = (self._closed - opening) if rule != MAKE_BEFORE_BREAK else self._closed | target
        for state in (middle, target):
            conflict = self._matrix.conflict(state)
            if conflict:
                raise TspError(-221, f"Settings conflict: {conflict} (simulated wafer; strict)")
        delay = max((self._delays[c] for c in closing), default=0.0)
        settle_open = OPEN_SETTLE_S if opening else 0.0
        settle_close = CLOSE_SETTLE_S if closing else 0.0
        if self._sequential:  # one relay at a time ([M] 2-91)
            settle_open *= len(opening)
            settle_close *= len(closing)
        if rule == OFF:
            self._move(target, max(settle_open, settle_close) + delay)
            return
        self._move(middle, settle_open if rule == BREAK_BEFORE_MAKE else settle_close)
        self._move(target, (settle_close + delay) if rule == BREAK_BEFORE_MAKE else settle_open)

    def _move(self, closed: frozenset[str], settle: float) -> None:
        if closed != self._closed:
            self._closed = closed
            self._matrix.switched(closed)
        self._matrix.wait(settle)


class Node707B(TspNode):
    """The 707B's node: its model, firmware and the channel commands."""

    model = "707B"
    revision = "1.3.0"

    def __init__(self, serial: str, clock, sync, matrix: "SimKeithley707B"):
        self.matrix = matrix
        self.channel: ChannelCommands | None = None
        TspNode.__init__(self, serial, clock, sync)
        self.channel = ChannelCommands(matrix)
        self.lua.globals().channel = self.channel

    def format_number(self, value) -> str:
        """Up to ``asciiprecision`` significant digits, integers without an exponent."""
        number = float(value)
        if not math.isfinite(number):
            return TspNode.format_number(self, number)
        return f"{number:.{max(int(self.format.asciiprecision), 1)}g}"

    def reset_node(self, system=True) -> None:
        """``reset()``, ``*RST``: every channel opens (strict: the pages read do not say),
        the channel attributes return to their defaults, 10-digit ASCII numbers ([M] 7-93)."""
        TspNode.reset_node(self, system)
        self.format.asciiprecision = 10
        if self.channel is not None:
            self.channel.open("allslots")
            self.channel.defaults()


class SimKeithley707B:
    """The instrument on the bench. It sources nothing; on a simulated wafer
    (:meth:`wire`) its closed crosspoints pick the device the SMU reaches."""

    model = "707B"

    def __init__(self, bench, name: str, serial: str, seed: int = 0):
        self.bench, self.name, self.serial = bench, name, serial
        self.wafer = None
        self.node = Node707B(serial, bench.clock, bench.sync, self)
        self.errors = self.node.errors

    @property
    def idn(self) -> str:
        return f"Keithley Instruments, Model {self.model}, {self.serial}, {self.node.revision}"

    def wire(self, wafer) -> None:
        """Connect the crosspoints to a simulated wafer's devices (its matrix layout)."""
        self.wafer = wafer
        wafer.switch(self.bench, self.node.channel._closed)

    def conflict(self, closed: frozenset[str]) -> str:
        return self.wafer.conflict(closed) if self.wafer is not None else ""

    def switched(self, closed: frozenset[str]) -> None:
        if self.wafer is not None:
            self.wafer.switch(self.bench, closed)

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            self.bench.clock.sleep(seconds)
            self.bench.sync()

    # --- what the bench asks of every instrument --------------------------------------------
    def handle(self, message: str) -> str | None:
        return self.node.handle(message)

    def push_error(self, code: int, message: str) -> None:
        self.node.push_error(code, message)

    def next_event_time(self) -> float:
        return math.inf  # no program runs on its own

    def fire_event(self, t: float) -> None:
        """Nothing is scheduled."""

    def drive(self, t: float) -> tuple[float, float]:
        """A switch sources nothing."""
        return 0.0, math.inf
