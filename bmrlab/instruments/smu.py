"""The source-measure unit interface that procedures use, and its shared sweep engine.

A model file (``keithley2450.py`` ...) supplies a few primitives: upload a level list and
start it, count the readings taken, fetch a range of readings, abort. The engine here
splits a long sweep into segments the instrument can hold, polls the buffer while the
instrument does the timing, hands readings over in chunks, and stops on request.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from ..errors import InstrumentError

POLL_S = 0.25  # how often the buffer count is asked while a sweep runs
FETCH_POINTS = 500  # fetch once this many new readings are waiting ...
FETCH_S = 1.0  # ... or this long after the last fetch (live plots keep moving)


@dataclass
class Readings:
    """A chunk of buffered readings: run-relative time, source readback, current, limit."""

    index: np.ndarray
    t: np.ndarray
    v: np.ndarray
    i: np.ndarray
    limit: np.ndarray


@dataclass
class Segment:
    levels: np.ndarray
    count: int
    first_index: int  # index of its first reading within the whole sweep


def plan_segments(levels, repeat: int, max_list: int, max_buffer: int) -> list[Segment]:
    """Split ``repeat`` passes over ``levels`` into lists and counts the instrument holds."""
    levels = np.asarray(levels, dtype=float)
    segments, index = [], 0
    if len(levels) <= max_list:
        per_segment = max(1, max_buffer // len(levels))
        remaining = repeat
        while remaining:
            count = min(per_segment, remaining)
            segments.append(Segment(levels, count, index))
            index += count * len(levels)
            remaining -= count
        return segments
    pieces = [levels[k:k + max_list] for k in range(0, len(levels), max_list)]
    for _ in range(repeat):
        for piece in pieces:
            segments.append(Segment(piece, 1, index))
            index += len(piece)
    return segments


class Smu(ABC):
    """A source-measure unit as procedures see it. Every level passes through the guard."""

    max_list_points: int
    max_buffer_points: int
    voltage_ranges: tuple
    current_resolution: float  # of the lowest current range: what "pA" can mean here
    whole_buffer_only = False  # the buffer can only be read once a segment is complete

    def __init__(self, driver, guard, clock, off_mode: str):
        self.driver = driver
        self.guard = guard
        self.clock = clock
        self.off_mode = off_mode
        self.settings: dict = {}

    # --- model primitives ----------------------------------------------------------------
    @abstractmethod
    def configure(self, *, max_abs_v: float, compliance: float, nplc: float) -> None:
        """Fixed source range for ``max_abs_v`` (set before the output goes on), current
        limit, aperture, auto measure range, zeroing; output on at 0 V; error check."""

    @abstractmethod
    def step_time(self, delay: float) -> float:
        """Time one sweep point takes: ``delay`` plus the measurement."""

    @classmethod
    @abstractmethod
    def shortest_step(cls, nplc: float) -> float:
        """Longest time one reading can take at ``nplc`` (50 Hz mains), before connecting."""

    @abstractmethod
    def _start(self, levels: np.ndarray, delay: float, count: int) -> None: ...

    @abstractmethod
    def _count(self) -> int: ...

    @abstractmethod
    def _fetch(self, first: int, last: int) -> tuple[np.ndarray, ...]:
        """Readings ``first..last`` (1-based, inclusive): (rel_t, v, i, limit)."""

    @abstractmethod
    def _abort(self) -> None: ...

    @abstractmethod
    def safe_off(self) -> None:
        """Stop any trigger model, source 0 V, output off in the configured off-mode."""

    @abstractmethod
    def identify(self) -> str: ...

    # --- the sweep engine ---------------------------------------------------------------------
    def sweep(self, levels, dwell: float, repeat: int, on_chunk, wait) -> int:
        """Run ``repeat`` passes over ``levels`` on the instrument, ``dwell`` s per point.

        ``on_chunk(Readings)`` receives readings as they arrive; ``wait(seconds)`` is the
        station's stop-aware wait (raises when a stop is requested). Returns the number of
        readings taken.
        """
        levels = self.guard.levels(levels)
        delay = self.sweep_delay(dwell)
        t_run = self.clock.now()
        taken = 0
        for segment in plan_segments(levels, repeat, self.max_list_points,
                                     self.max_buffer_points):
            t_segment = self.clock.now() - t_run
            self._start(segment.levels, delay, segment.count)
            expected = len(segment.levels) * segment.count
            taken += self._collect(expected, segment.first_index, t_segment, dwell,
                                   on_chunk, wait)
        return taken

    def sweep_delay(self, dwell: float) -> float:
        delay = dwell - self.step_time(0.0)
        if delay < 0:
            raise InstrumentError(
                f"dwell {dwell * 1e3:g} ms is shorter than one measurement "
                f"({self.step_time(0.0) * 1e3:.3g} ms at nplc {self.settings.get('nplc')})")
        return delay

    def _collect(self, expected, first_index, t_offset, dwell, on_chunk, wait) -> int:
        fetched = available = 0
        last_fetch = self.clock.now()
        deadline = self.clock.now() + expected * dwell * 2 + 10.0
        while fetched < expected:
            remaining = (expected - available) * dwell
            try:
                wait(min(POLL_S, remaining + 1e-3))
            except BaseException:
                self._abort()
                raise
            available = min(self._count(), expected)
            due = available == expected or not self.whole_buffer_only and (
                available - fetched >= FETCH_POINTS or self.clock.now() - last_fetch >= FETCH_S)
            if available > fetched and due:
                t, v, i, limit = self._fetch(fetched + 1, available)
                index = np.arange(first_index + fetched, first_index + available)
                on_chunk(Readings(index, t + t_offset, v, i, limit))
                fetched, last_fetch = available, self.clock.now()
            if self.clock.now() > deadline:
                self._abort()
                raise InstrumentError(f"sweep stalled: {fetched} of {expected} readings")
        return fetched
