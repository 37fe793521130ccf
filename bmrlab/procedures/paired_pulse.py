"""Paired pulse: two equal pulses separated by an interval, over log-spaced intervals.

Each pair is one instrument-timed list (pulse, 0 V for the interval, pulse, 0 V) with one
step per pulse width, sampled at every step on a fixed low current range; each pair starts
from the relaxed state after ``rest``. Intervals are whole numbers of steps (the data record
the interval really used).
"""

import math

import numpy as np

from .. import standard
from ..analysis.paired_pulse import fit_ppf, ppf_index
from ..errors import BadInput
from .base import BmrProcedure, Count, Quantity, QuantityList

PULSE1, GAP, PULSE2 = 1, 0, 2  # phase column (samples of the rest are not kept)


class PairedPulse(BmrProcedure):
    name = "paired-pulse"
    title = "Paired pulse"
    description = ("Two equal pulses against their interval (log-spaced): the PPF index "
                   "A2/A1 and its double-exponential decay.")
    COLUMNS = {"t_s": "s", "t_pair_s": "s", "v_V": "V", "i_A": "A", "interval_s": "s",
               "pair": "", "phase": "1 first pulse, 0 interval, 2 second pulse",
               "limit_hit": ""}
    LIVE_PLOT = {"x": "t_pair_s", "y": "i_A", "log_y": True, "abs_y": True, "group": "pair"}

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
    compliance = Quantity("compliance", units="A", minimum=1e-9, maximum=1.0,
                          default=standard.COMPLIANCE_A, description="current limit")
    current_range = Quantity("current_range", units="A", minimum=1e-12, maximum=1.0,
                             default=10e-9, description="fixed measure range (pA responses)")
    nplc = Quantity("nplc", units="", minimum=0.001, maximum=10.0, default=0.04,
                    description="aperture of each sample")

    @classmethod
    def condition_defaults(cls, conditions: dict) -> dict:
        return {"compliance": conditions["compliance"]} if "compliance" in conditions else {}

    def check(self, station) -> None:
        guard = station.guard
        guard.check_voltage("pulse_v", self.pulse_v)
        guard.check_compliance("compliance", self.compliance)
        guard.check_pulse_width("width", self.width)
        shortest = station.smu_class.shortest_step(self.nplc)
        if self.width < shortest:
            raise BadInput(f"width = {self.width:g} s is not allowed: one sample at nplc "
                           f"{self.nplc:g} takes up to {shortest:.3g} s on the "
                           f"{station.smu_class.model}; lower nplc or widen the pulses")

    def startup(self):
        self.station.smu.configure(max_abs_v=self.pulse_v, compliance=self.compliance,
                                   nplc=self.nplc, current_range=self.current_range)

    def execute(self):
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
            pairs = np.unique(data["pair"][sel])
            a1 = [data["i_A"][sel & (data["pair"] == p) & (data["phase"] == PULSE1)][-1]
                  for p in pairs]
            a2 = [data["i_A"][sel & (data["pair"] == p) & (data["phase"] == PULSE2)][-1]
                  for p in pairs]
            index = ppf_index(a1, a2)
            by_interval[float(interval)] = float(np.nanmedian(index)) if np.isfinite(
                index).any() else math.nan
        dts = sorted(by_interval)
        fit = fit_ppf(dts, [by_interval[d] for d in dts])
        return {"ppf": {"interval_ms": [d * 1e3 for d in dts],
                        "index": [by_interval[d] for d in dts],
                        "ppf_at_shortest": by_interval[dts[0]] if dts else None,
                        "fit": fit}}

    def save_figures(self, data, figures, directory, stem):
        from ..plotting import ppf_against_interval  # matplotlib only when asked for
        return [ppf_against_interval(figures, directory / f"{stem}_ppf.png")]
