"""Integrate and fire: spike trains at several spacings, counting the spikes to fire.

Each train (``repeats`` per spacing; the median count is reported) starts from the relaxed
state: ``max_spikes`` spikes (``spike_v``,
``spike_width``) every ``spacing``, timed by the instrument and sampled inside each spike.
The device integrates (its gap closes a little with each spike and relaxes between them)
and fires when the current passes 10 % of compliance; closer spikes, higher input
frequency, fire sooner, and beyond some spacing the device never fires.
"""

import numpy as np

from ..analysis.stimulus_response import fire_counts, spikes_to_fire
from ..instruments.smu import PulseTrain
from ..results import ProtocolResult, ResultModel, figure
from ..storage.stored_run import StoredRun
from .base import BmrProcedure, Count, Quantity, QuantityList, compliance_parameter, nplc_parameter
from .context import RunContext
from .hrs_recovery import back_to_hrs, hrs_read, max_rest_parameter, read_floor, rest_parameter

SAMPLES_PER_SPIKE = 2


class FiringCurve(ResultModel):
    spacing_ms: list[float] = figure("ms", "spike period (start to start)", ...)
    frequency_Hz: list[float] = figure("Hz", "input frequency, 1 / spacing", ...)
    spikes_to_fire: list[float | None] = figure(
        "",
        "median over the trains of the spike during which the current passed 10 % of "
        "compliance (a train that never fired counts as more than max_spikes; None: "
        "half the trains or more never fired)",
        ...,
    )
    spikes_to_fire_ci_low: list[float | None] = figure(
        "", "95 % confidence interval of the median, low end (bootstrap over the trains)", ...
    )
    spikes_to_fire_ci_high: list[float | None] = figure(
        "", "95 % confidence interval of the median, high end (None: not bounded)", ...
    )
    n: list[int] = figure("", "trains at each spacing", ...)


class NeuronResult(ProtocolResult):
    neuron: FiringCurve


class Neuron(BmrProcedure[NeuronResult]):
    name = "neuron"
    title = "Integrate and fire"
    description = (
        "Spike trains at several spacings from the relaxed state: spikes to fire "
        "against the input frequency."
    )
    COLUMNS = {
        "t_s": "s",
        "v_V": "V",
        "i_A": "A",
        "spacing_s": "s",
        "train": "",
        "spike": "",
        "limit_hit": "",
    }
    LIVE_PLOT = {"x": "spike", "y": "i_A", "log_y": True, "abs_y": True, "group": "spacing_s"}
    Result = NeuronResult

    spike_v = Quantity(
        "spike_v",
        units="V",
        minimum=1e-3,
        maximum=200.0,
        default=0.1,
        description="spike amplitude",
    )
    spike_width = Quantity(
        "spike_width",
        units="s",
        minimum=1e-4,
        maximum=10.0,
        default=1e-3,
        description="spike width",
    )
    spacings = QuantityList(
        "spacings",
        units="s",
        minimum=1e-4,
        maximum=100.0,
        default=[1.5e-3, 2e-3, 2.5e-3, 3e-3, 4e-3],
        description="spike periods (start to start), multiples of half a spike width",
    )
    max_spikes = Count(
        "max_spikes", minimum=1, maximum=100_000, default=100, description="spikes per train"
    )
    repeats = Count(
        "repeats",
        minimum=1,
        maximum=1000,
        default=5,
        description="trains per spacing (the median count is used)",
    )
    compliance = compliance_parameter()
    nplc = nplc_parameter(0.01, "aperture of each sample")
    rest = rest_parameter("before each train")
    max_rest = max_rest_parameter()

    def estimated_duration(self) -> float:
        """At most: every train to ``max_spikes``, one rest before each but the first."""
        trains = sum(self.max_spikes * spacing for spacing in self.spacings) * self.repeats
        return trains + (len(self.spacings) * self.repeats - 1) * self.rest

    def check(self, station) -> None:
        station.guard.check_voltage("spike_v", self.spike_v)
        station.guard.check_compliance("compliance", self.compliance)
        station.guard.check_pulse_width("spike_width", self.spike_width)

    def startup(self, ctx: RunContext):
        ctx.smu.configure(
            max_abs_v=self.spike_v,
            compliance=self.compliance,
            nplc=self.nplc,
            current_range=self.compliance,
        )

    def execute(self, ctx: RunContext):
        reference = hrs_read(ctx)
        floor = read_floor(ctx, self.compliance)
        trains = [(s, k) for s in self.spacings for k in range(self.repeats)]
        for number, (spacing, _) in enumerate(trains, start=1):
            if number > 1:
                back_to_hrs(ctx, reference, floor, self.rest, self.max_rest)
            train = PulseTrain(
                self.spike_v,
                self.spike_width,
                0.0,
                spacing,
                self.max_spikes,
                self.spike_width / SAMPLES_PER_SPIKE,
            )
            ctx.smu.pulse_train(train, self._keeper(ctx, train, spacing, number), ctx.wait)
            ctx.emit("progress", 100.0 * number / len(trains))

    @staticmethod
    def _keeper(ctx, train, spacing, number):
        def on_chunk(r):
            spike, inside = train.pulse_of(r.index)
            n = int(inside.sum())
            ctx.emit(
                "batch",
                {
                    "t_s": r.t[inside],
                    "v_V": r.v[inside],
                    "i_A": r.i[inside],
                    "spacing_s": np.full(n, spacing),
                    "train": np.full(n, number, np.int32),
                    "spike": spike[inside].astype(np.int32),
                    "limit_hit": r.limit[inside].astype(np.int8),
                },
            )

        return on_chunk

    def analyze(self, stored: StoredRun) -> NeuronResult:
        """Spikes to fire per train, one train read at a time; the median per spacing with
        its confidence interval."""
        counts: dict[float, list[float]] = {}
        for _, train in stored.groups("train", ["spacing_s", "spike", "i_A"]):
            fired = spikes_to_fire(
                train["spike"], np.ones(train["spike"].size), train["i_A"], self.compliance
            )
            counts.setdefault(float(train["spacing_s"][0]), []).append(
                np.inf if fired is None else fired
            )
        summaries = [fire_counts(counts.get(s, []), self.max_spikes) for s in self.spacings]
        return NeuronResult(
            neuron=FiringCurve(
                spacing_ms=[s * 1e3 for s in self.spacings],
                frequency_Hz=[1 / s for s in self.spacings],
                spikes_to_fire=[summary["median"] for summary in summaries],
                spikes_to_fire_ci_low=[summary["ci_low"] for summary in summaries],
                spikes_to_fire_ci_high=[summary["ci_high"] for summary in summaries],
                n=[summary["n"] for summary in summaries],
            )
        )
