"""Simulated Keithley 2400 SourceMeter (SCPI), written from the 2400 Series SourceMeter
User's Manual (2400S-900-01; "UM p.x-y" below, page numbers of the online copy whose TRACe
subsystem is on p.18-114..18-116; later revisions shift section 18 by a few pages).

What shapes a client's view of the real instrument, and what this model holds:

- The trigger model (UM section 11): :INIT, :READ? or :MEAS? take the unit out of idle into
  an arm layer (``:ARM:COUN`` x arm event) around a trigger layer (``:TRIG:COUN`` x trigger
  event, ``:TRIG:DEL``, then one source-delay-measure cycle). While it runs "all sent
  commands (except DCL, SDC, IFC, SYSTem:PRESet, *RST, *RCL, *TRG, GET, and ABORt) will not
  execute" until it is idle (UM p.16-3, p.11-11): here a command that arrives during a run
  first lets the run finish in the bench's time, then executes, so ``:INIT`` followed by
  ``:TRAC:DATA?`` gets the data. A run that cannot end by itself (infinite arm count, or
  waiting for a bus or trigger-link event) holds the command instead: a held query never
  answers, held commands execute once ``*TRG`` lets the run end or ``:ABORt`` stops it.
- Each SDM cycle is timed as UM appendix A gives it (p.A-3..A-8): trigger latency, source
  configuration, the source delay (``:SOUR:DEL``, or with ``:SOUR:DEL:AUTO`` 1-3 ms by
  current range), one
  A/D conversion of NPLC/f + 185 us per measured quantity (NPLC 0.01-10 for all functions,
  UM table 18-6) plus a reference and a zero conversion with autozero (``:SYST:AZER``), and
  a firmware overhead; a point whose level does not change skips the source configuration
  and delay.
- Compliance is "real" (at ``:SENS:CURR:PROT``) or "range" (at the top of a fixed
  measurement range below it): the output clamps at the lower of the two (UM p.6-2).
  Status word bit 3 flags real compliance, bit 16 range compliance (UM p.18-50/51).
- One 2500-reading buffer (``:TRAC``) whose settings ``*RST`` and ``:SYST:PRES`` do not
  touch (UM table 18-10), ``:CALC3`` statistics over it, readings formatted by
  ``:FORM:ELEM``/``:FORM:DATA``/``:FORM:BORD``, and the status model of UM section 15.

The lowest current range is 1 uA: a pA high-resistance state reads as that range's offset
and noise.
"""

import math
import struct
from dataclasses import dataclass

import numpy as np

from .scpi import (
    ESR_DDE,
    ESR_EXE,
    STB_MSB,
    ScpiError,
    StatusRegister,
    WaitsForever,
    data_out_of_range,
    illegal_value,
    parse_bool,
    parse_number,
    unquote,
)
from .scpi_smu import MAX_LIST_PER_COMMAND, ScpiSmu

BUFFER_POINTS = 2500  # UM p.18-115: :TRAC:POIN 1 to 2500; arm x trigger count <= 2500 (p.11-16)
NOT_MEASURED = 9.91e37  # UM "Data elements" (p.18-49): an element that was not measured
OVERFLOW = 9.9e37  # UM p.7-2: a reading above a fixed range
RANGE_TOP = 1.05  # a range measures and sources up to 105 % of its name (UM table 18-6)
# SDM cycle timing, UM appendix A "Source-Delay-Measure (SDM) cycle timing" (p.A-3..A-8)
# Auto source delay: "the instrument will automatically select a delay period that is
# appropriate for the present source/measure setup configuration (Table 3-4)" (UM p.18-82),
# "1ms, 2ms or 3ms depending on which current range and source function" (2400 Quick Results
# Guide, "Source delay"), 1 ms in figure 6-1 and the bench defaults ("Delay Action = 0.001
# sec", p.11-7). Table 3-4 itself was not read: the split by range is assumed to be the one
# the 2450 documents for the same ranges (3 ms on 1 uA, 2 ms on 10 uA, else 1 ms; 2 ms on
# 1 A for the I-source). Appendix A's "100usec is added to the user-programmed source delay"
# contradicts the other three and is not followed.
AUTO_DELAY_S = {1e-6: 3e-3, 10e-6: 2e-3}
AUTO_DELAY_OTHER_S = 1e-3
AUTO_DELAY_I_SOURCE_1A_S = 2e-3
SOURCE_CONFIGURATION_S = 50e-6
A_D_EXTRA_S = 185e-6  # each A/D conversion: NPLC / line frequency + 185 usec
TRIGGER_LATENCY_S = 225e-6  # cases I-IV (the source changes)
STATIC_LATENCY_S = {True: 500e-6, False: 100e-6}  # cases V/VI by autozero; no source delay
# firmware overhead by (autozero, measured functions): (source V, source I); case II gives
# two functions with autozero, no case gives two without it: case III's value stands in
FIRMWARE_OVERHEAD_S = {
    (True, 1): (1.6e-3, 1.95e-3),
    (True, 2): (2.3e-3, 2.65e-3),
    (False, 1): (300e-6, 640e-6),
    (False, 2): (300e-6, 640e-6),
    (False, 0): (310e-6, 590e-6),
    (True, 0): (310e-6, 590e-6),
}
# ohms ranges 20 ohm-200 Mohm (2400 specifications; RES:RANG default 2.1e5, table 18-6)
OHMS_RANGES = (20.0, 200.0, 2e3, 20e3, 200e3, 2e6, 20e6, 200e6)
VOLTAGE_RANGES = (0.2, 2.0, 20.0, 200.0)  # UM :SOURce:VOLTage:RANGe (2400)
CURRENT_RANGES = (1e-6, 10e-6, 100e-6, 1e-3, 10e-3, 100e-3, 1.0)  # UM p.18-62 (2400)
VOLTAGE_FLOOR = 5e-6  # voltage noise at 1 NPLC, of the range (1 uV on 200 mV; datasheet
# order of magnitude, like the current floor)
V_MAX, I_MAX = 210.0, 1.05  # UM p.18-84, :STARt/:STOP levels (2400)
OVP_LIMITS = (20.0, 40.0, 60.0, 80.0, 100.0, 120.0, 160.0)  # UM p.18-81; above: NONE (210 V)

# Status word sent with FORM:ELEM STAT (UM p.18-50/51; the same bit list in the GW Instek
# GSM-20H10 manual, "STATus", which clones the 2400)
ST_OVERFLOW, ST_FILTER, ST_FRONT, ST_COMPLIANCE, ST_OVP = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4
ST_AUTO_OHMS = 1 << 10
ST_V_MEAS, ST_I_MEAS, ST_R_MEAS, ST_V_SOURCE, ST_I_SOURCE = (
    1 << 11,
    1 << 12,
    1 << 13,
    1 << 14,
    1 << 15,
)
ST_RANGE_COMPLIANCE, ST_REMOTE_SENSE = 1 << 16, 1 << 22
COMPLIANCE_BITS = ST_COMPLIANCE | ST_RANGE_COMPLIANCE
# Measurement event register (UM p.15-14, figure 15-6)
MEAS_RAV, MEAS_ROF, MEAS_BAV, MEAS_BFL, MEAS_COMP = 1 << 6, 1 << 7, 1 << 8, 1 << 9, 1 << 14
# Operation event register (UM figure 15-1): sweeping, waiting for trigger/arm, idle
OPER_SWEEP, OPER_TRIG, OPER_ARM, OPER_IDLE = 1 << 3, 1 << 5, 1 << 6, 1 << 10

IMMEDIATE_COMMANDS = ("ABOR", "*TRG", "*RST", "SYST:PRES", "SYSTEM:PRES")
ELEMENTS = ("VOLT", "CURR", "RES", "TIME", "STAT")  # the order they are always sent in
ELEMENT_NAMES = {
    "VOLT": "VOLT",
    "VOLTAGE": "VOLT",
    "CURR": "CURR",
    "CURRENT": "CURR",
    "RES": "RES",
    "RESISTANCE": "RES",
    "TIME": "TIME",
    "STAT": "STAT",
    "STATUS": "STAT",
}
FUNCTIONS = {
    "VOLT": "VOLT",
    "VOLT:DC": "VOLT",
    "VOLTAGE": "VOLT",
    "VOLTAGE:DC": "VOLT",
    "CURR": "CURR",
    "CURR:DC": "CURR",
    "CURRENT": "CURR",
    "CURRENT:DC": "CURR",
    "RES": "RES",
    "RESISTANCE": "RES",
}
FUNCTION_REPLY = {"VOLT": '"VOLT:DC"', "CURR": '"CURR:DC"', "RES": '"RES"'}
ARM_SOURCES = {
    "IMM": "IMM",
    "IMMEDIATE": "IMM",
    "TLIN": "TLIN",
    "TLINK": "TLIN",
    "TIM": "TIM",
    "TIMER": "TIM",
    "MAN": "MAN",
    "MANUAL": "MAN",
    "BUS": "BUS",
    "NST": "NST",
    "NSTEST": "NST",
    "PST": "PST",
    "PSTEST": "PST",
    "BST": "BST",
    "BSTEST": "BST",
}
TRIGGER_SOURCES = {"IMM": "IMM", "IMMEDIATE": "IMM", "TLIN": "TLIN", "TLINK": "TLIN"}
ARM_OUTPUT_EVENTS = {"TENT": "TENT", "TENTER": "TENT", "TEX": "TEX", "TEXIT": "TEX"}
TRIGGER_EVENTS = {
    "SOUR": "SOUR",
    "SOURCE": "SOUR",
    "DEL": "DEL",
    "DELAY": "DEL",
    "SENS": "SENS",
    "SENSE": "SENS",
}
STATISTICS = {
    "MEAN": "MEAN",
    "SDEV": "SDEV",
    "SDEVIATION": "SDEV",
    "MAX": "MAX",
    "MAXIMUM": "MAX",
    "MIN": "MIN",
    "MINIMUM": "MIN",
    "PKPK": "PKPK",
}


