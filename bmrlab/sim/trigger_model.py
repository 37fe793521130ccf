"""The Keithley 2450 trigger model, run block by block in virtual time.

Blocks (2450 Reference Manual section 3 "Trigger model" and 6 ``:TRIGger:BLOCk:...``; the
per-block pages WH-2450 30574, 31093-31114, 31347): BUFFER_CLEAR, CONFIG_RECALL /
CONFIG_NEXT / CONFIG_PREV (source and measure configuration lists), SOURCE_OUTPUT,
DELAY_CONSTANT, DELAY_DYNAMIC (a user delay), MEASURE (a count of readings into a buffer),
BRANCH_COUNTER, BRANCH_ALWAYS, BRANCH_ONCE, BRANCH_ONCE_EXCLUDED, BRANCH_ON_EVENT, WAIT,
NOTIFY, LOG_EVENT, NOP. Blocks that take no time run back to back; a delay, a level change
(it settles for the source delay, WH-2450 29079), or a reading is an event on the bench's
clock, so other instruments and the device move in step.

Sweeps (``:SOUR:SWE:VOLT:LIN`` ...) and templates (``:TRIG:LOAD "SimpleLoop"`` ...) are
built here from those blocks, as the instrument builds them (WH-2450 30563: the sweep
command "creates a source configuration list, and populates the trigger model").
"""

import math
from dataclasses import dataclass, field

from .scpi import Arguments, ScpiError, parse_number, settings_conflict, unquote
from .smu import ReadingTiming

INFINITE = math.inf
BRANCHES = ("COUNTER", "ALWAYS", "ONCE", "ONCE_EXCLUDED", "ON_EVENT", "UNTIL_ELAPSED")


@dataclass
class Block:
    kind: str
    args: tuple


@dataclass
class ConfigList:
    """A source or measure configuration list: the settings stored at each index."""

    kind: str  # "source" | "measure"
    entries: list = field(default_factory=list)


