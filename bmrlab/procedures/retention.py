"""Retention: a pulse from the high-resistance state, then short reads at the read voltage.

Volatile devices (state lasting ms): one instrument-timed list per trace, the pulse then a
read every ``read_period`` (each ``read_time`` at ``v_read``, 0 V between, at most a quarter
of the time at ``v_read``: a read biases the device, so the scheme is part of the figure,
and every trace is read with the same one). After the first trace the window adapts to 10
of the retention it found; 20 traces, each from a confirmed HRS, and with a ``precision``
(characterize asks for 10 %) more, up to ``max_traces``, until the median's 95 % interval
is within +-``precision`` of it: where the pulse's
set time varies from pulse to pulse, so does the filament it leaves, and 20 traces may not
pin the median down.

Nonvolatile devices: one pulse, then host-timed reads at log-spaced times up to ``window``
(hours); a state that never fails is reported at the window, censored, as the literature
does.

The figure is over the traces the pulse set (analysis/retention.py); the result also holds
the set probability, the measured type, the read scheme as measured and the threshold the
traces were judged by, so that the figure can be read without the run's parameters.
"""

import math

import numpy as np

from .. import standard
from ..analysis.retention import (
    TYPE_BOUNDARY_S,
    RetentionPhase,
    fit_drift,
    fit_survival,
    floor_conductance,
    measured_volatile,
    read_scheme,
    retention_summary,
    set_probability,
    threshold_summary,
    trace_record,
)
from ..analysis.uncertainty import known_within
from ..errors import BadInput
from ..results import ProtocolResult, ResultModel, Spread, figure, flag
from ..storage.stored_run import StoredRun
from ..units import format_quantity
from .base import (
    BmrProcedure,
    Count,
    Flag,
    Mark,
    Quantity,
    ResultPlot,
    compliance_parameter,
    nplc_parameter,
    phase_legend,
    precision_parameters,
    v_read_parameter,
)
from .context import RunContext
from .hrs_recovery import back_to_hrs, hrs_read, max_rest_parameter, read_floor, rest_parameter

WINDOW_RETENTIONS = 10
WINDOW_READS = 50
LOG_READS_PER_DECADE = 8


def trace_levels(
    pulse_v, pulse_width, v_read, period, window, step
) -> tuple[list[float], int, int]:
    """One volatile trace as a list of ``step``-long levels: the pulse, then a read (one
    step at ``v_read``, 0 V after it) every ``period`` for ``window``. Returns the levels,
    the pulse's steps and the steps from one read to the next."""
    pulse_steps = max(1, round(pulse_width / step))
    per_read = max(2, round(period / step))
    reads = max(1, math.ceil(window / (per_read * step)))
    one_read = [v_read] + [0.0] * (per_read - 1)
    return [pulse_v] * pulse_steps + one_read * reads, pulse_steps, per_read


def expected_window(retention, window) -> float:
    """The window for a retention expected to be about ``retention`` (a published figure:
    it only sets how long the traces are read): 10 of it, at least ``window``."""
    return max(window, WINDOW_RETENTIONS * retention)


def adapted_window(retention, period, window) -> float:
    """The window of the traces after the first, from the retention the first found: 10 of
    it (at least 50 reads, at most ``window``). The read period stays: the reads bias a
    filament, so a period adapted to one trace's retention (which spreads with the pulse's
    set time) would make the figure depend on that trace (a first trace of 104 ms for a
    median of 64 read the later ones every 2 ms and measured 36 ms)."""
    return min(window, max(WINDOW_RETENTIONS * retention, WINDOW_READS * period))


class RetentionSpread(Spread):
    """The retention (ms) over the traces the pulse set: the median over all of them (a
    censored trace counts as at least its window) and its 95 % interval, the spread of the
    traces that lost their state; the traces the pulse did not set are only counted."""

    traces: int = figure("", "traces measured", 0)
    set_traces: int = figure("", "traces the pulse set (the figure is over these)", 0)
    failed_sets: int = figure("", "traces the pulse did not set (left out of the figure)", 0)
    censored: int = figure("", "set traces still on at the end of their window", 0)


