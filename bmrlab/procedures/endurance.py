"""Endurance: set/reset (nonvolatile) or set/relax (volatile) cycles, run on the instrument in
chunks, every cycle's switching checked, the states read at log-spaced cycles.

A cycle is one stretch of an instrument list: the set pulse, then 0 V to relax (volatile) or
the reset pulse and 0 V (nonvolatile). The cycles between two read cycles are one list run
``count`` times; from each of them the reading at the end of the set pulse (and of the reset
pulse) is kept, which tells whether that cycle switched. A read cycle adds a read at
``v_read`` right after the set (the LRS, within the retention) and one at its end (the HRS),
both on the compliance range. A read cycle's list runs in steps of at most ``lrs_read_delay``
(the set pulse split into whole steps), so that the LRS is read that soon after the pulse
ends: a volatile device whose state lasts a few ms would otherwise have lost it by the end of
a pulse-long read step. Then the HRS is read once more on a finer range (``hrs_range``),
settled, with a longer aperture (``hrs_nplc``): only measurement settings change for it, so
the source never changes range under the device. The run stops once the
window has closed (On/Off below 10 at two read cycles in a row), or at ``max_cycles``.
"""

import math
from dataclasses import dataclass

import numpy as np

from .. import standard
from ..analysis.endurance import (
    EndurancePhase,
    closed_at,
    endurance,
    failed_resets,
    failed_sets,
    floor_limited,
    hrs_in_use,
    on_off,
    read_cycles,
    switch_threshold,
)
from ..analysis.summary import spread
from ..results import ProtocolResult, ResultModel, Spread, figure, flag
from ..storage.stored_run import StoredRun
from .base import (
    BmrProcedure,
    Count,
    Mark,
    Quantity,
    ResultPlot,
    compliance_parameter,
    nplc_parameter,
    phase_legend,
    set_pulse_parameters,
    v_read_parameter,
)
from .context import RunContext

LIST_RESTART_S = 0.15  # ending one list and starting the next (simulated 2450, measured)
RESOLVED_SETTLING_S = 0.09  # the slowest 10 nA settling of the SMUs (2636B; 2450: 50 ms)
READS = (EndurancePhase.LRS_READ, EndurancePhase.HRS_READ, EndurancePhase.HRS_RESOLVED)


class EnduranceReads(ResultModel):
    read_cycles: list[int] = figure("", "cycles at which the LRS and the HRS were read", ...)
    lrs_A: list[float | None] = figure("A", "LRS read current at each read cycle", [])
    hrs_A: list[float | None] = figure(
        "A", "HRS current On/Off used at each read cycle (the resolved read where it held)", []
    )
    hrs_floor_A: list[float | None] = figure(
        "A", "the smallest HRS current each read tells from nothing", []
    )
    on_off: list[float | None] = figure(
        "", "LRS/HRS at each read cycle (the HRS at least its floor)", ...
    )
    reason: str | None = figure("", "why there is no endurance figure")


class EnduranceReadScheme(ResultModel):
    """How the states were read: reported with the figure (Lanza et al. 2021)."""

    v_read_mV: float = figure("mV", "read voltage")
    lrs_range_A: float | None = figure("A", "measure range of the LRS and list HRS reads")
    lrs_nplc: float = figure("", "aperture of the list reads (power-line cycles)")
    hrs_range_A: float | None = figure(
        "A", "measure range of the resolved HRS read (None: no finer range was read)"
    )
    hrs_nplc: float | None = figure("", "aperture of the resolved HRS read")
    lrs_read_delay_ms: float | None = figure(
        "ms", "median time from the set pulse's last reading to the LRS read (read cycles)"
    )
    cycles_read: int = figure("", "read cycles (log-spaced)")
    cycles_checked: int = figure("", "cycles whose set pulse current was checked")
    set_check_mV: float | None = figure(
        "mV", "level of the reading that checks each set (the pulse, or a read after it)"
    )
    set_threshold_A: float | None = figure("A", "current there that tells a set from a failure")
    reset_check_mV: float | None = figure("mV", "level of the reading that checks each reset")
    reset_threshold_A: float | None = figure("A", "current there that tells a reset from a failure")


class EnduranceStats(ResultModel):
    endurance_cycles: EnduranceReads
    window_on_off: Spread = figure(
        "", "On/Off over the read cycles while the window was open", Spread()
    )
    read_scheme: EnduranceReadScheme | None = None


