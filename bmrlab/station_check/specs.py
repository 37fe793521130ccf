"""What the vendors' datasheets promise, for the station check to compare against.

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

MARGIN = 0.5  # beyond the datasheet: cables, probe arms and chuck add leakage of that order
REFERENCE_TOLERANCE = 0.01  # a reference resistor of 1 % or better
# the SMU reads a generator's level as the ratio of two current steps on one range (gain and
# offset cancel): what is left is their noise and the range's linearity
GENERATOR_READ_MARGIN = 0.02


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


SMU_SPECS = {
    "keithley2450": SmuSpec(
        "Keithley 2450 datasheet SPEC-2450 Rev. A, p. 2",
        current={10e-9: (0.0010, 50e-12), 100e-9: (0.00060, 100e-12),
                 1e-6: (0.00025, 300e-12), 10e-6: (0.00025, 700e-12),
                 100e-6: (0.00020, 6e-9), 1e-3: (0.00020, 60e-9)},
        voltage={0.02: (0.0010, 150e-6), 0.2: (0.00012, 200e-6), 2.0: (0.00012, 300e-6)},
        protocol_ranges=(10e-9, 100e-9, 1e-6)),
    "keithley2400": SmuSpec(
        "Keithley 2400 specifications SPEC-2400 Rev. H, p. 2",
        current={1e-6: (0.00029, 300e-12), 10e-6: (0.00027, 700e-12),
                 100e-6: (0.00025, 6e-9), 1e-3: (0.00027, 60e-9)},
        voltage={0.2: (0.00012, 300e-6), 2.0: (0.00012, 300e-6)},
        protocol_ranges=(1e-6,)),
    "keithley2636b": SmuSpec(
        "Series 2600B datasheet, meter specifications 2634B/2635B/2636B",
        current={100e-12: (0.0015, 120e-15), 1e-9: (0.0015, 240e-15),
                 10e-9: (0.0015, 3e-12), 100e-9: (0.00060, 40e-12),
                 1e-6: (0.00025, 400e-12)},
        voltage={0.2: (0.00015, 225e-6), 2.0: (0.00020, 350e-6)},
        protocol_ranges=(100e-12, 1e-9, 10e-9, 100e-9, 1e-6)),
}

# amplitude accuracy into the load the generator is set for: (gain, offset V)
GENERATOR_SPECS = {
    "keysight33500b": ("Keysight 33500B datasheet, amplitude accuracy", (0.01, 1e-3)),
    "agilent33220a": ("Agilent 33220A datasheet, amplitude accuracy", (0.01, 1e-3)),
}
