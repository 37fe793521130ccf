"""Keysight 33500B Series waveform generator, channel 1: pymeasure's Agilent33500 with
triggered pulse bursts.

Checked against the Keysight 33500 Series Operating and Service Guide (33500-90901),
"SCPI Programming Reference": ``*RST``, ``*OPT?``, ``OUTPut[1|2] {ON|OFF}``,
``OUTPut[1|2]:LOAD {<ohms>|INFinity}`` (p.62: the 50 ohm setting doubles into an open
circuit), ``OUTPut[1|2]:POLarity``, ``[SOURce[1|2]:]FUNCtion PULSe``,
``[SOURce[1|2]:]FUNCtion:PULSe:PERiod``, ``:WIDTh`` (from 16 ns, p.69),
``:TRANsition[:BOTH]`` (from 8.4 ns), ``[SOURce[1|2]:]VOLTage:HIGH`` and ``:LOW`` (a high
level set below the low level is a settings conflict), ``[SOURce[1|2]:]BURSt:MODE
TRIGgered``, ``BURSt:NCYCles``, ``BURSt:STATe``, ``TRIGger[1|2]:SOURce
{IMMediate|EXTernal|TIMer|BUS}``, ``TRIGger[1|2]:DELay``, ``*TRG``, ``SYSTem:ERRor?``.
Channel 1 is the default when ``SOURce`` is omitted.

Smallest amplitude: the 33500B data sheet gives 1 mVpp into 50 ohm (2 mVpp into a high
impedance); pymeasure's ``amplitude`` validator (10 mV to 10 V) is a generic bound, not this
model's specification.
"""

from pymeasure.instruments.agilent import Agilent33500

from .datasheets import GeneratorSpec
from .scpi_pulse_generator import ScpiPulseGenerator


class Keysight33500B(ScpiPulseGenerator, Agilent33500):
    model_name = "Keysight 33500B"
    IDN_MODELS = ("335",)  # what *IDN? calls this model
    DATASHEET = GeneratorSpec("Keysight 33500B datasheet, amplitude accuracy", (0.01, 1e-3))
    min_amplitude = 2e-3  # 1 mVpp into 50 ohm, so 2 mV into a high impedance
    options_query = "*OPT?"  # installed options (memory, IQ player ...)