class EnduranceResult(ProtocolResult):
    endurance_cycles: int | None = figure(
        "cycles", "last read cycle with On/Off >= 10 before the window closed for good"
    )
    endurance_censored: bool = flag("endurance_cycles", "censored: the window never closed")
    endurance_floor_limited: bool = flag(
        "endurance_cycles", "lower bound: the window closed against the HRS read floor"
    )
    failed_sets: int | None = figure(
        "cycles", "cycles whose set pulse ended below the set threshold (every cycle checked)"
    )
    failed_resets: int | None = figure(
        "cycles",
        "cycles whose reset pulse ended above the threshold (None: a volatile device relaxes "
        "at 0 V, where no current flows to check)",
    )
    first_failed_cycle: int | None = figure("cycles", "first cycle that failed to set or reset")
    stats: EnduranceStats


@dataclass(frozen=True)
class CycleLayout:
    """One cycle's levels and where in them the readings that are kept are."""

    levels: list[float]
    kept: dict[EndurancePhase, int]


class Endurance(BmrProcedure[EnduranceResult]):
    name = "endurance"
    rank = 4
    title = "Endurance"
    description = (
        "Set/reset or set/relax cycles on the instrument, every cycle's switching checked, "
        "LRS and HRS (on a finer range) read at log-spaced cycles, until the window closes."
    )
    COLUMNS = {
        "t_s": "s",
        "cycle": "",
        "v_V": "V",
        "v_src_V": "V",
        "i_A": "A",
        "phase": phase_legend(EndurancePhase),
        "limit_hit": "",
        "range_A": "A",
    }
    LIVE_PLOT = {
        "x": "cycle",
        "y": "i_A",
        "log_x": True,
        "log_y": True,
        "abs_y": True,
        "group": "phase",
    }
    Result = EnduranceResult

    set_v, set_width = set_pulse_parameters(width_note=" (also the step of the list)")
    reset_v = Quantity(
        "reset_v",
        units="V",
        minimum=0.0,
        maximum=200.0,
        default=0.0,
        description="reset pulse amplitude (nonvolatile); 0 = relax",
    )
    relax = Quantity(
        "relax",
        units="s",
        minimum=0.0,
        maximum=100.0,
        default=0.2,
        description="at 0 V after the set (volatile) or around the reset",
    )
    max_cycles = Count(
        "max_cycles",
        minimum=1,
        maximum=100_000_000,
        default=100_000,
        description="stop here if the window is still open",
    )
    reads_per_decade = Count(
        "reads_per_decade",
        minimum=1,
        maximum=1000,
        default=20,
        description="read cycles per decade of cycles",
    )
    lrs_read_delay = Quantity(
        "lrs_read_delay",
        units="s",
        minimum=1e-5,
        maximum=10.0,
        default=1e-3,
        description="longest step of a read cycle's list: the LRS is read this soon after "
        "the set pulse",
    )
    v_read = v_read_parameter("read voltage")
    compliance = compliance_parameter()
    nplc = nplc_parameter(0.01, "aperture of each step's reading")
    hrs_range = Quantity(
        "hrs_range",
        units="A",
        minimum=0.0,
        maximum=1.0,
        default=10e-9,
        description="measure range of the resolved HRS read (the SMU's range at or above "
        "it, if finer than the compliance range); 0 = no resolved read",
    )
    hrs_nplc = Quantity(
        "hrs_nplc",
        units="",
        minimum=0.01,
        maximum=10.0,
        default=1.0,
        description="aperture of the resolved HRS read",
    )

    @classmethod
    def condition_defaults(cls, conditions: dict, given: dict) -> dict:
        """A nonvolatile device is reset (at the sweep's peak) instead of left to relax."""
        defaults = super().condition_defaults(conditions, given)
        if conditions.get("volatile") is False:
            defaults.update(reset_v=standard.SWEEP_V_MAX, relax=0.02)
        return defaults

    def estimated_duration(self) -> float:
        """At most: every cycle up to ``max_cycles`` (the run ends once the window closes),
        and for each read cycle its three read steps, the resolved HRS read (the finer
        range's settling, at most 90 ms, and its aperture) and the start and end of the two
        lists around it (about 0.15 s on the simulated 2450)."""
        cycle = self.set_width + self.relax
        if self.reset_v > 0:
            cycle *= 2
        reads = len(read_cycles(self.max_cycles, self.reads_per_decade))
        per_read = 3 * self.set_width + LIST_RESTART_S
        if self.hrs_range > 0:
            per_read += RESOLVED_SETTLING_S + self.hrs_nplc / 50.0
        return self.max_cycles * cycle + reads * per_read

    def check(self, station) -> None:
        guard = station.guard
        guard.check_voltage("set_v", self.set_v)
        guard.check_voltage("reset_v", -self.reset_v)
        guard.check_compliance("compliance", self.compliance)
        guard.check_pulse_width("set_width", self.set_width)

    def startup(self, ctx: RunContext):
        ctx.smu.configure(
            max_abs_v=max(self.set_v, self.reset_v),
            compliance=self.compliance,
            nplc=self.nplc,
            current_range=self.compliance,
        )

    def cycle_layout(self, step: float, read: bool, check_after: bool = False) -> CycleLayout:
        """One cycle's levels: the set pulse, the LRS read (read cycles), the rest, the
        reset pulse and rest (nonvolatile), and for read cycles the HRS read and a step back
        at 0 V. Each pulse's switching is checked on the reading of its last step, or, where
        the instrument reads a step at its start (``check_after``), on a step at ``v_read``
        right after the pulse, whose reading sees the state the pulse left."""
        pulse = [self.set_v] * max(1, round(self.set_width / step))
        rest = [0.0] * max(1, round(self.relax / step))
        levels: list[float] = []
        kept = {}

        def pulse_checked(level: float, phase: EndurancePhase) -> None:
            levels.extend([level] * len(pulse))
            kept[phase] = len(levels) - 1
            if check_after:
                kept[phase] = len(levels)
                levels.append(self.v_read)

        pulse_checked(self.set_v, EndurancePhase.SET)
        if read:
            kept[EndurancePhase.LRS_READ] = len(levels)
            levels.append(self.v_read)
        levels += rest
        if self.reset_v > 0:
            pulse_checked(-self.reset_v, EndurancePhase.RESET)
            levels += rest
        if read:
            kept[EndurancePhase.HRS_READ] = len(levels)
            levels += [self.v_read, 0.0]
        return CycleLayout(levels, kept)

    def execute(self, ctx: RunContext):
        smu = ctx.smu
        step = smu.actual_dwell(max(self.set_width, smu.step_time()))
        plain = self.cycle_layout(step, False, smu.reads_at_step_start)
        read_step = smu.actual_dwell(
            max(self.set_width / math.ceil(self.set_width / self.lrs_read_delay), smu.step_time())
        )
        reading = self.cycle_layout(read_step, True, smu.reads_at_step_start)
        list_range = float(smu.settings["current_range_A"])
        finer = smu.resolving_range(self.hrs_range) if self.hrs_range > 0 else None
        done = 0
        ratios = []
        for cycle in read_cycles(self.max_cycles, self.reads_per_decade):
            if cycle - 1 > done:
                smu.sweep(
                    plain.levels,
                    step,
                    int(cycle - 1 - done),
                    lambda r, first=done + 1: self._keep(ctx, plain, first, list_range, r),
                    ctx.wait,
                )
            reads = self._read_cycle(ctx, int(cycle), reading, read_step, list_range)
            resolved = np.nan
            if finer is not None:
                resolved = self._resolved_read(ctx, int(cycle), finer)
            done = int(cycle)
            hrs, floor, _ = hrs_in_use(
                [reads[EndurancePhase.HRS_READ]], [list_range], [resolved], [finer or np.nan]
            )
            ratios.append(float(on_off(reads[EndurancePhase.LRS_READ], hrs, floor)[0]))
            ctx.emit("progress", 100.0 * np.log10(cycle + 1) / np.log10(self.max_cycles + 1))
            if closed_at(ratios) is not None:
                return  # the window has closed

    def _read_cycle(self, ctx, cycle: int, layout: CycleLayout, step: float, range_a: float):
        """One read cycle on the instrument; returns the current of each kept phase."""
        reads: dict = {}
        ctx.smu.sweep(
            layout.levels,
            step,
            1,
            lambda r: reads.update(self._keep(ctx, layout, cycle, range_a, r)),
            ctx.wait,
        )
        return reads

    def _keep(self, ctx, layout: CycleLayout, first_cycle: int, range_a: float, r) -> dict:
        """Store the kept readings of a chunk (cycles numbered from ``first_cycle``); return
        the last current of each kept phase."""
        position = r.index % len(layout.levels)
        phase = np.zeros(len(position), np.int8)
        for where, k in layout.kept.items():
            phase[position == k] = where
        keep = phase > 0
        if not keep.any():
            return {}
        ctx.emit(
            "batch",
            {
                "t_s": r.t[keep],
                "cycle": (first_cycle + r.index[keep] // len(layout.levels)).astype(np.int64),
                "v_V": r.v[keep],
                "v_src_V": np.asarray(layout.levels)[position[keep]],
                "i_A": r.i[keep],
                "phase": phase[keep],
                "limit_hit": r.limit[keep].astype(np.int8),
                "range_A": np.full(int(keep.sum()), range_a),
            },
        )
        return {EndurancePhase(p): float(i) for p, i in zip(phase[keep], r.i[keep], strict=True)}

    def _resolved_read(self, ctx, cycle: int, finer: float) -> float:
        """The HRS on the finer range (NaN: above it), stored; then ``relax`` at 0 V, so the
        read's bias has faded before the next set pulse."""
        r = ctx.smu.read_resolved(self.v_read, finer, self.hrs_nplc, ctx.wait)
        ctx.emit(
            "batch",
            {
                "t_s": r.t,
                "cycle": np.array([cycle], np.int64),
                "v_V": r.v,
                "v_src_V": np.array([self.v_read]),
                "i_A": r.i,
                "phase": np.array([EndurancePhase.HRS_RESOLVED], np.int8),
                "limit_hit": r.limit.astype(np.int8),
                "range_A": np.array([finer]),
            },
        )
        ctx.wait(self.relax)
        return float(r.i[0])

    def analyze(self, stored: StoredRun) -> EnduranceResult:
        """On/Off at each read cycle and the endurance; then every cycle's set (and reset)
        checked against thresholds from the reads. The file is read block by block, twice:
        only the reads and the counts are kept."""
        reads = stored_reads(stored)
        cycles, lrs, hrs, floor = reads.cycles, reads.lrs, reads.hrs, reads.floor
        ratios = on_off(lrs, hrs, floor)
        found = endurance(cycles, ratios)
        open_reads = slice(None) if found["closed"] is None else slice(found["closed"])
        typical = open_reads if found["closed"] else slice(None)  # the window's own states
        checks = self._check_cycles(
            stored, median(lrs[typical]), median(np.maximum(hrs, floor)[typical])
        )
        return EnduranceResult(
            endurance_cycles=found["cycles"],
            endurance_censored=found["censored"],
            endurance_floor_limited=floor_limited(hrs, floor, found["closed"]),
            failed_sets=checks["failed_sets"],
            failed_resets=checks["failed_resets"],
            first_failed_cycle=checks["first_failed_cycle"],
            stats=EnduranceStats(
                endurance_cycles=EnduranceReads(
                    read_cycles=cycles.tolist(),
                    lrs_A=finite_or_none(lrs),
                    hrs_A=finite_or_none(hrs),
                    hrs_floor_A=finite_or_none(floor),
                    on_off=finite_or_none(ratios),
                    reason=found.get("reason"),
                ),
                window_on_off=Spread(**spread(ratios[open_reads].tolist())),
                read_scheme=EnduranceReadScheme(
                    v_read_mV=self.v_read * 1e3,
                    lrs_range_A=median(reads.lrs_range),
                    lrs_nplc=self.nplc,
                    lrs_read_delay_ms=none_or(median(reads.lrs_delay), 1e3),
                    hrs_range_A=median(reads.resolved_range) if reads.resolved.any() else None,
                    hrs_nplc=self.hrs_nplc if reads.resolved.any() else None,
                    cycles_read=len(cycles),
                    cycles_checked=checks["cycles_checked"],
                    set_check_mV=none_or(checks["set_level"], 1e3),
                    set_threshold_A=checks["set_threshold"],
                    reset_check_mV=none_or(checks["reset_level"], 1e3),
                    reset_threshold_A=checks["reset_threshold"],
                ),
            ),
        )

    def _check_cycles(self, stored: StoredRun, lrs_read, hrs_read) -> dict:
        """Failed sets and resets over every cycle, from the file block by block; each
        threshold is taken at the level its check reading was made at (the pulse, or the
        read step after it)."""
        checks = {
            EndurancePhase.SET: (failed_sets, "set"),
            EndurancePhase.RESET: (failed_resets, "reset"),
        }
        found: dict = {}
        first = None
        cycles_checked = 0
        source = "v_src_V" if "v_src_V" in stored.group else "v_V"  # older runs: no checks
        for block in stored.chunks(["cycle", "phase", source, "i_A"]):
            cycles_checked += int(np.count_nonzero(block["phase"] == EndurancePhase.SET))
            for phase, (test, kind) in checks.items():
                sel = block["phase"] == phase
                if not sel.any():
                    continue
                if kind not in found:
                    level = float(abs(block[source][sel][0]))
                    threshold = switch_threshold(
                        lrs_read, hrs_read, self.v_read, level, self.compliance
                    )
                    found[kind] = {"level": level, "threshold": threshold, "failed": 0}
                if found[kind]["threshold"] is None:
                    continue
                failed = test(block["i_A"][sel], found[kind]["threshold"])
                found[kind]["failed"] += int(failed.sum())
                if failed.any():
                    cycle = int(block["cycle"][sel][failed][0])
                    first = cycle if first is None else min(first, cycle)

        def figure_of(kind, key):
            entry = found.get(kind)
            if entry is None or entry["threshold"] is None:
                return None
            return entry[key]

        return {
            "cycles_checked": cycles_checked,
            "failed_sets": figure_of("set", "failed"),
            "failed_resets": figure_of("reset", "failed"),
            "first_failed_cycle": first,
            "set_threshold": figure_of("set", "threshold"),
            "set_level": figure_of("set", "level"),
            "reset_threshold": figure_of("reset", "threshold"),
            "reset_level": figure_of("reset", "level"),
        }

    @classmethod
    def result_plot(cls, result: EnduranceResult) -> ResultPlot:
        """The endurance marked on the reads against cycle."""
        if result.endurance_cycles is None:
            return ResultPlot()
        return ResultPlot(
            marks=(Mark(result.endurance_cycles, f"endurance {result.endurance_cycles:,} cycles"),)
        )

    def save_figures(self, stored, result, directory, stem):
        from ..plotting import endurance_states  # matplotlib only when asked for

        return [endurance_states(stored, result, directory / f"{stem}_endurance.png")]


@dataclass(frozen=True)
class StoredReads:
    """The reads of a run, one entry per read cycle, as the analysis uses them."""

    cycles: np.ndarray
    lrs: np.ndarray  # |LRS read|
    lrs_range: np.ndarray
    hrs: np.ndarray  # the HRS On/Off uses: the resolved read where it held
    floor: np.ndarray  # that read's floor
    resolved: np.ndarray  # whether it is the resolved read
    resolved_range: np.ndarray  # ranges of the resolved reads used
    lrs_delay: np.ndarray  # s from the set pulse's last reading to the LRS read


def stored_reads(stored: StoredRun) -> StoredReads:
    """The LRS and HRS reads of a stored run, from the file block by block (only the read
    rows are kept: a few per decade of cycles)."""
    reads: dict[int, dict[int, tuple[float, float, float]]] = {}
    set_at: dict[int, float] = {}  # when each cycle's set pulse was last read
    ranged = "range_A" in stored.group  # runs stored before it was: all on the compliance range
    compliance = stored.parameters["compliance"]
    columns = ["t_s", "cycle", "phase", "i_A", *(["range_A"] if ranged else [])]
    for block in stored.chunks(columns):
        sel = np.isin(block["phase"], READS)
        ranges = block["range_A"][sel] if ranged else np.full(sel.sum(), compliance)
        for cycle, phase, current, range_a, t in zip(
            block["cycle"][sel].tolist(),
            block["phase"][sel].tolist(),
            block["i_A"][sel].tolist(),
            ranges.tolist(),
            block["t_s"][sel].tolist(),
            strict=True,
        ):
            reads.setdefault(cycle, {})[phase] = (current, range_a, t)
        sets = block["phase"] == EndurancePhase.SET
        set_at.update(zip(block["cycle"][sets].tolist(), block["t_s"][sets].tolist(), strict=True))
    cycles = sorted(reads)

    def column(phase, k):
        return np.array([reads[c].get(phase, (np.nan,) * 3)[k] for c in cycles], float)

    resolved_range = column(EndurancePhase.HRS_RESOLVED, 1)
    hrs, floor, resolved = hrs_in_use(
        column(EndurancePhase.HRS_READ, 0),
        column(EndurancePhase.HRS_READ, 1),
        column(EndurancePhase.HRS_RESOLVED, 0),
        resolved_range,
    )
    return StoredReads(
        cycles=np.array(cycles, dtype=np.int64),
        lrs=np.abs(column(EndurancePhase.LRS_READ, 0)),
        lrs_range=column(EndurancePhase.LRS_READ, 1),
        hrs=hrs,
        floor=floor,
        resolved=resolved,
        resolved_range=resolved_range[resolved],
        lrs_delay=column(EndurancePhase.LRS_READ, 2)
        - np.array([set_at.get(c, np.nan) for c in cycles], float),
    )


def median(values) -> float | None:
    """The median of the finite values (None if none)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else None


def none_or(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


def finite_or_none(values) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in values]
