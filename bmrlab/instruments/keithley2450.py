"""Keithley 2450 SourceMeter: pymeasure's driver, extended with buffered list sweeps and a
fully specified state.

Sources: Model 2450 Reference Manual (2450-901-01 Rev. B, September 2013), section 6 "SCPI
command reference" (RM page numbers below), and Keithley's per-command help for the same
settings in TSP (WH-2450 page ids, tektronix/tsp-toolkit-webhelp).

State set at every ``configure`` (the output is off then): ``:ABOR`` (a running trigger model
rejects commands, WH-2450 29803), ``:OUTP OFF``, ``*RST``, then every setting the run depends
on: off-mode (RM 6-32), voltage source on a fixed range, current limit, readback OFF (the
programmed level is recorded; readback measures the source before every reading, WH-2450
30579), source autodelay OFF and source delay 0 (autodelay is ON after a reset and adds 50 ms
on the 10 nA and 100 nA ranges to every level change, WH-2450 33143, ID_SRC_DELAY_BUT, 29079),
current measurement, range, NPLC, autozero OFF (RM 6-46; ON after a reset, and expired
references cost two extra readings inside a step, WH-2450 29727), measure count 1 (WH-2450
30505), averaging filter off (RM 6-44, WH-2450 30066), relative offset off (WH-2450 29986),
defbuffer1 sized to ``BUFFER_POINTS`` and its capacity read back (RM 6-115: default buffers
hold 10 000 on Rev. B firmware, 100 000 today, WH-2450 45724), references refreshed once
(``:SENS:AZER:ONCE``, WH-2450 29049), 0 V.

A sweep is ``:SOUR:SWE:VOLT:LIST`` over the source list (RM 6-78/6-79: 100 values a command,
2500 a list; the sweep delay, 0 or 50 us to 10 ks, is added to the source delay, WH-2450
31499). After its last reading the driver waits for ``:TRIG:STAT?`` IDLE (RM 6-166) before
anything else. Buffer reads: ``:TRAC:ACT?`` (RM 6-107), ``:TRAC:DATA?`` (RM 6-109). Source
status bits (WH-2450 34340): 32 = the source was limited. A reading above a fixed range is
9.9e37 (WH-2450 29407).

pymeasure 0.16's own buffer methods assume 2400 emulation; this driver does not use them.
"""

import numpy as np
from pymeasure.instruments.keithley import Keithley2450 as PymeasureKeithley2450

from ..errors import InstrumentError
from .common_queries import identity_facts
from .datasheets import SmuSpec
from .scpi_source_meter import ScpiSourceMeter
from .smu import Smu

BUFFER = '"defbuffer1"'
BUFFER_POINTS = 100_000  # asked for; the instrument's answer is what is used
STAT_LIMIT = 32
IDLE_POLLS = 100  # :TRIG:STAT? is re-read every 10 ms for at most this many times
IDLE_POLL_S = 0.01


