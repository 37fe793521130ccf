"""Short- to long-term plasticity: pulse trains at several spacings, then a hold with reads.

Each train (``pulses`` of ``pulse_v`` for ``width`` every ``spacing``) starts from the
high-resistance state and is timed by the instrument; then the state is read at log-spaced
times up to ``hold``. A state that is still on at the end of the hold has consolidated
(long-term); one that decayed was short-term. Frequent stimulation consolidates where sparse
stimulation does not, as in a synapse.
"""

import math
from enum import IntEnum

import numpy as np

from .. import standard
from ..analysis.stimulus_response import SET_RISE, consolidated, log_slope
from ..instruments.smu import PulseTrain
from ..results import ProtocolResult, ResultModel, figure
from ..storage.stored_run import StoredRun
from .base import (
    BmrProcedure,
    Count,
    Quantity,
    QuantityList,
    compliance_parameter,
    nplc_parameter,
    phase_legend,
)
from .context import RunContext
from .hrs_recovery import back_to_hrs, hrs_read, read_floor


class StpLtpPhase(IntEnum):
    """What a row of an stp-ltp run is (the ``phase`` column)."""

    HRS_READ = 0
    TRAIN = 1
    HOLD_READ = 2


HOLD_READS = 12
SAMPLES_PER_PULSE = 2


class TrainOutcome(ResultModel):
    spacing_s: float = figure("s", "pulse period of the train", ...)
    set: bool = figure("", "the train set the device (a hold read above 3 x the HRS)", ...)
    long_term: bool = figure("", "still on at the end of the hold (consolidated)", ...)
    G_first_S: float | None = figure("S", "conductance at the first hold read")
    G_end_S: float | None = figure("S", "conductance at the last hold read")
    forgetting: float | None = figure(
        "",
        "slope of log G against log time after the train over the hold reads (decades per "
        "decade; about 0: kept, negative: forgotten)",
    )
    forgetting_se: float | None = figure("", "standard error of the forgetting slope")


class StpLtpResult(ProtocolResult):
    stp_ltp: list[TrainOutcome] = figure("", "one train per spacing, in the order run", ...)


