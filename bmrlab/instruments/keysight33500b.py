"""Keysight 33500B Series waveform generator, channel 1: pymeasure's Agilent33500 with
triggered pulse bursts.

Checked against the Keysight 33500 Series Operating and Service Guide (33500-90901),
"SCPI Programming Reference": ``OUTPut[1|2] {ON|OFF}``, ``OUTPut[1|2]:LOAD {<ohms>|INFinity}``,
``[SOURce[1|2]:]FUNCtion PULSe``, ``[SOURce[1|2]:]FUNCtion:PULSe:PERiod``,
``[SOURce[1|2]:]FUNCtion:PULSe:WIDTh`` (from 16 ns), ``[SOURce[1|2]:]VOLTage:HIGH`` and
``:LOW``, ``[SOURce[1|2]:]BURSt:MODE TRIGgered``, ``BURSt:NCYCles``, ``BURSt:STATe``,
``TRIGger[1|2]:SOURce {IMMediate|EXTernal|TIMer|BUS}``, ``*TRG``, ``SYSTem:ERRor?``.
Channel 1 is the default when ``SOURce`` is omitted.
"""

from pymeasure.instruments.agilent import Agilent33500

from .pulse_generator import PulseCommands


class Keysight33500B(PulseCommands, Agilent33500):
    model_name = "Keysight 33500B"
    min_amplitude = 2e-3  # 1 mVpp into 50 ohm, so 2 mV into a high impedance
