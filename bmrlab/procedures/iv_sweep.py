"""I-V sweep: staircase loops 0 -> +v_max -> 0 (-> -v_neg -> 0) run on the instrument.

The whole cycle, repeated ``cycles`` times, is uploaded as a source list and timed by the
SMU; bmrlab only reads the buffer in chunks while it runs. A cycle is: ``rest`` at 0 V (a
volatile device relaxes), one read at ``v_read`` (the HRS current, from the relaxed state),
then the staircase. A bipolar sweep ends with one control cycle (cycle 0): the same positive
branch, then 0 V for as long as the negative branch lasts, with a few reads at ``v_read``: a
state that the negative branch removed but that also vanishes at 0 V was not reset by it.
The ``phase`` column tells them apart. With a ``precision`` (characterize asks for 10 %),
more cycles follow, one at a time up to ``max_cycles``, until the median Vset's 95 %
interval is within +-``precision`` of it (or fewer than half the cycles set: more do not
give a Vset); the control cycle comes last.
"""

import numpy as np

from .. import standard
from ..analysis.iv import IvPhase, analyze_cycle, summarize_iv, vset_spread
from ..analysis.uncertainty import known_within
from ..errors import BadInput
from ..results import ProtocolResult, ResultModel, Spread, figure, flag
from ..storage.stored_run import StoredRun
from ..units import format_quantity
from .base import (
    BmrProcedure,
    Count,
    Quantity,
    compliance_parameter,
    nplc_parameter,
    phase_legend,
    precision_parameters,
    v_read_parameter,
)
from .context import RunContext

FLOOR_RESOLUTIONS = 10  # an HRS read within this many resolutions of 0 is the floor
HOLD_READS = 8  # reads spread over the control cycle's hold (sparse: reads feed a filament)
CONTROL_CYCLE = 0  # the control's number in the cycle column: not one of the `cycles` loops


def cycle_levels(v_max, v_neg, step, v_read, rest_points) -> tuple[np.ndarray, np.ndarray]:
    """Levels and phases of one cycle: rest, HRS read, 0 -> +v_max -> 0 (-> -v_neg -> 0)."""

    def ramp(stop):
        n = max(1, int(round(abs(stop) / step)))
        return np.linspace(0.0, stop, n + 1)

    up = ramp(v_max)
    legs = [up, up[::-1][1:]]
    if v_neg > 0:
        down = ramp(-v_neg)
        legs += [down[1:], down[::-1][1:]]
    sweep = np.concatenate(legs)
    levels = np.concatenate([np.zeros(rest_points), [v_read], sweep])
    phases = np.concatenate(
        [np.full(rest_points, IvPhase.REST), [IvPhase.READ], np.full(sweep.size, IvPhase.SWEEP)]
    )
    return levels, phases.astype(np.int8)


def control_levels(v_max, v_neg, step, v_read, rest_points) -> tuple[np.ndarray, np.ndarray]:
    """Levels and phases of the control cycle of a bipolar sweep: rest, HRS read,
    0 -> +v_max -> 0, then 0 V for as many steps as the negative branch takes to reach
    -v_neg, with ``HOLD_READS`` reads at ``v_read`` evenly spread over them, the last at
    the end (the k-th step of the hold comes as long after the down branch as the k-th of
    the negative branch)."""
    levels, phases = cycle_levels(v_max, 0.0, step, v_read, rest_points)
    n = max(HOLD_READS, int(round(v_neg / step)))
    hold = np.zeros(n)
    hold_phases = np.full(n, IvPhase.HOLD, dtype=np.int8)
    reads = np.round(np.linspace(n / HOLD_READS, n, HOLD_READS)).astype(int) - 1
    hold[reads], hold_phases[reads] = v_read, IvPhase.HOLD_READ
    return np.concatenate([levels, hold]), np.concatenate([phases, hold_phases])


class ResetCounts(ResultModel):
    """How many cycles ended their low-resistance state in each way (analysis/iv.py,
    ``ResetKind``): only a field-driven reset gives a Vreset."""

    field_driven: int = figure(
        "",
        "conductance fell tenfold within three steps on the negative branch, beyond v_read, "
        "while a hold at 0 V still kept the state",
        0,
    )
    relaxed_positive: int = figure(
        "", "fell on the way down the positive branch (relaxed by itself)", 0
    )
    relaxed_near_zero: int = figure(
        "", "fell on the negative branch within v_read of 0 V (relaxed by itself)", 0
    )
    relaxed_at_zero_bias: int = figure(
        "",
        "fell on the negative branch later than the control cycle still held its state at 0 V "
        "(relaxed by itself)",
        0,
    )
    gradual: int = figure("", "fell over more than three steps (a dissolving filament)", 0)
    held: int = figure("", "kept the low-resistance state through the sweep", 0)
    no_set: int = figure("", "did not set: nothing to reset", 0)


class ZeroBiasHold(ResultModel):
    """The control cycle of a bipolar sweep: how long its state lasted at 0 V after the
    down branch, where the other cycles swept the negative branch."""

    held_ms: float = figure(
        "ms", "time after the down branch of the last read that still found the LRS", ...
    )
    held_through: bool = figure("", "the LRS was still there at the last read", ...)