class StpLtp(BmrProcedure[StpLtpResult]):
    name = "stp-ltp"
    title = "STP to LTP"
    description = (
        "Pulse trains at several spacings, each followed by reads over a hold: "
        "which spacings consolidate the state (long-term) and which decay."
    )
    COLUMNS = {
        "t_s": "s",
        "t_after_s": "s",
        "v_V": "V",
        "i_A": "A",
        "spacing_s": "s",
        "phase": phase_legend(StpLtpPhase),
        "limit_hit": "",
    }
    LIVE_PLOT = {"x": "t_s", "y": "i_A", "log_y": True, "abs_y": True, "group": "spacing_s"}
    Result = StpLtpResult

    pulse_v = Quantity(
        "pulse_v",
        units="V",
        minimum=1e-3,
        maximum=200.0,
        default=0.08,
        description="pulse amplitude",
    )
    width = Quantity(
        "width", units="s", minimum=1e-4, maximum=100.0, default=0.5, description="pulse width"
    )
    spacings = QuantityList(
        "spacings",
        units="s",
        minimum=1e-3,
        maximum=3600.0,
        default=[2.0, 5.0, 10.0, 20.0],
        description="pulse periods (start to start), multiples of half the width",
    )
    pulses = Count("pulses", minimum=1, maximum=10_000, default=10, description="per train")
    hold = Quantity(
        "hold",
        units="s",
        minimum=1e-3,
        maximum=1e6,
        default=100.0,
        description="reads after the train up to this time",
    )
    v_reset = Quantity(
        "v_reset",
        units="V",
        minimum=0.0,
        maximum=200.0,
        default=0.2,
        description="reset amplitude before each train; 0 = rest only",
    )
    compliance = compliance_parameter()
    nplc = nplc_parameter(0.1, "aperture of each sample")

    def estimated_duration(self) -> float:
        """Each train, its hold, and the rest (1 s) and reset before each train but the
        first."""
        reset = 1.0 + (20e-3 if self.v_reset > 0 else 0.0)
        trains = sum(self.pulses * spacing + self.hold for spacing in self.spacings)
        return trains + (len(self.spacings) - 1) * reset

    def check(self, station) -> None:
        guard = station.guard
        guard.check_voltage("pulse_v", self.pulse_v)
        guard.check_voltage("v_reset", -self.v_reset)
        guard.check_compliance("compliance", self.compliance)
        guard.check_pulse_width("width", self.width)

    def startup(self, ctx: RunContext):
        ctx.smu.configure(
            max_abs_v=max(self.pulse_v, self.v_reset), compliance=self.compliance, nplc=self.nplc
        )

    def execute(self, ctx: RunContext):
        smu = ctx.smu
        reference = hrs = hrs_read(ctx)
        floor = read_floor(ctx, self.compliance)
        for k, spacing in enumerate(self.spacings):
            if k:
                hrs, _ = back_to_hrs(ctx, reference, floor, 1.0, 600.0, self.v_reset, 20e-3)
            self._emit(
                ctx,
                [ctx.clock.now() - smu.t_origin],
                [math.nan],
                [standard.V_READ],
                [hrs],
                spacing,
                StpLtpPhase.HRS_READ,
                [False],
            )
            train = PulseTrain(
                self.pulse_v, self.width, 0.0, spacing, self.pulses, self.width / SAMPLES_PER_PULSE
            )

            def on_chunk(r, train=train, spacing=spacing):
                _, inside = train.pulse_of(r.index)
                self._emit(
                    ctx,
                    r.t[inside],
                    np.full(inside.sum(), math.nan),
                    r.v[inside],
                    r.i[inside],
                    spacing,
                    StpLtpPhase.TRAIN,
                    r.limit[inside],
                )

            smu.pulse_train(train, on_chunk, ctx.wait)
            self._hold(ctx, spacing)
            ctx.emit("progress", 100.0 * (k + 1) / len(self.spacings))

    def _hold(self, ctx: RunContext, spacing):
        t_end = ctx.clock.now()
        for t_read in np.logspace(
            math.log10(min(0.01, self.hold)), math.log10(self.hold), HOLD_READS
        ):
            ctx.wait(max(0.0, t_end + t_read - ctx.clock.now()))
            r = ctx.smu.read(standard.V_READ)
            self._emit(
                ctx,
                r.t,
                [ctx.clock.now() - t_end],
                r.v,
                r.i,
                spacing,
                StpLtpPhase.HOLD_READ,
                r.limit,
            )

    @staticmethod
    def _emit(ctx, t, t_after, v, i, spacing, phase, limit):
        n = len(t)
        ctx.emit(
            "batch",
            {
                "t_s": t,
                "t_after_s": t_after,
                "v_V": v,
                "i_A": i,
                "spacing_s": np.full(n, spacing),
                "phase": np.full(n, phase, np.int8),
                "limit_hit": np.asarray(limit).astype(np.int8),
            },
        )

    def analyze(self, stored: StoredRun) -> StpLtpResult:
        """Per spacing, from the HRS and hold reads (the train samples are passed over block
        by block: they are most of a long run)."""
        hrs, hold = StpLtpPhase.HRS_READ, StpLtpPhase.HOLD_READ
        reads: dict[float, dict[int, list[tuple[float, float]]]] = {
            spacing: {hrs: [], hold: []} for spacing in self.spacings
        }  # (time after the train, current) of each read
        for block in stored.chunks(["spacing_s", "phase", "t_after_s", "i_A"]):
            for phase in (hrs, hold):
                mine = block["phase"] == phase
                for spacing, t, current in zip(
                    block["spacing_s"][mine].tolist(),
                    block["t_after_s"][mine].tolist(),
                    block["i_A"][mine].tolist(),
                    strict=True,
                ):
                    if spacing in reads:
                        reads[spacing][phase].append((t, current))
        rows = []
        for spacing in self.spacings:
            t_after = [t for t, _ in reads[spacing][hold]]
            g = np.abs([i for _, i in reads[spacing][hold]]) / standard.V_READ
            first = np.abs([i for _, i in reads[spacing][hrs]])
            g_off = max(float(first[0]) if first.size else 0.0, 1e-15) / standard.V_READ
            was_set = bool(g.size and g.max() > SET_RISE * g_off)
            on = was_set and consolidated(float(g[-1]), float(g.max()), g_off)
            slope, slope_se = log_slope(t_after, g)
            rows.append(
                TrainOutcome(
                    spacing_s=spacing,
                    set=was_set,
                    long_term=on,
                    G_first_S=float(g[0]) if g.size else None,
                    G_end_S=float(g[-1]) if g.size else None,
                    forgetting=slope,
                    forgetting_se=slope_se,
                )
            )
        return StpLtpResult(stp_ltp=rows)
