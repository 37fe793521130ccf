"""Agilent 33220A function generator: pymeasure's Agilent33220A with triggered pulse bursts,
and its pulse timing written in full precision.

pymeasure 0.16 formats ``pulse_width`` and ``pulse_period`` with ``%f``, so 50 ns is sent
as ``0.000000``; this driver overrides both. Checked against the Agilent 33220A User's Guide
(33220-90002), chapter 4 "Remote Interface Reference": ``*RST``,
``OUTPut {OFF|ON}``, ``OUTPut:LOAD {<ohms>|INFinity}``, ``OUTPut:POLarity``,
``FUNCtion PULSe``, ``PULSe:PERiod`` (200 ns to 2000 s; p.192: period > width + 1.6 x edge
time, else a settings conflict), ``FUNCtion:PULSe:WIDTh`` (from 20 ns),
``FUNCtion:PULSe:TRANsition`` (from 5 ns), ``VOLTage:HIGH``, ``VOLTage:LOW``,
``BURSt:MODE TRIGgered``, ``BURSt:NCYCles``, ``BURSt:STATe``,
``TRIGger:SOURce {IMMediate|EXTernal|BUS}``, ``TRIGger:DELay``, ``*TRG``, ``SYSTem:ERRor?``.
Smallest amplitude 10 mVpp into 50 ohm, so 20 mV into a high impedance.
"""

import warnings

from pymeasure.instruments import Instrument
from pymeasure.instruments.agilent import Agilent33220A as PymeasureAgilent33220A
from pymeasure.instruments.validators import strict_range

from .datasheets import GeneratorSpec
from .scpi_pulse_generator import ScpiPulseGenerator


class Agilent33220A(ScpiPulseGenerator, PymeasureAgilent33220A):
    model_name = "Agilent 33220A"
    IDN_MODELS = ("33220A",)  # what *IDN? calls this model
    DATASHEET = GeneratorSpec("Agilent 33220A datasheet, amplitude accuracy", (0.01, 1e-3))
    min_amplitude = 20e-3  # 10 mVpp into 50 ohm, so 20 mV into a high impedance
    options_query = None  # *OPT? is not confirmed in the 33220A guide: nothing is asked

    pulse_period = Instrument.control(
        "PULS:PER?",
        "PULS:PER %.9g",
        """Control the pulse period in seconds (float, strict from 200e-9 to 2e3).""",
        validator=strict_range,
        values=[200e-9, 2e3],
    )

    pulse_width = Instrument.control(
        "FUNC:PULS:WIDT?",
        "FUNC:PULS:WIDT %.9g",
        """Control the pulse width in seconds (float, strict from 20e-9 to 2e3).""",
        validator=strict_range,
        values=[20e-9, 2e3],
    )

    def __init__(self, adapter, **kwargs):
        with warnings.catch_warnings():  # pymeasure's notice that SCPI support is unknown
            warnings.filterwarnings("ignore", "It is not known whether", FutureWarning)
            super().__init__(adapter, **kwargs)