class Keithley2450(ScpiSourceMeter, PymeasureKeithley2450):
    """The 2450 in its native SCPI mode, with the commands bmrlab's SMU interface needs."""

    model_name = "Keithley 2450"

    def configure_voltage_source(
        self, source_range: float, compliance: float, off_mode: str
    ) -> None:
        """From a reset, with the output off: fixed source range, current limit, no source
        delay, no readback."""
        self.write(":ABOR")
        self.write(":OUTP OFF")
        self.write("*RST")
        self.write(f":OUTP:VOLT:SMOD {off_mode}")
        self.write(":SOUR:FUNC VOLT")
        self.write(f":SOUR:VOLT:RANG:AUTO OFF;:SOUR:VOLT:RANG {source_range:g}")
        self.write(f":SOUR:VOLT:ILIM {compliance:g}")
        self.write(":SOUR:VOLT:READ:BACK OFF")
        self.write(":SOUR:VOLT:DEL:AUTO OFF;:SOUR:VOLT:DEL 0")

    def configure_current_measurement(self, nplc: float, current_range: float | None) -> None:
        """Current measurement (autoranging unless a range is given), one reading per
        request, no filter, no offset, autozero off after one refresh of the references,
        defbuffer1 sized."""
        self.write(':SENS:FUNC "CURR"')
        self.write(
            ":SENS:CURR:RANG:AUTO ON"
            if current_range is None
            else f":SENS:CURR:RANG:AUTO OFF;:SENS:CURR:RANG {current_range:g}"
        )
        self.write(f":SENS:CURR:NPLC {nplc:g}")
        self.write(":SENS:CURR:AZER OFF")
        self.write(":SENS:COUN 1")
        self.write(":SENS:CURR:AVER OFF")
        self.write(":SENS:CURR:REL:STAT OFF")
        self.write(f":TRAC:POIN {BUFFER_POINTS}, {BUFFER}")
        self.write(":SENS:AZER:ONCE")

    def measure_current_on(self, current_range: float, nplc: float) -> None:
        """A range set while the output is on takes effect at once and is a measure setting
        (WH-2450 29407), the source range stays; the references are refreshed for the new
        aperture (WH-2450 29049)."""
        self.write(f":SENS:CURR:RANG {current_range:g};:SENS:CURR:NPLC {nplc:g};:SENS:AZER:ONCE")

    def buffer_capacity(self) -> int:
        return int(float(self.ask(f":TRAC:POIN? {BUFFER}")))

    def arm_list_sweep(self, dwell: float, delay: float, passes: int, list_length: int) -> None:
        """Clear the buffer and set up ``passes`` runs of the source list, ``delay`` s before
        each reading (the step takes ``dwell``; ``:INIT`` starts it). The sweep delay is 0 or
        50 us to 10 000 s (the SMU interface rounds to one of them)."""
        self.write(f":TRAC:CLE {BUFFER}")
        self.write(f":SOUR:SWE:VOLT:LIST 1, {delay:.6g}, {passes}, OFF, {BUFFER}")

    def wait_idle(self, wait) -> None:
        """Until the trigger model has stopped (first field of ``:TRIG:STAT?``, e.g.
        ``IDLE;IDLE;9``): commands sent while it runs are rejected."""
        for _ in range(IDLE_POLLS):
            state = self.ask(":TRIG:STAT?").strip().split(";")[0].upper()
            if state in ("IDLE", "ABORTED"):
                return
            if state == "FAILED":
                raise InstrumentError("Keithley 2450: the trigger model stopped with an error")
            wait(IDLE_POLL_S)
        raise InstrumentError(
            f"Keithley 2450: the trigger model still says {state} "
            f"{IDLE_POLLS * IDLE_POLL_S:g} s after its last reading"
        )

    def read_once(self) -> tuple[float, float, bool]:
        """One reading at the present level: (source value, current, limit)."""
        reply = self.ask(f":READ? {BUFFER}, SOUR, READ, SOURSTAT")
        source, current, status = (float(x) for x in reply.split(","))
        return source, current, (int(status) & STAT_LIMIT) > 0

    def buffer_count(self) -> int:
        return int(self.ask(f":TRAC:ACT? {BUFFER}"))

    def buffer_readings(self, first: int, last: int):
        """Readings first..last as arrays (relative time, source value, current, limit)."""
        reply = self.ask(f":TRAC:DATA? {first}, {last}, {BUFFER}, REL, SOUR, READ, SOURSTAT")
        values = np.array(reply.split(","), dtype=float).reshape(-1, 4)
        status = values[:, 3].astype(int)
        return values[:, 0], values[:, 1], values[:, 2], (status & STAT_LIMIT) > 0

    def instrument_facts(self) -> dict:
        """Queries only; the source delay is "auto" while autodelay is on. The 2450 has no
        ``*OPT?`` (its common commands, RM appendix B)."""
        return {
            **identity_facts(self.ask("*IDN?")),
            "options": "",
            "line_frequency_Hz": self.line_frequency(),
            "buffer_capacity": self.buffer_capacity(),
            "source_delay_s": (
                "auto"
                if int(float(self.ask(":SOUR:VOLT:DEL:AUTO?")))
                else float(self.ask(":SOUR:VOLT:DEL?"))
            ),
            "autozero": "on" if int(float(self.ask(":SENS:CURR:AZER?"))) else "off",
        }


class Keithley2450Smu(Smu):
    IDN_MODELS = ("2450",)  # what *IDN? calls this model
    DATASHEET = SmuSpec(
        "Keithley 2450 datasheet SPEC-2450 Rev. A, p. 2",
        current={
            10e-9: (0.0010, 50e-12),
            100e-9: (0.00060, 100e-12),
            1e-6: (0.00025, 300e-12),
            10e-6: (0.00025, 700e-12),
            100e-6: (0.00020, 6e-9),
            1e-3: (0.00020, 60e-9),
        },
        voltage={0.02: (0.0010, 150e-6), 0.2: (0.00012, 200e-6), 2.0: (0.00012, 300e-6)},
        protocol_ranges=(10e-9, 100e-9, 1e-6),
    )
    model = "Keithley 2450"
    max_list_points = 2500
    max_buffer_points = BUFFER_POINTS
    voltage_ranges = (0.02, 0.2, 2.0, 20.0, 200.0)
    nplc_range = (0.01, 10.0)  # RM [:SENSe[1]]:<function>:NPLCycles
    current_resolution = 10e-15  # 10 nA range
    # Per reading besides the aperture, with autozero, readback and source delay off: the
    # 2450 datasheet's ~3000 readings/s to the buffer at 0.01 NPLC (167 us at 60 Hz).
    reading_overhead_s = 0.2e-3
    min_delay = 50e-6  # :SOUR:SWE:VOLT:LIST takes a delay of 0, or 50 us to 10 000 s
    # the source autodelay of a voltage source by measure range: the settling the 2450 itself
    # allows after a level change (WH-2450 ID_SRC_DELAY_BUT, "Source delay" table)
    settling_s = {10e-9: 50e-3, 100e-9: 50e-3, 1e-6: 3e-3, 10e-6: 2e-3}
