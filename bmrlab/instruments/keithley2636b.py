"""Keithley 2636B System SourceMeter, channel A, in TSP: pymeasure's Keithley2600 (which
reads point by point) extended with timer-paced list sweeps into ``smua.nvbuffer1``, read
in chunks with ``printbuffer``, and a fully specified state.

Sources: Series 2600B Reference Manual (2600BS-901-01 Rev. F), section 9 "TSP command
reference", and the same pages as Keithley's per-command help (WH-2600B page ids,
tektronix/tsp-toolkit-webhelp): ``smuX.reset()`` (15136: output off, every smuX setting to
its default), ``format.asciiprecision`` (14797, default 6 digits), ``smuX.source.offmode``
(15150), ``.source.delay`` (15142), ``smuX.measure.nplc`` (15119, 0.001-25),
``.measure.delay`` (15111), ``.measure.analogfilter`` (15106), ``.measure.autozero``
(15108: AUTOZERO_ONCE zeroes once, then autozero is off), ``smuX.trigger.source.limitY``
(15179: unless LIMIT_AUTO it replaces the normal limit during a sweep), ``smuX.nvbufferY``
``.capacity`` (15129), ``.timestampresolution`` (15135: 1 us gives unique timestamps for 71
minutes; only settable on an empty buffer), ``.statuses`` (19921: 0x40 = compliance),
``printbuffer`` (80596), ``smuX.abort()`` (15088), ``localnode.linefreq`` (15012),
``errorqueue.next()`` (17242), ``loadscript``/``endscript`` (16481), the trigger model and
``trigger.timer[N]`` (15158-15181, 15794, 15798, 15820, 17688).

State set at every ``configure`` (the output is off then): ``smua.abort()``, output off,
``smua.reset()``; ASCII transfers at 14 digits (timestamps keep 1 us past 10 s); voltage
source on a fixed range, current limit, source delay 0; NPLC and range; measure delay 0, one
reading per measurement, digital filter off, analog filter off (on after a reset, about 1 Hz on
the 1 nA and 100 pA ranges: the ms transients bmrlab times would be filtered; those ranges
still settle in up to 360 ms, 11687, which docs/instruments.md discusses); the sweep's source
limit LIMIT_AUTO, so the guard's compliance holds during sweeps; zeroed once; the buffer
emptied with timestamps and source values collected; 0 V; the buffer's capacity read back.

A sweep is the 2600B's timer-paced sweep: timer 1, started when the trigger model arms,
paces the source steps at the dwell; each step measures after ``measure.delay`` so the
reading lands at the end of the step, as on the 2450. The list is built on the instrument
100 values a message by a helper script loaded at every configure, after the reset. After
its last reading ``waitcomplete()`` waits for the trigger model and the held level is
written. A reading above a fixed range is 9.91e37.
"""

import math
import warnings
from typing import ClassVar

import numpy as np
from pymeasure.instruments.keithley import Keithley2600

from .common_queries import identity_facts, raise_instrument_errors
from .datasheets import SmuSpec
from .smu import Smu

STATUS_COMPLIANCE = 0x40
BUFFER = "smua.nvbuffer1"
AUTOZERO = {0: "off", 1: "once", 2: "auto"}  # smuX.AUTOZERO_OFF, _ONCE, _AUTO (15108)
DELAY_AUTO = -1  # smuX.DELAY_AUTO (15142)
TIMESTAMP_SPAN_S = 2**32 * 1e-6  # unique timestamps at 1 us: 71.6 min (15135)
LIST_CHUNK = 100  # list values per bmr_list_append message


def timestamp_resolution(duration: float) -> float:
    """The finest timestamp resolution (1 us times a power of 2, 15135) whose timestamps stay
    unique over ``duration`` seconds (with 10 % to spare)."""
    doublings = max(0, math.ceil(math.log2(max(duration, 1e-6) * 1.1 / TIMESTAMP_SPAN_S)))
    return 1e-6 * 2**doublings


