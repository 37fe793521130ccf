"""Pulse delay: steps from the high-resistance state to each amplitude, the current sampled
by the SMU throughout the step, the delay of each step found in its samples.

Each step is one instrument-timed list (the amplitude for up to ``timeout``, then 0 V). The
first step at an amplitude uses the fastest sampling and the full time-out; the others sample
at 1/50 of the delay it found (never faster than the SMU can) and stop at 10 delays. Between steps
the device goes back to its high-resistance state (rest, or reset for a nonvolatile device)
and an HRS read confirms it. With a ``precision`` (characterize asks for 10 %), the steps at
the amplitude of the Table 1 figure (``delay_at``) go on after ``pulses``, up to
``max_pulses``, until the median's 95 % interval is within +-``precision`` of it: near the
device's DC threshold each step's delay follows the cycle-to-cycle spread so steeply that
20 steps may not pin the median down.
"""

import math
from enum import IntEnum

import numpy as np
from pydantic import Field

from .. import standard
from ..analysis.delay import delay_summary, set_energy, summarize_delays, switch_interval
from ..analysis.uncertainty import known_within
from ..errors import BadInput
from ..results import ProtocolResult, ResultModel, Spread, figure, flag
from ..storage.stored_run import StoredRun
from ..units import format_quantity
from .base import (
    BmrProcedure,
    Count,
    Mark,
    Quantity,
    QuantityList,
    ResultPlot,
    compliance_parameter,
    nplc_parameter,
    phase_legend,
    precision_parameters,
)
from .context import RunContext
from .hrs_recovery import back_to_hrs, hrs_read, max_rest_parameter, read_floor, rest_parameter


class DelayPhase(IntEnum):
    """What each row of a pulse-delay run is (its ``phase`` column)."""

    HRS_READ = 0  # the read before the step
    STEP = 1  # a sample during the step


SAMPLES_PER_DELAY = 50
TIMEOUT_DELAYS = 10  # later steps at an amplitude last this many first delays


class DelaySummary(Spread):
    """The delays (ms) of the steps at one amplitude: the median over all of them (a step
    that did not switch counts as longer than its time-out) with its bootstrap 95 % interval
    (``ci_low``, ``ci_high``: pulses resampled, the same interval median), the spread of
    those that did."""

    switched: int = figure("", "steps that switched within their time-out", 0)
    pulses: int = figure("", "steps measured", 0)
    resolved: bool = figure(
        "",
        "the median is longer than 1.5 sample intervals (it is fitted; else resolution-limited)",
        False,
    )


class EnergySummary(Spread):
    """The set energies (pJ) of the steps at one amplitude that switched."""

    rise_resolved: int = figure(
        "", "steps with two samples or more between the threshold and 90 % (else an upper bound)", 0
    )


class DelayFit(ResultModel):
    """t_d = tau_x ln[x / (x - 1)], x = tau_x sinh(V / V0) / tau0, fitted to the resolved
    medians; the pure sinh form t_d = tau0 / sinh(V / V0) when tau_x is not determined."""

    V0_mV: float = figure("mV", "voltage scale V0", ...)
    V0_mV_se: float | None = figure("mV", "standard error of V0 (None: not determined)")
    tau0_s: float = figure("s", "time scale tau0", ...)
    tau0_s_se: float | None = figure("s", "standard error of tau0 (None: not determined)")
    tau_x_s: float | None = figure(
        "s", "relaxation time of the gap (None: not determined, the sinh form)"
    )
    tau_x_s_se: float | None = figure("s", "standard error of tau_x (None: not determined)")
    V_th_mV: float | None = figure(
        "mV", "DC threshold V0 asinh(tau0 / tau_x) (None: not determined, the sinh form)"
    )
    V_th_mV_se: float | None = figure("mV", "standard error of V_th (None: not determined)")
    points: int = figure("", "amplitudes fitted", ...)
    form: str = figure("", "'leaky' (tau_x determined) or 'sinh'", ...)


class DelayStats(ResultModel):
    delay_ms: DelaySummary = figure("ms", "delays at delay_at_mV", ...)
    delay_by_mV: dict[str, DelaySummary] = Field(
        ...,
        description="delays per step amplitude (key: the amplitude in mV)",
        json_schema_extra={"units": "ms", "key_units": "mV"},
    )
    set_energy_pJ: EnergySummary = figure("pJ", "energy per set event at delay_at_mV", ...)
    set_energy_by_mV: dict[str, EnergySummary] = Field(
        ...,
        description="energy per set event per step amplitude (key: the amplitude in mV)",
        json_schema_extra={"units": "pJ", "key_units": "mV"},
    )


class PulseDelayResult(ProtocolResult):
    delay_ms: float | None = figure("ms", "median switching delay at delay_at_mV")
    delay_at_mV: float = figure("mV", "step amplitude of the delay figure", ...)
    set_energy_pJ: float | None = figure(
        "pJ", "median energy per set event at delay_at_mV (integral of V I until switched)"
    )
    set_energy_upper_bound: bool = flag(
        "set_energy_pJ", "upper bound: in most steps the rise was faster than the sampling"
    )
    delay_fit: DelayFit | None = figure(
        "", "fit of the delay against amplitude (None: fewer than three resolved medians)"
    )
    stats: DelayStats = figure("", "delays per amplitude", ...)


