"""I-V sweep: staircase loops 0 -> +v_max -> 0 (-> -v_neg -> 0) run on the instrument.

The whole cycle, repeated ``cycles`` times, is uploaded as a source list and timed by the
SMU; bmrlab only reads the buffer in chunks while it runs. A cycle is: ``rest`` at 0 V (a
volatile device relaxes), one read at ``v_read`` (the HRS current, from the relaxed state),
then the staircase. The ``phase`` column tells the three apart.
"""

import numpy as np

from .. import standard
from ..analysis.iv import READ, REST, SWEEP, analyze_iv
from ..errors import BadInput
from ..units import format_quantity
from .base import BmrProcedure, Count, Quantity, compliance_parameter

FLOOR_RESOLUTIONS = 10  # an HRS read within this many resolutions of 0 is the floor


def cycle_levels(v_max, v_neg, step, v_read, rest_points) -> tuple[np.ndarray, np.ndarray]:
    """Levels and phases of one cycle: rest, HRS read, 0 -> +v_max -> 0 (-> -v_neg -> 0)."""
    def ramp(stop):
        n = max(1, int(round(abs(stop) / step)))
        return np.linspace(0.0, stop, n + 1)
    up = ramp(v_max)
    sweep = [up, up[::-1][1:]]
    if v_neg > 0:
        down = ramp(-v_neg)
        sweep += [down[1:], down[::-1][1:]]
    sweep = np.concatenate(sweep)
    levels = np.concatenate([np.zeros(rest_points), [v_read], sweep])
    phases = np.concatenate([np.full(rest_points, REST), [READ], np.full(sweep.size, SWEEP)])
    return levels, phases.astype(np.int8)


class IvSweep(BmrProcedure):
    name = "iv-sweep"
    title = "I-V sweep"
    description = ("Staircase I-V loops with current compliance; Vset, Vreset and On/Off "
                   "per cycle, with the median and 5-95 % spread.")
    COLUMNS = {"t_s": "s", "v_V": "V", "v_src_V": "V", "i_A": "A", "cycle": "",
               "phase": "0 rest, 1 read, 2 sweep", "limit_hit": ""}
    LIVE_PLOT = {"x": "v_src_V", "y": "i_A", "log_y": True, "abs_y": True, "group": "cycle",
                 "segment": "phase", "hide": {"phase": [0]}}

    v_max = Quantity("v_max", units="V", minimum=1e-3, maximum=200.0,
                     default=standard.SWEEP_V_MAX, description="peak of the positive branch")
    v_neg = Quantity("v_neg", units="V", minimum=0.0, maximum=200.0, default=0.0,
                     description="magnitude of the negative branch; 0 = unipolar")
    step = Quantity("step", units="V", minimum=0.1e-3, maximum=1.0,
                    default=standard.SWEEP_STEP_V, description="voltage step")
    dwell = Quantity("dwell", units="s", minimum=50e-6, maximum=10.0,
                     default=standard.SWEEP_DWELL_S,
                     description="time per step (step/dwell is the sweep rate)")
    compliance = compliance_parameter()
    nplc = Quantity("nplc", units="", minimum=0.01, maximum=10.0, default=0.05,
                    description="measurement aperture in power-line cycles")
    cycles = Count("cycles", minimum=1, maximum=100_000, default=standard.IV_CYCLES,
                   description="number of loops")
    v_read = Quantity("v_read", units="V", minimum=1e-3, maximum=1.0, default=standard.V_READ,
                      description="voltage at which On/Off is evaluated")
    rest = Quantity("rest", units="s", minimum=0.0, maximum=3600.0, default=standard.IV_REST_S,
                    description="time at 0 V before each cycle")

    @classmethod
    def condition_defaults(cls, conditions: dict, given: dict) -> dict:
        """The device's test conditions: a nonvolatile device is cycled bipolar (set on
        +v_max, reset on -v_neg); its compliance and sweep rate, where they are known."""
        defaults = {}
        if conditions.get("volatile") is False:
            defaults["v_neg"] = cls.v_max.default
        if "compliance" in conditions:
            defaults["compliance"] = conditions["compliance"]
        if "sweep_dwell_s" in conditions:
            defaults["dwell"] = conditions["sweep_dwell_s"]
        return defaults

    def cycle(self) -> tuple[np.ndarray, np.ndarray]:
        return cycle_levels(self.v_max, self.v_neg, self.step, self.v_read,
                            int(round(self.rest / self.dwell)))

    def estimated_duration(self) -> float:
        return self.cycles * len(self.cycle()[0]) * self.dwell

    def check(self, station) -> None:
        guard = station.guard
        guard.check_voltage("v_max", self.v_max)
        guard.check_voltage("v_neg", -self.v_neg)
        guard.check_compliance("compliance", self.compliance)
        self.check_fits_a_reading(station, "dwell")
        if self.v_read >= self.v_max:
            raise BadInput(f"v_read = {format_quantity(self.v_read, 'V')} is not allowed: it "
                           f"must be below v_max = {format_quantity(self.v_max, 'V')}")

    def startup(self):
        self.station.smu.configure(max_abs_v=max(self.v_max, self.v_neg),
                                   compliance=self.compliance, nplc=self.nplc)

    def execute(self):
        levels, phases = self.cycle()
        total = len(levels) * self.cycles

        def on_chunk(readings):
            within = readings.index % len(levels)
            self.emit("batch", {
                "t_s": readings.t, "v_V": readings.v, "v_src_V": levels[within],
                "i_A": readings.i, "cycle": (readings.index // len(levels) + 1).astype(np.int32),
                "phase": phases[within], "limit_hit": readings.limit.astype(np.int8)})
            self.emit("progress", 100.0 * (readings.index[-1] + 1) / total)

        self.station.smu.sweep(levels, self.dwell, self.cycles, on_chunk, self.wait)

    def analyze(self, data: dict) -> dict:
        return analyze_iv(data["v_src_V"], data["i_A"], data["cycle"], data["phase"],
                          compliance=self.compliance, v_read=self.v_read, step=self.step,
                          current_floor=FLOOR_RESOLUTIONS * self.station.smu.current_resolution)

    def save_figures(self, data, figures, directory, stem):
        from ..plotting import iv_loops, vset_histogram  # matplotlib only when asked for
        return [iv_loops(data, figures, directory / f"{stem}_iv.png"),
                vset_histogram(figures, directory / f"{stem}_vset.png")]
