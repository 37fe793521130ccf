"""Pulse delay: steps from the high-resistance state to each amplitude, the current sampled
by the SMU throughout the step, the delay of each step found in its samples.

Each step is one instrument-timed list (the amplitude for up to ``timeout``, then 0 V). The
first step at an amplitude uses the fastest sampling and the full time-out; the others sample
at 1/50 of the delay it found (never faster than the SMU can) and stop at 10 delays. Between steps
the device goes back to its high-resistance state (rest, or reset for a nonvolatile device)
and an HRS read confirms it.
"""

import math

import numpy as np

from .. import standard
from ..analysis.delay import delay_summary, fit_delay, intervals_by_pulse, switch_interval
from ..errors import BadInput
from ..units import format_quantity
from .base import BmrProcedure, Count, Quantity, QuantityList, compliance_parameter
from .hrs_recovery import back_to_hrs, hrs_read, read_floor

STEP, RESET, READ = 1, 2, 0  # phase column
SAMPLES_PER_DELAY = 50
TIMEOUT_DELAYS = 10  # later steps at an amplitude last this many first delays


class PulseDelay(BmrProcedure):
    name = "pulse-delay"
    rank = 2
    title = "Pulse delay"
    description = ("Steps from the HRS to each amplitude, the current sampled throughout; "
                   "delay per pulse, median and spread per amplitude, and the fit "
                   "t_d = tau0 / sinh(V / V0).")
    COLUMNS = {"t_s": "s", "t_step_s": "s", "v_V": "V", "i_A": "A", "amplitude_V": "V",
               "pulse": "",
               "phase": "0 HRS read, 1 step", "limit_hit": ""}
    LIVE_PLOT = {"x": "t_step_s", "y": "i_A", "log_x": True, "log_y": True, "abs_y": True,
                 "group": "pulse", "legend": "amplitude_V"}

    amplitudes = QuantityList("amplitudes", units="V", minimum=1e-3, maximum=200.0,
                              default=[0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4],
                              description="step amplitudes, comma-separated")
    delay_at = Quantity("delay_at", units="V", minimum=0.0, maximum=200.0, default=0.0,
                        description="amplitude whose median delay is the Table 1 figure; "
                                    "0 = the first amplitude")
    pulses = Count("pulses", minimum=1, maximum=10_000, default=20,
                   description="steps per amplitude")
    timeout = Quantity("timeout", units="s", minimum=1e-3, maximum=100.0, default=1.0,
                       description="longest step (a step that does not switch is censored)")
    compliance = compliance_parameter()
    nplc = Quantity("nplc", units="", minimum=0.001, maximum=10.0, default=0.01,
                    description="aperture of each sample")
    rest = Quantity("rest", units="s", minimum=0.0, maximum=3600.0, default=0.5,
                    description="at 0 V between steps (doubled until the HRS is back)")
    max_rest = Quantity("max_rest", units="s", minimum=0.0, maximum=36000.0, default=60.0,
                        description="longest wait for the HRS to come back")
    v_reset = Quantity("v_reset", units="V", minimum=0.0, maximum=200.0, default=0.0,
                       description="reset amplitude between steps (nonvolatile); 0 = none")
    reset_width = Quantity("reset_width", units="s", minimum=1e-4, maximum=10.0,
                           default=20e-3, description="reset pulse width")

    @classmethod
    def condition_defaults(cls, conditions: dict, given: dict) -> dict:
        defaults = {}
        if "delay_at_mV" in conditions and "amplitudes" not in given:  # else: the user's own
            at = conditions["delay_at_mV"] * 1e-3
            defaults["delay_at"] = at
            defaults["amplitudes"] = sorted({round(at, 6), *cls.amplitudes.default})
        if conditions.get("volatile") is False:
            defaults["v_reset"] = standard.SWEEP_V_MAX
        if "compliance" in conditions:
            defaults["compliance"] = conditions["compliance"]
        return defaults

    def check(self, station) -> None:
        guard = station.guard
        for v in self.amplitudes:
            guard.check_voltage("amplitudes", v)
        guard.check_voltage("v_reset", -self.v_reset)
        guard.check_compliance("compliance", self.compliance)
        if self.v_reset > 0:
            guard.check_pulse_width("reset_width", self.reset_width / 10)
        if self.delay_at and not any(math.isclose(v, self.delay_at, rel_tol=1e-6)
                                     for v in self.amplitudes):
            raise BadInput(f"delay_at = {format_quantity(self.delay_at, 'V')} is not allowed: "
                           f"it must be one of the amplitudes "
                           f"({', '.join(format_quantity(v, 'V') for v in self.amplitudes)})")

    def startup(self):
        self.station.smu.configure(max_abs_v=max(*self.amplitudes, self.v_reset),
                                   compliance=self.compliance, nplc=self.nplc,
                                   current_range=self.compliance)

    def estimated_duration(self) -> float:
        """At most: every step to its time-out, every rest once (rests double while the HRS
        is not back)."""
        return len(self.amplitudes) * self.pulses * (self.timeout + self.rest)

    def execute(self):
        smu = self.station.smu
        floor = read_floor(self)
        reference = read = hrs_read(self)
        total, number = len(self.amplitudes) * self.pulses, 0
        for amplitude in self.amplitudes:
            interval, timeout = smu.step_time(), self.timeout
            for k in range(self.pulses):
                if number:
                    read, _ = back_to_hrs(self, reference, floor, self.rest, self.max_rest,
                                          self.v_reset, self.reset_width)
                number += 1
                self._emit_read(read, amplitude, number)
                t_d = self._step(amplitude, interval, timeout, number, read)
                if k == 0 and math.isfinite(t_d):
                    interval = max(smu.step_time(), t_d / SAMPLES_PER_DELAY)
                    timeout = min(self.timeout, max(TIMEOUT_DELAYS * t_d, 100 * interval))
                self.emit("progress", 100.0 * number / total)

    def _step(self, amplitude, interval, timeout, number, hrs) -> float:
        """One step; returns its delay (NaN if it did not switch)."""
        points = max(TIMEOUT_DELAYS, math.ceil(timeout / interval))
        samples = []

        def on_chunk(readings):
            step = readings.index < points  # the final 0 V point ends the step
            samples.append((readings.elapsed[step], readings.i[step]))
            self.emit("batch", {
                "t_s": readings.t[step], "t_step_s": readings.elapsed[step],
                "v_V": readings.v[step], "i_A": readings.i[step],
                "amplitude_V": np.full(step.sum(), amplitude),
                "pulse": np.full(step.sum(), number, dtype=np.int32),
                "phase": np.full(step.sum(), STEP, dtype=np.int8),
                "limit_hit": readings.limit[step].astype(np.int8)})
        self.station.smu.sweep([amplitude] * points + [0.0], interval, 1, on_chunk, self.wait)
        t = np.concatenate([s[0] for s in samples])
        i = np.concatenate([s[1] for s in samples])
        after, before = switch_interval(t, i, self.compliance, self._baseline(hrs, amplitude))
        return (after + before) / 2

    def _baseline(self, hrs: float, amplitude: float) -> float:
        """The HRS current expected at ``amplitude`` from a read at V_READ (ohmic), at least
        the floor of the fixed measure range."""
        return max(hrs * amplitude / standard.V_READ, 1e-3 * self.compliance)

    def _emit_read(self, current, amplitude, number):
        self.emit("batch", {"t_s": [self.station.clock.now() - self.station.smu.t_origin],
                            "t_step_s": [math.nan], "v_V": [standard.V_READ], "i_A": [current],
                            "amplitude_V": [amplitude], "pulse": np.array([number], np.int32),
                            "phase": np.array([READ], np.int8),
                            "limit_hit": np.array([0], np.int8)})

    def analyze(self, data: dict) -> dict:
        step = data["phase"] == STEP
        read = data["phase"] == READ
        baselines = {int(p): self._baseline(abs(i), v) for p, i, v in
                     zip(data["pulse"][read], data["i_A"][read], data["amplitude_V"][read],
                         strict=True)}
        t, i, pulse, amplitude = (data[k][step]
                                  for k in ("t_step_s", "i_A", "pulse", "amplitude_V"))
        by_amplitude, medians = {}, []
        for v in self.amplitudes:
            sel = np.isclose(amplitude, v)
            summary = delay_summary(intervals_by_pulse(t[sel], i[sel], pulse[sel],
                                                       self.compliance, baselines))
            by_amplitude[f"{v * 1e3:g}"] = summary
            medians.append(summary["median"] * 1e-3 if summary["resolved"] else math.nan)
        delay_at = self.delay_at or self.amplitudes[0]
        at = by_amplitude[f"{delay_at * 1e3:g}"]
        return {"delay_ms": at["median"], "delay_at_mV": delay_at * 1e3,
                "delay_fit": fit_delay(self.amplitudes, medians),
                "stats": {"delay_ms": at, "delay_by_mV": by_amplitude}}

    def save_figures(self, data, figures, directory, stem):
        from ..plotting import delay_against_voltage  # matplotlib only when asked for
        return [delay_against_voltage(figures, directory / f"{stem}_delay.png")]
