"""Keithley 707B switching matrix in TSP: close one crosspoint at a time, break before make.

Sources: Models 707B and 708B Switching Matrix Reference Manual (707B-901-01 Rev. A, August
2010, and Rev. B, January 2015; "[M] 7-24" is its page 7-24): channel specifiers and channel
lists ([M] 2-87, 2-89), ``channel.connectrule`` (break-before-make: every channel opens before
any closes, [M] 7-20, 7-21, 2-82), ``channel.exclusiveclose`` (opens every other channel, then
closes the list, [M] 7-24), ``channel.open`` ([M] 7-35), ``channel.getclose`` (sorted, ``;``
separated, nil when none, [M] 7-27), ``channel.setdelay`` (the user delay after a close,
[M] 7-44; a close completes after the relay's settling time and then the user delay, [M] 7-29),
``errorqueue.next()`` and ``*IDN?`` as on every TSP instrument.

A TSP command completes before the next one runs, so the query after a close is answered
once the relay has settled and the user delay has passed: :meth:`Keithley707B.select` reads
the closed channels back, which also proves the close took.
"""

import re
from typing import ClassVar

from pymeasure.instruments import Instrument

from ..errors import InstrumentError
from .common_queries import identity_facts, raise_instrument_errors

NO_CHANNEL = "nil"  # [M] 7-27: what print() shows when nothing is closed
# a crosspoint: slot 1-6, row A-H, column 01-12 ([M] 2-87 "Channel identification"; the
# matrix cards of the 707B have up to 8 rows and 12 columns)
CHANNEL = re.compile(r"[1-6][A-H](0[1-9]|1[0-2])")
CHANNEL_HELP = "slot 1-6, row A-H, column 01-12, e.g. 1A01"


class Keithley707B(Instrument):
    """A 707B over VISA, speaking TSP."""

    model_name: ClassVar[str] = "Keithley 707B"
    IDN_MODELS: ClassVar[tuple[str, ...]] = ("707B",)  # what *IDN? calls this model
    raise_errors = raise_instrument_errors

    def __init__(self, adapter, **kwargs):
        super().__init__(adapter, "Keithley 707B switching matrix", includeSCPI=False, **kwargs)

    @property
    def id(self) -> str:
        """The ``*IDN?`` reply (accepted in TSP, as a common command)."""
        return self.ask("*IDN?").strip()

    @property
    def next_error(self) -> tuple[int, str]:
        code, message, *_ = self.ask("print(errorqueue.next())").split("\t") + [""]
        return int(float(code)), message.strip()

    def check_errors(self) -> list:
        errors = []
        while (entry := self.next_error)[0] != 0:
            errors.append(entry)
        return errors

    def prepare(self, channels: list[str], user_delay: float) -> None:
        """Every channel open, break-before-make, ``user_delay`` seconds after each of
        ``channels`` closes (on top of the relay's own settling); errors raised."""
        self.write('channel.open("allslots")')
        self.write("channel.connectrule = channel.BREAK_BEFORE_MAKE")
        self.write(f'channel.setdelay("{",".join(channels)}", {user_delay:g})')
        self.raise_errors()

    def closed(self) -> list[str]:
        """The closed channels (waits until the last command has completed)."""
        reply = self.ask('print(channel.getclose("allslots"))').strip()
        return [] if reply == NO_CHANNEL else reply.split(";")

    def select(self, channel: str) -> None:
        """``channel`` closed and every other open, break before make; raises if the
        instrument reports an error or another set of channels is closed."""
        self.write(f'channel.exclusiveclose("{channel}")')
        closed = self.closed()
        self.raise_errors()
        if closed != [channel]:
            raise InstrumentError(
                f"{self.model_name}: {channel} should be the only closed channel, "
                f"but {', '.join(closed) or 'none'} is closed"
            )

    def open_all(self) -> None:
        self.write('channel.open("allslots")')
        closed = self.closed()
        self.raise_errors()
        if closed:
            raise InstrumentError(f"{self.model_name}: {', '.join(closed)} still closed")

    def instrument_facts(self) -> dict:
        """Queries only: identity, the connect rule and the closed channels."""
        rule = {0: "off", 1: "break-before-make", 2: "make-before-break"}
        return {
            **identity_facts(self.id),
            "options": "",  # the cards in the slots are not queried
            "connect_rule": rule.get(int(float(self.ask("print(channel.connectrule)"))), "?"),
            "closed_channels": ";".join(self.closed()),
        }