@dataclass
class TriggerModel:
    blocks: dict  # block number -> Block
    t: float  # when the current block runs
    timing: ReadingTiming  # of the next reading
    pc: int = 1
    last_block: int = 0  # the block executed last (``:TRIG:STAT?``)
    counters: dict = field(default_factory=dict)
    once: set = field(default_factory=set)  # ONCE / ONCE_EXCLUDED blocks already met
    list_index: dict = field(default_factory=dict)
    events: set = field(default_factory=set)  # trigger events detected (COMMAND, NOTIFY1...)
    readings_left: float = 0  # of the MEASURE block being executed
    waiting: bool = False  # blocked in a WAIT block until an event arrives
    ended: bool = False  # past the last block and its reading: idle
    t_start: float = 0.0

    def __post_init__(self):
        self.t_start = self.t

    @property
    def finished(self) -> bool:
        return self.ended

    def endless(self) -> bool:
        """Whether the model can only stop by ``:ABORt`` unless someone sends an event: it
        waits for an event, reads without end, or loops back with no branch out of the loop
        except on an event that no block of the model generates (``*TRG`` cannot arrive
        while ``*WAI`` holds the parser)."""
        if self.waiting or self.readings_left == INFINITE:
            return True
        inner = {f"NOT{b.args[0]}" for b in self.blocks.values() if b.kind == "NOTIFY"}
        inner.add("SLIM")
        for end, closing in self.blocks.items():
            if closing.kind != "ALWAYS" or closing.args[0] > end:
                continue
            loop = range(closing.args[0], end + 1)
            exits = [
                b
                for n, b in self.blocks.items()
                if n in loop
                and n != end
                and b.kind in BRANCHES
                and b.args[-1] not in loop
                and (b.kind != "ON_EVENT" or b.args[0] in inner)
            ]
            if not exits:
                return True
        return False

    def next_event(self) -> tuple[float, str] | None:
        if self.waiting:
            return None
        if self.readings_left > 0 or (
            self.pc in self.blocks and self.blocks[self.pc].kind == "MEASURE"
        ):
            return self.t + self.timing.sample_at, "measure"
        if self.pc not in self.blocks:
            return None if self.ended else (self.t, "end")
        return self.t, self.blocks[self.pc].kind

    def fire(self, smu, t: float) -> None:
        """Run blocks from the current one until one takes time (or the model ends); the
        next reading is timed with the settings the blocks left (a recalled NPLC...)."""
        self._fire(smu, t)
        self.timing = smu.reading_timing()

    def _fire(self, smu, t: float) -> None:
        if self.readings_left > 0:
            self._read(smu, t)
            return
        if self.pc not in self.blocks:
            self.ended = True
            return
        first = True
        while self.pc in self.blocks:
            number, block = self.pc, self.blocks[self.pc]
            if block.kind == "MEASURE" and not first:
                return  # a reading starts with its lead: next_event schedules it
            first = False
            self.pc += 1
            self.last_block = number
            if block.kind == "MEASURE":
                buffer, count = block.args
                self.readings_left = smu.measure_count if count == "AUTO" else count
                self._read(smu, t, buffer)
                return
            took = self._run(smu, number, block)
            if took > 0 or self.waiting:
                self.t += took
                return

    def _read(self, smu, t: float, buffer: str | None = None) -> None:
        block = self.blocks[self.last_block]
        reading = smu.sample(t)
        smu.store(buffer or block.args[0], reading)
        if reading.limited:
            self.events.add("SLIM")
        self.readings_left -= 1
        self.t = t - self.timing.sample_at + self.timing.total

    def _run(self, smu, number: int, block: Block) -> float:
        """Run one block; returns the time it takes (delays, level settling)."""
        kind, args = block.kind, block.args
        if kind == "CLEAR":
            smu.buffer(args[0]).clear()
        elif kind in ("RECALL", "NEXT", "PREV"):
            return self._recall(smu, kind, args)
        elif kind == "SOURCE":
            smu.output = args[0]
            return smu.change_level(smu.level) if args[0] else 0.0
        elif kind == "DELAY":
            return args[0]
        elif kind == "DELAY_DYNAMIC":
            return smu.measure_user_delays[args[0] - 1]
        elif kind == "COUNTER":
            count, target = args
            done = self.counters.get(number, 0) + 1
            if done < count:
                self.counters[number] = done
                self.pc = target
            else:
                self.counters[number] = 0  # ready for the next time round
        elif kind == "ALWAYS":
            self.pc = args[0]
        elif kind in ("ONCE", "ONCE_EXCLUDED"):
            first = number not in self.once
            self.once.add(number)
            if first == (kind == "ONCE"):
                self.pc = args[0]
        elif kind == "ON_EVENT":
            if args[0] in self.events:
                self.events.discard(args[0])
                self.pc = args[1]
        elif kind == "UNTIL_ELAPSED":
            if self.t - self.t_start < args[0]:
                self.pc = args[1]
        elif kind == "WAIT":
            event, clear = args
            if clear == "ENT":
                self.events.discard(event)
            if event not in self.events:
                self.pc, self.waiting = number, True
            else:
                self.events.discard(event)
        elif kind == "NOTIFY":
            self.events.add(f"NOT{args[0]}")
        return 0.0

    def _recall(self, smu, kind: str, args: tuple) -> float:
        settle = 0.0
        names = [a for a in args[:2] if isinstance(a, str)] if kind != "RECALL" else [args[0]]
        if kind == "RECALL" and len(args) > 2 and args[2]:
            names.append(args[2])
        for k, name in enumerate(names):
            entries = smu.config_lists[name].entries
            if kind == "RECALL":
                index = args[1] if k == 0 else (args[3] if len(args) > 3 else 1)
            elif name not in self.list_index:  # first time: the first (last) index
                index = 1 if kind == "NEXT" else len(entries)
            else:
                step = 1 if kind == "NEXT" else -1
                index = (self.list_index[name] - 1 + step) % len(entries) + 1
            self.list_index[name] = index
            settle = max(settle, smu.recall(name, index))
        return settle

    def trigger(self, event: str, t: float) -> None:
        """A trigger event arrives at ``t`` (``*TRG`` is COMMAND): a waiting block goes on."""
        self.events.add(event)
        if self.waiting and self.blocks[self.pc].args[0] == event:
            self.waiting = False
            self.events.discard(event)
            self.pc += 1
            self.t = t


