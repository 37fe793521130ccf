"""What the vendors' datasheets promise: each model's class carries its own ``DATASHEET``,
which the station check compares the bench against.

Every figure is the 1-year accuracy at 23 +/- 5 degC and 1 PLC, as ``(gain, offset)``: a
reading is within +/-(gain x reading + offset). The offset term is what an open circuit may
read on a properly zeroed instrument; the check allows the spread of the readings (1 sigma)
a third of it, so that 3 sigma of single readings still fall within the specification.
Sources:

- Keithley 2450: Model 2450 Interactive SourceMeter datasheet, SPEC-2450 Rev. A (July 2013),
  p. 2, "Current specifications" and "Voltage specifications", Measure accuracy.
- Keithley 2400: 2400 Series SourceMeter specifications, SPEC-2400 Rev. H (2004), p. 2,
  "Current measurement accuracy" and "Voltage measurement accuracy".
- Keithley 2636B: Series 2600B System SourceMeter datasheet, "Meter specifications
  (2634B, 2635B, 2636B)", current and voltage measurement accuracy.
- Keysight 33500B: 33500B Series Trueform waveform generators datasheet, "Amplitude accuracy"
  (+/-1 % of setting +/-1 mVpp at 1 kHz); Agilent 33220A datasheet, "Amplitude accuracy"
  (+/-1 % of setting +/-1 mVpp at 1 kHz, > 10 mVpp).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SmuSpec:
    datasheet: str
    current: dict  # measure range (A) -> (gain, offset A)
    voltage: dict  # source/measure range (V) -> (gain, offset V) of the voltage readback
    protocol_ranges: tuple  # the current ranges bmrlab's protocols read on

    def current_accuracy(self, current_range: float, amps: float) -> float:
        gain, offset = self.current[current_range]
        return gain * abs(amps) + offset

    def voltage_accuracy(self, voltage_range: float, volts: float) -> float:
        gain, offset = self.voltage[voltage_range]
        return gain * abs(volts) + offset


@dataclass(frozen=True)
class GeneratorSpec:
    datasheet: str
    amplitude: tuple[float, float]  # (gain, offset V) into the load the generator is set for
