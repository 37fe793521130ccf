"""Keithley 2636B System SourceMeter, channel A, in TSP: pymeasure's Keithley2600 (which
reads point by point) extended with timer-paced list sweeps into ``smua.nvbuffer1``, read
in chunks with ``printbuffer``.

Checked against the Series 2600B System SourceMeter Instrument Reference Manual
(2600BS-901-01 Rev. F, August 2021), section 9 "TSP command reference":
``smuX.source.func``, ``.offmode`` (OUTPUT_NORMAL, OUTPUT_ZERO, OUTPUT_HIGH_Z),
``.autorangev``, ``.rangev``, ``.limiti``, ``.levelv``, ``.output``, ``.compliance``;
``smuX.measure.nplc`` (0.001-25), ``.autorangei``, ``.rangei``, ``.autozero``
(AUTOZERO_ONCE), ``.delay``, ``smuX.measure.iv()``; ``smuX.nvbuffer1`` (``clear()``,
``appendmode``, ``collecttimestamps``, ``collectsourcevalues``, ``n``, and the recall
attributes ``timestamps``, ``sourcevalues``, ``readings``, ``statuses``: bit B6, 0x40, the
source was in compliance); ``smuX.trigger.source.listv()`` (the list restarts when the
trigger count is larger), ``.source.action``, ``.source.stimulus``, ``.measure.i()``,
``.measure.action``, ``.count``, ``.arm.count``, ``.endpulse.action``,
``.endsweep.action`` (SOURCE_HOLD), ``.ARMED_EVENT_ID``, ``.initiate()``; ``smuX.abort()``;
``trigger.timer[N].delay``, ``.count``, ``.passthrough``, ``.stimulus``, ``.EVENT_ID``;
``printbuffer()``; ``localnode.linefreq``; ``errorqueue.next()`` (pymeasure's
``next_error``); ``loadscript`` / ``endscript``.

A sweep is the 2600B's timer-paced sweep: timer 1, started when the trigger model arms,
paces the source steps at the dwell; each step measures after ``measure.delay`` so the
reading lands at the end of the step, as on the 2450. The list is built on the instrument
100 values a message by a helper script loaded once per connection.
"""

import warnings

import numpy as np
from pymeasure.instruments.keithley import Keithley2600

from .scpi_smu import LIST_CHUNK, raise_instrument_errors
from .smu import Smu

STATUS_COMPLIANCE = 0x40
BUFFER = "smua.nvbuffer1"

# Lua 5.0-compatible (the 2600B's TSP): no '#' operator, counts passed explicitly.
HELPER_SCRIPT = (
    "loadscript bmrlab_lists",
    "function bmr_list_clear() bmr_levels = {} bmr_n = 0 end",
    "function bmr_list_append(values, n) for k = 1, n do bmr_n = bmr_n + 1 "
    "bmr_levels[bmr_n] = values[k] end end",
    "function bmr_sweep_arm(period, delay, points)",
    f" {BUFFER}.clear() {BUFFER}.appendmode = 1 {BUFFER}.collecttimestamps = 1 "
    f"{BUFFER}.collectsourcevalues = 1",
    " smua.measure.delay = delay",
    " smua.trigger.source.listv(bmr_levels) smua.trigger.source.action = smua.ENABLE",
    f" smua.trigger.measure.i({BUFFER}) smua.trigger.measure.action = smua.ENABLE",
    " smua.trigger.endpulse.action = smua.SOURCE_HOLD "
    "smua.trigger.endsweep.action = smua.SOURCE_HOLD",
    " smua.trigger.arm.count = 1 smua.trigger.count = points",
    " trigger.timer[1].delay = period trigger.timer[1].count = math.max(points - 1, 1)",
    " trigger.timer[1].passthrough = true "
    "trigger.timer[1].stimulus = smua.trigger.ARMED_EVENT_ID",
    " smua.trigger.source.stimulus = trigger.timer[1].EVENT_ID",
    "end",
    "endscript",
    "bmrlab_lists()",
)


