"""What a protocol gets from the run engine while it runs: the station, where its rows and
progress go, whether a stop was requested, and a wait that honours it.

The runner builds one per run and passes it to ``startup`` and ``execute``; a protocol keeps
no reference to it, so a procedure object is only its parameters and can be re-analysed
offline without a station (``runner.reanalyze``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunContext:
    station: Any  # bmrlab.station.Station (not imported: procedures stay importable alone)
    emit: Callable[[str, Any], None]  # ("batch", {column: array}) and ("progress", percent)
    should_stop: Callable[[], bool]

    @property
    def smu(self):
        """The station's source-measure unit (connected)."""
        return self.station.smu

    @property
    def clock(self):
        return self.station.clock

    def wait(self, seconds: float) -> None:
        """Wait on the station clock; raises Stopped once a stop is requested."""
        self.station.wait(seconds, self.should_stop)