class IvStats(ResultModel):
    vset_mV: Spread = figure("mV", "set voltage per cycle", ...)
    vreset_mV: Spread = figure("mV", "field-driven reset voltage per cycle (bipolar sweeps)", ...)
    on_off_ratio: Spread = figure("", "LRS/HRS current at v_read per cycle", ...)
    hrs_A: Spread = figure("A", "HRS read current per cycle", ...)
    lrs_A: Spread = figure("A", "LRS current near v_read on the way down, per cycle", ...)
    lrs_power_nW: Spread = figure("nW", "v_read x LRS current per cycle that set", ...)
    resets: ResetCounts = figure("", "how each cycle's low-resistance state ended", ...)
    zero_bias_hold: ZeroBiasHold | None = figure(
        "", "the control cycle's hold at 0 V (None: unipolar sweep, or it did not set)"
    )
    cycles: int = figure("", "cycles analysed", ...)


class IvSweepResult(ProtocolResult):
    vset_mV: float | None = figure("mV", "median set voltage")
    vreset_mV: float | None = figure(
        "mV", "median field-driven reset voltage (None: see stats.vreset_mV.reason)"
    )
    on_off_ratio: float | None = figure("", "median On/Off at v_read")
    on_off_lower_bound: bool = flag("on_off_ratio", "lower bound: HRS at the current floor")
    lrs_power_nW: float | None = figure("nW", "median power in the LRS at v_read")
    stats: IvStats


class VsetWatch:
    """Each finished cycle's Vset as its rows arrive, one cycle held at a time: what the
    precision rule asks of the cycles so far."""

    def __init__(self, sweep: "IvSweep"):
        self.sweep = sweep
        self.vsets: list[float | None] = []
        self._cycle = -1
        self._rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, cycle: np.ndarray, v_src: np.ndarray, i: np.ndarray, phase: np.ndarray):
        for number in np.unique(cycle):  # chunks run in cycle order
            if number != self._cycle:
                self._finish()
                self._cycle = number
            here = cycle == number
            self._rows.append((v_src[here], i[here], phase[here]))

    def _finish(self) -> None:
        if self._rows:
            v_src, i, phase = (np.concatenate(column) for column in zip(*self._rows, strict=True))
            self.vsets.append(self.sweep.cycle_figures(v_src, i, phase)["vset_V"])
        self._rows = []

    def known(self, precision: float) -> bool:
        """Whether the cycles so far give the Vset to within ``precision``, or cannot
        (fewer than half of them set)."""
        self._finish()  # a sweep has ended: its last cycle is complete
        self._cycle = -1
        vset = vset_spread(self.vsets)
        if vset["median"] is None:
            return True
        return known_within(vset["median"], vset["ci_low"], vset["ci_high"], precision)