class Keithley2636B(Keithley2600):
    """Channel A of a 2600B, with the TSP bmrlab's SMU interface needs."""

    model_name = "Keithley 2636B"
    OFF_MODES = {"normal": "smua.OUTPUT_NORMAL", "zero": "smua.OUTPUT_ZERO",
                 "high-impedance": "smua.OUTPUT_HIGH_Z"}
    raise_errors = raise_instrument_errors

    def __init__(self, adapter, **kwargs):
        with warnings.catch_warnings():  # pymeasure's SCPI-support notice; TSP is the point
            warnings.filterwarnings("ignore", "It is not known whether", FutureWarning)
            super().__init__(adapter, **kwargs)
        self.helpers_loaded = False

    def load_helpers(self) -> None:
        for line in HELPER_SCRIPT:
            self.write(line)
        self.helpers_loaded = True

    def configure_voltage_source(self, source_range: float, compliance: float,
                                 off_mode: str) -> None:
        self.write(f"smua.source.func = smua.OUTPUT_DCVOLTS smua.source.offmode = {off_mode}")
        self.write(f"smua.source.autorangev = smua.AUTORANGE_OFF "
                   f"smua.source.rangev = {source_range:g}")
        self.write(f"smua.source.limiti = {compliance:g}")

    def configure_current_measurement(self, nplc: float, current_range: float | None) -> None:
        ranging = ("smua.measure.autorangei = smua.AUTORANGE_ON" if current_range is None
                   else f"smua.measure.autorangei = smua.AUTORANGE_OFF "
                        f"smua.measure.rangei = {current_range:g}")
        self.write(f"smua.measure.nplc = {nplc:g} {ranging}")
        self.write("smua.measure.autozero = smua.AUTOZERO_ONCE")

    def set_level(self, volts: float) -> None:
        self.write(f"smua.source.levelv = {volts:g}")

    def line_frequency(self) -> float:
        return float(self.ask("print(localnode.linefreq)"))

    def output_on(self) -> None:
        self.write("smua.source.output = smua.OUTPUT_ON")

    def read_once(self) -> tuple[float, float, bool]:
        """One reading at the present level: (source readback, current, in compliance)."""
        reply = self.ask("i, v = smua.measure.iv() print(i, v, smua.source.compliance)")
        current, volts, compliance = reply.split("\t")
        return float(volts), float(current), compliance.strip() == "true"

    def upload_list(self, levels) -> None:
        """Build the sweep list on the instrument, 100 values a message."""
        self.write("bmr_list_clear()")
        for k in range(0, len(levels), LIST_CHUNK):
            chunk = levels[k:k + LIST_CHUNK]
            self.write("bmr_list_append({" + ",".join(f"{v:.6g}" for v in chunk)
                       + f"}}, {len(chunk)})")

    def arm_list_sweep(self, dwell: float, delay: float, passes: int, list_length: int) -> None:
        """Timer-paced sweep of ``passes`` runs of the list, a step every ``dwell`` s."""
        self.write(f"bmr_sweep_arm({dwell:.6g}, {delay:.6g}, {passes * list_length})")

    def start(self) -> None:
        self.write("smua.trigger.initiate()")

    def buffer_count(self) -> int:
        return int(float(self.ask(f"print({BUFFER}.n)")))

    def buffer_readings(self, first: int, last: int):
        """Readings first..last: (time, source value, current, in compliance)."""
        reply = self.ask(f"printbuffer({first}, {last}, {BUFFER}.timestamps, "
                         f"{BUFFER}.sourcevalues, {BUFFER}.readings, {BUFFER}.statuses)")
        values = np.array(reply.split(","), dtype=float).reshape(-1, 4)
        status = values[:, 3].astype(int)
        return values[:, 0], values[:, 1], values[:, 2], (status & STATUS_COMPLIANCE) > 0

    def abort(self) -> None:
        self.write("smua.abort()")

    def output_off_safely(self, zero: float) -> None:
        """Stop the trigger model, source ``zero`` (0 V, checked by the guard), output off."""
        self.abort()
        self.set_level(zero)
        self.write("smua.source.output = smua.OUTPUT_OFF")


class Keithley2636BSmu(Smu):
    model = "Keithley 2636B"
    max_list_points = 2500
    max_buffer_points = 50_000
    voltage_ranges = (0.2, 2.0, 20.0, 200.0)
    current_resolution = 1e-15  # 100 pA range
    reading_overhead_s = 0.05e-3  # 20 000 readings/s at the shortest aperture
    off_modes = tuple(Keithley2636B.OFF_MODES)

    def _configure(self, source_range, compliance, nplc, current_range) -> dict:
        if not self.driver.helpers_loaded:
            self.driver.load_helpers()
        return super()._configure(source_range, compliance, nplc, current_range)