def check_blocks(blocks: dict, config_lists: dict) -> None:
    """Refuse a model that refers to a missing list or block, as INIT on the instrument
    does (-221 settings conflict)."""
    if not blocks:
        raise settings_conflict("the trigger model is empty")
    for number, block in blocks.items():
        lists = []
        if block.kind in ("NEXT", "PREV"):
            lists = [a for a in block.args if isinstance(a, str)]
        elif block.kind == "RECALL":
            lists = [block.args[0]] + (
                [block.args[2]] if len(block.args) > 2 and block.args[2] else []
            )
        for name in lists:
            if name not in config_lists or not config_lists[name].entries:
                raise settings_conflict(
                    f"block {number}: empty or unknown configuration list {name}"
                )
        if (
            block.kind
            in ("COUNTER", "ALWAYS", "ONCE", "ONCE_EXCLUDED", "ON_EVENT", "UNTIL_ELAPSED")
            and block.args[-1] not in blocks
            and block.args[-1] != max(blocks) + 1
        ):
            raise settings_conflict(f"block {number} branches to a block that does not exist")


def numbered(blocks: list[Block]) -> dict:
    return {n: b for n, b in enumerate(blocks, start=1)}


def sweep_blocks(
    list_name: str, points: int, delay: float, count: float, fail_abort: bool, buffer: str
) -> dict:
    """The trigger model a sweep command builds (WH-2450 30563, 31499). Per point: recall
    the next level (it settles for the source delay), the sweep delay if one was given (it
    adds to the source delay), one reading; ``failAbort`` ends the sweep at the source
    limit; ``count`` repeats the whole list (``INFINITE``: until ``:ABORt``). The level is
    never moved after the last reading, so the source holds the sweep's last level, as the
    manual says: "The sweep continues until the source outputs the specified stop level. At
    this level, the instrument performs another measurement and then stops the sweep"."""
    body = [Block("RECALL", (list_name, 1)), Block("SOURCE", (True,))]
    loop = len(body) + 1
    if delay > 0:
        body.append(Block("DELAY", (delay,)))
    body.append(Block("MEASURE", (buffer, 1)))
    end_inner = len(body) + 6 if fail_abort else len(body) + 5
    if fail_abort:
        body.append(Block("ON_EVENT", ("SLIM", None)))  # target filled in below
    counter = len(body) + 1
    body += [
        Block("COUNTER", (points, counter + 2)),
        Block("ALWAYS", (end_inner,)),
        Block("NEXT", (list_name,)),
        Block("ALWAYS", (loop,)),
    ]
    if count == INFINITE:
        body.append(Block("ALWAYS", (1,)))
    elif count > 1:
        body.append(Block("COUNTER", (int(count), 1)))
    end = len(body) + 1
    if fail_abort:
        index = next(k for k, b in enumerate(body) if b.kind == "ON_EVENT")
        body[index] = Block("ON_EVENT", ("SLIM", end))
    return numbered(body)