class IvSweep(BmrProcedure[IvSweepResult]):
    name = "iv-sweep"
    rank = 1
    title = "I-V sweep"
    description = (
        "Staircase I-V loops with current compliance; Vset, field-driven Vreset, "
        "On/Off and LRS power per cycle, with the median, its 95 % CI and the 5-95 % "
        "spread; how each cycle's low-resistance state ended."
    )
    COLUMNS = {
        "t_s": "s",
        "v_V": "V",
        "v_src_V": "V",
        "i_A": "A",
        "cycle": "",
        "phase": phase_legend(IvPhase),
        "limit_hit": "",
    }
    LIVE_PLOT = {
        "x": "v_src_V",
        "y": "i_A",
        "log_y": True,
        "abs_y": True,
        "group": "cycle",
        "segment": "phase",
        "hide": {"phase": [IvPhase.REST, IvPhase.HOLD]},
    }
    Result = IvSweepResult

    v_max = Quantity(
        "v_max",
        units="V",
        minimum=1e-3,
        maximum=200.0,
        default=standard.SWEEP_V_MAX,
        description="peak of the positive branch",
    )
    v_neg = Quantity(
        "v_neg",
        units="V",
        minimum=0.0,
        maximum=200.0,
        default=0.0,
        description="magnitude of the negative branch; 0 = unipolar",
    )
    step = Quantity(
        "step",
        units="V",
        minimum=0.1e-3,
        maximum=1.0,
        default=standard.SWEEP_STEP_V,
        description="voltage step",
    )
    dwell = Quantity(
        "dwell",
        units="s",
        minimum=50e-6,
        maximum=10.0,
        default=standard.SWEEP_DWELL_S,
        description="time per step (step/dwell is the sweep rate)",
    )
    compliance = compliance_parameter()
    nplc = nplc_parameter(0.05, "measurement aperture in power-line cycles")
    cycles = Count(
        "cycles",
        minimum=1,
        maximum=100_000,
        default=standard.IV_CYCLES,
        description="number of loops",
    )
    max_cycles, precision = precision_parameters("cycles", "median Vset")
    v_read = v_read_parameter("voltage at which On/Off is evaluated")
    rest = Quantity(
        "rest",
        units="s",
        minimum=0.0,
        maximum=3600.0,
        default=standard.IV_REST_S,
        description="time at 0 V before each cycle",
    )

    @classmethod
    def condition_defaults(cls, conditions: dict, given: dict) -> dict:
        """The device's test conditions: a nonvolatile device is cycled bipolar (set on
        +v_max, reset on -v_neg); its compliance and sweep rate, where they are known."""
        defaults = super().condition_defaults(conditions, given)
        if conditions.get("volatile") is False:
            defaults["v_neg"] = cls.v_max.default
        if "sweep_dwell_s" in conditions:
            defaults["dwell"] = conditions["sweep_dwell_s"]
        return defaults

    def cycle(self) -> tuple[np.ndarray, np.ndarray]:
        return cycle_levels(
            self.v_max, self.v_neg, self.step, self.v_read, int(round(self.rest / self.dwell))
        )

    def most_cycles(self) -> int:
        """The cycles the run may take: ``cycles``, or up to ``max_cycles`` for its precision."""
        return max(self.cycles, self.max_cycles) if self.precision else self.cycles

    def estimated_duration(self) -> float:
        return self.most_cycles() * len(self.cycle()[0]) * self.dwell

    def check(self, station) -> None:
        guard = station.guard
        guard.check_voltage("v_max", self.v_max)
        guard.check_voltage("v_neg", -self.v_neg)
        guard.check_compliance("compliance", self.compliance)
        self.check_fits_a_reading(station, "dwell")
        if self.v_read >= self.v_max:
            raise BadInput(
                f"v_read = {format_quantity(self.v_read, 'V')} is not allowed: it "
                f"must be below v_max = {format_quantity(self.v_max, 'V')}"
            )

    def startup(self, ctx: RunContext):
        ctx.smu.configure(
            max_abs_v=max(self.v_max, self.v_neg), compliance=self.compliance, nplc=self.nplc
        )

    def control(self) -> tuple[np.ndarray, np.ndarray]:
        return control_levels(
            self.v_max, self.v_neg, self.step, self.v_read, int(round(self.rest / self.dwell))
        )

    def execute(self, ctx: RunContext):
        levels, phases = self.cycle()
        control = self.control() if self.v_neg > 0 else None  # a bipolar sweep has one
        total = len(levels) * self.most_cycles() + (len(control[0]) if control else 0)
        watch = VsetWatch(self) if self.precision else None

        def emitter(levels, phases, first_cycle, done):
            def on_chunk(readings):
                within = readings.index % len(levels)
                cycle = (readings.index // len(levels) + first_cycle).astype(np.int32)
                ctx.emit(
                    "batch",
                    {
                        "t_s": readings.t,
                        "v_V": readings.v,
                        "v_src_V": levels[within],
                        "i_A": readings.i,
                        "cycle": cycle,
                        "phase": phases[within],
                        "limit_hit": readings.limit.astype(np.int8),
                    },
                )
                if watch is not None:
                    watch.add(cycle, levels[within], readings.i, phases[within])
                ctx.emit("progress", 100.0 * (done + readings.index[-1] + 1) / total)

            return on_chunk

        ctx.smu.sweep(levels, self.dwell, self.cycles, emitter(levels, phases, 1, 0), ctx.wait)
        done = self.cycles
        while watch is not None and done < self.max_cycles and not watch.known(self.precision):
            ctx.smu.sweep(
                levels,
                self.dwell,
                1,
                emitter(levels, phases, done + 1, done * len(levels)),
                ctx.wait,
            )
            done += 1
        if control is not None:
            sourced, phases_of_control = control
            ctx.smu.sweep(
                sourced,
                self.dwell,
                1,
                emitter(sourced, phases_of_control, CONTROL_CYCLE, len(levels) * done),
                ctx.wait,
            )

    def cycle_figures(self, v_src: np.ndarray, i: np.ndarray, phase: np.ndarray) -> dict:
        """One cycle's figures under this sweep's compliance, read voltage and step."""
        return analyze_cycle(
            v_src, i, phase, compliance=self.compliance, v_read=self.v_read, step=self.step
        )

    def analyze(self, stored: StoredRun) -> IvSweepResult:
        """Cycle by cycle from the file (one cycle in memory), then the spreads."""
        cycles, bipolar = [], False
        for _, cycle in stored.groups("cycle", ["v_src_V", "i_A", "phase"]):
            cycles.append(self.cycle_figures(cycle["v_src_V"], cycle["i_A"], cycle["phase"]))
            bipolar |= bool(np.any(cycle["v_src_V"][cycle["phase"] == IvPhase.SWEEP] < 0))
        floor = FLOOR_RESOLUTIONS * stored.smu_settings["current_resolution_A"]
        return IvSweepResult.model_validate(
            summarize_iv(cycles, bipolar=bipolar, current_floor=floor, step_s=self.dwell)
        )

    def save_figures(self, stored, result, directory, stem):
        from ..plotting import iv_loops, vset_histogram  # matplotlib only when asked for

        files = [iv_loops(stored, result, directory / f"{stem}_iv.png")]
        if result is not None:  # a run that did not finish has no figures to histogram
            files.append(vset_histogram(result, directory / f"{stem}_vset.png"))
        return files
