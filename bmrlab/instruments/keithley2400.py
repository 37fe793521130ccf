"""Keithley 2400 SourceMeter: pymeasure's driver, extended with buffered list sweeps and a
fully specified state.

Source: 2400 Series SourceMeter User's Manual (2400S-900-01), section 18 "SCPI Command
Reference" (UM page numbers below).

State set at every ``configure`` (output off then): ``:ABOR``, ``:OUTP OFF``, ``*RST``; then
storage off before anything else touches the buffer, since ``*RST`` does not reset TRACe
(table 18-10) and ``:TRAC:FEED`` cannot change while storage is active (error 800, UM
18-115): ``:TRAC:FEED:CONT NEV``, clear, absolute timestamps (``:TRAC:TST:FORM ABS``, UM
18-116: it survives ``*RST``, and DELTa would make every timestamp a delta), feed SENS; the
five data elements the parser reads (``:FORM:ELEM``); off-mode (UM 18-57); voltage source in
fixed mode on a fixed range; source autodelay off and source delay 0 (UM 18-82); current
measurement, compliance (``:SENS:CURR:PROT``, UM 6-2), range, NPLC (0.01-10); averaging
filter off; arm count 1, trigger count 1, trigger delay 0 (arm x trigger count <= 2500);
zeroed once, then autozero explicitly off (``:SYST:AZER:STAT``: the manual does not say
what ONCE leaves, so the final state is written); 0 V.

A sweep is the source list (``:SOUR:LIST:VOLT`` and ``:APPend``, 100 values a command, 2500
a list, UM 18-92; it wraps past its end, 18-93) run by ``:TRIG:COUN`` points into the
buffer (``:TRAC:POIN`` 1-2500, ``:TRAC:FEED:CONT NEXT``); the buffer is read whole with
``:TRAC:DATA?`` once ``:TRAC:POIN:ACT?`` says it is complete, then ``*OPC?`` (queries wait
until the sweep is idle) and the held level is written in fixed mode.

Status word: bit 3 (8) real compliance, bit 16 (65536) range compliance (the current clamped
at a fixed measure range below the compliance, UM 6-2): both set the limit flag, since the
device saw less than the programmed level either way. A reading above a fixed range returns
9.9e37 (UM 7-2): an overflow.

The 2400 has no range finer than 1 uA: a pA high-resistance state reads as that range's
offset, which is why its On/Off figures are lower bounds.
"""

import numpy as np
from pymeasure.instruments.keithley import Keithley2400 as PymeasureKeithley2400

from .common_queries import identity_facts
from .datasheets import SmuSpec
from .scpi_source_meter import ScpiSourceMeter
from .smu import Smu

STATUS_LIMITED = 8 | 65536  # real compliance (bit 3), range compliance (bit 16)
BUFFER_POINTS = 2500  # UM 18-115: :TRACe:POINts 1-2500