class PulseDelay(BmrProcedure[PulseDelayResult]):
    name = "pulse-delay"
    rank = 2
    title = "Pulse delay"
    description = (
        "Steps from the HRS to each amplitude, the current sampled throughout; "
        "delay and set energy per pulse, median with its 95 % CI and spread per "
        "amplitude, and the fit t_d = tau0 / sinh(V / V0) with standard errors."
    )
    COLUMNS = {
        "t_s": "s",
        "t_step_s": "s",
        "v_V": "V",
        "i_A": "A",
        "amplitude_V": "V",
        "pulse": "",
        "phase": phase_legend(DelayPhase),
        "limit_hit": "",
    }
    LIVE_PLOT = {
        "x": "t_step_s",
        "y": "i_A",
        "log_x": True,
        "log_y": True,
        "abs_y": True,
        "group": "pulse",
        "legend": "amplitude_V",
    }
    Result = PulseDelayResult

    amplitudes = QuantityList(
        "amplitudes",
        units="V",
        minimum=1e-3,
        maximum=200.0,
        default=[0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4],
        description="step amplitudes, comma-separated",
    )
    delay_at = Quantity(
        "delay_at",
        units="V",
        minimum=0.0,
        maximum=200.0,
        default=0.0,
        description="amplitude whose median delay is the Table 1 figure; 0 = the first amplitude",
    )
    pulses = Count(
        "pulses", minimum=1, maximum=10_000, default=20, description="steps per amplitude"
    )
    max_pulses, precision = precision_parameters("pulses", "median delay at delay_at")
    timeout = Quantity(
        "timeout",
        units="s",
        minimum=1e-3,
        maximum=100.0,
        default=1.0,
        description="longest step (a step that does not switch is censored)",
    )
    compliance = compliance_parameter()
    nplc = nplc_parameter(0.01, "aperture of each sample")
    rest = rest_parameter("between steps")
    max_rest = max_rest_parameter()
    v_reset = Quantity(
        "v_reset",
        units="V",
        minimum=0.0,
        maximum=200.0,
        default=0.0,
        description="reset amplitude between steps (nonvolatile); 0 = none",
    )
    reset_width = Quantity(
        "reset_width",
        units="s",
        minimum=1e-4,
        maximum=10.0,
        default=20e-3,
        description="reset pulse width",
    )

    @classmethod
    def condition_defaults(cls, conditions: dict, given: dict) -> dict:
        defaults = super().condition_defaults(conditions, given)
        if "delay_at_mV" in conditions and "amplitudes" not in given:  # else: the user's own
            at = conditions["delay_at_mV"] * 1e-3
            defaults["delay_at"] = at
            defaults["amplitudes"] = sorted({round(at, 6), *cls.amplitudes.default})
        if conditions.get("volatile") is False:
            defaults["v_reset"] = standard.SWEEP_V_MAX
        return defaults

    def check(self, station) -> None:
        guard = station.guard
        for v in self.amplitudes:
            guard.check_voltage("amplitudes", v)
        guard.check_voltage("v_reset", -self.v_reset)
        guard.check_compliance("compliance", self.compliance)
        if self.v_reset > 0:
            guard.check_pulse_width("reset_width", self.reset_width / 10)
        if self.delay_at and not any(
            math.isclose(v, self.delay_at, rel_tol=1e-6) for v in self.amplitudes
        ):
            raise BadInput(
                f"delay_at = {format_quantity(self.delay_at, 'V')} is not allowed: "
                f"it must be one of the amplitudes "
                f"({', '.join(format_quantity(v, 'V') for v in self.amplitudes)})"
            )

    def startup(self, ctx: RunContext):
        ctx.smu.configure(
            max_abs_v=max(*self.amplitudes, self.v_reset),
            compliance=self.compliance,
            nplc=self.nplc,
            current_range=self.compliance,
        )

    def estimated_duration(self) -> float:
        """At most: every step to its time-out, every rest once (rests double while the HRS
        is not back)."""
        steps = len(self.amplitudes) * self.pulses
        if self.precision:
            steps += max(0, self.max_pulses - self.pulses)
        return steps * (self.timeout + self.rest)

    def execute(self, ctx: RunContext):
        floor = read_floor(ctx, self.compliance)
        reference = read = hrs_read(ctx)
        total, number = len(self.amplitudes) * self.pulses, 0
        figure_at = self.delay_at or self.amplitudes[0]
        for amplitude in self.amplitudes:
            interval, timeout = ctx.smu.step_time(), self.timeout
            extend = bool(self.precision) and math.isclose(amplitude, figure_at, rel_tol=1e-6)
            intervals: list[tuple[float, float]] = []
            k = 0
            while k < self.pulses or (
                extend and k < self.max_pulses and not self._known(intervals)
            ):
                if number:
                    read, _ = back_to_hrs(
                        ctx,
                        reference,
                        floor,
                        self.rest,
                        self.max_rest,
                        self.v_reset,
                        self.reset_width,
                    )
                number += 1
                self._emit_read(ctx, read, amplitude, number)
                intervals.append(self._step(ctx, amplitude, interval, timeout, number, read))
                t_d = sum(intervals[-1]) / 2
                if k == 0 and math.isfinite(t_d):
                    interval = max(ctx.smu.step_time(), t_d / SAMPLES_PER_DELAY)
                    timeout = min(self.timeout, max(TIMEOUT_DELAYS * t_d, 100 * interval))
                k += 1
                ctx.emit("progress", 100.0 * number / max(total, number))

    def _known(self, intervals: list[tuple[float, float]]) -> bool:
        """Whether the steps so far give the delay to within ``precision`` (95 % interval
        of the interval median), or cannot: half of them or more did not switch."""
        found = delay_summary(np.array(intervals, dtype=float).reshape(-1, 2))
        if found["median"] is None:
            return True
        return known_within(found["median"], found["ci_low"], found["ci_high"], self.precision)

    def _step(self, ctx: RunContext, amplitude, interval, timeout, number, hrs):
        """One step; returns the interval in which it switched (``switch_interval``)."""
        points = max(TIMEOUT_DELAYS, math.ceil(timeout / interval))
        samples = []

        def on_chunk(readings):
            step = readings.index < points  # the final 0 V point ends the step
            samples.append((readings.elapsed[step], readings.i[step]))
            ctx.emit(
                "batch",
                {
                    "t_s": readings.t[step],
                    "t_step_s": readings.elapsed[step],
                    "v_V": readings.v[step],
                    "i_A": readings.i[step],
                    "amplitude_V": np.full(step.sum(), amplitude),
                    "pulse": np.full(step.sum(), number, dtype=np.int32),
                    "phase": np.full(step.sum(), DelayPhase.STEP, dtype=np.int8),
                    "limit_hit": readings.limit[step].astype(np.int8),
                },
            )

        ctx.smu.sweep([amplitude] * points + [0.0], interval, 1, on_chunk, ctx.wait)
        t = np.concatenate([s[0] for s in samples])
        i = np.concatenate([s[1] for s in samples])
        return switch_interval(t, i, self.compliance, self._baseline(hrs, amplitude))

    def _baseline(self, hrs: float, amplitude: float) -> float:
        """The HRS current expected at ``amplitude`` from a read at V_READ (ohmic), at least
        the floor of the fixed measure range."""
        return max(hrs * amplitude / standard.V_READ, 1e-3 * self.compliance)

    def _emit_read(self, ctx: RunContext, current, amplitude, number):
        ctx.emit(
            "batch",
            {
                "t_s": [ctx.clock.now() - ctx.smu.t_origin],
                "t_step_s": [math.nan],
                "v_V": [standard.V_READ],
                "i_A": [current],
                "amplitude_V": [amplitude],
                "pulse": np.array([number], np.int32),
                "phase": np.array([DelayPhase.HRS_READ], np.int8),
                "limit_hit": np.array([0], np.int8),
            },
        )

    def analyze(self, stored: StoredRun) -> PulseDelayResult:
        """Step by step from the file (one step's samples in memory): its switching interval
        from the samples and the HRS read before it, its set energy from the samples; then
        the figures per amplitude."""
        amplitudes, intervals, energies = [], [], []
        columns = ["phase", "t_step_s", "v_V", "i_A", "amplitude_V"]
        for _, pulse in stored.groups("pulse", columns):
            step = pulse["phase"] == DelayPhase.STEP
            read = pulse["phase"] == DelayPhase.HRS_READ
            if not step.any():
                continue
            baseline = (
                self._baseline(abs(pulse["i_A"][read][0]), pulse["amplitude_V"][read][0])
                if read.any()
                else None
            )  # an overflowed read: the first samples
            t, v, i = pulse["t_step_s"][step], pulse["v_V"][step], pulse["i_A"][step]
            amplitudes.append(pulse["amplitude_V"][step][0])
            intervals.append(switch_interval(t, i, self.compliance, baseline))
            energies.append(set_energy(t, v, i, self.compliance, intervals[-1][1]))
        return PulseDelayResult.model_validate(
            summarize_delays(
                self.amplitudes,
                self.delay_at or self.amplitudes[0],
                amplitudes,
                intervals,
                energies,
            )
        )

    @classmethod
    def result_plot(cls, result: PulseDelayResult) -> ResultPlot:
        """The median delay of each amplitude on its steps' traces (x: time since the step)."""
        return ResultPlot(
            marks=tuple(
                Mark(
                    x=s.median * 1e-3,
                    label=format_quantity(s.median * 1e-3, "s", 3),
                    group=float(mv) * 1e-3,
                )
                for mv, s in result.stats.delay_by_mV.items()
                if s.median is not None
            )
        )

    def save_figures(self, stored, result, directory, stem):
        from ..plotting import delay_against_voltage  # matplotlib only when asked for

        return [delay_against_voltage(stored, result, directory / f"{stem}_delay.png")]
