"""Paired pulse: two equal pulses separated by an interval, over log-spaced intervals.

With ``source=smu`` each pair is one instrument-timed list (pulse, 0 V for the interval,
pulse, 0 V) with one step per pulse width, sampled at every step on a fixed low current
range; intervals are whole numbers of steps (the data record the interval really used).
With ``source=generator`` the station's pulse generator fires the pair as a burst of two
(``BURS:NCYC 2``) into a time trace the SMU takes at 0 V (it measures the device current the
generator drives); the pulses are found in the trace. Each pair starts from the relaxed
state after ``rest``.
"""

import numpy as np

from ..analysis.paired_pulse import (
    PAIR_COLUMNS,
    PairedPulsePhase,
    fit_ppf,
    median_with_interval,
    pair_currents,
    ppf_index,
)
from ..errors import BadInput
from ..instruments.pulse_generator import PulseGenerator
from ..result_rows import error_text
from ..results import ProtocolResult, ResultModel, figure
from ..storage.stored_run import StoredRun
from ..units import format_quantity
from .base import (
    BmrProcedure,
    Choice,
    Count,
    Curve,
    Quantity,
    QuantityList,
    ResultPlot,
    compliance_parameter,
    nplc_parameter,
    phase_legend,
)
from .context import RunContext

TRACE_MARGIN_S = 5e-3  # a generator's pair lands in the trace after the host's latency


class PpfFit(ResultModel):
    """1 + C1 exp(-dt / tau1) + C2 exp(-dt / tau2); C2 = 0 when one term is fitted. Each
    parameter has its standard error (``_se``, from the covariance of the weighted fit over
    the pairs; None where the fit does not determine it)."""

    C1: float = figure("", "amplitude of the first (faster) term", ...)
    C1_se: float | None = figure("", "standard error of C1")
    tau1_ms: float = figure("ms", "time constant of the first term", ...)
    tau1_ms_se: float | None = figure("ms", "standard error of tau1")
    C2: float = figure("", "amplitude of the second term (0: one term)", ...)
    C2_se: float | None = figure("", "standard error of C2")
    tau2_ms: float | None = figure("ms", "time constant of the second term")
    tau2_ms_se: float | None = figure("ms", "standard error of tau2")
    terms: int = figure("", "exponential terms fitted (1 or 2)", ...)

    def index(self, interval_ms) -> np.ndarray:
        """The fitted index at ``interval_ms``."""
        dt = np.asarray(interval_ms, dtype=float)
        index = 1 + self.C1 * np.exp(-dt / self.tau1_ms)
        return index + (self.C2 * np.exp(-dt / self.tau2_ms) if self.tau2_ms else 0.0)

    def formula(self) -> str:
        """``1 + 0.38 exp(-dt / (32 ± 8 ms))``, with the second term when there is one (a
        time constant with its standard error where there is one)."""
        terms = [
            f"{c:.2f} exp(-dt / {_constant(tau, se)})"
            for c, tau, se in (
                (self.C1, self.tau1_ms, self.tau1_ms_se),
                (self.C2, self.tau2_ms, self.tau2_ms_se),
            )
            if tau
        ]
        return "1 + " + " + ".join(terms)


def _constant(tau_ms: float, se_ms: float | None) -> str:
    """``32.3 ms``, or ``(32.3 ± 7.9 ms)`` with its standard error."""
    if se_ms is None:
        return format_quantity(tau_ms * 1e-3, "s", 3)
    return f"({error_text(tau_ms, se_ms, 'ms')})"


class Ppf(ResultModel):
    interval_ms: list[float] = figure("ms", "interval between the pulses, as run", ...)
    index: list[float | None] = figure(
        "", "median PPF index A2/A1 of the pairs at each interval (None: no pair gave one)", ...
    )
    index_ci_low: list[float | None] = figure(
        "", "95 % confidence interval of the median index, low end (bootstrap over the pairs)", ...
    )
    index_ci_high: list[float | None] = figure(
        "", "95 % confidence interval of the median index, high end", ...
    )
    n: list[int] = figure("", "pairs that gave an index at each interval", ...)
    ppf_at_shortest: float | None = figure("", "median PPF index at the shortest interval")
    fit: PpfFit | None = figure(
        "",
        "exponential decay of the index with the interval, fitted to the pairs weighted by "
        "the spread at their interval (None: fewer than three intervals, or no fit)",
    )