# Lua 5.0-compatible (the 2600B's TSP): no '#' operator, counts passed explicitly.
HELPER_SCRIPT = (
    "loadscript bmrlab_lists",
    "function bmr_list_clear() bmr_levels = {} bmr_n = 0 end",
    "function bmr_list_append(values, n) for k = 1, n do bmr_n = bmr_n + 1 "
    "bmr_levels[bmr_n] = values[k] end end",
    "function bmr_buffer_empty(resolution)",
    f" {BUFFER}.clear() {BUFFER}.appendmode = 1 {BUFFER}.collecttimestamps = 1 "
    f"{BUFFER}.collectsourcevalues = 1 {BUFFER}.timestampresolution = resolution",
    "end",
    "function bmr_sweep_arm(period, delay, points, resolution)",
    " bmr_buffer_empty(resolution)",
    " smua.measure.delay = delay",
    " smua.trigger.source.listv(bmr_levels) smua.trigger.source.action = smua.ENABLE",
    " smua.trigger.source.limiti = smua.LIMIT_AUTO",
    f" smua.trigger.measure.i({BUFFER}) smua.trigger.measure.action = smua.ENABLE",
    " smua.trigger.endpulse.action = smua.SOURCE_HOLD "
    "smua.trigger.endsweep.action = smua.SOURCE_HOLD",
    " smua.trigger.arm.count = 1 smua.trigger.count = points",
    " trigger.timer[1].delay = period trigger.timer[1].count = math.max(points - 1, 1)",
    " trigger.timer[1].passthrough = true trigger.timer[1].stimulus = smua.trigger.ARMED_EVENT_ID",
    " smua.trigger.source.stimulus = trigger.timer[1].EVENT_ID",
    "end",
    "endscript",
    "bmrlab_lists()",
)


