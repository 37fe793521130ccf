"""Keithley 2450 SourceMeter: pymeasure's driver, extended with buffered list sweeps.

Every command below is checked against the Model 2450 Reference Manual (2450-901-01 Rev. B,
September 2013), section 6 "SCPI command reference": ``:OUTPut[1]:<function>:SMODe`` (6-32),
``:OUTPut[1][:STATe]``, ``:SENSe[1]:AZERo:ONCE``, ``:SENSe[1]:<function>:NPLCycles``,
``:SENSe[1]:<function>:RANGe:AUTO``, ``:SOURce[1]:<function>:<x>LIMit[:LEVel]``,
``:SOURce[1]:<function>:RANGe[:AUTO]``, ``:SOURce[1]:<function>:READ:BACK``,
``:SOURce[1]:LIST:<function>`` and ``:APPend`` (6-78, 6-79: at most 100 values a command,
2500 in a list), ``:SOURce[1]:SWEep:<function>:LIST`` (6-85: start index, delay, count,
failAbort, buffer), ``:INITiate[:IMMediate]``, ``:ABORt``, ``:TRACe:ACTual?``,
``:TRACe:CLEar``, ``:TRACe:DATA?`` (elements REL, SOUR, READ, SOURSTAT),
``:SYSTem:LFRequency?``, ``:SYSTem:ERRor[:NEXT]?``. Source status bits (section 8,
bufferVar.sourcestatuses, 8-29): 32 = the source was limited, 128 = the output was on.

pymeasure 0.16's own buffer methods assume 2400 emulation; this driver does not use them.
"""

import numpy as np
from pymeasure.instruments.keithley import Keithley2450 as PymeasureKeithley2450

from ..errors import InstrumentError
from .smu import Smu

BUFFER = '"defbuffer1"'
STAT_LIMIT = 32
LIST_CHUNK = 100  # values per :SOUR:LIST command (manual 6-78)
READING_OVERHEAD_S = 0.2e-3  # per reading, autozero off, besides the aperture
OFF_MODES = {"normal": "NORM", "zero": "ZERO", "high-impedance": "HIMP", "guard": "GUAR"}


class Keithley2450(PymeasureKeithley2450):
    """The 2450 in its native SCPI mode, with the commands bmrlab's SMU interface needs."""

    def configure_voltage_source(self, source_range: float, compliance: float,
                                 off_mode: str) -> None:
        """Fixed source range and current limit, chosen before the output is switched on."""
        self.write(f":OUTP:VOLT:SMOD {off_mode}")
        self.write(":SOUR:FUNC VOLT")
        self.write(f":SOUR:VOLT:RANG:AUTO OFF;:SOUR:VOLT:RANG {source_range:g}")
        self.write(f":SOUR:VOLT:ILIM {compliance:g};:SOUR:VOLT:READ:BACK ON")

    def configure_current_measurement(self, nplc: float) -> None:
        """Current measurement, autoranging (the source range stays fixed), zeroed once."""
        self.write(':SENS:FUNC "CURR";:SENS:CURR:RANG:AUTO ON')
        self.write(f":SENS:CURR:NPLC {nplc:g};:SENS:AZER:ONCE")

    def upload_list(self, levels) -> None:
        """Replace the source list by ``levels``, sent in groups of 100."""
        for k in range(0, len(levels), LIST_CHUNK):
            command = ":SOUR:LIST:VOLT" if k == 0 else ":SOUR:LIST:VOLT:APP"
            values = ",".join(f"{v:.6g}" for v in levels[k:k + LIST_CHUNK])
            self.write(f"{command} {values}")

    def start_list_sweep(self, delay: float, count: int) -> None:
        """Clear the buffer and run the list ``count`` times, ``delay`` s before each reading."""
        self.write(f":TRAC:CLE {BUFFER}")
        self.write(f":SOUR:SWE:VOLT:LIST 1, {delay:.6g}, {count}, OFF, {BUFFER}")
        self.write(":INIT")

    def buffer_count(self) -> int:
        return int(self.ask(f":TRAC:ACT? {BUFFER}"))

    def buffer_readings(self, first: int, last: int):
        """Readings first..last as arrays (relative time, source readback, current, limit)."""
        reply = self.ask(f":TRAC:DATA? {first}, {last}, {BUFFER}, REL, SOUR, READ, SOURSTAT")
        values = np.array(reply.split(","), dtype=float).reshape(-1, 4)
        status = values[:, 3].astype(int)
        return values[:, 0], values[:, 1], values[:, 2], (status & STAT_LIMIT) > 0

    def set_level(self, volts: float) -> None:
        self.write(f":SOUR:VOLT {volts:g}")

    def output_off_safely(self, zero: float) -> None:
        """Stop the trigger model, source ``zero`` (0 V, checked by the guard), output off."""
        self.write(":ABOR")
        self.set_level(zero)
        self.write(":OUTP OFF")

    def raise_errors(self) -> None:
        """Raise with the instrument's own messages if its error queue is not empty."""
        errors = self.check_errors()
        if errors:
            raise InstrumentError("Keithley 2450 reported: " + "; ".join(
                f"{code} {message}" for code, message in errors))


class Keithley2450Smu(Smu):
    model = "Keithley 2450"
    max_list_points = 2500
    max_buffer_points = 100_000
    voltage_ranges = (0.02, 0.2, 2.0, 20.0, 200.0)

    def configure(self, *, max_abs_v: float, compliance: float, nplc: float) -> None:
        source_range = self.guard.source_range(max_abs_v, self.voltage_ranges)
        d = self.driver
        d.configure_voltage_source(source_range, self.guard.compliance(compliance),
                                   OFF_MODES[self.off_mode])
        d.set_level(self.guard.level(0.0))
        d.configure_current_measurement(nplc)
        line_frequency = float(d.ask(":SYST:LFR?"))
        d.raise_errors()
        d.write(":OUTP ON")
        self.settings = {"source_range_V": source_range, "compliance_A": compliance,
                         "nplc": nplc, "line_frequency_Hz": line_frequency,
                         "off_mode": self.off_mode}

    def step_time(self, delay: float) -> float:
        aperture = self.settings["nplc"] / self.settings["line_frequency_Hz"]
        return delay + aperture + READING_OVERHEAD_S

    @classmethod
    def shortest_step(cls, nplc: float) -> float:
        return nplc / 50.0 + READING_OVERHEAD_S

    def _start(self, levels, delay, count) -> None:
        self.driver.upload_list(levels)
        self.driver.start_list_sweep(delay, count)

    def _count(self) -> int:
        return self.driver.buffer_count()

    def _fetch(self, first, last):
        return self.driver.buffer_readings(first, last)

    def _abort(self) -> None:
        self.driver.write(":ABOR")

    def safe_off(self) -> None:
        self.driver.output_off_safely(self.guard.level(0.0))

    def identify(self) -> str:
        return self.driver.id