def keyword(arg: str, table: dict, what: str) -> str:
    """One of a command's named parameters, short or long form; else -224."""
    name = unquote(arg).strip().upper()
    if name not in table:
        raise illegal_value(f"{what} {arg}")
    return table[name]


@dataclass
class SdmReading:
    """One source-delay-measure cycle: what FORM:ELEM can send of it."""

    t: float  # virtual time of the conversion
    voltage: float
    current: float
    resistance: float
    status: int


class TriggerRun:
    """The 2400 trigger model out of idle (UM figure 11-3), as a generator of event times.

    The generator yields the time of its next action and is resumed (``send``) with the
    time it fired at; ``math.inf`` means it waits for an event only ``*TRG`` (bus) or
    nothing in this simulation (trigger link, manual, handler lines) can give.
    """

    def __init__(self, smu: "SimKeithley2400", t0: float):
        self.smu = smu
        self.waiting_for = ""  # "BUS" or "EXTERNAL" while the run waits for an event
        self._steps = self._run(t0)
        self._next = next(self._steps)

    def endless(self) -> bool:
        return math.isinf(self.smu.arm_count)

    def next_event(self):
        if self._next is None or math.isinf(self._next):
            return None if self._next is None else (math.inf, "wait")
        return self._next, "step"

    def fire(self, smu, t: float) -> None:
        try:
            self._next = self._steps.send(t)
        except StopIteration:
            self._next = None

    def bus_trigger(self, t: float) -> bool:
        """``*TRG``: releases a run that waits for a bus event; False if none waits."""
        if self.waiting_for != "BUS":
            return False
        self.waiting_for = ""
        self.fire(self.smu, t)
        return True

    def _detect(
        self, source: str, bypass: bool, timer_due: float | None, t: float, waiting_bit: int
    ):
        """An event detector of the arm or trigger layer (UM figure 11-3, p.18-119); while
        it waits, the operation condition says so (UM figure 15-1: Arm, Trig)."""
        if source == "IMM" or bypass:
            return t
        self.smu.operation.set(waiting_bit)
        if source == "TIM":
            t = yield max(t, timer_due)
        else:
            self.waiting_for = "BUS" if source == "BUS" else "EXTERNAL"
            t = yield math.inf
        self.smu.operation.clear(waiting_bit)
        return t

    def _run(self, t0: float):
        smu = self.smu
        smu.operation.clear(OPER_IDLE)
        smu.operation.set(OPER_SWEEP)
        t, point, arm, aborted = t0, 0, 0, False
        while arm < smu.arm_count and not aborted:
            # the arm timer passes at once, then every interval; ARM:DIR SOURce bypasses the
            # detector on the first pass (UM p.18-119, :ARM:DIRection)
            due = t0 + arm * smu.arm_timer
            t = yield from self._detect(
                smu.arm_source, smu.arm_bypass and arm == 0, due, t, OPER_ARM
            )
            t, point, aborted = yield from self._trigger_layer(t, point)
            arm += 1
        yield t  # the unit returns to idle when the last cycle's conversions end
        smu.end_run()

    def _trigger_layer(self, t: float, point: int):
        """``:TRIG:COUN`` source-delay-measure cycles; a list or sweep wraps past its end
        (UM p.18-93). Returns (time, next point, whether :SWE:CAB stopped the run)."""
        smu = self.smu
        for k in range(smu.trigger_count):
            t = yield from self._detect(
                smu.trigger_source, smu.trigger_bypass and k == 0, None, t, OPER_TRIG
            )
            level = smu.levels[point % len(smu.levels)]
            changes = smu.source_changes(level)
            latency = TRIGGER_LATENCY_S if changes else STATIC_LATENCY_S[smu.autozero]
            t = yield t + latency + smu.trigger_delay
            smu.source_point(level)
            settle = SOURCE_CONFIGURATION_S + smu.effective_source_delay() if changes else 0
            t = yield t + settle + smu.conversion_lead(changes)
            if smu.compliance_abort == "EARL" and smu.in_compliance():
                return t, point, True  # abort on compliance before measuring (table 18-7)
            reading = smu.take_reading(t)
            t += smu.conversion_tail(changes)
            point += 1
            if smu.compliance_abort == "LATE" and reading.status & COMPLIANCE_BITS:
                return t, point, True  # ... or after the measurement
        return t, point, False