class Keithley2636B(Keithley2600):
    """Channel A of a 2600B, with the TSP bmrlab's SMU interface needs."""

    model_name: ClassVar[str] = "Keithley 2636B"
    OFF_MODES: ClassVar[dict[str, str]] = {
        "normal": "smua.OUTPUT_NORMAL",
        "zero": "smua.OUTPUT_ZERO",
        "high-impedance": "smua.OUTPUT_HIGH_Z",
    }
    raise_errors = raise_instrument_errors

    def __init__(self, adapter, **kwargs):
        with warnings.catch_warnings():  # pymeasure's SCPI-support notice; TSP is the point
            warnings.filterwarnings("ignore", "It is not known whether", FutureWarning)
            super().__init__(adapter, **kwargs)

    def load_helpers(self) -> None:
        for line in HELPER_SCRIPT:
            self.write(line)

    def configure_voltage_source(
        self, source_range: float, compliance: float, off_mode: str
    ) -> None:
        """From a reset of channel A, with the output off: full-precision ASCII, fixed source
        range, current limit, no source delay."""
        self.write("smua.abort() smua.source.output = smua.OUTPUT_OFF")
        self.write("smua.reset()")
        self.load_helpers()  # after the reset, so nothing depends on what a reset keeps
        self.write("format.data = format.ASCII format.asciiprecision = 14")
        self.write(f"smua.source.func = smua.OUTPUT_DCVOLTS smua.source.offmode = {off_mode}")
        self.write(
            f"smua.source.autorangev = smua.AUTORANGE_OFF smua.source.rangev = {source_range:g}"
        )
        self.write(f"smua.source.limiti = {compliance:g}")
        self.write("smua.source.delay = 0")

    def configure_current_measurement(self, nplc: float, current_range: float | None) -> None:
        """Aperture and range, no measure delay, no filters, the normal limit during sweeps,
        zeroed once; the buffer emptied, collecting timestamps and source values (its
        capacity depends on them, 15129)."""
        ranging = (
            "smua.measure.autorangei = smua.AUTORANGE_ON"
            if current_range is None
            else f"smua.measure.autorangei = smua.AUTORANGE_OFF "
            f"smua.measure.rangei = {current_range:g}"
        )
        self.write(f"smua.measure.nplc = {nplc:g} {ranging}")
        self.write(
            "smua.measure.delay = 0 smua.measure.count = 1 "
            "smua.measure.filter.enable = smua.FILTER_OFF smua.measure.analogfilter = 0"
        )
        self.write("smua.trigger.source.limiti = smua.LIMIT_AUTO")
        self.write("smua.measure.autozero = smua.AUTOZERO_ONCE")
        self.write(f"bmr_buffer_empty({timestamp_resolution(0):g})")

    def measure_current_on(self, current_range: float, nplc: float) -> None:
        """A measure range set while the output is on takes effect at once (15121); the
        source range is its own setting. Zeroed once for the new range and aperture (15108)."""
        self.write(
            f"smua.measure.rangei = {current_range:g} smua.measure.nplc = {nplc:g} "
            "smua.measure.autozero = smua.AUTOZERO_ONCE"
        )

    def buffer_capacity(self) -> int:
        """Readings ``smua.nvbuffer1`` holds as its collection is set (at configure:
        timestamps and source values)."""
        return int(float(self.ask(f"print({BUFFER}.capacity)")))

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

    def upload_list(self, levels: np.ndarray) -> None:
        """Build the sweep list on the instrument, 100 values a message."""
        self.write("bmr_list_clear()")
        for k in range(0, len(levels), LIST_CHUNK):
            chunk = levels[k : k + LIST_CHUNK]
            self.write(
                "bmr_list_append({" + ",".join(f"{v:.6g}" for v in chunk) + f"}}, {len(chunk)})"
            )

    def arm_list_sweep(self, dwell: float, delay: float, passes: int, list_length: int) -> None:
        """Timer-paced sweep of ``passes`` runs of the list, a step every ``dwell`` s, with
        timestamps that stay unique over the whole sweep."""
        points = passes * list_length
        resolution = timestamp_resolution(points * dwell)
        self.write(f"bmr_sweep_arm({dwell:.6g}, {delay:.6g}, {points}, {resolution:g})")

    def wait_idle(self, wait) -> None:
        """``waitcomplete()``: the next command runs once the sweep has ended."""
        self.write("waitcomplete()")

    def start(self) -> None:
        self.write("smua.trigger.initiate()")

    def buffer_count(self) -> int:
        return int(float(self.ask(f"print({BUFFER}.n)")))

    def buffer_readings(self, first: int, last: int):
        """Readings first..last: (time, source value, current, in compliance)."""
        reply = self.ask(
            f"printbuffer({first}, {last}, {BUFFER}.timestamps, "
            f"{BUFFER}.sourcevalues, {BUFFER}.readings, {BUFFER}.statuses)"
        )
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

    def instrument_facts(self) -> dict:
        """Queries only (``*IDN?`` is accepted in TSP too); the 2600B has no options query."""

        def value(expression):
            return self.ask(f"print({expression})").strip()

        facts = {
            **identity_facts(self.ask("*IDN?")),
            "options": "",
            "line_frequency_Hz": self.line_frequency(),
            "buffer_capacity": self.buffer_capacity(),
        }
        delay = float(value("smua.source.delay"))
        return {
            **facts,
            "source_delay_s": "auto" if delay == DELAY_AUTO else delay,
            "autozero": AUTOZERO[int(float(value("smua.measure.autozero")))],
        }


class Keithley2636BSmu(Smu):
    IDN_MODELS = ("2636B",)  # what *IDN? calls this model
    DATASHEET = SmuSpec(
        "Series 2600B datasheet, meter specifications 2634B/2635B/2636B",
        current={
            100e-12: (0.0015, 120e-15),
            1e-9: (0.0015, 240e-15),
            10e-9: (0.0015, 3e-12),
            100e-9: (0.00060, 40e-12),
            1e-6: (0.00025, 400e-12),
        },
        voltage={0.2: (0.00015, 225e-6), 2.0: (0.00020, 350e-6)},
        protocol_ranges=(100e-12, 1e-9, 10e-9, 100e-9, 1e-6),
    )
    model = "Keithley 2636B"
    max_list_points = 2500
    max_buffer_points = 50_000  # before connecting; the instrument's capacity at configure
    voltage_ranges = (0.2, 2.0, 20.0, 200.0)
    nplc_range = (0.001, 25.0)  # 15119
    overflow_reading = 9.9e37  # 9.91e37 is returned above a fixed range
    current_resolution = 1e-15  # 100 pA range
    reading_overhead_s = 0.05e-3  # 20 000 readings/s at the shortest aperture
    # settling to 0.1 % after a level change on a fixed range, analog filter off (11687)
    settling_s = {100e-12: 360e-3, 1e-9: 360e-3, 10e-9: 90e-3, 100e-9: 15e-3, 1e-6: 2.5e-3}
