"""The Keithley 2450 trigger model, run block by block in virtual time.

Blocks (2450 Reference Manual, ``:TRIGger:BLOCk:...``): BUFFer:CLEar, CONFig:NEXT and
CONFig:RECall (a source configuration list: the levels stored with
``:SOURce:CONFiguration:LIST:STORe``), SOURce:STATe, DELay:CONStant, MEASure, BRANch:COUNter,
BRANch:ALWays, NOP. Blocks that take no time run back to back; a delay or a measurement is
an event on the bench's clock, so other instruments and the device move in step.
"""

from dataclasses import dataclass, field

from .scpi import ScpiError
from .smu import ReadingTiming


@dataclass
class Block:
    kind: str
    args: tuple


@dataclass
class TriggerModel:
    blocks: dict  # block number -> Block
    config_lists: dict  # name -> list of levels
    t: float  # when the current block runs
    timing: ReadingTiming  # of one reading, fixed when the model starts
    pc: int = 1
    counters: dict = field(default_factory=dict)
    list_index: dict = field(default_factory=dict)
    measurements: int = 0

    @property
    def progress(self) -> int:
        return self.measurements

    def next_event(self) -> tuple[float, str] | None:
        if self.pc not in self.blocks:
            return None
        block = self.blocks[self.pc]
        if block.kind == "MEASURE":
            return self.t + self.timing.sample_at, "measure"
        return self.t, block.kind

    def fire(self, smu, t: float) -> None:
        """Run blocks from the current one until one takes time (or the model ends)."""
        while self.pc in self.blocks:
            block = self.blocks[self.pc]
            self.pc += 1
            if block.kind == "MEASURE":
                smu.store(block.args[0], smu.sample(t))
                self.measurements += 1
                self.t += self.timing.total
                return
            if block.kind == "DELAY":
                self.t += block.args[0]
                return
            settle = self._instant(smu, block)
            if settle > 0:  # a level change settles for the source delay
                self.t += settle
                return

    def _instant(self, smu, block: Block) -> float:
        """Run a block that takes no time of its own; returns the source delay a level
        change costs (the delay is applied whenever the source level changes, WH-2450 29079)."""
        kind, args = block.kind, block.args
        if kind == "CLEAR":
            smu.buffer(args[0]).clear()
        elif kind in ("NEXT", "RECALL"):
            levels = self.config_lists[args[0]]
            if kind == "NEXT":
                index = self.list_index.get(args[0], 0) % len(levels) + 1
            else:
                index = args[1]
            self.list_index[args[0]] = index
            return smu.change_level(levels[index - 1])
        elif kind == "SOURCE":
            smu.output = args[0]
            return smu.change_level(smu.level) if args[0] else 0.0
        elif kind == "COUNTER":
            count, target = args
            done = self.counters.get(self.pc - 1, 0) + 1
            if done < count:
                self.counters[self.pc - 1] = done
                self.pc = target
            else:
                self.counters[self.pc - 1] = 0  # ready for the next time round
        elif kind == "ALWAYS":
            self.pc = args[0]
        return 0.0


def check_blocks(blocks: dict, config_lists: dict) -> None:
    """Refuse a model that refers to a missing list, as INIT on the instrument does."""
    for number, block in blocks.items():
        if block.kind in ("NEXT", "RECALL") and not config_lists.get(block.args[0]):
            raise ScpiError(-221, f"Settings conflict; block {number}: empty or unknown "
                                  f"configuration list {block.args[0]}")
        if block.kind in ("COUNTER", "ALWAYS") and block.args[-1] not in blocks:
            raise ScpiError(-221, f"Settings conflict; block {number} branches to a block "
                                  "that does not exist")