class SimKeithley2400(ScpiSmu):
    model = "2400"
    voltage_ranges = VOLTAGE_RANGES
    current_ranges = CURRENT_RANGES
    current_offsets = {
        1e-6: 300e-12,
        10e-6: 2e-9,
        100e-6: 6e-9,
        1e-3: 60e-9,
        10e-3: 600e-9,
        100e-3: 6e-6,
        1.0: 500e-6,
    }
    floor_fraction = 20e-6  # 20 pA at 1 NPLC on the 1 uA range

    def __init__(self, bench, name: str, serial: str, seed: int):
        super().__init__(bench, name, seed)
        self.idn = (
            f"KEITHLEY INSTRUMENTS INC.,MODEL 2400,{serial},C33   Mar 31 2015 09:32:39/A02  /S/K"
        )
        self.powered_on_at = bench.clock.now()  # the TIME element counts from here
        # The 2400's measurement event register set (UM p.15-14); *RST leaves it alone
        self.measurement = StatusRegister()
        self.operation.set(OPER_IDLE)
        # The buffer: power-on state only, *RST and :SYST:PRES leave it (UM table 18-10)
        self.trace: list[SdmReading] = []
        self.trace_points = 100  # UM p.18-115: DEFault 100
        self.trace_feed = "SENS"
        self.trace_storing = False  # :TRAC:FEED:CONT NEXT until the buffer is full
        self.store_index = 0  # where the next stored reading goes
        self.timestamp_format = "ABS"
        self._register_commands()
        self.reset()

    def _register_commands(self) -> None:
        r = self.register
        # IEEE 488.2 common commands (UM section 16) come from the SCPI engine, with the
        # 2400's registers behind *STB? (summary_bits) and *TRG (trigger); these differ:
        r("*OPT?", lambda a, q, m: "0")  # "0": no options (UM table 16-1)
        r(":SYSTem:VERSion?", lambda a, q, m: "1996.0")  # UM p.18-112
        r(":SYSTem:PRESet", lambda a, q, m: self.preset())
        # OUTPut (UM table 18-4)
        r(":OUTPut[1][:STATe]", self.h_output)
        r(":OUTPut[1]:SMODe", self.h_off_mode)
        # SOURce (UM table 18-7)
        r("[:SOURce[1]]:FUNCtion[:MODE]", self._source_function)
        r("[:SOURce[1]]:CLEar[:IMMediate]", self._source_clear)
        r("[:SOURce[1]]:CLEar:AUTO", self.flag("auto_output_off"))
        r("[:SOURce[1]]:DELay:AUTO", self.flag("source_delay_auto"))
        r("[:SOURce[1]]:DELay", self._source_delay)
        for f in ("VOLTage", "CURRent"):
            fn = f[:4].upper()
            r(f"[:SOURce[1]]:{f}:MODE", self._source_mode(fn))
            r(f"[:SOURce[1]]:{f}:RANGe:AUTO", self._source_range_auto(fn))
            r(f"[:SOURce[1]]:{f}:RANGe", self._source_range(fn))
            r(f"[:SOURce[1]]:{f}[:LEVel][:IMMediate][:AMPLitude]", self._source_level(fn))
            r(f"[:SOURce[1]]:{f}:STARt", self._sweep_value(fn, "start"))
            r(f"[:SOURce[1]]:{f}:STOP", self._sweep_value(fn, "stop"))
            r(f"[:SOURce[1]]:{f}:STEP", self._sweep_step(fn))
            r(f"[:SOURce[1]]:LIST:{f}:APPend", self._list_append(fn))
            r(f"[:SOURce[1]]:LIST:{f}:STARt", self._list_start(fn))
            r(f"[:SOURce[1]]:LIST:{f}:POINts?", lambda a, q, m, fn=fn: str(len(self.lists[fn])))
            r(f"[:SOURce[1]]:LIST:{f}", self._list(fn))
        r("[:SOURce[1]]:VOLTage:PROTection[:LEVel]", self._overvoltage_limit)
        r(
            "[:SOURce[1]]:SWEep:SPACing",
            self._sweep_keyword(
                "spacing", {"LIN": "LIN", "LINEAR": "LIN", "LOG": "LOG", "LOGARITHMIC": "LOG"}
            ),
        )
        r("[:SOURce[1]]:SWEep:POINts", self._sweep_points)
        r(
            "[:SOURce[1]]:SWEep:DIRection",
            self._sweep_keyword("direction", {"UP": "UP", "DOWN": "DOWN"}),
        )
        r(
            "[:SOURce[1]]:SWEep:RANGing",
            self._sweep_keyword(
                "ranging", {"BEST": "BEST", "AUTO": "AUTO", "FIX": "FIX", "FIXED": "FIX"}
            ),
        )
        r(
            "[:SOURce[1]]:SWEep:CABort",
            self._sweep_keyword(
                "compliance_abort",
                {"NEV": "NEV", "NEVER": "NEV", "EARL": "EARL", "EARLY": "EARL", "LATE": "LATE"},
            ),
        )
        # SENSe (UM table 18-6)
        r("[:SENSe[1]]:FUNCtion:CONCurrent", self.flag("concurrent"))
        r("[:SENSe[1]]:FUNCtion:OFF:ALL", self._functions_off_all)
        r("[:SENSe[1]]:FUNCtion:OFF", self._functions_off)
        r("[:SENSe[1]]:FUNCtion:ON:ALL", self._functions_all)
        r("[:SENSe[1]]:FUNCtion:ALL", self._functions_all)
        r("[:SENSe[1]]:FUNCtion:ON:COUNt?", lambda a, q, m: str(len(self.functions)))
        r("[:SENSe[1]]:FUNCtion:STATe", self._function_state)
        r("[:SENSe[1]]:FUNCtion[:ON]", self._functions_on)
        for f in ("CURRent[:DC]", "VOLTage[:DC]", "RESistance"):
            r(f"[:SENSe[1]]:{f}:NPLCycles", self._nplc)
        for f in ("CURRent", "VOLTage"):
            fn = f[:4].upper()
            r(
                f"[:SENSe[1]]:{f}[:DC]:PROTection:TRIPped?",
                lambda a, q, m, fn=fn: str(int(self.tripped[fn])),
            )
            r(f"[:SENSe[1]]:{f}[:DC]:PROTection[:LEVel]", self._protection(fn))
            r(f"[:SENSe[1]]:{f}[:DC]:PROTection:RSYNchronize", self._range_sync(fn))
            r(f"[:SENSe[1]]:{f}[:DC]:RANGe:AUTO", self._measure_range_auto(fn))
            r(f"[:SENSe[1]]:{f}[:DC]:RANGe[:UPPer]", self._measure_range(fn))
        r(
            "[:SENSe[1]]:CURRent[:DC]:RANGe:ULIMit?",
            lambda a, q, m: f"{self.range_for(self.i_limit, CURRENT_RANGES) * RANGE_TOP:g}",
        )
        r("[:SENSe[1]]:CURRent[:DC]:RANGe:LLIMit", self._autorange_floor)
        r("[:SENSe[1]]:RESistance:MODE", self._resistance_mode)
        r("[:SENSe[1]]:RESistance:RANGe:AUTO", self._resistance_range_auto)
        r("[:SENSe[1]]:RESistance:RANGe[:UPPer]", self._resistance_range)
        r("[:SENSe[1]]:RESistance:OCOMpensated", self.flag("offset_compensated"))
        r(":SYSTem:AZERo[:STATe]", self._autozero)
        r(":SYSTem:LFRequency:AUTO", self.flag("line_frequency_auto"))
        r(":SYSTem:LFRequency", self._line_frequency)
        r(":SYSTem:BEEPer[:IMMediate]", self._beep)
        r(":SYSTem:BEEPer:STATe", self.flag("beeper"))
        r(":SYSTem:RSENse", self.flag("remote_sense"))
        r(":SYSTem:TIME:RESet:AUTO", self.flag("timestamp_auto_reset"))
        r(
            ":SYSTem:TIME:RESet",
            lambda a, q, m: setattr(self, "powered_on_at", self.bench.clock.now()),
        )
        r(":SYSTem:TIME?", lambda a, q, m: f"{self.bench.clock.now() - self.powered_on_at:.3f}")
        r(":SYSTem:ERRor:ALL?", lambda a, q, m: self._all_errors())
        r(
            ":SYSTem:ERRor:CODE[:NEXT]?",
            lambda a, q, m: str(self.errors.popleft()[0] if self.errors else 0),
        )
        # Averaging filter (UM section 7, "Filters"; table 18-6)
        r("[:SENSe[1]]:AVERage[:STATe]", self.flag("filter_on"))
        r("[:SENSe[1]]:AVERage:TCONtrol", self._filter_type)
        r("[:SENSe[1]]:AVERage:COUNt", self._filter_count)
        r(":DISPlay:ENABle", self.flag("display"))
        r(":ROUTe:TERMinals", self._terminals)
        # TRIGger and ARM (UM table 18-11, p.18-116..18-123)
        r(":INITiate[:IMMediate]", self._initiate)
        r(":ABORt", self._abort)
        r(":ARM[:SEQuence[1]][:LAYer[1]]:COUNt", self._count("arm_count"))
        r(":ARM[:SEQuence[1]][:LAYer[1]]:SOURce", self._event_source("arm_source", ARM_SOURCES))
        r(":ARM[:SEQuence[1]][:LAYer[1]]:TIMer", self._arm_timer)
        r(":ARM[:SEQuence[1]][:LAYer[1]]:DIRection", self._bypass("arm_bypass"))
        r(":TRIGger[:SEQuence[1]]:COUNt", self._count("trigger_count"))
        r(":TRIGger[:SEQuence[1]]:SOURce", self._event_source("trigger_source", TRIGGER_SOURCES))
        r(":TRIGger[:SEQuence[1]]:DELay", self.number("trigger_delay", 0, 999.9999))
        r(":TRIGger[:SEQuence[1]]:DIRection", self._bypass("trigger_bypass"))
        r(":TRIGger:CLEar", lambda a, q, m: None)  # no trigger link: nothing is latched
        # Trigger link settings (UM table 11-1): kept and answered; no line is wired
        for layer, name, events in (
            (":ARM[:SEQuence[1]][:LAYer[1]]", "arm", ARM_OUTPUT_EVENTS),
            (":TRIGger[:SEQuence[1]]", "trigger", TRIGGER_EVENTS),
        ):
            r(f"{layer}:ILINe", self._link_line(f"{name}_in_line"))
            r(f"{layer}:OLINe", self._link_line(f"{name}_out_line"))
            r(f"{layer}:OUTPut", self._event_list(f"{name}_outputs", events))
        r(":TRIGger[:SEQuence[1]]:INPut", self._event_list("trigger_inputs", TRIGGER_EVENTS))
        # TRACe (UM table 18-10, p.18-114..116); :DATA is an alias of :TRACe (p.18-114)
        for root in (":TRACe", ":DATA"):
            r(f"{root}:DATA?", lambda a, q, m: self._trace_data())
            r(f"{root}:CLEar", self._trace_clear)
            r(f"{root}:FREE?", lambda a, q, m: self._trace_free())
            r(f"{root}:POINts:ACTual?", lambda a, q, m: str(len(self.trace)))
            r(f"{root}:POINts", self._trace_points)
            r(f"{root}:FEED:CONTrol", self._feed_control)
            r(f"{root}:FEED", self._feed)
            r(f"{root}:TSTamp:FORMat", self._timestamp_format)
        r(":CALCulate3:FORMat", self._statistic)
        r(":CALCulate3:DATA?", lambda a, q, m: self._statistics())
        # FORMat (UM table 18-3)
        r(":FORMat:ELEMents[:SENSe[1]]", self._elements)
        r(":FORMat[:DATA]", self._data_format)
        r(":FORMat:BORDer", self._byte_order)
        r(":FORMat:SREGister", self._status_format)
        # Reading commands: INIT, READ? and MEASure? take the unit out of idle (UM p.11-11)
        r(":READ", self._read)
        r(":FETCh?", lambda a, q, m: self.format_readings(self.samples, "ABS", since_power_on=True))
        for f, fn in (("CURRent[:DC]", "CURR"), ("VOLTage[:DC]", "VOLT"), ("RESistance", "RES")):
            r(f":CONFigure:{f}", self._configure(fn))
            r(f":MEASure:{f}", self._measure(fn))
        r(":MEASure", self._measure(None))
        # STATus (UM table 18-8): OPERation and QUEStionable come from the SCPI engine
        r(":STATus:MEASurement[:EVENt]?", self._event_reader(self.measurement))
        r(":STATus:MEASurement:ENABle", self._enable_writer(self.measurement))
        r(":STATus:MEASurement:CONDition?", lambda a, q, m: str(self._measurement_condition()))
        r(":STATus:QUEue[:NEXT]?", self._next_error)
        r(":STATus:QUEue:CLEar", lambda a, q, m: self.errors.clear())

    # --- state ---------------------------------------------------------------------------
    def reset(self) -> None:
        """``*RST`` (UM tables 18-3..18-11, "Default parameter"); the buffer and the status
        registers keep their state (UM table 18-10; IEEE 488.2). It "cancels all pending
        commands" (UM p.16-4)."""
        self.end_run_now()
        self.held = []
        self.reset_source()
        self.source_function = "VOLT"
        self.bias = {"VOLT": 0.0, "CURR": 0.0}  # the FIXed amplitude, per source function
        self.source_modes = {"VOLT": "FIX", "CURR": "FIX"}
        self.v_range, self.v_range_auto = 20.0, True  # table 18-7: 21 V, AUTO ON
        self.i_source_range, self.i_source_range_auto = 100e-6, True
        self.i_source_level = 0.0
        self.lists = {"VOLT": [], "CURR": []}
        self.list_start = {"VOLT": 1, "CURR": 1}  # table 18-7: list sweep start point 1
        self.compliance_abort = "NEV"  # table 18-7: :SWEep:CABort NEVer
        self.sweep = {"VOLT": {"start": 0.0, "stop": 0.0}, "CURR": {"start": 0.0, "stop": 0.0}}
        self.sweep_points, self.spacing, self.direction, self.ranging = 2500, "LIN", "UP", "BEST"
        self.source_delay, self.source_delay_auto = 0.0, True  # p.18-82; ON: the bench
        # defaults' 1 ms "Delay Action" (p.11-7) with :SOUR:DEL at 0
        self.auto_output_off = False  # table 18-7 :CLEar:AUTO OFF
        self.ovp_limit = V_MAX  # UM p.18-81: DEFault NONE (210 V)
        self.i_limit, self.v_limit = 105e-6, 21.0  # table 18-6: 1.05e-4 A, 21 V
        self.i_range, self.i_range_auto = 100e-6, True  # table 18-6: 1.05e-4, AUTO ON
        self.i_range_floor = 1e-6  # table 18-6: :LLIMit 1e-6
        self.v_measure_range, self.v_measure_range_auto = 20.0, True
        self.tripped = {"CURR": False, "VOLT": False}
        self.range_sync = {"CURR": False, "VOLT": False}  # table 18-6: :RSYNchronize OFF
        self.nplc = 1.0
        self.functions = {"CURR"}  # assumed: table 18-6's FUNCtion row was not read; this is
        # the front panel's source-V/measure-I default and what the manual's examples imply
        self.concurrent = True
        self.resistance_mode = "AUTO"
        self.ohms_range, self.ohms_range_auto = 200e3, True  # table 18-6: 2.1e5, AUTO ON
        self.offset_compensated = False
        self.autozero = True
        self.line_frequency_auto = False
        self.beeper = True
        self.display = True
        self.remote_sense = False
        self.front_terminals = True
        self.arm_count, self.arm_source, self.arm_timer, self.arm_bypass = 1, "IMM", 0.1, False
        self.trigger_count, self.trigger_source = 1, "IMM"
        self.trigger_delay, self.trigger_bypass = 0.0, False
        self.arm_in_line = self.trigger_in_line = 1
        self.arm_out_line = self.trigger_out_line = 2
        self.arm_outputs, self.trigger_outputs = [], []  # NONE
        self.trigger_inputs = ["SOUR"]  # bench default "Source Trigger In Event = On"
        self.timestamp_auto_reset = False
        self.filter_on, self.filter_type, self.filter_count = False, "REP", 10
        self.moving_window: list[float] = []
        self.elements = list(ELEMENTS)  # table 18-3: all
        self.data_format = "ASC"
        self.byte_order = "NORM"  # table 18-3 note: *RST NORMal, :SYST:PRES SWAPped
        self.status_format = "ASC"
        self.statistic = "MEAN"
        self.samples: list[SdmReading] = []  # the readings of the last run (FETCh?)

    def preset(self) -> None:
        """``:SYST:PRES``: the *RST state but for the byte order (UM table 18-3 note)."""
        self.reset()
        self.byte_order = "SWAP"

    # --- command execution during a run --------------------------------------------------
    def execute(self, header: str, argtext: str):
        """In the trigger model "all sent commands (except DCL, SDC, IFC, SYSTem:PRESet,
        *RST, *RCL, *TRG, GET, and ABORt) will not execute" until it is idle (UM p.16-3,
        p.11-11): a command is queued and runs when the run ends; a query makes its client
        wait, so the run finishes first (the bench's clock moves on) unless it cannot end
        by itself, and then the query is queued too and answers no one."""
        name = header.upper().lstrip(":")
        if self.program is not None and not name.startswith(IMMEDIATE_COMMANDS):
            if header.endswith("?"):
                self.finish_run()
            if self.program is not None:
                self.held.append((header, argtext))
                return None
        return super().execute(header, argtext)

    def finish_run(self) -> None:
        """Let a run that can end by itself end (the bench's clock moves on)."""
        while self.program is not None and not self.program.endless():
            t = self.next_event_time()
            if math.isinf(t):
                return
            self.bench.clock.advance_to(t)
            self.bench.sync()

    def wait_idle(self) -> None:
        self.finish_run()

    def fire_event(self, t: float) -> None:
        """The run's next action (it sets ``program`` to None when it ends). A simulator fault
        inside it ends the run with an error entry: the bench goes on."""
        try:
            self.program.fire(self, t)
        except Exception as error:
            self.end_run_now()
            self.push_error(-300, f"Device-specific error; {type(error).__name__}: {error}")

    # --- status model (UM section 15) ----------------------------------------------------
    def push_error(self, code: int, message: str) -> None:
        """As the SCPI engine, but the +800 group sets the execution error bit (UM table B-1:
        "EE", Standard Event bit 4), not the device-dependent one."""
        device_error = self.esr & ESR_DDE
        super().push_error(code, message)
        if code >= 800:
            self.esr = (self.esr & ~ESR_DDE) | device_error | ESR_EXE

    def _measurement_condition(self) -> int:
        bits = MEAS_BAV if len(self.trace) >= 2 else 0
        bits |= MEAS_BFL if len(self.trace) >= self.trace_points else 0
        return bits | (MEAS_COMP if self.tripped["CURR"] or self.tripped["VOLT"] else 0)

    def summary_bits(self) -> int:
        """The measurement summary bit (MSB, bit 0) joins QSB and OSB (UM figure 15-1)."""
        return super().summary_bits() | (STB_MSB if self.measurement.summary else 0)

    def clear_status(self) -> None:
        """``*CLS`` clears the measurement event register too (UM table 16-1)."""
        super().clear_status()
        self.measurement.read_event()

    def preset_status(self) -> None:
        """``:STAT:PRES``: the operation, questionable and measurement event enable
        registers to 0; the event registers stay (UM p.18-102)."""
        for register in (self.operation, self.questionable, self.measurement):
            register.enable = 0

    def trigger(self) -> None:
        """``*TRG`` releases a run waiting for a bus event (UM p.18-119); with none waiting
        it is ignored (-211)."""
        if self.program is None or not self.program.bus_trigger(self.bench.clock.now()):
            raise ScpiError(-211, "Trigger ignored")

    # --- handler factories ----------------------------------------------------------------
    def _count(self, attribute: str):
        """ARM/TRIG:COUN: 1-2500, their finite product at most 2500; INF for the arm layer
        only (UM p.18-118)."""

        def handler(args, query, match):
            if query:
                value = getattr(self, attribute)
                return "+9.9E37" if math.isinf(value) else str(value)
            text = args[0].strip().upper()
            if attribute == "arm_count" and text in ("INF", "INFINITE"):
                value = math.inf
            else:
                value = int(parse_number(args[0], 1, BUFFER_POINTS, 1))
            other = self.trigger_count if attribute == "arm_count" else self.arm_count
            if not math.isinf(value) and not math.isinf(other) and value * other > BUFFER_POINTS:
                raise ScpiError(-221, "Settings conflict; arm count x trigger count > 2500")
            setattr(self, attribute, value)

        return handler

    def _arm_timer(self, args, query, match):
        """1 ms to 99999.99 s, DEFault 0.1 s (UM p.14-8)."""
        if query:
            return f"{self.arm_timer:g}"
        self.arm_timer = parse_number(args[0], 0.001, 99999.99, 0.1)

    def _event_source(self, attribute: str, table: dict):
        def handler(args, query, match):
            if query:
                return getattr(self, attribute)
            setattr(self, attribute, keyword(args[0], table, "event source"))

        return handler

    def _bypass(self, attribute: str):
        """ARM/TRIG:DIR SOURce bypasses the event detector once, ACCeptor does not."""

        def handler(args, query, match):
            if query:
                return "SOUR" if getattr(self, attribute) else "ACC"
            setattr(
                self,
                attribute,
                keyword(
                    args[0],
                    {"SOUR": True, "SOURCE": True, "ACC": False, "ACCEPTOR": False},
                    "direction",
                ),
            )

        return handler

    def _link_line(self, attribute: str):
        def handler(args, query, match):
            if query:
                return str(getattr(self, attribute))
            setattr(self, attribute, int(parse_number(args[0], 1, 4, 1)))

        return handler

    def _event_list(self, attribute: str, table: dict):
        """An event list, or NONE (UM table 11-1)."""

        def handler(args, query, match):
            if query:
                return ",".join(getattr(self, attribute)) or "NONE"
            if not args:
                raise ScpiError(-109, "Missing parameter")
            if len(args) == 1 and unquote(args[0]).strip().upper() == "NONE":
                setattr(self, attribute, [])
                return
            setattr(self, attribute, [keyword(a, table, "event") for a in args])

        return handler

    def _all_errors(self) -> str:
        errors = [f'{code},"{message}"' for code, message in self.errors] or ['0,"No error"']
        self.errors.clear()
        return ",".join(errors)

    # --- source ----------------------------------------------------------------------------
    def _source_function(self, args, query, match):
        if query:
            return self.source_function
        function = keyword(
            args[0],
            {"VOLT": "VOLT", "VOLTAGE": "VOLT", "CURR": "CURR", "CURRENT": "CURR"},
            "source function",
        )
        if function != self.source_function:
            self.source_function = function
            self.apply_bias()

    def _source_clear(self, args, query, match):
        """``:SOUR:CLE``: turns the output off (UM table 18-7)."""
        self.output = False

    def _source_delay(self, args, query, match):
        """0-999.9999 s (UM p.18-82). Setting a delay switches auto delay off: assumed (the
        2400 text read does not say; the 2450/2461 manuals do, and Keithley's 2400 list-sweep
        example sets ``SOUR:DEL 0.1`` after *RST as its "100 ms source delay")."""
        if query:
            return f"{self.source_delay:g}"
        self.source_delay = parse_number(args[0], 0, 999.9999, 0)
        self.source_delay_auto = False

    def _overvoltage_limit(self, args, query, match):
        """OVP: "The V-Source output will not exceed the selected limit", also in I-source
        mode; 20/40/60/80/100/120/160 V, a value between limits selects the lower one,
        below 20 V the lowest, above 160 V none (UM p.18-81)."""
        if query:
            return f"{self.ovp_limit:g}"
        text = unquote(args[0]).strip().upper()
        value = V_MAX if text == "NONE" else abs(parse_number(args[0], -V_MAX, V_MAX, V_MAX))
        if value > OVP_LIMITS[-1]:
            self.ovp_limit = V_MAX
        else:
            self.ovp_limit = max(
                [limit for limit in OVP_LIMITS if limit <= value], default=OVP_LIMITS[0]
            )

    def _source_mode(self, function: str):
        def handler(args, query, match):
            if query:
                return self.source_modes[function]
            self.source_modes[function] = keyword(
                args[0],
                {"FIX": "FIX", "FIXED": "FIX", "LIST": "LIST", "SWE": "SWE", "SWEEP": "SWE"},
                "source mode",
            )

        return handler

    def _source_range(self, function: str):
        ranges = VOLTAGE_RANGES if function == "VOLT" else CURRENT_RANGES

        def handler(args, query, match):
            value = self.v_range if function == "VOLT" else self.i_source_range
            if query:
                return f"{value * RANGE_TOP:g}"
            text = args[0].strip().upper()
            k = ranges.index(value)
            if text == "UP":
                new = ranges[min(k + 1, len(ranges) - 1)]
            elif text == "DOWN":
                new = ranges[max(k - 1, 0)]
            else:
                limit = ranges[-1] * RANGE_TOP
                new = self.range_for(parse_number(args[0], -limit, limit, ranges[0]), ranges)
            if function == "VOLT":
                self.v_range_auto = False
                if abs(self.bias["VOLT"]) > new * RANGE_TOP:
                    raise ScpiError(-221, "Settings conflict; level beyond the new range")
                self.set_voltage_range(new)
            else:
                self.i_source_range_auto = False
                self.i_source_range = new

        return handler

    def _source_range_auto(self, function: str):
        def handler(args, query, match):
            attribute = "v_range_auto" if function == "VOLT" else "i_source_range_auto"
            if query:
                return str(int(getattr(self, attribute)))
            setattr(self, attribute, parse_bool(args[0]))

        return handler

    def _source_level(self, function: str):
        limit = V_MAX if function == "VOLT" else I_MAX

        def handler(args, query, match):
            if query:
                return f"{self.bias[function]:g}"
            level = parse_number(args[0], -limit, limit, 0.0)
            ranges = VOLTAGE_RANGES if function == "VOLT" else CURRENT_RANGES
            fixed = self.v_range if function == "VOLT" else self.i_source_range
            auto = self.v_range_auto if function == "VOLT" else self.i_source_range_auto
            if not auto and abs(level) > fixed * RANGE_TOP:
                raise data_out_of_range(f"{level:g} beyond the {fixed:g} range")
            self.bias[function] = level
            if auto and function == "CURR":
                self.i_source_range = self.range_for(level, ranges)
            if function == self.source_function:
                self.apply_bias()

        return handler

    def apply_bias(self) -> None:
        """The fixed level (the "bias level" a sweep starts from and returns to)."""
        if self.source_function == "VOLT":
            self.apply_level(self.bias["VOLT"])
            self.i_source_level = 0.0
        else:
            self.level = 0.0
            self.i_source_level = self.bias["CURR"]

    def _list(self, function: str):
        def handler(args, query, match):
            if query:
                return ",".join(f"{v:g}" for v in self.lists[function])
            self.lists[function] = []
            self._list_append(function)(args, query, match)

        return handler

    def _list_append(self, function: str):
        """At most 100 values a command, 2500 in a list (UM p.18-92)."""
        limit = V_MAX if function == "VOLT" else I_MAX

        def handler(args, query, match):
            if query:
                raise ScpiError(-113, "Undefined header")
            if len(args) > MAX_LIST_PER_COMMAND:
                raise ScpiError(-108, "Parameter not allowed; at most 100 values a command")
            values = [parse_number(a, -limit, limit) for a in args]
            if len(self.lists[function]) + len(values) > BUFFER_POINTS:
                raise ScpiError(-225, "Out of memory; a source list holds 2500 values")
            self.lists[function].extend(values)

        return handler

    def _list_start(self, function: str):
        """The list point a list sweep begins at, 1-based (UM table 18-7)."""

        def handler(args, query, match):
            if query:
                return str(self.list_start[function])
            self.list_start[function] = int(parse_number(args[0], 1, BUFFER_POINTS, 1))

        return handler

    def _sweep_value(self, function: str, key: str):
        limit = V_MAX if function == "VOLT" else I_MAX

        def handler(args, query, match):
            if query:
                return f"{self.sweep[function][key]:g}"
            self.sweep[function][key] = parse_number(args[0], -limit, limit, 0.0)

        return handler

    def _sweep_step(self, function: str):
        """STEP and POINts are coupled: points = |stop - start| / step + 1 (UM
        :SOURce:SWEep:POINts, :STEP)."""

        def handler(args, query, match):
            span = self.sweep[function]["stop"] - self.sweep[function]["start"]
            if query:
                return f"{span / (self.sweep_points - 1):g}"
            step = parse_number(args[0], -2 * V_MAX, 2 * V_MAX, 0.0)
            if self.spacing == "LOG":
                raise ScpiError(-221, "Settings conflict; a log sweep is set by its points")
            if step == 0 or abs(span / step) + 1 > BUFFER_POINTS:
                raise ScpiError(-221, "Settings conflict; step does not fit start and stop")
            self.sweep_points = int(round(abs(span / step))) + 1

        return handler

    def _sweep_points(self, args, query, match):
        if query:
            return str(self.sweep_points)
        self.sweep_points = int(parse_number(args[0], 2, BUFFER_POINTS, BUFFER_POINTS))

    def _sweep_keyword(self, attribute: str, table: dict):
        def handler(args, query, match):
            if query:
                return getattr(self, attribute)
            setattr(self, attribute, keyword(args[0], table, attribute))

        return handler

    def sweep_levels(self) -> list[float]:
        """The levels of a staircase sweep (UM section 10, p.18-84)."""
        start, stop = (self.sweep[self.source_function][k] for k in ("start", "stop"))
        if self.spacing == "LOG":
            if start == 0 or stop == 0 or (start > 0) != (stop > 0):
                raise ScpiError(-221, "Settings conflict; log sweep through zero")
            levels = list(np.geomspace(start, stop, self.sweep_points))
        else:
            levels = list(np.linspace(start, stop, self.sweep_points))
        return levels[::-1] if self.direction == "DOWN" else levels

    def run_levels(self) -> list[float]:
        mode = self.source_modes[self.source_function]
        if mode == "LIST":
            levels = self.lists[self.source_function]
            start = self.list_start[self.source_function] - 1
            if start >= len(levels):
                raise ScpiError(801, "Insufficient vector data")
            return levels[start:] + levels[:start]
        if mode == "SWE":
            return self.sweep_levels()
        return [self.bias[self.source_function]]

    def source_point(self, level: float) -> None:
        """The source action of one SDM cycle."""
        if self.auto_output_off:
            self.output = True
        if self.source_function == "CURR":
            self.i_source_level = level
        elif self.v_range_auto and self.ranging == "AUTO":
            self.apply_level(level)
        else:
            self.level = level  # fixed or best range: checked at :INIT

    # --- measurement configuration ---------------------------------------------------------
    def _functions_on(self, args, query, match):
        if query:
            return ",".join(FUNCTION_REPLY[f] for f in ELEMENTS[:3] if f in self.functions)
        names = [keyword(a, FUNCTIONS, "function") for a in args]
        if not names:
            raise ScpiError(-109, "Missing parameter")
        if not self.concurrent:
            if len(names) > 1:
                raise ScpiError(-108, "Parameter not allowed; concurrent measurements off")
            self.functions = set()
        self.functions |= set(names)

    def _functions_off(self, args, query, match):
        if query:
            return ",".join(FUNCTION_REPLY[f] for f in ELEMENTS[:3] if f not in self.functions)
        self.functions -= {keyword(a, FUNCTIONS, "function") for a in args}

    def _functions_all(self, args, query, match):
        if query:
            raise ScpiError(-113, "Undefined header")
        self.functions = {"VOLT", "CURR", "RES"}

    def _functions_off_all(self, args, query, match):
        if query:
            raise ScpiError(-113, "Undefined header")
        self.functions = set()

    def _function_state(self, args, query, match):
        if not query or not args:
            raise ScpiError(-109, "Missing parameter")
        return str(int(keyword(args[0], FUNCTIONS, "function") in self.functions))

    def _nplc(self, args, query, match):
        """NPLC 0.01-10, one speed for all functions (UM table 18-6; Quick Start table 12)."""
        if query:
            return f"{self.nplc:g}"
        self.nplc = parse_number(args[0], 0.01, 10, 1.0)

    def _filter_type(self, args, query, match):
        if query:
            return self.filter_type
        self.filter_type = keyword(
            args[0], {"REP": "REP", "REPEAT": "REP", "MOV": "MOV", "MOVING": "MOV"}, "filter type"
        )

    def _filter_count(self, args, query, match):
        if query:
            return str(self.filter_count)
        self.filter_count = int(parse_number(args[0], 1, 100, 10))

    def _protection(self, function: str):
        """Compliance: current 1 nA-1.05 A, voltage 200 uV-210 V (UM p.6-2)."""
        low, high = (1e-9, I_MAX) if function == "CURR" else (200e-6, V_MAX)
        attribute = "i_limit" if function == "CURR" else "v_limit"

        def handler(args, query, match):
            if query:
                return f"{getattr(self, attribute):g}"
            setattr(self, attribute, max(abs(parse_number(args[0], -high, high, high)), low))
            ranges = CURRENT_RANGES if function == "CURR" else VOLTAGE_RANGES
            if self.range_sync[function] and function != self.source_function:
                synced = self.range_for(getattr(self, attribute), ranges)
                if function == "CURR" and not self.i_range_auto:
                    self.i_range = synced
                elif function == "VOLT" and not self.v_measure_range_auto:
                    self.v_measure_range = synced
            self._clamp_measure_range(function)

        return handler

    def _range_sync(self, function: str):
        """ "force the measurement range to follow the compliance range setting when
        autoranging is off" (UM p.3-8, compliance range synchronization)."""

        def handler(args, query, match):
            if query:
                return str(int(self.range_sync[function]))
            self.range_sync[function] = parse_bool(args[0])

        return handler

    def _measure_range(self, function: str):
        """A measure range is not selectable for the sourced quantity, and at most the
        compliance's range (UM p.18-62 notes 1 and 3)."""
        ranges = CURRENT_RANGES if function == "CURR" else VOLTAGE_RANGES

        def handler(args, query, match):
            if query:
                return f"{self._measure_range_of(function) * RANGE_TOP:g}"
            if function == self.source_function:
                raise ScpiError(-221, "Settings conflict; measure range of the source")
            text = args[0].strip().upper()
            current = self._measure_range_of(function)
            k = ranges.index(current)
            if text in ("UP", "DOWN"):
                new = ranges[min(k + 1, len(ranges) - 1)] if text == "UP" else ranges[max(k - 1, 0)]
            else:
                new = self.range_for(
                    parse_number(
                        args[0], -ranges[-1] * RANGE_TOP, ranges[-1] * RANGE_TOP, ranges[0]
                    ),
                    ranges,
                )
            if function == "CURR":
                self.i_range, self.i_range_auto = new, False
            else:
                self.v_measure_range, self.v_measure_range_auto = new, False
            self._clamp_measure_range(function)

        return handler

    def _autorange_floor(self, args, query, match):
        """Current autorange lower limit, -105e-6 to 105e-6, default 1e-6 (table 18-6)."""
        if query:
            return f"{self.i_range_floor:g}"
        self.i_range_floor = abs(parse_number(args[0], -105e-6, 105e-6, 1e-6))

    def _measure_range_of(self, function: str) -> float:
        if function == self.source_function:  # the source range measures (note 1)
            return self.v_range if function == "VOLT" else self.i_source_range
        return self.i_range if function == "CURR" else self.v_measure_range

    def _clamp_measure_range(self, function: str) -> None:
        if function == "CURR":
            self.i_range = min(self.i_range, self.range_for(self.i_limit, CURRENT_RANGES))
        else:
            self.v_measure_range = min(
                self.v_measure_range, self.range_for(self.v_limit, VOLTAGE_RANGES)
            )

    def _measure_range_auto(self, function: str):
        attribute = "i_range_auto" if function == "CURR" else "v_measure_range_auto"

        def handler(args, query, match):
            if query:
                return str(int(getattr(self, attribute)))
            on = parse_bool(args[0])
            if on and function == self.source_function:
                raise ScpiError(-221, "Settings conflict; autorange of the source")
            setattr(self, attribute, on)

        return handler

    def _resistance_mode(self, args, query, match):
        if query:
            return self.resistance_mode
        self.resistance_mode = keyword(
            args[0], {"MAN": "MAN", "MANUAL": "MAN", "AUTO": "AUTO"}, "ohms mode"
        )

    def _resistance_range(self, args, query, match):
        """An ohms range is selectable in auto ohms only (UM p.18-62 note 2); it sets the
        test current of auto ohms, which this model does not source: the reading is V/I."""
        if query:
            return f"{self.ohms_range * RANGE_TOP:g}"
        if self.resistance_mode != "AUTO":
            raise ScpiError(-221, "Settings conflict; ohms range in manual ohms")
        self.ohms_range = self.range_for(parse_number(args[0], 0, 210e6, 200e3), OHMS_RANGES)
        self.ohms_range_auto = False

    def _resistance_range_auto(self, args, query, match):
        if query:
            return str(int(self.ohms_range_auto))
        self.ohms_range_auto = parse_bool(args[0])

    def _autozero(self, args, query, match):
        """ON: a reference and a zero conversion with every reading; ONCE: one refresh now
        (two conversions), then OFF (as the 2600B's AUTOZERO_ONCE; the 2400 manual does
        not say what state ONCE leaves)."""
        if query:
            return str(int(self.autozero))
        text = args[0].strip().upper()
        if text == "ONCE":
            self.bench.clock.sleep(2 * self.conversion_time())
            self.autozero = False
            return
        self.autozero = parse_bool(args[0])

    def _line_frequency(self, args, query, match):
        if query:
            return f"{self.line_frequency:g}"
        value = parse_number(args[0], 50, 60, 60)
        if value not in (50, 60):
            raise illegal_value("line frequency is 50 or 60")
        self.line_frequency = value

    def _beep(self, args, query, match):
        """``:SYST:BEEP freq, time``; ranges as pymeasure 0.16 documents them (65 Hz-2 MHz,
        0-7.9 s): the manual page was not read. It sounds; nothing waits."""
        if query or len(args) != 2:
            raise ScpiError(-109, "Missing parameter")
        parse_number(args[0], 65, 2e6)
        parse_number(args[1], 0, 7.9)

    def _terminals(self, args, query, match):
        if query:
            return "FRON" if self.front_terminals else "REAR"
        self.front_terminals = keyword(
            args[0], {"FRON": True, "FRONT": True, "REAR": False}, "terminals"
        )

    # --- timing of one SDM cycle (UM appendix A, cases I-VI) --------------------------------
    def effective_source_delay(self) -> float:
        """The programmed delay, or with auto delay the one for the current range in use."""
        if not self.source_delay_auto:
            return self.source_delay
        current_range = self.i_range if self.source_function == "VOLT" else self.i_source_range
        if self.source_function == "CURR" and current_range == 1.0:
            return AUTO_DELAY_I_SOURCE_1A_S
        return AUTO_DELAY_S.get(current_range, AUTO_DELAY_OTHER_S)

    def source_changes(self, level: float) -> bool:
        """Cases I-IV (source configured, then the source delay) unless the output stays on
        at the same level (cases V/VI: "The Source-Delay portion ... is omitted")."""
        applied = self.level if self.source_function == "VOLT" else self.i_source_level
        return self.auto_output_off or not self.output or level != applied

    def measured_quantities(self) -> int:
        """Ohms needs V and I."""
        return 2 if "RES" in self.functions else len(self.functions & {"VOLT", "CURR"})

    def signal_conversions(self) -> int:
        """One A/D signal phase per measured quantity, each repeated by a repeat filter."""
        repeats = self.filter_count if self.filter_on and self.filter_type == "REP" else 1
        return self.measured_quantities() * repeats

    def conversion_time(self) -> float:
        return self.aperture + A_D_EXTRA_S

    def conversion_lead(self, changes: bool) -> float:
        """To the middle of the first signal conversion: the current signal phase comes
        first after a source change (figure A-2); a static source with autozero converts
        ref zero and ref first (figure A-5)."""
        references = 2 if (self.autozero and not changes) else 0
        return references * self.conversion_time() + self.conversion_time() / 2

    def conversion_tail(self, changes: bool) -> float:
        """The rest of the reading's conversions and the firmware overhead."""
        n = self.signal_conversions()
        references = 2 if (self.autozero and changes) else 0
        after = max(n, 1) - 0.5 + references
        overhead = FIRMWARE_OVERHEAD_S[(self.autozero, self.measured_quantities())][
            self.source_function == "CURR"
        ]
        return (after * self.conversion_time() if n else 0.0) + overhead

    # --- the source as the device sees it ----------------------------------------------------
    def _current_clamp(self) -> tuple[float, bool]:
        """The current the V-source cannot exceed, and whether that is range compliance."""
        if self.i_range_auto:
            return self.i_limit, False
        top = self.i_range * RANGE_TOP
        return (top, True) if top < self.i_limit else (self.i_limit, False)

    def _voltage_clamp(self) -> tuple[float, bool]:
        if self.v_measure_range_auto:
            return self.v_limit, False
        top = self.v_measure_range * RANGE_TOP
        return (top, True) if top < self.v_limit else (self.v_limit, False)

    def drive(self, t: float) -> tuple[float, float]:
        """What the output puts on the device: the V-source level within the OVP limit, or
        the voltage that drives the programmed current through it (V = I/G) within the
        voltage compliance and the OVP limit."""
        if not self.output:
            return 0.0, math.inf
        if self.source_function == "VOLT":
            return math.copysign(
                min(abs(self.level), self.ovp_limit), self.level
            ), self._current_clamp()[0]
        conductance = max(self.bench.device_of(self).conductance(), 1e-30)
        v = min(abs(self.i_source_level) / conductance, self._voltage_clamp()[0], self.ovp_limit)
        return math.copysign(v, self.i_source_level), abs(self.i_source_level) or math.inf

    # --- readings ------------------------------------------------------------------------------
    def sample_now(self, t: float) -> SdmReading:
        """One reading at ``t``: the device's current at the source's drive, what
        compliance did to it, the measured values and the status word (UM p.18-50/51)."""
        v, _ = self.drive(t)
        current, limited = self.bench.device_current(self) if self.output else (0.0, False)
        status = self._configuration_status()
        if self.output and abs(v) >= self.ovp_limit:
            status |= ST_OVP  # "the over voltage protection limit was reached" (bit 4)
        self.tripped = {"CURR": False, "VOLT": False}
        if self.source_function == "VOLT":
            clamp, by_range = self._current_clamp()
            if limited and self.output:  # the current clamps, the voltage falls (p.6-2)
                status |= ST_RANGE_COMPLIANCE if by_range else ST_COMPLIANCE
                self.tripped["CURR"] = True
                v = math.copysign(
                    clamp / max(self.bench.device_of(self).conductance(), 1e-30), self.level
                )
            i_range = (
                max(
                    self.range_for(current, CURRENT_RANGES),
                    self.range_for(self.i_range_floor, CURRENT_RANGES),
                )
                if self.i_range_auto
                else self.i_range
            )
            v_range = self.v_range  # the source range measures the sourced quantity
            if self.i_range_auto:
                self.i_range = i_range  # RANGe? answers the range autoranging chose
        else:
            clamp, by_range = self._voltage_clamp()
            if self.output and self.i_source_level and abs(v) >= clamp * (1 - 1e-12):
                status |= ST_RANGE_COMPLIANCE if by_range else ST_COMPLIANCE
                self.tripped["VOLT"] = True
            i_range = self.i_source_range
            v_range = (
                self.range_for(v, VOLTAGE_RANGES)
                if self.v_measure_range_auto
                else self.v_measure_range
            )
            if self.v_measure_range_auto:
                self.v_measure_range = v_range
        measured_i = self._filtered(current, i_range)
        measured_v = v + v_range * VOLTAGE_FLOOR / math.sqrt(self.nplc) * self.rng.standard_normal()
        if abs(current) > i_range * RANGE_TOP:
            measured_i, status = OVERFLOW, status | ST_OVERFLOW
        if abs(v) > v_range * RANGE_TOP:
            measured_v, status = OVERFLOW, status | ST_OVERFLOW
        # an element not measured is 9.91e37, but the sourced one is the programmed value
        # (UM p.18-53, figure 18-1: "the current reading is the current source value")
        voltage = (
            measured_v
            if "VOLT" in self.functions
            else (self.level if self.source_function == "VOLT" else NOT_MEASURED)
        )
        amps = (
            measured_i
            if "CURR" in self.functions
            else (self.i_source_level if self.source_function == "CURR" else NOT_MEASURED)
        )
        ohms = NOT_MEASURED
        if "RES" in self.functions:
            ohms = OVERFLOW if measured_i in (0.0, OVERFLOW) else measured_v / measured_i
        return SdmReading(t, voltage, amps, ohms, status)

    def _configuration_status(self) -> int:
        """The status word bits that say how the unit is set up (UM p.18-50/51)."""
        status = ST_FRONT if self.front_terminals else 0
        status |= ST_V_SOURCE if self.source_function == "VOLT" else ST_I_SOURCE
        status |= ST_V_MEAS if "VOLT" in self.functions else 0
        status |= ST_I_MEAS if "CURR" in self.functions else 0
        if "RES" in self.functions:
            status |= ST_R_MEAS | (ST_AUTO_OHMS if self.resistance_mode == "AUTO" else 0)
        status |= ST_REMOTE_SENSE if self.remote_sense else 0
        return status | (ST_FILTER if self.filter_on else 0)

    def _filtered(self, current: float, rng: float) -> float:
        """A repeat filter averages N fresh conversions, a moving filter the last N readings
        (UM section 7, "Filters")."""
        if not self.filter_on:
            return self._noisy(current, rng)
        if self.filter_type == "REP":
            return float(np.mean([self._noisy(current, rng) for _ in range(self.filter_count)]))
        self.moving_window = (self.moving_window + [self._noisy(current, rng)])[
            -self.filter_count :
        ]
        return float(np.mean(self.moving_window))

    def take_reading(self, t: float) -> SdmReading:
        reading = self.sample_now(t)
        self.samples.append(reading)
        events = MEAS_RAV
        events |= MEAS_ROF if reading.status & ST_OVERFLOW else 0
        events |= MEAS_COMP if reading.status & COMPLIANCE_BITS else 0
        if self.trace_storing and self.trace_feed == "SENS":
            self.trace[self.store_index : self.store_index + 1] = [reading]
            self.store_index += 1
            events |= MEAS_BAV if len(self.trace) >= 2 else 0
            if self.store_index >= self.trace_points:
                self.trace_storing = False  # NEXT "fills buffer and stops" (p.18-116)
                events |= MEAS_BFL
        self.measurement.event |= events
        if self.auto_output_off:
            self.output = False
        return reading

    def in_compliance(self) -> bool:
        """Whether the source is clamped now, before a reading is taken."""
        return self.output and self.bench.device_current(self)[1]

    # --- trigger model -------------------------------------------------------------------------
    def _initiate(self, args, query, match):
        if query:
            raise ScpiError(-113, "Undefined header")
        self.start_run()

    def start_run(self) -> None:
        """Out of idle (UM p.11-11): the output must be on unless auto output-off is
        enabled; levels are checked against a fixed source range first."""
        if self.program is not None:
            raise ScpiError(-213, "Init ignored")
        if not self.output and not self.auto_output_off:
            raise ScpiError(803, "Not permitted with OUTPUT off")
        levels = self.run_levels()
        if self.source_function == "VOLT" and self.source_modes["VOLT"] != "FIX":
            top = max(abs(v) for v in levels)
            if self.ranging == "BEST" and self.v_range_auto:
                self.set_voltage_range(self.range_for(top, VOLTAGE_RANGES))
            elif (
                not self.v_range_auto or self.ranging == "FIX"
            ) and top > self.v_range * RANGE_TOP:
                raise ScpiError(-221, "Settings conflict; a level beyond the source range")
        self.levels = levels
        self.samples = []
        if self.timestamp_auto_reset:  # "reset when exiting the idle layer" (UM p.18-113)
            self.powered_on_at = self.bench.clock.now()
        self.program = TriggerRun(self, self.bench.clock.now())

    def end_run(self) -> None:
        """Back to idle: the source returns to its bias level (UM section 10, "Sweep
        waveforms": a sweep starts from and returns to the bias level)."""
        self.program = None
        self.operation.clear(OPER_SWEEP)
        self.operation.set(OPER_IDLE)
        self.apply_bias()
        self.release_held()

    def end_run_now(self) -> None:
        """A run stops where it is (``:ABORt``, ``*RST``)."""
        if self.program is not None:
            self.program = None
            self.operation.clear(OPER_SWEEP | OPER_ARM | OPER_TRIG)
            self.operation.set(OPER_IDLE)

    def _abort(self, args, query, match):
        if query:
            raise ScpiError(-113, "Undefined header")
        if self.program is not None:
            self.end_run_now()
            self.apply_bias()
        self.release_held()

    def release_held(self) -> None:
        """Commands queued behind a run execute once it is idle; the replies of held
        queries reach no one (the client's read has timed out)."""
        held, self.held = self.held, []
        for header, argtext in held:
            try:
                self.execute(header, argtext)
            except ScpiError as error:
                self.push_error(error.code, error.message)
            except Exception as error:  # as the SCPI engine: an error entry, never a crash
                self.push_error(
                    -300, f"Device-specific error; {header}: {type(error).__name__}: {error}"
                )

    def _read(self, args, query, match):
        """``:READ?`` = :INIT + :FETCh?: every reading of the arm x trigger count."""
        if not query:
            raise ScpiError(-113, "Undefined header")
        if math.isinf(self.arm_count):
            raise ScpiError(-221, "Settings conflict; READ? with an infinite arm count")
        self.start_run()
        self.finish_run()
        if self.program is not None and self.program.waiting_for == "BUS":
            raise ScpiError(-214, "Trigger deadlock")  # SCPI-99: a bus trigger a query needs
        if self.program is not None:  # waits for a trigger-link or handler event: no reply
            raise WaitsForever("READ? waits for an external trigger")
        return self.format_readings(self.samples, "ABS", since_power_on=True)

    def configure_function(self, function: str) -> None:
        """``:CONF:<f>``: the function measured from now on (UM :CONFigure)."""
        if not self.concurrent:
            self.functions = set()
        self.functions.add(function)

    def _configure(self, function: str):
        def handler(args, query, match):
            if query:
                return ",".join(FUNCTION_REPLY[f] for f in ELEMENTS[:3] if f in self.functions)
            self.configure_function(function)

        return handler

    def _measure(self, function: str | None):
        """``:MEAS[:<f>]?`` = :CONF:<f> + :READ?; switches the output on (UM p.11-11)."""

        def handler(args, query, match):
            if not query:
                raise ScpiError(-113, "Undefined header")
            if function is not None:
                self.configure_function(function)
            self.output = True
            return self._read(args, True, match)

        return handler

    # --- buffer ---------------------------------------------------------------------------
    def _trace_clear(self, args, query, match):
        if query:
            raise ScpiError(-113, "Undefined header")
        self.trace = []
        self.store_index = 0

    def _trace_data(self) -> str:
        """The whole buffer; an empty one has no data to send (-230, as :CALC3:DATA?)."""
        if not self.trace:
            raise ScpiError(-230, "Data corrupt or stale")
        return self.format_readings(self.trace, self.timestamp_format)

    def _trace_free(self) -> str:
        used = len(self.trace) * 4 * len(ELEMENTS)
        return f"{BUFFER_POINTS * 4 * len(ELEMENTS) - used},{used}"

    def _trace_points(self, args, query, match):
        if query:
            return str(self.trace_points)
        self.trace_points = int(parse_number(args[0], 1, BUFFER_POINTS, 100))

    def _feed(self, args, query, match):
        """SENSe or NONE; CALC1/CALC2 (math, limits) are not simulated and refused. The feed
        "cannot be changed while buffer storage is active" (UM p.18-115; error +800)."""
        if query:
            return self.trace_feed
        feed = keyword(
            args[0],
            {
                "SENS": "SENS",
                "SENSE": "SENS",
                "SENS1": "SENS",
                "SENSE1": "SENS",
                "NONE": "NONE",
                "CALC": "CALC1",
                "CALC1": "CALC1",
                "CALCULATE": "CALC1",
                "CALCULATE1": "CALC1",
                "CALC2": "CALC2",
                "CALCULATE2": "CALC2",
            },
            "feed",
        )
        if self.trace_storing:
            raise ScpiError(800, "Illegal with storage active")
        if feed.startswith("CALC"):
            raise ScpiError(-221, "Settings conflict; CALC1/CALC2 feeds are not simulated")
        self.trace_feed = feed

    def _feed_control(self, args, query, match):
        if query:
            return "NEXT" if self.trace_storing else "NEV"
        self.trace_storing = keyword(
            args[0], {"NEXT": True, "NEV": False, "NEVER": False}, "buffer control"
        )
        # a new store starts at the first reading: without :TRAC:CLE it "will overwrite the
        # old readings" (UM p.18-114, :TRACe:CLEar)
        self.store_index = 0

    def _timestamp_format(self, args, query, match):
        if query:
            return self.timestamp_format
        self.timestamp_format = keyword(
            args[0],
            {"ABS": "ABS", "ABSOLUTE": "ABS", "DELT": "DELT", "DELTA": "DELT"},
            "timestamp format",
        )

    def _statistic(self, args, query, match):
        if query:
            return self.statistic
        self.statistic = keyword(args[0], STATISTICS, "statistic")

    def _statistics(self) -> str:
        """``:CALC3:DATA?``: the statistic of each of V, I, R over the buffer (UM section 9,
        "Buffer statistics"); needs readings (two for SDEV)."""
        needed = 2 if self.statistic == "SDEV" else 1
        if len(self.trace) < needed:
            raise ScpiError(-230, "Data corrupt or stale")
        columns = [
            np.array([getattr(r, name) for r in self.trace])
            for name in ("voltage", "current", "resistance")
        ]
        compute = {
            "MEAN": np.mean,
            "SDEV": lambda x: np.std(x, ddof=1),
            "MAX": np.max,
            "MIN": np.min,
            "PKPK": np.ptp,
        }[self.statistic]
        return ",".join(f"{float(compute(c)):+.6E}" for c in columns)

    # --- formatting -----------------------------------------------------------------------------
    def _elements(self, args, query, match):
        if query:
            return ",".join(self.elements)
        if not args:
            raise ScpiError(-109, "Missing parameter")
        chosen = {keyword(a, ELEMENT_NAMES, "element") for a in args}
        self.elements = [e for e in ELEMENTS if e in chosen]

    def _data_format(self, args, query, match):
        if query:
            return {"ASC": "ASC", "REAL": "REAL,32", "SRE": "SRE"}[self.data_format]
        kind = keyword(
            args[0],
            {"ASC": "ASC", "ASCII": "ASC", "REAL": "REAL", "SRE": "SRE", "SREAL": "SRE"},
            "data format",
        )
        if len(args) > 1 and (kind != "REAL" or parse_number(args[1]) != 32):
            raise illegal_value("only REAL takes a length, 32")
        self.data_format = kind

    def _byte_order(self, args, query, match):
        if query:
            return self.byte_order
        self.byte_order = keyword(
            args[0],
            {"NORM": "NORM", "NORMAL": "NORM", "SWAP": "SWAP", "SWAPPED": "SWAP"},
            "byte order",
        )

    def _status_format(self, args, query, match):
        if query:
            return self.status_format
        if (
            keyword(
                args[0],
                {
                    "ASC": "ASC",
                    "ASCII": "ASC",
                    "HEX": "HEX",
                    "HEXADECIMAL": "HEX",
                    "OCT": "OCT",
                    "OCTAL": "OCT",
                    "BIN": "BIN",
                    "BINARY": "BIN",
                },
                "register format",
            )
            != "ASC"
        ):
            raise ScpiError(-221, "Settings conflict; only ASCii status registers simulated")
        self.status_format = "ASC"

    def format_readings(self, readings, timestamps: str, since_power_on: bool = False) -> str:
        """Readings as FORM:ELEM elements, in ASCII or as an IEEE-754 single-precision block
        "#0..." (UM p.18-47..18-54). TIME is seconds since power-on for READ?/FETCh? and,
        in the buffer, since its first reading (ABSolute) or since the previous one (DELTa,
        UM p.18-116)."""
        values = []
        previous = readings[0].t if readings else 0.0
        for reading in readings:
            if since_power_on:
                t = reading.t - self.powered_on_at
            elif timestamps == "DELT":
                t, previous = reading.t - previous, reading.t
            else:
                t = reading.t - readings[0].t
            row = {
                "VOLT": reading.voltage,
                "CURR": reading.current,
                "RES": reading.resistance,
                "TIME": t,
                "STAT": float(reading.status),
            }
            values += [row[e] for e in self.elements]
        if self.data_format == "ASC":
            return ",".join(f"{v:+.6E}" for v in values)
        order = ">" if self.byte_order == "NORM" else "<"
        return "#0" + struct.pack(f"{order}{len(values)}f", *values).decode("latin-1")
