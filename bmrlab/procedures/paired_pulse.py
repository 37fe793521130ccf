"""Paired pulse: two equal pulses separated by an interval, over log-spaced intervals.

With ``source=smu`` each pair is one instrument-timed list (pulse, 0 V for the interval,
pulse, 0 V) with one step per pulse width, sampled at every step on a fixed low current
range; intervals are whole numbers of steps (the data record the interval really used).
With ``source=generator`` the station's pulse generator fires the pair as a burst of two
(``BURS:NCYC 2``) into a time trace the SMU takes at 0 V (it measures the device current the
generator drives); the pulses are found in the trace. Each pair starts from the relaxed
state after ``rest``.
"""

import math

import numpy as np
from pymeasure.experiment import ListParameter

from ..analysis.paired_pulse import fit_ppf, ppf_index, pulse_ends
from ..errors import BadInput
from ..instruments.pulse_generator import PulseGenerator
from .base import BmrProcedure, Count, Quantity, QuantityList, compliance_parameter

PULSE1, GAP, PULSE2, TRACE = 1, 0, 2, 3  # phase column (samples of the rest are not kept)
TRACE_MARGIN_S = 5e-3  # a generator's pair lands in the trace after the host's latency


class PairedPulse(BmrProcedure):
    name = "paired-pulse"
    rank = 5
    title = "Paired pulse"
    description = ("Two equal pulses against their interval (log-spaced): the PPF index "
                   "A2/A1 and its double-exponential decay.")
    COLUMNS = {"t_s": "s", "t_pair_s": "s", "v_V": "V", "i_A": "A", "interval_s": "s",
               "pair": "", "phase": "1 first pulse, 0 interval, 2 second pulse, "
                                    "3 trace across a generator's pair",
               "limit_hit": ""}
    LIVE_PLOT = {"x": "t_pair_s", "y": "i_A", "log_y": True, "abs_y": True, "group": "pair",
                 "legend": "interval_s", "segment": "phase", "hide": {"phase": [0]},
                 "symbols": True}

    pulse_v = Quantity("pulse_v", units="V", minimum=1e-3, maximum=200.0, default=0.1,
                       description="amplitude of both pulses")
    width = Quantity("width", units="s", minimum=1e-4, maximum=10.0, default=1e-3,
                     description="width of both pulses")
    intervals = QuantityList("intervals", units="s", minimum=1e-4, maximum=100.0,
                             default=[float(f"{x:.3g}") for x in np.logspace(-3, 0, 10)],
                             description="gaps from the end of the first pulse to the "
                                         "start of the second")
    repeats = Count("repeats", minimum=1, maximum=1000, default=10,
                    description="pairs per interval (the median index is used)")
    rest = Quantity("rest", units="s", minimum=0.0, maximum=3600.0, default=0.5,
                    description="at 0 V before each pair")
    compliance = compliance_parameter()
    current_range = Quantity("current_range", units="A", minimum=1e-12, maximum=1.0,
                             default=10e-9, description="fixed measure range (pA responses)")
    nplc = Quantity("nplc", units="", minimum=0.001, maximum=10.0, default=0.04,
                    description="aperture of each sample")
    source = ListParameter("source", choices=["smu", "generator"], default="smu",
                           description="what makes the pulses")

    @classmethod
    def condition_defaults(cls, conditions: dict, given: dict) -> dict:
        return {"compliance": conditions["compliance"]} if "compliance" in conditions else {}

    def check(self, station) -> None:
        guard = station.guard
        guard.check_voltage("pulse_v", self.pulse_v)
        guard.check_compliance("compliance", self.compliance)
        guard.check_pulse_width("width", self.width)
        if self.source == "generator":
            if not station.has_generator:
                raise BadInput(f"source = generator is not allowed: {station.source} has no "
                               "instrument with the role pulse_generator")
            PulseGenerator.check(station.guard, station.generator_class, "pulse_v",
                                 self.pulse_v, self.width, self.width + min(self.intervals), 2)
        self.check_fits_a_reading(station, "width")

    def estimated_duration(self) -> float:
        return self.repeats * sum(self.rest + 3 * self.width + interval
                                  for interval in self.intervals)

    def startup(self):
        self.station.smu.configure(max_abs_v=self.pulse_v, compliance=self.compliance,
                                   nplc=self.nplc, current_range=self.current_range)

    def execute(self):
        if self.source == "generator":
            return self._execute_with_generator()
        smu = self.station.smu
        step = smu.actual_dwell(self.width)
        total = len(self.intervals) * self.repeats
        pair = 0
        for interval in self.intervals:
            gap = max(1, round(interval / step))
            levels = [self.pulse_v] + [0.0] * gap + [self.pulse_v] + [0.0]
            phases = np.array([PULSE1] + [GAP] * gap + [PULSE2, GAP], np.int8)
            for _ in range(self.repeats):
                pair += 1
                self.wait(self.rest)
                smu.sweep(levels, step, 1, self._keeper(pair, gap * step, phases), self.wait)
                self.emit("progress", 100.0 * pair / total)

    def _execute_with_generator(self):
        smu, generator = self.station.smu, self.station.generator
        step = smu.actual_dwell(smu.step_time())
        total, pair = len(self.intervals) * self.repeats, 0
        for interval in self.intervals:
            points = int((2 * self.width + interval + 2 * TRACE_MARGIN_S) / step) + 1
            for _ in range(self.repeats):
                pair += 1
                self.wait(self.rest)

                def fire(interval=interval):
                    generator.paired(self.pulse_v, self.width, interval)

                def on_chunk(r, pair=pair, interval=interval):
                    n = len(r.index)
                    self.emit("batch", {
                        "t_s": r.t, "t_pair_s": r.elapsed, "v_V": r.v, "i_A": r.i,
                        "interval_s": np.full(n, interval), "pair": np.full(n, pair, np.int32),
                        "phase": np.full(n, TRACE, np.int8),
                        "limit_hit": r.limit.astype(np.int8)})
                smu.time_trace(0.0, step, points, on_chunk, self.wait, after_start=fire)
                self.emit("progress", 100.0 * pair / total)

    def _keeper(self, pair, interval, phases):
        def on_chunk(r):
            keep = r.index < len(phases) - 1
            n = int(keep.sum())
            self.emit("batch", {
                "t_s": r.t[keep], "t_pair_s": r.elapsed[keep], "v_V": r.v[keep],
                "i_A": r.i[keep], "interval_s": np.full(n, interval),
                "pair": np.full(n, pair, np.int32), "phase": phases[r.index[keep]],
                "limit_hit": r.limit[keep].astype(np.int8)})
        return on_chunk

    def analyze(self, data: dict) -> dict:
        by_interval = {}
        for interval in np.unique(data["interval_s"]):
            sel = data["interval_s"] == interval
            a1, a2 = [], []
            for p in np.unique(data["pair"][sel]):
                mine = sel & (data["pair"] == p)
                first, second = self._pulse_currents(data["i_A"][mine], data["phase"][mine])
                a1.append(first)
                a2.append(second)
            index = ppf_index(a1, a2)
            by_interval[float(interval)] = float(np.nanmedian(index)) if np.isfinite(
                index).any() else math.nan
        dts = sorted(by_interval)
        fit = fit_ppf(dts, [by_interval[d] for d in dts])
        return {"ppf": {"interval_ms": [d * 1e3 for d in dts],
                        "index": [by_interval[d] for d in dts],
                        "ppf_at_shortest": by_interval[dts[0]] if dts else None,
                        "fit": fit}}

    @staticmethod
    def _pulse_currents(i, phase) -> tuple[float, float]:
        """(A1, A2): the current at the end of each pulse of one pair; NaN where the pulses
        cannot be told apart (a trace whose two pulses merged) or a pulse's reading was above
        the fixed measure range (an overflow row, left out of analysis)."""
        if phase[0] != TRACE:
            ends = (i[phase == pulse] for pulse in (PULSE1, PULSE2))
            first, second = (end[-1] if len(end) else np.nan for end in ends)
            return first, second
        ends = pulse_ends(i)
        return (i[ends[0]], i[ends[1]]) if len(ends) == 2 else (np.nan, np.nan)

    def save_figures(self, data, figures, directory, stem):
        from ..plotting import ppf_against_interval  # matplotlib only when asked for
        return [ppf_against_interval(figures, directory / f"{stem}_ppf.png")]