class SetProbability(ResultModel):
    """The fraction of pulses that set the device, with its bootstrap 95 % interval."""

    value: float | None = figure("", "traces set / traces measured")
    ci_low: float | None = figure("", "95 % interval, low")
    ci_high: float | None = figure("", "95 % interval, high")
    n: int = figure("", "traces measured", 0)


class ReadScheme(ResultModel):
    """How the state was read after the pulse (reads bias the device: part of the figure)."""

    v_read_mV: float = figure("mV", "read voltage (0 V between reads)", ...)
    read_ms: float | None = figure("ms", "length of one read (None: single readings)")
    period_ms: float | None = figure("ms", "read period of the traces (None: log-spaced)")
    duty: float | None = figure("", "fraction of the time at the read voltage")


class RetentionThreshold(ResultModel):
    """The conductance below which the state is lost, sqrt(G_on G_off) per trace: G_on the
    first read after the pulse, G_off the HRS read before it, at least the floor of the fixed
    measure range. Medians over the set traces."""

    threshold_S: float = figure("S", "threshold sqrt(G_on G_off)", ...)
    g_on_S: float = figure("S", "G_on: the first read after the pulse", ...)
    g_off_S: float = figure("S", "G_off: the HRS read before the pulse, at least the floor", ...)
    floor_S: float = figure("S", "floor: 0.1 % of the fixed measure range over v_read", ...)
    hrs_at_floor: bool = flag(
        "threshold_S", "HRS below the floor of the measure range: the threshold is set by the floor"
    )


class SurvivalFit(ResultModel):
    """The fraction of set traces still on at t: S(t) = exp(-(t / tau)^beta) (volatile)."""

    tau_ms: float = figure("ms", "time constant tau", ...)
    tau_ms_se: float | None = figure("ms", "standard error of tau")
    beta: float = figure("", "stretching exponent beta", ...)
    beta_se: float | None = figure("", "standard error of beta")
    traces: int = figure("", "traces fitted", ...)


class DriftFit(ResultModel):
    """Power-law drift of a nonvolatile state: G = G_1s (t / 1 s)^-nu."""

    nu: float = figure("", "drift exponent nu", ...)
    nu_se: float | None = figure("", "standard error of nu")
    G_1s_S: float = figure("S", "conductance 1 s after the pulse", ...)
    G_1s_S_se: float | None = figure("S", "standard error of G_1s")


class RetentionStats(ResultModel):
    retention_ms: RetentionSpread = figure("ms", "retention per set trace", ...)


class RetentionResult(ProtocolResult):
    retention_ms: float | None = figure(
        "ms", "median retention over the traces the pulse set (None: it set none)"
    )
    retention_pulse_mV: float = figure("mV", "amplitude of the pulse before the reads", ...)
    retention_pulse_ms: float = figure("ms", "width of the pulse before the reads", ...)
    retention_censored: bool = flag("retention_ms", "lower bound: most traces censored")
    volatile: bool | None = figure(
        "",
        f"measured type: true (volatile) when the retention is shorter than "
        f"{TYPE_BOUNDARY_S:g} s, false (nonvolatile) when at least that, censored or not; "
        "None: undetermined (no trace set, or censored by a shorter window)",
    )
    set_probability: SetProbability = figure("", "fraction of pulses that set the device", ...)
    retention_read: ReadScheme = figure("", "read scheme of the figure", ...)
    retention_threshold: RetentionThreshold | None = figure(
        "", "threshold of the figure and how it was derived (None: no trace set)"
    )
    retention_fit: SurvivalFit | DriftFit | None = figure(
        "",
        "survival of the on state (volatile) or drift of the conductance (nonvolatile); "
        "None: too few points",
    )
    stats: RetentionStats = figure("", "retention over traces", ...)


