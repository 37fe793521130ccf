"""Read disturb: many reads at the read voltage on one state, timed by the instrument.

With ``lrs=true`` a set pulse puts the device in its low-resistance state first; then
``reads`` readings every ``interval`` at ``v_read`` (a time trace at a fixed bias, ramped
to). Does the read voltage slowly switch (HRS) or sustain (LRS) the state?
"""

import numpy as np

from ..analysis.stimulus_response import read_drift
from ..results import ProtocolResult, ResultModel, figure
from ..storage.stored_run import StoredRun
from .base import (
    BmrProcedure,
    Count,
    Flag,
    Quantity,
    compliance_parameter,
    nplc_parameter,
    set_pulse_parameters,
    v_read_parameter,
)
from .context import RunContext

ANALYSIS_BLOCK = 1 << 16  # reads analysed at a time: the analysis's arrays stay under 1 MB


class ReadDrift(ResultModel):
    G_start_S: float | None = figure("S", "median conductance of the first five reads")
    G_start_S_ci_low: float | None = figure("S", "95 % confidence interval of G_start, low end")
    G_start_S_ci_high: float | None = figure("S", "95 % confidence interval of G_start, high end")
    G_end_S: float | None = figure("S", "median conductance of the last five reads")
    G_end_S_ci_low: float | None = figure("S", "95 % confidence interval of G_end, low end")
    G_end_S_ci_high: float | None = figure("S", "95 % confidence interval of G_end, high end")
    change: float | None = figure("", "G_end / G_start")
    decades_per_decade: float | None = figure("", "slope of log G against log time")
    decades_per_decade_se: float | None = figure(
        "", "standard error of the slope (the reads taken as independent: a lower bound)"
    )
    disturbed_after_s: float | None = figure(
        "s", "time from which the state stayed more than tenfold away (None: never)"
    )
    reason: str | None = figure("", "why there are no figures")


class ReadDisturbResult(ProtocolResult):
    read_disturb: ReadDrift


class ReadDisturb(BmrProcedure[ReadDisturbResult]):
    name = "read-disturb"
    title = "Read disturb"
    description = (
        "N reads at the read voltage on the HRS or on a freshly set LRS: the drift "
        "of the state and the read at which it was disturbed, if any."
    )
    COLUMNS = {"t_s": "s", "t_trace_s": "s", "v_V": "V", "i_A": "A", "limit_hit": ""}
    LIVE_PLOT = {"x": "t_trace_s", "y": "i_A", "log_x": True, "log_y": True, "abs_y": True}
    Result = ReadDisturbResult

    lrs = Flag(
        "lrs", default=False, description="set the device first and read its LRS (else the HRS)"
    )
    reads = Count(
        "reads", minimum=10, maximum=1_000_000_000, default=10_000, description="number of reads"
    )
    interval = Quantity(
        "interval",
        units="s",
        minimum=1e-4,
        maximum=3600.0,
        default=1e-3,
        description="time between reads",
    )
    v_read = v_read_parameter("read voltage")
    set_v, set_width = set_pulse_parameters(" (lrs=true)", " (lrs=true)")
    compliance = compliance_parameter()
    nplc = nplc_parameter(0.01, "aperture of each read")

    def check(self, station) -> None:
        station.guard.check_voltage("v_read", self.v_read)
        station.guard.check_voltage("set_v", self.set_v)
        station.guard.check_compliance("compliance", self.compliance)
        station.guard.check_pulse_width("set_width", self.set_width)
        self.check_fits_a_reading(station, "interval")

    def estimated_duration(self) -> float:
        return self.reads * self.interval

    def startup(self, ctx: RunContext):
        ctx.smu.configure(
            max_abs_v=max(self.set_v, self.v_read), compliance=self.compliance, nplc=self.nplc
        )

    def execute(self, ctx: RunContext):
        if self.lrs:
            ctx.smu.pulse(self.set_v, self.set_width, ctx.wait)

        def on_chunk(r):
            ctx.emit(
                "batch",
                {
                    "t_s": r.t,
                    "t_trace_s": r.elapsed,
                    "v_V": r.v,
                    "i_A": r.i,
                    "limit_hit": r.limit.astype(np.int8),
                },
            )
            ctx.emit("progress", 100.0 * (r.index[-1] + 1) / self.reads)

        ctx.smu.time_trace(self.v_read, self.interval, self.reads, on_chunk, ctx.wait)

    def analyze(self, stored: StoredRun) -> ReadDisturbResult:
        """The drift of the reads, read from the file block by block (a few passes)."""

        def reads():
            for block in stored.chunks(["t_trace_s", "i_A"], rows=ANALYSIS_BLOCK):
                yield block["t_trace_s"] + self.interval, block["i_A"] / self.v_read

        return ReadDisturbResult(read_disturb=ReadDrift(**read_drift(reads)))