class Keithley2400(ScpiSourceMeter, PymeasureKeithley2400):
    """The 2400 with the commands bmrlab's SMU interface needs (data elements: voltage,
    current, resistance, time, status)."""

    model_name = "Keithley 2400"

    def configure_voltage_source(
        self, source_range: float, compliance: float, off_mode: str
    ) -> None:
        """From a reset, with the output off: buffer storage off and absolute timestamps,
        fixed source range, no source delay, compliance."""
        self.write(":ABOR")
        self.write(":OUTP OFF")
        self.write("*RST")
        self.write(":TRAC:FEED:CONT NEV")
        self.write(":TRAC:CLE;:TRAC:TST:FORM ABS;:TRAC:FEED SENS")
        self.write(":FORM:ELEM VOLT,CURR,RES,TIME,STAT")
        self.write(f":OUTP:SMOD {off_mode}")
        self.write(":SOUR:FUNC VOLT;:SOUR:VOLT:MODE FIX")
        self.write(f":SOUR:VOLT:RANG:AUTO OFF;:SOUR:VOLT:RANG {source_range:g}")
        self.write(":SOUR:DEL:AUTO OFF;:SOUR:DEL 0")
        self.write(f':SENS:FUNC "CURR";:SENS:CURR:PROT {compliance:g}')

    def configure_current_measurement(self, nplc: float, current_range: float | None) -> None:
        ranging = (
            ":SENS:CURR:RANG:AUTO ON"
            if current_range is None
            else f":SENS:CURR:RANG:AUTO OFF;:SENS:CURR:RANG {current_range:g}"
        )
        self.write(f"{ranging};:SENS:CURR:NPLC {nplc:g}")
        self.write(":SENS:AVER OFF")
        self.write(":ARM:COUN 1;:TRIG:COUN 1;:TRIG:DEL 0")
        self.write(":SYST:AZER:STAT ONCE;:SYST:AZER:STAT OFF")

    def measure_current_on(self, current_range: float, nplc: float) -> None:
        """Measure range and aperture (UM 18 :SENSe:CURRent:RANGe, :NPLCycles), zeroed once
        and autozero left off as at configure; the source range is a separate setting."""
        self.write(
            f":SENS:CURR:RANG {current_range:g};:SENS:CURR:NPLC {nplc:g};"
            ":SYST:AZER:STAT ONCE;:SYST:AZER:STAT OFF"
        )

    def buffer_capacity(self) -> int:
        """The 2400's buffer is fixed at 2500 readings (UM 18-115)."""
        return BUFFER_POINTS

    def set_level(self, volts: float) -> None:
        """A fixed level (the source may still be in list mode after a sweep)."""
        self.write(f":SOUR:VOLT:MODE FIX;:SOUR:VOLT {volts:g}")

    def arm_list_sweep(self, dwell: float, delay: float, passes: int, list_length: int) -> None:
        """Source the list ``passes`` times (one trigger a point, ``delay`` s of trigger delay
        before each) into a fresh buffer (``:INIT`` starts it); storage is switched off before
        the feed is set. The trigger delay paces the steps because the source delay is
        skipped when the level does not change (UM A-8, cases V and VI)."""
        points = passes * list_length
        self.write(f":SOUR:VOLT:MODE LIST;:ARM:COUN 1;:TRIG:COUN {points};:TRIG:DEL {delay:.6g}")
        self.write(":TRAC:FEED:CONT NEV")
        self.write(f":TRAC:CLE;:TRAC:POIN {points};:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT")

    def wait_idle(self, wait) -> None:
        """``*OPC?`` answers once the sweep is idle (queries wait for it)."""
        self.ask("*OPC?")

    def read_once(self) -> tuple[float, float, bool]:
        """One reading at the present fixed level: (voltage, current, limited)."""
        self.write(":TRAC:FEED:CONT NEV;:TRIG:COUN 1")
        values = [float(x) for x in self.ask(":READ?").split(",")]
        return values[0], values[1], (int(values[4]) & STATUS_LIMITED) > 0

    def buffer_count(self) -> int:
        return int(self.ask(":TRAC:POIN:ACT?"))

    def buffer_readings(self, first: int, last: int):
        """Readings first..last (1-based, inclusive) as arrays (time, voltage, current,
        limited); the 2400 returns its whole buffer, the rest is dropped here."""
        values = np.array(self.ask(":TRAC:DATA?").split(","), dtype=float).reshape(-1, 5)
        values = values[first - 1 : last]
        limited = (values[:, 4].astype(int) & STATUS_LIMITED) > 0
        return values[:, 3], values[:, 0], values[:, 1], limited

    def instrument_facts(self) -> dict:
        """Queries only; the source delay is "auto" while autodelay is on."""
        return {
            **identity_facts(self.ask("*IDN?")),
            "options": self.ask("*OPT?").strip(),
            "line_frequency_Hz": self.line_frequency(),
            "buffer_capacity": self.buffer_capacity(),
            "source_delay_s": (
                "auto" if int(float(self.ask(":SOUR:DEL:AUTO?"))) else float(self.ask(":SOUR:DEL?"))
            ),
            "autozero": "on" if int(float(self.ask(":SYST:AZER?"))) else "off",
        }


class Keithley2400Smu(Smu):
    IDN_MODELS = ("2400", "2401", "2410")  # what *IDN? calls this model
    DATASHEET = SmuSpec(
        "Keithley 2400 specifications SPEC-2400 Rev. H, p. 2",
        current={
            1e-6: (0.00029, 300e-12),
            10e-6: (0.00027, 700e-12),
            100e-6: (0.00025, 6e-9),
            1e-3: (0.00027, 60e-9),
        },
        voltage={0.2: (0.00012, 300e-6), 2.0: (0.00012, 300e-6)},
        protocol_ranges=(1e-6,),
    )
    model = "Keithley 2400"
    max_list_points = 2500
    max_buffer_points = BUFFER_POINTS
    voltage_ranges = (0.2, 2.0, 20.0, 200.0)
    nplc_range = (0.01, 10.0)  # UM 18 :SENSe:CURRent:NPLCycles
    current_resolution = 50e-12  # 1 uA range
    # One SDM cycle besides the aperture, source V, autozero off, one function (UM appendix A):
    # the level changes: trigger latency 225 us + source configuration 50 us + 185 us of the
    # A/D conversion + firmware overhead 300 us (case III, p.A-6); it does not: latency
    # 100 us + 185 us + 300 us (case VI, p.A-8, the firmware overhead taken from case III).
    # The manual gives these as maxima.
    reading_overhead_s = 760e-6
    static_overhead_s = 585e-6
    whole_buffer_only = True  # :TRAC:DATA? returns the whole buffer
    # each trigger waits :TRIG:DEL, then sources the point's level, then measures (UM
    # section 11, trigger layer; source delay 0): a step is read at its start
    reads_at_step_start = True
    # the auto source delay is "1ms, 2ms or 3ms depending on which current range" (2400
    # Quick Results Guide, "Source delay"): the longest of them for each range
    settling_s = {1e-6: 3e-3, 10e-6: 3e-3}
    # "most commands (except DCL, SDC, IFC, and ABORt) are queued up and will not be executed
    # until the unit returns to idle" (UM p.11-11): :ABOR stops a sweep at once, a
    # :TRAC:POIN:ACT? would wait for its end
    queries_wait_for_sweep = True

    def step_overhead(self, levels) -> float:
        """Steps where the level changes take ``reading_overhead_s``, the others
        ``static_overhead_s``; the trigger delay is set for the mean, so a list's period
        (and a time trace's interval) comes out as asked."""
        levels = np.asarray(levels, dtype=float)
        changing = np.count_nonzero(levels != np.roll(levels, 1)) / len(levels)
        return self.static_overhead_s + changing * (
            self.reading_overhead_s - self.static_overhead_s
        )