def template_blocks(name: str, args: list, smu) -> dict:
    """``:TRIG:LOAD "<template>", ...``: the predefined trigger models (2450 Reference
    Manual 3-104 "Predefined trigger models"; WH-2450 46034 SimpleLoop, 30588 DurationLoop,
    46040 LoopUntilEvent, 35126 ConfigList, 35127 Empty)."""
    a = Arguments(args)
    key = name.upper()

    def delay_at(k):
        return parse_number(a[k], 0, 1e4) if len(a) > k else 0.0

    def buffer_at(k):
        return smu.buffer_name(unquote(a[k])) if len(a) > k else "defbuffer1"

    def loop(delay, buffer):
        return ([Block("DELAY", (delay,))] if delay > 0 else []) + [Block("MEASURE", (buffer, 1))]

    if key == "EMPTY":
        return {}
    if key == "SIMPLELOOP":  # a delay, a reading, repeated count times
        count = int(parse_number(a[0], 1, 268435455))
        body = loop(delay_at(1), buffer_at(2))
        return numbered(body + [Block("COUNTER", (count, 1))])
    if key == "DURATIONLOOP":  # the output goes on; readings for a duration
        duration = parse_number(a[0], 167e-9, 1e5)
        body = [Block("SOURCE", (True,))] + loop(delay_at(1), buffer_at(2))
        return numbered(body + [Block("UNTIL_ELAPSED", (duration, 2))])
    if key == "LOOPUNTILEVENT":  # readings until the event, then the post-trigger share
        event = trigger_event(a[0])
        position = parse_number(a[1], 0, 100)
        clear = a[2].upper()[:3] if len(a) > 2 else "ENT"
        if clear not in ("ENT", "NEV"):
            raise ScpiError(-224, "Illegal parameter value; clear is ENTer or NEVer")
        buffer = buffer_at(4)
        pre = loop(delay_at(3), buffer)
        after = int(round(smu.buffer(buffer).capacity * (100 - position) / 100))
        first = [Block("ON_EVENT", (event, len(pre) + 3))] + pre + [Block("ALWAYS", (1,))]
        if after == 0:
            return numbered(first)
        post_start = len(first) + 1
        return numbered(first + pre + [Block("COUNTER", (after, post_start))])
    if key == "CONFIGLIST":  # each index of the measure and source lists, one reading
        measure_list, source_list = unquote(a[0]), unquote(a[1])
        for list_name, kind in ((measure_list, "measure"), (source_list, "source")):
            if (
                smu.config_lists.get(list_name, ConfigList(kind)).kind != kind
                or not smu.config_lists.get(list_name, ConfigList(kind)).entries
            ):
                raise settings_conflict(f"no {kind} configuration list {list_name}")
        points = max(
            len(smu.config_lists[measure_list].entries), len(smu.config_lists[source_list].entries)
        )
        blocks = sweep_blocks(source_list, points, delay_at(2), 1, False, buffer_at(3))
        blocks[1] = Block("RECALL", (source_list, 1, measure_list, 1))
        next_block = next(n for n, b in blocks.items() if b.kind == "NEXT")
        blocks[next_block] = Block("NEXT", (source_list, measure_list))
        return blocks
    raise settings_conflict(
        f"trigger-model template {name} is not simulated (it needs the digital I/O lines)"
    )


TRIGGER_EVENTS = {
    "COMM": "COMM",
    "COMMAND": "COMM",
    "DISP": "DISP",
    "DISPLAY": "DISP",
    "SLIM": "SLIM",
    "SLIMIT": "SLIM",
}


def trigger_event(text: str) -> str:
    """A trigger event name of the 2450's SCPI set (WH-2450 46040, 31104): COMMand (``*TRG``),
    DISPlay, NOTify<n>, DIGio<n>, TSPLink<n>, LAN<n>, BLENder<n>, TIMer<n>, SLIMit."""
    word = text.strip().upper()
    if word in TRIGGER_EVENTS:
        return TRIGGER_EVENTS[word]
    for stem, short, top in (
        ("NOTIFY", "NOT", 8),
        ("DIGIO", "DIG", 6),
        ("TSPLINK", "TSPL", 3),
        ("LAN", "LAN", 8),
        ("BLENDER", "BLEN", 2),
        ("TIMER", "TIM", 4),
    ):
        for prefix in (stem, short):
            number = word[len(prefix) :]
            if word.startswith(prefix) and number.isdigit() and 1 <= int(number) <= top:
                return f"{short}{int(number)}"
    if word == "NONE":
        raise settings_conflict("the event NONE never occurs")
    raise ScpiError(-224, f"Illegal parameter value; trigger event {text.strip()}")
