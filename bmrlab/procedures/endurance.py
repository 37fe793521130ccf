"""Endurance: set/reset (nonvolatile) or set/relax (volatile) cycles, run on the instrument in
chunks, with reads at log-spaced cycles.

A cycle is one stretch of an instrument list: the set pulse, then 0 V to relax (volatile) or
the reset pulse and 0 V (nonvolatile). The cycles between two read cycles are one list run
``count`` times; a read cycle adds a read at ``v_read`` right after the set (the LRS, within
the retention) and one at its end (the HRS). The run stops once the window has closed
(On/Off below 10 at two read cycles in a row), or at ``max_cycles``.
"""

import numpy as np

from .. import standard
from ..analysis.endurance import EndurancePhase, closed_at, endurance, on_off, read_cycles
from ..results import ProtocolResult, ResultModel, figure, flag
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


class EnduranceReads(ResultModel):
    read_cycles: list[int] = figure("", "cycles at which the LRS and the HRS were read", ...)
    on_off: list[float | None] = figure(
        "", "LRS/HRS read current at each read cycle (the HRS at least 0.1 % of compliance)", ...
    )
    reason: str | None = figure("", "why there is no endurance figure")


class EnduranceStats(ResultModel):
    endurance_cycles: EnduranceReads


class EnduranceResult(ProtocolResult):
    endurance_cycles: int | None = figure(
        "cycles", "last read cycle with On/Off >= 10 before the window closed for good"
    )
    endurance_censored: bool = flag("endurance_cycles", "censored: the window never closed")
    stats: EnduranceStats


class Endurance(BmrProcedure[EnduranceResult]):
    name = "endurance"
    rank = 4
    title = "Endurance"
    description = (
        "Set/reset or set/relax cycles on the instrument with LRS and HRS reads "
        "at log-spaced cycles, until the On/Off window closes."
    )
    COLUMNS = {
        "t_s": "s",
        "cycle": "",
        "v_V": "V",
        "i_A": "A",
        "phase": phase_legend(EndurancePhase),
        "limit_hit": "",
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
    v_read = v_read_parameter("read voltage")
    compliance = compliance_parameter()
    nplc = nplc_parameter(0.01, "aperture of each step's reading")

    @classmethod
    def condition_defaults(cls, conditions: dict, given: dict) -> dict:
        """A nonvolatile device is reset (at the sweep's peak) instead of left to relax."""
        defaults = super().condition_defaults(conditions, given)
        if conditions.get("volatile") is False:
            defaults.update(reset_v=standard.SWEEP_V_MAX, relax=0.02)
        return defaults

    def estimated_duration(self) -> float:
        """At most: every cycle up to ``max_cycles`` (the run ends once the window closes)."""
        cycle = self.set_width + self.relax
        if self.reset_v > 0:
            cycle *= 2
        return self.max_cycles * cycle

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

    def cycle_levels(self, step: float, read: bool) -> tuple[list, int | None, int | None]:
        """One cycle's levels, and where its LRS and HRS reads are (None: no reads)."""
        pulse = [self.set_v] * max(1, round(self.set_width / step))
        rest = [0.0] * max(1, round(self.relax / step))
        levels = pulse + ([self.v_read] if read else [])
        lrs = len(pulse) if read else None
        levels += rest
        if self.reset_v > 0:
            levels += [-self.reset_v] * len(pulse) + rest
        if read:
            levels.append(self.v_read)
        return levels, lrs, (len(levels) - 1 if read else None)

    def execute(self, ctx: RunContext):
        smu = ctx.smu
        step = smu.actual_dwell(max(self.set_width, smu.step_time()))
        plain, _, _ = self.cycle_levels(step, read=False)
        reading, lrs_at, hrs_at = self.cycle_levels(step, read=True)
        done = 0
        ratios = []
        floor = 1e-3 * self.compliance
        for cycle in read_cycles(self.max_cycles, self.reads_per_decade):
            if cycle - 1 > done:
                smu.sweep(plain, step, int(cycle - 1 - done), lambda r: None, ctx.wait)
            lrs, hrs = self._read_cycle(ctx, int(cycle), reading, step, lrs_at, hrs_at)
            done = int(cycle)
            ratios.append(float(on_off(lrs, hrs, floor)))
            ctx.emit("progress", 100.0 * np.log10(cycle + 1) / np.log10(self.max_cycles + 1))
            if closed_at(ratios) is not None:
                return  # the window has closed

    def _read_cycle(self, ctx, cycle, levels, step, lrs_at, hrs_at) -> tuple[float, float]:
        """One cycle with its LRS and HRS reads; returns the two currents."""
        reads = {}

        def on_chunk(r):
            for k, where in ((lrs_at, EndurancePhase.LRS_READ), (hrs_at, EndurancePhase.HRS_READ)):
                hit = r.index == k
                if hit.any():
                    reads[where] = float(r.i[hit][0])
                    ctx.emit(
                        "batch",
                        {
                            "t_s": r.t[hit],
                            "cycle": np.array([cycle], np.int64),
                            "v_V": r.v[hit],
                            "i_A": r.i[hit],
                            "phase": np.array([where], np.int8),
                            "limit_hit": r.limit[hit].astype(np.int8),
                        },
                    )

        ctx.smu.sweep(levels, step, 1, on_chunk, ctx.wait)
        return reads[EndurancePhase.LRS_READ], reads[EndurancePhase.HRS_READ]

    def analyze(self, stored: StoredRun) -> EnduranceResult:
        """On/Off at each read cycle, from the reads in the file block by block (a read the
        measure range could not hold is missing: its cycle's On/Off is None)."""
        reads: dict[int, dict[int, float]] = {}
        for block in stored.chunks(["cycle", "phase", "i_A"]):
            for cycle, phase, current in zip(
                block["cycle"].tolist(), block["phase"].tolist(), block["i_A"].tolist(), strict=True
            ):
                reads.setdefault(cycle, {})[phase] = current
        cycles = sorted(reads)
        ratios = on_off(
            [reads[c].get(EndurancePhase.LRS_READ, np.nan) for c in cycles],
            [reads[c].get(EndurancePhase.HRS_READ, np.nan) for c in cycles],
            1e-3 * self.compliance,
        )
        found = endurance(cycles, ratios)
        return EnduranceResult(
            endurance_cycles=found["cycles"],
            endurance_censored=found["censored"],
            stats=EnduranceStats(
                endurance_cycles=EnduranceReads(
                    read_cycles=cycles,
                    on_off=[float(r) if np.isfinite(r) else None for r in ratios],
                    reason=found.get("reason"),
                )
            ),
        )

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
