"""Multilevel: the state a set pulse leaves against the compliance current it ran under.

For each compliance (``repeats`` times, each from the high-resistance state): reconfigure
the current limit, one set pulse, then a read at the read voltage under the largest limit
(so the limit does not clip the read). A filament grown under a
larger current is often thicker (a lower resistance): the number of distinct levels is how
many states the compliance selects.
"""

import numpy as np

from .. import standard
from ..analysis.stimulus_response import levels
from ..results import ProtocolResult, ResultModel, figure
from ..storage.stored_run import StoredRun
from .base import BmrProcedure, Count, Quantity, QuantityList, nplc_parameter, set_pulse_parameters
from .context import RunContext
from .hrs_recovery import back_to_hrs, hrs_read


class Levels(ResultModel):
    compliance_A: list[float] = figure("A", "current limit of the set pulses", ...)
    state_S: list[float | None] = figure("S", "median conductance read after the sets", ...)
    state_S_ci_low: list[float | None] = figure(
        "S", "95 % confidence interval of the median state, low end (bootstrap over repeats)", ...
    )
    state_S_ci_high: list[float | None] = figure(
        "S", "95 % confidence interval of the median state, high end", ...
    )
    n: list[int] = figure("", "reads at each compliance", ...)
    distinct_levels: int = figure("", "median states at least twofold apart", ...)
    slope: float | None = figure(
        "", "slope of log state against log compliance, fitted to every read"
    )
    slope_se: float | None = figure("", "standard error of the slope")


class MultilevelResult(ProtocolResult):
    multilevel: Levels


class Multilevel(BmrProcedure[MultilevelResult]):
    name = "multilevel"
    title = "Multilevel states"
    description = (
        "Set pulses under several compliance currents, each followed by a read: "
        "the state against the compliance and the number of distinct levels."
    )
    COLUMNS = {
        "t_s": "s",
        "v_V": "V",
        "i_A": "A",
        "compliance_A": "A",
        "repeat": "",
        "limit_hit": "",
    }
    LIVE_PLOT = {"x": "compliance_A", "y": "i_A", "log_x": True, "log_y": True, "abs_y": True}
    Result = MultilevelResult

    compliances = QuantityList(
        "compliances",
        units="A",
        minimum=1e-9,
        maximum=1.0,
        default=[0.1e-6, 0.3e-6, 1e-6, 3e-6, 10e-6],
        description="current limits of the set pulses",
    )
    set_v, set_width = set_pulse_parameters()
    repeats = Count("repeats", minimum=1, maximum=1000, default=5, description="per level")
    v_reset = Quantity(
        "v_reset",
        units="V",
        minimum=0.0,
        maximum=200.0,
        default=0.2,
        description="reset amplitude between sets; 0 = rest only",
    )
    nplc = nplc_parameter(0.05, "aperture of each reading")

    def estimated_duration(self) -> float:
        """Each set pulse after one rest (0.5 s, doubled only if the HRS is slow to come
        back) and a reset if there is one."""
        reset = 20e-3 if self.v_reset > 0 else 0.0
        return len(self.compliances) * self.repeats * (0.5 + reset + self.set_width)

    def check(self, station) -> None:
        guard = station.guard
        guard.check_voltage("set_v", self.set_v)
        guard.check_voltage("v_reset", -self.v_reset)
        for c in self.compliances:
            guard.check_compliance("compliances", c)
        guard.check_pulse_width("set_width", self.set_width)

    def startup(self, ctx: RunContext):
        self._configure(ctx, max(self.compliances))

    def _configure(self, ctx: RunContext, compliance: float) -> None:
        ctx.smu.configure(
            max_abs_v=max(self.set_v, self.v_reset), compliance=compliance, nplc=self.nplc
        )

    def execute(self, ctx: RunContext):
        smu = ctx.smu
        reference = hrs_read(ctx)
        floor = 10 * smu.current_resolution
        total, done = len(self.compliances) * self.repeats, 0
        for compliance in self.compliances:
            for repeat in range(1, self.repeats + 1):
                back_to_hrs(ctx, reference, floor, 0.5, 60.0, self.v_reset, 20e-3)
                self._configure(ctx, compliance)
                smu.pulse(self.set_v, self.set_width, ctx.wait)
                self._configure(ctx, max(self.compliances))  # a read the limit does not clip
                r = smu.read(standard.V_READ)
                ctx.emit(
                    "batch",
                    {
                        "t_s": r.t,
                        "v_V": r.v,
                        "i_A": r.i,
                        "compliance_A": [compliance],
                        "repeat": np.array([repeat], np.int32),
                        "limit_hit": r.limit.astype(np.int8),
                    },
                )
                done += 1
                ctx.emit("progress", 100.0 * done / total)

    def analyze(self, stored: StoredRun) -> MultilevelResult:
        """One read per set pulse: a small run, read whole."""
        reads = stored.columns(["compliance_A", "i_A"])
        return MultilevelResult(
            multilevel=Levels(
                **levels(reads["compliance_A"], np.abs(reads["i_A"]) / standard.V_READ)
            )
        )
