"""Keithley 2450 SourceMeter: pymeasure's driver, extended with buffered list sweeps.

Every command below is checked against the Model 2450 Reference Manual (2450-901-01 Rev. B,
September 2013), section 6 "SCPI command reference": ``:OUTPut[1]:<function>:SMODe`` (6-32),
``:OUTPut[1][:STATe]``, ``:SENSe[1]:AZERo:ONCE``, ``:SENSe[1]:<function>:NPLCycles``,
``:SENSe[1]:<function>:RANGe:AUTO``, ``:SOURce[1]:<function>:<x>LIMit[:LEVel]``,
``:SOURce[1]:<function>:RANGe[:AUTO]``, ``:SOURce[1]:<function>:READ:BACK``,
``:SOURce[1]:LIST:<function>`` and ``:APPend`` (6-78, 6-79: at most 100 values a command,
2500 in a list), ``:SOURce[1]:SWEep:<function>:LIST`` (6-85: start index, delay, count,
failAbort, buffer), ``:INITiate[:IMMediate]``, ``:ABORt``, ``:READ?`` (buffer and
elements), ``:TRACe:ACTual?``, ``:TRACe:CLEar``, ``:TRACe:DATA?`` (elements REL, SOUR,
READ, SOURSTAT), ``:SYSTem:LFRequency?``, ``:SYSTem:ERRor[:NEXT]?``. Source status bits (section 8,
bufferVar.sourcestatuses, 8-29): 32 = the source was limited, 128 = the output was on.

pymeasure 0.16's own buffer methods assume 2400 emulation; this driver does not use them.
"""

import numpy as np
from pymeasure.instruments.keithley import Keithley2450 as PymeasureKeithley2450

from .scpi_smu import ScpiSourceMeter
from .smu import Smu

BUFFER = '"defbuffer1"'
STAT_LIMIT = 32


class Keithley2450(ScpiSourceMeter, PymeasureKeithley2450):
    """The 2450 in its native SCPI mode, with the commands bmrlab's SMU interface needs."""

    model_name = "Keithley 2450"

    def configure_voltage_source(self, source_range: float, compliance: float,
                                 off_mode: str) -> None:
        """Fixed source range and current limit, chosen before the output is switched on."""
        self.write(f":OUTP:VOLT:SMOD {off_mode}")
        self.write(":SOUR:FUNC VOLT")
        self.write(f":SOUR:VOLT:RANG:AUTO OFF;:SOUR:VOLT:RANG {source_range:g}")
        self.write(f":SOUR:VOLT:ILIM {compliance:g};:SOUR:VOLT:READ:BACK ON")

    def configure_current_measurement(self, nplc: float, current_range: float | None) -> None:
        """Current measurement, autoranging unless a range is given (the source range stays
        fixed either way), zeroed once."""
        ranging = (":SENS:CURR:RANG:AUTO ON" if current_range is None
                   else f":SENS:CURR:RANG:AUTO OFF;:SENS:CURR:RANG {current_range:g}")
        self.write(f':SENS:FUNC "CURR";{ranging}')
        self.write(f":SENS:CURR:NPLC {nplc:g};:SENS:AZER:ONCE")

    def arm_list_sweep(self, dwell: float, delay: float, passes: int, list_length: int) -> None:
        """Clear the buffer and set up ``passes`` runs of the source list, ``delay`` s before
        each reading (the step takes ``dwell``; ``:INIT`` starts it). The sweep delay is 0 or
        50 us to 10 000 s (the SMU interface rounds to one of them)."""
        self.write(f":TRAC:CLE {BUFFER}")
        self.write(f":SOUR:SWE:VOLT:LIST 1, {delay:.6g}, {passes}, OFF, {BUFFER}")

    def read_once(self) -> tuple[float, float, bool]:
        """One reading at the present level: (source readback, current, limit)."""
        reply = self.ask(f":READ? {BUFFER}, SOUR, READ, SOURSTAT")
        source, current, status = (float(x) for x in reply.split(","))
        return source, current, (int(status) & STAT_LIMIT) > 0

    def buffer_count(self) -> int:
        return int(self.ask(f":TRAC:ACT? {BUFFER}"))

    def buffer_readings(self, first: int, last: int):
        """Readings first..last as arrays (relative time, source readback, current, limit)."""
        reply = self.ask(f":TRAC:DATA? {first}, {last}, {BUFFER}, REL, SOUR, READ, SOURSTAT")
        values = np.array(reply.split(","), dtype=float).reshape(-1, 4)
        status = values[:, 3].astype(int)
        return values[:, 0], values[:, 1], values[:, 2], (status & STAT_LIMIT) > 0

    def output_off_safely(self, zero: float) -> None:
        """Stop the trigger model, source ``zero`` (0 V, checked by the guard), output off."""
        self.write(":ABOR")
        self.set_level(zero)
        self.write(":OUTP OFF")


class Keithley2450Smu(Smu):
    model = "Keithley 2450"
    max_list_points = 2500
    max_buffer_points = 100_000
    voltage_ranges = (0.02, 0.2, 2.0, 20.0, 200.0)
    current_resolution = 10e-15  # 10 nA range
    reading_overhead_s = 0.2e-3  # autozero off
    min_delay = 50e-6  # :SOUR:SWE:VOLT:LIST takes a delay of 0, or 50 us to 10 000 s