class Retention(BmrProcedure[RetentionResult]):
    name = "retention"
    rank = 3
    title = "Retention"
    description = (
        "A pulse from the HRS, then short reads at the read voltage until the "
        "state is lost; median over traces (volatile) or a log-time read-out "
        "up to hours (nonvolatile, censored)."
    )
    COLUMNS = {
        "t_s": "s",
        "t_after_s": "s",
        "v_V": "V",
        "i_A": "A",
        "trace": "",
        "phase": phase_legend(RetentionPhase),
        "limit_hit": "",
    }
    LIVE_PLOT = {"x": "t_after_s", "y": "i_A", "log_y": True, "abs_y": True, "group": "trace"}
    Result = RetentionResult

    pulse_v = Quantity(
        "pulse_v",
        units="V",
        minimum=1e-3,
        maximum=200.0,
        default=standard.RETENTION_PULSE[0],
        description="pulse amplitude",
    )
    pulse_width = Quantity(
        "pulse_width",
        units="s",
        minimum=1e-4,
        maximum=100.0,
        default=standard.RETENTION_PULSE[1],
        description="pulse width",
    )
    volatile = Flag(
        "volatile",
        default=True,
        description="true: ms-scale traces; false: log-spaced reads up to the window",
    )
    traces = Count(
        "traces",
        minimum=1,
        maximum=10_000,
        default=20,
        description="pulses, each followed by its reads (volatile; at least these)",
    )
    max_traces, precision = precision_parameters("traces", "median retention")
    v_read = v_read_parameter("read voltage")
    read_time = Quantity(
        "read_time",
        units="s",
        minimum=1e-5,
        maximum=1.0,
        default=standard.RETENTION_READ_S,
        description="length of one read",
    )
    read_period = Quantity(
        "read_period",
        units="s",
        minimum=1e-5,
        maximum=3600.0,
        default=standard.RETENTION_READ_S / standard.RETENTION_READ_DUTY,
        description="time from one read to the next (every trace)",
    )
    window = Quantity(
        "window",
        units="s",
        minimum=1e-3,
        maximum=1e6,
        default=1.0,
        description="longest read-out after the pulse (nonvolatile: 3600 s)",
    )
    compliance = compliance_parameter()
    nplc = nplc_parameter(0.01, "aperture of each read")
    rest = rest_parameter("between traces")
    max_rest = max_rest_parameter()

    @classmethod
    def condition_defaults(cls, conditions: dict, given: dict) -> dict:
        defaults = super().condition_defaults(conditions, given)
        if "retention_pulse_mV" in conditions:
            defaults["pulse_v"] = conditions["retention_pulse_mV"] * 1e-3
            defaults["pulse_width"] = conditions["retention_pulse_ms"] * 1e-3
        if conditions.get("volatile") is False:
            defaults.update(volatile=False, traces=1, window=3600.0)
        return defaults

    def estimated_duration(self) -> float:
        """At most: every trace the precision may ask for read to the window (later traces
        are shortened to the first one's retention), one rest before each but the first."""
        if not self.volatile:
            return self.pulse_width + self.window
        traces = max(self.traces, self.max_traces if self.precision else 0)
        return traces * (self.pulse_width + self.window) + (traces - 1) * self.rest

    def check(self, station) -> None:
        guard = station.guard
        guard.check_voltage("pulse_v", self.pulse_v)
        guard.check_voltage("v_read", self.v_read)
        guard.check_compliance("compliance", self.compliance)
        guard.check_pulse_width("pulse_width", self.pulse_width)
        step = self.step(station.smu_class.shortest_step(self.nplc))
        if self.volatile and self.read_period < 2 * step:
            raise BadInput(
                f"read_period = {self.read_period:g} s is not allowed: a read and "
                f"the 0 V after it take at least {2 * step:.3g} s at nplc "
                f"{self.nplc:g} on the {station.smu_class.model}"
            )

    def step(self, shortest: float) -> float:
        """One read step: ``read_time``, or the SMU's shortest reading if that is longer."""
        return max(self.read_time, shortest)

    def _read_step(self, ctx: RunContext) -> float:
        """The read step the connected SMU really takes."""
        return ctx.smu.actual_dwell(self.step(ctx.smu.step_time()))

    def startup(self, ctx: RunContext):
        ctx.smu.configure(
            max_abs_v=self.pulse_v,
            compliance=self.compliance,
            nplc=self.nplc,
            current_range=self.compliance,
        )

    def execute(self, ctx: RunContext):
        floor = read_floor(ctx, self.compliance)
        reference = hrs = hrs_read(ctx)
        if not self.volatile:
            self._emit_hrs(ctx, hrs, 1)
            self._log_spaced_trace(ctx)
            return
        window = self.window
        records: list[dict] = []
        trace = 0
        while trace < self.traces or (trace < self.max_traces and not self._known(records)):
            trace += 1
            if trace > 1:
                hrs, _ = back_to_hrs(ctx, reference, floor, self.rest, self.max_rest)
            self._emit_hrs(ctx, hrs, trace)
            record = self._timed_trace(ctx, trace, window, hrs)
            records.append(record)
            retention = record["retention"]
            if trace == 1 and retention > 0 and math.isfinite(retention):
                window = adapted_window(retention, self.read_period, self.window)
            ctx.emit("progress", 100.0 * trace / max(self.traces, trace))

    def _known(self, records: list[dict]) -> bool:
        """Whether the traces so far give the retention to within ``precision`` (95 %
        interval of the median over the set traces), or cannot: no set trace, or half of
        them censored (a lower bound no further trace sharpens)."""
        if not self.precision:
            return True
        stats = retention_summary(
            [r["retention"] for r in records],
            [r["censored"] for r in records],
            [r["set"] for r in records],
        )
        if stats["median"] is None or stats["median_censored"]:
            return True
        return known_within(stats["median"], stats["ci_low"], stats["ci_high"], self.precision)

    def _timed_trace(self, ctx: RunContext, trace, window, hrs) -> dict:
        """Pulse and reads as one instrument-timed list; returns what the analysis takes from
        the trace (``trace_record``)."""
        step = self._read_step(ctx)
        levels, pulse_steps, per_read = trace_levels(
            self.pulse_v, self.pulse_width, self.v_read, self.read_period, window, step
        )
        kept = []

        def on_chunk(r):
            k = r.index
            phase = np.where(
                k < pulse_steps,
                RetentionPhase.PULSE,
                np.where((k - pulse_steps) % per_read == 0, RetentionPhase.READ, -1),
            )
            keep = phase >= 0
            # time after the pulse, to the end of each step
            phase_in_step = r.elapsed[0] - k[0] * step
            t_after = r.elapsed - phase_in_step + step - pulse_steps * step
            read = phase == RetentionPhase.READ
            kept.append((t_after[read], r.i[read]))
            ctx.emit(
                "batch",
                {
                    "t_s": r.t[keep],
                    "t_after_s": t_after[keep],
                    "v_V": r.v[keep],
                    "i_A": r.i[keep],
                    "trace": np.full(keep.sum(), trace, np.int32),
                    "phase": phase[keep].astype(np.int8),
                    "limit_hit": r.limit[keep].astype(np.int8),
                },
            )

        ctx.smu.sweep(levels, step, 1, on_chunk, ctx.wait)
        t = np.concatenate([k[0] for k in kept])
        i = np.concatenate([k[1] for k in kept])
        record = trace_record(t, np.abs(i) / self.v_read, hrs, self.compliance, self.v_read)
        return record or {"retention": math.nan, "censored": False, "set": False}

    def _log_spaced_trace(self, ctx: RunContext):
        """One pulse, then host-timed reads at log-spaced times after it, up to the window."""
        step = self._read_step(ctx)
        pulse_steps = max(1, round(self.pulse_width / step))
        ctx.smu.sweep([self.pulse_v] * pulse_steps + [0.0], step, 1, lambda r: None, ctx.wait)
        t_end = ctx.clock.now()
        decades = math.log10(self.window / 1e-3)
        times = np.logspace(-3, math.log10(self.window), int(decades * LOG_READS_PER_DECADE) + 1)
        for k, t_read in enumerate(times):
            ctx.wait(max(0.0, t_end + t_read - ctx.clock.now()))
            r = ctx.smu.read(self.v_read)
            after = ctx.clock.now() - t_end
            ctx.emit(
                "batch",
                {
                    "t_s": r.t,
                    "t_after_s": [after],
                    "v_V": r.v,
                    "i_A": r.i,
                    "trace": np.array([1], np.int32),
                    "phase": np.array([RetentionPhase.READ], np.int8),
                    "limit_hit": r.limit.astype(np.int8),
                },
            )
            ctx.emit("progress", 100.0 * (k + 1) / len(times))

    def _emit_hrs(self, ctx: RunContext, current, trace):
        ctx.emit(
            "batch",
            {
                "t_s": [ctx.clock.now() - ctx.smu.t_origin],
                "t_after_s": [math.nan],
                "v_V": [self.v_read],
                "i_A": [current],
                "trace": np.array([trace], np.int32),
                "phase": np.array([RetentionPhase.HRS_READ], np.int8),
                "limit_hit": np.array([0], np.int8),
            },
        )

    def analyze(self, stored: StoredRun) -> RetentionResult:
        """Trace by trace from the file (one trace in memory): whether its pulse set the
        device and its retention, from its reads and the HRS read before its pulse; then the
        median over the set traces, the set probability, the type, the read scheme and the
        threshold, and the fit."""
        records = []
        drift_t, drift_g = [np.empty(0)], [np.empty(0)]  # nonvolatile: its reads, for the fit
        for _, trace in stored.groups("trace", ["phase", "t_after_s", "i_A"]):
            read = trace["phase"] == RetentionPhase.READ
            hrs = trace["phase"] == RetentionPhase.HRS_READ
            if not (read.any() and hrs.any()):  # no reads, or no HRS read to start from
                continue
            t, g = trace["t_after_s"][read], np.abs(trace["i_A"][read]) / self.v_read
            record = trace_record(t, g, trace["i_A"][hrs][-1], self.compliance, self.v_read)
            if record is None:
                continue
            records.append(record)
            if not self.volatile:  # one trace, a few reads per decade
                drift_t.append(t)
                drift_g.append(g)
        column = {
            key: np.array([r[key] for r in records], dtype=float)
            for key in ("retention", "g_on", "g_off", "hrs", "first_read", "period")
        }
        censored = np.array([r["censored"] for r in records], dtype=bool)
        was_set = np.array([r["set"] for r in records], dtype=bool)
        floor = floor_conductance(self.compliance, self.v_read)
        floored = bool(records) and bool(np.median(column["hrs"]) <= floor)
        values = column["retention"]
        stats = retention_summary(values, censored, was_set, floor if floored else None)
        fit = (
            fit_survival(values[was_set], censored[was_set])
            if self.volatile
            else fit_drift(np.concatenate(drift_t), np.concatenate(drift_g))
        )
        lower_bound = stats.pop("median_censored", False)  # the result's flag, said once
        return RetentionResult.model_validate(
            {
                "retention_ms": stats["median"],
                "retention_pulse_mV": self.pulse_v * 1e3,
                "retention_pulse_ms": self.pulse_width * 1e3,
                "retention_censored": lower_bound,
                "volatile": measured_volatile(stats["median"], lower_bound),
                "set_probability": set_probability(was_set),
                "retention_read": read_scheme(
                    column["first_read"], column["period"], self.v_read, timed=self.volatile
                ),
                "retention_threshold": threshold_summary(
                    column["g_on"][was_set], column["g_off"][was_set], column["hrs"][was_set], floor
                ),
                "retention_fit": fit,
                "stats": {"retention_ms": stats},
            }
        )

    @classmethod
    def result_plot(cls, result: RetentionResult) -> ResultPlot:
        """The retention on the traces (x: time after the pulse)."""
        if result.retention_ms is None:
            return ResultPlot()
        at = result.retention_ms * 1e-3
        return ResultPlot(marks=(Mark(x=at, label="retention " + format_quantity(at, "s", 3)),))

    def save_figures(self, stored, result, directory, stem):
        from ..plotting import retention_decay  # matplotlib only when asked for

        return [retention_decay(stored, result, directory / f"{stem}_retention.png")]