class PairedPulseResult(ProtocolResult):
    ppf: Ppf


class PairedPulse(BmrProcedure[PairedPulseResult]):
    name = "paired-pulse"
    rank = 5
    title = "Paired pulse"
    description = (
        "Two equal pulses against their interval (log-spaced): the PPF index "
        "A2/A1 and its double-exponential decay."
    )
    COLUMNS = {
        "t_s": "s",
        "t_pair_s": "s",
        "v_V": "V",
        "i_A": "A",
        "interval_s": "s",
        "pair": "",
        "phase": phase_legend(PairedPulsePhase),
        "limit_hit": "",
    }
    LIVE_PLOT = {
        "x": "t_pair_s",
        "y": "i_A",
        "log_y": True,
        "abs_y": True,
        "group": "pair",
        "legend": "interval_s",
        "segment": "phase",
        "hide": {"phase": [0]},
        "symbols": True,
    }
    Result = PairedPulseResult

    pulse_v = Quantity(
        "pulse_v",
        units="V",
        minimum=1e-3,
        maximum=200.0,
        default=0.1,
        description="amplitude of both pulses",
    )
    width = Quantity(
        "width",
        units="s",
        minimum=1e-4,
        maximum=10.0,
        default=1e-3,
        description="width of both pulses",
    )
    intervals = QuantityList(
        "intervals",
        units="s",
        minimum=1e-4,
        maximum=100.0,
        default=[float(f"{x:.3g}") for x in np.logspace(-3, 0, 10)],
        description="gaps from the end of the first pulse to the start of the second",
    )
    repeats = Count(
        "repeats",
        minimum=1,
        maximum=1000,
        default=10,
        description="pairs per interval (the median index is used)",
    )
    rest = Quantity(
        "rest",
        units="s",
        minimum=0.0,
        maximum=3600.0,
        default=0.5,
        description="at 0 V before each pair",
    )
    compliance = compliance_parameter()
    current_range = Quantity(
        "current_range",
        units="A",
        minimum=1e-12,
        maximum=1.0,
        default=10e-9,
        description="fixed measure range (pA responses)",
    )
    nplc = nplc_parameter(0.04, "aperture of each sample")
    source = Choice(
        "source", choices=["smu", "generator"], default="smu", description="what makes the pulses"
    )

    def check(self, station) -> None:
        guard = station.guard
        guard.check_voltage("pulse_v", self.pulse_v)
        guard.check_compliance("compliance", self.compliance)
        guard.check_pulse_width("width", self.width)
        if self.source == "generator":
            if not station.has_generator:
                raise BadInput(
                    f"source = generator is not allowed: {station.source} has no "
                    "instrument with the role pulse_generator"
                )
            PulseGenerator.check(
                station.guard,
                station.generator_class,
                "pulse_v",
                self.pulse_v,
                self.width,
                self.width + min(self.intervals),
                2,
            )
        self.check_fits_a_reading(station, "width")

    def estimated_duration(self) -> float:
        return self.repeats * sum(
            self.rest + 3 * self.width + interval for interval in self.intervals
        )

    def startup(self, ctx: RunContext):
        ctx.smu.configure(
            max_abs_v=self.pulse_v,
            compliance=self.compliance,
            nplc=self.nplc,
            current_range=self.current_range,
        )

    def execute(self, ctx: RunContext):
        fire = self._fire_from_generator if self.source == "generator" else self._fire_from_smu
        total, pair = len(self.intervals) * self.repeats, 0
        for interval in self.intervals:
            for _ in range(self.repeats):
                pair += 1
                ctx.wait(self.rest)
                fire(ctx, pair, interval)
                ctx.emit("progress", 100.0 * pair / total)

    def _fire_from_smu(self, ctx: RunContext, pair: int, interval: float) -> None:
        """One pair as an instrument list, sampled at every step (the interval in whole
        steps: the data record the one really used)."""
        step = ctx.smu.actual_dwell(self.width)
        gap = max(1, round(interval / step))
        levels = [self.pulse_v] + [0.0] * gap + [self.pulse_v] + [0.0]
        phase = PairedPulsePhase
        phases = np.array(
            [phase.FIRST_PULSE] + [phase.INTERVAL] * gap + [phase.SECOND_PULSE, phase.INTERVAL],
            np.int8,
        )
        ctx.smu.sweep(levels, step, 1, self._keeper(ctx, pair, gap * step, phases), ctx.wait)

    def _fire_from_generator(self, ctx: RunContext, pair: int, interval: float) -> None:
        """One pair from the generator, into an SMU time trace at 0 V started just before."""
        smu, generator = ctx.smu, ctx.station.generator
        step = smu.actual_dwell(smu.step_time())
        points = int((2 * self.width + interval + 2 * TRACE_MARGIN_S) / step) + 1

        def on_chunk(r):
            n = len(r.index)
            ctx.emit(
                "batch",
                {
                    "t_s": r.t,
                    "t_pair_s": r.elapsed,
                    "v_V": r.v,
                    "i_A": r.i,
                    "interval_s": np.full(n, interval),
                    "pair": np.full(n, pair, np.int32),
                    "phase": np.full(n, PairedPulsePhase.TRACE, np.int8),
                    "limit_hit": r.limit.astype(np.int8),
                },
            )

        smu.time_trace(
            0.0,
            step,
            points,
            on_chunk,
            ctx.wait,
            after_start=lambda: generator.paired(self.pulse_v, self.width, interval),
        )

    @staticmethod
    def _keeper(ctx, pair, interval, phases):
        def on_chunk(r):
            keep = r.index < len(phases) - 1
            n = int(keep.sum())
            ctx.emit(
                "batch",
                {
                    "t_s": r.t[keep],
                    "t_pair_s": r.elapsed[keep],
                    "v_V": r.v[keep],
                    "i_A": r.i[keep],
                    "interval_s": np.full(n, interval),
                    "pair": np.full(n, pair, np.int32),
                    "phase": phases[r.index[keep]],
                    "limit_hit": r.limit[keep].astype(np.int8),
                },
            )

        return on_chunk

    def analyze(self, stored: StoredRun) -> PairedPulseResult:
        """The median index of the pairs at each interval with its confidence interval (one
        pair in memory at a time), then the fit of the pairs' indices against the interval."""
        by_interval: dict[float, tuple[list, list]] = {}
        for a1, a2, interval in pair_currents(stored.groups("pair", PAIR_COLUMNS)):
            first, second = by_interval.setdefault(interval, ([], []))
            first.append(a1)
            second.append(a2)
        dts = sorted(by_interval)
        indices = [ppf_index(*by_interval[dt]) for dt in dts]
        summaries = [median_with_interval(index) for index in indices]
        medians, lows, highs, counts = ([s[k] for s in summaries] for k in range(4))
        fit = fit_ppf(
            [dt for dt, index in zip(dts, indices, strict=True) for _ in index],
            [value for index in indices for value in index],
        )
        return PairedPulseResult(
            ppf=Ppf(
                interval_ms=[d * 1e3 for d in dts],
                index=medians,
                index_ci_low=lows,
                index_ci_high=highs,
                n=counts,
                ppf_at_shortest=medians[0] if dts else None,
                fit=PpfFit(**fit) if fit else None,
            )
        )

    @classmethod
    def result_plot(cls, result: PairedPulseResult) -> ResultPlot:
        """The median index against the interval instead of the samples, with its fit."""
        if not result.ppf.interval_ms:
            return ResultPlot()
        ppf = result.ppf
        fit = None
        if ppf.fit is not None:
            dt = np.geomspace(min(ppf.interval_ms), max(ppf.interval_ms), 200)
            fit = (dt.tolist(), ppf.fit.index(dt).tolist(), f"fit: {ppf.fit.formula()}")
        return ResultPlot(
            curve=Curve(
                spec={"x": "interval_ms", "y": "index", "log_x": True},
                units={"interval_ms": "ms", "index": ""},
                columns={
                    "interval_ms": ppf.interval_ms,
                    "index": [np.nan if i is None else i for i in ppf.index],
                },
                reference_y=1.0,
                fit=fit,
            )
        )

    def save_figures(self, stored, result, directory, stem):
        from ..plotting import ppf_against_interval  # matplotlib only when asked for

        return [ppf_against_interval(stored, result, directory / f"{stem}_ppf.png")]
