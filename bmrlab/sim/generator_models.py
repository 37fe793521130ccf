"""What differs between the simulated function generators: one record of facts per model.

Sources, cited beside each fact:
- 33500 guide: Agilent/Keysight 33500 Series Operating and Service Guide (33500-90901), its
  "Features and Functions" chapter and its SCPI reference (one section per subsystem; the
  same text as Keysight's 33500 SCPI web help), pages as printed in the guide.
- 33220A guide: Agilent 33220A User's Guide (33220-90002), chapter 4 "Remote Interface
  Reference", pages as printed.

Levels here are open-circuit volts (what a high-impedance device sees), i.e. twice the
"into 50 ohm" figures the guides print.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class GeneratorModel:
    idn: str
    channels: int
    # FUNCtion: accepted shapes and the highest frequency of each (Hz)
    max_frequency: dict
    min_frequency: float
    # pulse timing (s)
    width_range: tuple[float, float]
    period_range: tuple[float, float]
    edge_range: tuple[float, float]
    default_edge: float
    separate_edges: bool  # FUNC:PULS:TRAN:LEADing / :TRAiling exist
    edge_conflict_code: int  # error when an edge time does not fit the width or period
    pulse_duty_range: tuple[float, float]  # percent
    square_duty_range: tuple[float, float]  # percent
    square_edge: float  # fixed rise/fall time of the square wave (s)
    # levels: open-circuit peak-to-peak range and the largest |level|
    amplitude_range: tuple[float, float]
    max_level: float
    # bursts and triggers
    max_cycles: int
    burst_period_range: tuple[float, float]
    burst_period_code: int  # error when BURS:INT:PER is too short for the burst
    trigger_sources: tuple[str, ...]
    max_trigger_delay: float
    shapes: tuple[str, ...]  # FUNCtion choices, spelled as the guide spells them
    arbitrary_headers: tuple[str, ...]  # arbitrary-waveform commands: refused, not simulated
    has_remote_state: bool  # SYSTem:COMMunicate:RLSTate
    has_voltage_limits: bool
    has_frequency_mode: bool
    has_trigger_timer: bool
    wmin_by_period: tuple  # ((longest period, Wmin), ...) in increasing order

    def min_width(self, period: float) -> float:
        """Wmin, the shortest pulse (and the shortest gap) that ``period`` allows."""
        return next(wmin for longest, wmin in self.wmin_by_period if period <= longest)


MODELS = {
    # The 33500B of the default bench answers *IDN? as a two-channel 33522B.
    "33500B": GeneratorModel(
        idn="Agilent Technologies,33522B,{serial},4.00-1.19-2.00-58-00",
        channels=2,
        # 33500 guide, SCPI FUNCtion and FREQuency subsystems (33522B: 30 MHz sine, square
        # and pulse, 200 kHz ramp and triangle); ARBitrary is refused as not simulated.
        max_frequency={
            "SIN": 30e6,
            "SQU": 30e6,
            "RAMP": 200e3,
            "TRI": 200e3,
            "PULS": 30e6,
            "NOIS": 30e6,
            "PRBS": 30e6,
            "DC": 30e6,
        },
        min_frequency=1e-6,
        width_range=(16e-9, 1e6),  # 33500 guide p.69
        period_range=(1 / 30e6, 1e6),  # 33500 guide, FUNCtion:PULSe:PERiod (33522B)
        edge_range=(8.4e-9, 1e-6),  # 33500 guide, FUNCtion:PULSe:TRANsition (p.69: 8.4 ns min)
        default_edge=10e-9,  # 33500 FUNCtion:PULSe:TRANsition default (page not re-checked)
        separate_edges=True,
        edge_conflict_code=-221,
        pulse_duty_range=(0.01, 99.99),  # 33500 guide p.69, default 10 %
        square_duty_range=(0.01, 99.99),  # 33500 guide, FUNCtion:SQUare:DCYCle
        square_edge=8.4e-9,
        amplitude_range=(2e-3, 20.0),  # 1 mVpp to 10 Vpp into 50 ohm (FUNCtion subsystem)
        max_level=10.0,  # Vhigh, Vlow <= Vpp(max)/2 (33500 guide, FUNCtion subsystem p.215)
        max_cycles=100_000_000,  # 33500 BURSt subsystem: BURSt:NCYCles 1 to 100,000,000
        burst_period_range=(1e-6, 8000.0),  # 33500 guide p.177: 1 us to 8000 s
        burst_period_code=-221,  # p.177: too short is raised, "Settings conflict"
        trigger_sources=("IMM", "EXT", "TIM", "BUS"),  # TRIGger subsystem
        max_trigger_delay=1000.0,  # TRIGger[1|2]:DELay 0 to 1000 s
        shapes=("SINusoid", "SQUare", "TRIangle", "RAMP", "PULSe", "PRBS", "NOISe", "DC", "ARB"),
        arbitrary_headers=(
            "FUNCtion:ARBitrary",
            "FUNCtion:ARBitrary:SRATe",
            "FUNCtion:ARBitrary:FILTer",
            "FUNCtion:ARBitrary:ADVance",
            "FUNCtion:ARBitrary:PTPeak",
            "DATA:ARBitrary",
            "DATA:ARBitrary:DAC",
            "DATA:VOLatile:CLEar",
        ),
        has_remote_state=False,
        has_voltage_limits=True,  # VOLTage:LIMit:HIGH/LOW/STATe; p.62 mentions them
        has_frequency_mode=True,
        has_trigger_timer=True,
        # p.69: width 16 ns to 1e6 s, duty between 100(16 ns)/Period and
        # 100(1 - 16 ns/Period): Wmin is 16 ns at any period.
        wmin_by_period=((math.inf, 16e-9),),
    ),
    "33220A": GeneratorModel(
        idn="Agilent Technologies,33220A,{serial},2.02-2.02-22-2",
        channels=1,
        # 33220A guide ch.4, FUNCtion and FREQuency: sine and square to 20 MHz, ramp to
        # 200 kHz, pulse to 5 MHz; USER (arbitrary) is refused as not simulated.
        max_frequency={
            "SIN": 20e6,
            "SQU": 20e6,
            "RAMP": 200e3,
            "PULS": 5e6,
            "NOIS": 20e6,
            "DC": 20e6,
        },
        min_frequency=1e-6,
        width_range=(20e-9, 2000.0),  # 33220A guide p.193
        period_range=(200e-9, 2000.0),  # 33220A guide p.192: 200 ns to 2000 s
        edge_range=(5e-9, 100e-9),  # 33220A guide p.193, FUNCtion:PULSe:TRANsition
        default_edge=5e-9,
        separate_edges=False,
        edge_conflict_code=-222,  # p.193: edge/width adjusted with "Data out of range"
        pulse_duty_range=(0.0, 100.0),  # p.193, FUNCtion:PULSe:DCYCle, limited by Wmin/edges
        square_duty_range=(20.0, 80.0),  # FUNCtion:SQUare:DCYCle 20 % to 80 %
        square_edge=13e-9,  # 33220A specifications: square rise/fall < 13 ns
        amplitude_range=(20e-3, 20.0),  # 10 mVpp to 10 Vpp into 50 ohm (VOLTage)
        max_level=10.0,  # +-5 V into 50 ohm (VOLTage:OFFSet, :HIGH, :LOW)
        max_cycles=50_000,  # 33220A guide p.226, BURSt:NCYCles 1 to 50,000 or INFinity
        burst_period_range=(1e-6, 500.0),  # 33220A guide p.227
        burst_period_code=-222,  # p.227: too short is raised, "Data out of range"
        trigger_sources=("IMM", "EXT", "BUS"),  # TRIGger:SOURce (no timer)
        max_trigger_delay=85.0,  # TRIGger:DELay 0 to 85 s (page not re-checked)
        shapes=("SINusoid", "SQUare", "RAMP", "PULSe", "NOISe", "DC", "USER"),
        arbitrary_headers=(
            "FUNCtion:USER",
            "DATA[:DATA]",
            "DATA:DAC",
            "DATA:COPY",
            "DATA:VOLatile:CLEar",
        ),
        has_remote_state=True,  # SYSTem:COMMunicate:RLSTate {LOCal|REMote|RWLock}
        has_voltage_limits=False,
        has_frequency_mode=False,
        has_trigger_timer=False,
        # p.193, FUNCtion:PULSe:WIDTh: Wmin 20 ns up to a 10 s period, 200 ns to 100 s,
        # 2 us to 1000 s, 20 us above.
        wmin_by_period=((10.0, 20e-9), (100.0, 200e-9), (1000.0, 2e-6), (math.inf, 20e-6)),
    ),
}
