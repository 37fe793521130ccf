"""Forming: pulses of rising amplitude until a read finds the target resistance.

A pristine device may need a first, higher-voltage "forming" step before it switches. Each
pulse (``width`` at the next amplitude, from ``start`` in steps of ``increment`` up to
``stop``) is followed by a read at the read voltage; the search stops at the first read
below ``target`` ohms: that pulse's amplitude is the forming voltage.
"""

import numpy as np

from .. import standard
from ..analysis.stimulus_response import forming_voltage
from ..results import ProtocolResult, ResultModel, figure
from ..storage.stored_run import StoredRun
from .base import BmrProcedure, Quantity, compliance_parameter, nplc_parameter
from .context import RunContext


class FormingPulses(ResultModel):
    """How the search for the forming voltage went."""

    pulses: int = figure("", "pulses measured (the search stops at the forming one)", 0)
    reason: str | None = figure("", "why there is no forming voltage")


class FormingResult(ProtocolResult):
    forming_V: float | None = figure(
        "V", "amplitude of the first pulse after which a read was below the target resistance"
    )
    forming: FormingPulses = figure("", "the search", ...)


class Forming(BmrProcedure[FormingResult]):
    name = "forming"
    title = "Forming"
    description = (
        "Pulses of rising amplitude, each followed by a read, until the read "
        "resistance falls below the target: the forming voltage."
    )
    COLUMNS = {
        "t_s": "s",
        "v_V": "V",
        "i_A": "A",
        "amplitude_V": "V",
        "resistance_ohm": "ohm",
        "limit_hit": "",
    }
    LIVE_PLOT = {"x": "amplitude_V", "y": "resistance_ohm", "log_y": True}
    Result = FormingResult

    start = Quantity(
        "start", units="V", minimum=1e-3, maximum=200.0, default=0.05, description="first amplitude"
    )
    increment = Quantity(
        "increment",
        units="V",
        minimum=1e-4,
        maximum=10.0,
        default=0.01,
        description="amplitude step",
    )
    stop = Quantity(
        "stop", units="V", minimum=1e-3, maximum=200.0, default=0.5, description="last amplitude"
    )
    width = Quantity(
        "width", units="s", minimum=1e-4, maximum=10.0, default=10e-3, description="pulse width"
    )
    target = Quantity(
        "target",
        units="ohm",
        minimum=1.0,
        maximum=1e15,
        default=1e6,
        description="stop once a read finds less than this",
    )
    compliance = compliance_parameter()
    nplc = nplc_parameter(0.05, "aperture of each reading")

    def estimated_duration(self) -> float:
        """At most: at every amplitude up to ``stop`` a pulse, the 0 V step after it and the
        instrument's set-up (about the width again), and a read (``nplc`` cycles at 50 Hz)."""
        amplitudes = int((self.stop - self.start) / self.increment + 0.5) + 1
        return amplitudes * (2 * self.width + self.nplc / 50)

    def check(self, station) -> None:
        station.guard.check_voltage("stop", self.stop)
        station.guard.check_compliance("compliance", self.compliance)
        station.guard.check_pulse_width("width", self.width)

    def startup(self, ctx: RunContext):
        ctx.smu.configure(max_abs_v=self.stop, compliance=self.compliance, nplc=self.nplc)

    def execute(self, ctx: RunContext):
        amplitudes = np.arange(self.start, self.stop + self.increment / 2, self.increment)
        for k, amplitude in enumerate(amplitudes):
            ctx.smu.pulse(amplitude, self.width, ctx.wait)
            r = ctx.smu.read(standard.V_READ)
            resistance = standard.V_READ / max(abs(float(r.i[0])), 1e-18)
            ctx.emit(
                "batch",
                {
                    "t_s": r.t,
                    "v_V": r.v,
                    "i_A": r.i,
                    "amplitude_V": [amplitude],
                    "resistance_ohm": [resistance],
                    "limit_hit": r.limit.astype(np.int8),
                },
            )
            ctx.emit("progress", 100.0 * (k + 1) / len(amplitudes))
            if resistance < self.target:
                return

    def analyze(self, stored: StoredRun) -> FormingResult:
        """The first read below the target, block by block from the file."""
        voltage, pulses = None, 0
        for block in stored.chunks(["amplitude_V", "resistance_ohm"]):
            if voltage is None:
                voltage = forming_voltage(
                    block["amplitude_V"], block["resistance_ohm"], self.target
                )
            pulses += len(block["amplitude_V"])
        return FormingResult(
            forming_V=voltage,
            forming=FormingPulses(
                pulses=pulses,
                reason=None if voltage is not None else "no read fell below the target",
            ),
        )
