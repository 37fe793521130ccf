"""Simulated Keithley 2450 SourceMeter speaking its SCPI command set.

Command forms follow the Model 2450 Reference Manual (2450-901-01 Rev. B, section 6, SCPI
command reference, cited "RM p.") and the behaviour pages of the vendor's command help
(tektronix/tsp-toolkit-webhelp, cited "WH-2450 <page id>": the TSP page of the same
instrument setting). It sources voltage or current (a current source drives the device with
V = I/G, up to the voltage limit) and measures current, voltage or resistance. Anything else
is queued as ``-113,"Undefined header"`` as the instrument does.

Timing, from the manual (see :meth:`SimKeithley2450.source_delay_s` and
:meth:`SimKeithley2450.reading_timing`): every level change settles for the source delay,
the range-dependent autodelay after ``*RST``; each reading takes its aperture, two more
reference conversions with autozero on, and the readback and processing overhead.
"""

import datetime
import math
import struct
from dataclasses import replace

from .scpi import (
    Arguments,
    ScpiError,
    data_out_of_range,
    illegal_value,
    parse_bool,
    parse_number,
    settings_conflict,
    unquote,
)
from .scpi_smu import ScpiSmu
from .smu import Reading, ReadingBuffer, ReadingTiming
from .trigger_model import (
    INFINITE,
    Block,
    ConfigList,
    TriggerModel,
    check_blocks,
    sweep_blocks,
    template_blocks,
    trigger_event,
)

# Source autodelay of the voltage source, by current (measure) range, high capacitance off
# (WH-2450 ID_SRC_DELAY_BUT, "Source delay" table).
AUTODELAY_S = {
    10e-9: 50e-3,
    100e-9: 50e-3,
    1e-6: 3e-3,
    10e-6: 2e-3,
    100e-6: 1e-3,
    1e-3: 1e-3,
    10e-3: 1e-3,
    100e-3: 1e-3,
    1.0: 1e-3,
}
# ... and of the current source, by its source range (same table)
CURRENT_AUTODELAY_S = {**AUTODELAY_S, 1.0: 2e-3}
SOURCE_LIMITS = {"VOLT": 210.0, "CURR": 1.05}  # largest level (WH-2450 30563)
# Source readback: "the instrument measures the actual source value immediately before
# making the measurement ... a reduction in measurement speed" (WH-2450 30579). Its cost is
# calibrated on the manual's measured example (WH-2450 30505: readings 151.875 ms apart at
# 1 NPLC with a 0.1 s source delay, *RST defaults, 60 Hz: 3 conversions of 16.667 ms with
# autozero on, plus 1.875 ms of readback and processing).
READBACK_S = 1.675e-3
DEFAULT_BUFFERS = ("defbuffer1", "defbuffer2")
BUFFER_MEMORY = 4_500_000  # standard-style readings of all buffers together (WH-2450 45724)
BUFFER_CAPACITY = 100_000  # each default buffer after power-on/reset (WH-2450 45724)
BUFFER_STYLES = {
    "STAN": "STAN",
    "STANDARD": "STAN",
    "COMP": "COMP",
    "COMPACT": "COMP",
    "FULL": "FULL",
    "WRIT": "WRIT",
    "WRITABLE": "WRIT",
    "FULLWRIT": "FULLWRIT",
    "FULLWRITABLE": "FULLWRIT",
}
# :TRACe:DATA? / :FETCh? / :READ? buffer elements (RM :TRACe:DATA?)
ELEMENTS = {
    "DATE": "DATE",
    "FORM": "FORM",
    "FORMATTED": "FORM",
    "FRAC": "FRAC",
    "FRACTIONAL": "FRAC",
    "READ": "READ",
    "READING": "READ",
    "REL": "REL",
    "RELATIVE": "REL",
    "SEC": "SEC",
    "SECONDS": "SEC",
    "SOUR": "SOUR",
    "SOURCE": "SOUR",
    "SOURFORM": "SOURFORM",
    "SOURFORMATTED": "SOURFORM",
    "SOURSTAT": "SOURSTAT",
    "SOURSTATUS": "SOURSTAT",
    "SOURUNIT": "SOURUNIT",
    "STAT": "STAT",
    "STATUS": "STAT",
    "TIME": "TIME",
    "TST": "TST",
    "TSTAMP": "TST",
    "UNIT": "UNIT",
}
TEXT_ELEMENTS = {"DATE", "FORM", "SOURFORM", "SOURUNIT", "TIME", "TST", "UNIT"}
# buffer source-status bits (WH-2450 34340) and measurement-status bits (WH-2450 33164)
SOURCE_READBACK, SOURCE_LIMIT, SOURCE_OUTPUT = 8, 32, 128
MEASURE_QUESTIONABLE, MEASURE_FRONT_TERMINAL = 1, 8
UNITS = {"CURR": "Amp DC", "VOLT": "Volt DC", "RES": "Ohm"}
SENSE_FUNCTIONS = {
    "CURR": "CURR",
    "CURR:DC": "CURR",
    "CURRENT": "CURR",
    "CURRENT:DC": "CURR",
    "VOLT": "VOLT",
    "VOLT:DC": "VOLT",
    "VOLTAGE": "VOLT",
    "VOLTAGE:DC": "VOLT",
    "RES": "RES",
    "RESISTANCE": "RES",
}
SENSE_REPLIES = {"CURR": '"CURR:DC"', "VOLT": '"VOLT:DC"', "RES": '"RES"'}
# status-model events the simulator posts (WH-2450 31648, 31638: event numbers)
EVENT_TRIGGER_INITIATED, EVENT_TRIGGER_IDLE = 2731, 2732
EVENT_BUFFER_EMPTY, EVENT_BUFFER_FULL = 4917, 4918
# the clock's zero, for the TST/DATE/TIME/SEC elements (SEC: UTC seconds since 1970, RM
# "Reading buffer time and date values")
POWER_ON_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
OHM_RANGES = (20.0, 200.0, 2e3, 20e3, 200e3, 2e6, 20e6, 200e6)  # RM :SENSe:RESistance:RANGe
SWEEP_LIST = "SWEEP"  # the configuration list a sweep command creates
MAX_BLOCK = 63
SCREENS = {
    "HOME",
    "HOME_LARG",
    "HOME_LARGE_READING",
    "READ",
    "READING_TABLE",
    "GRAP",
    "GRAPH",
    "HIST",
    "HISTOGRAM",
    "SWIPE_GRAP",
    "SWIPE_GRAPH",
    "SWIPE_SETT",
    "SWIPE_SETTINGS",
    "SWIPE_STAT",
    "SWIPE_STATISTICS",
    "SWIPE_USER",
    "PROC",
    "PROCESSING",
}


class SimKeithley2450(ScpiSmu):
    model = "2450"

    def __init__(self, bench, name: str, serial: str, seed: int):
        super().__init__(bench, name, seed)
        self.idn = f"KEITHLEY INSTRUMENTS,MODEL 2450,{serial},1.7.12b"
        # event -> status bit maps; *RST leaves the status model alone (IEEE 488.2 10.32)
        self.status_maps = {id(self.operation): {}, id(self.questionable): {}}
        self._register_source()
        self._register_sense()
        self._register_trigger()
        self._register_trace()
        self._register_system()
        self.reset()

    # --- command tables ------------------------------------------------------------------
    def _register_source(self):
        r = self.register
        r(":OUTPut[1][:STATe]", self.h_output)
        r("[:SOURce[1]]:FUNCtion[:MODE]", self._source_function)
        r("[:SOURce[1]]:VOLTage:RANGe:AUTO", self.flag("v_range_auto"))
        r("[:SOURce[1]]:VOLTage:RANGe", self.h_source_range)
        r("[:SOURce[1]]:CURRent:RANGe:AUTO", self.flag("i_source_range_auto"))
        r("[:SOURce[1]]:CURRent:RANGe", self._current_source_range)
        r("[:SOURce[1]]:VOLTage:ILIMit[:LEVel]:TRIPped?", self._tripped("VOLT"))
        r("[:SOURce[1]]:VOLTage:ILIMit[:LEVel]", self._ilimit)
        r("[:SOURce[1]]:CURRent:VLIMit[:LEVel]:TRIPped?", self._tripped("CURR"))
        r("[:SOURce[1]]:CURRent:VLIMit[:LEVel]", self._vlimit)
        # delays, readback and off-mode: one setting serves both source functions (a
        # simplification: the instrument keeps them per function)
        for f in ("VOLTage", "CURRent"):
            r(f":OUTPut[1]:{f}:SMODe", self.h_off_mode)
            r(f"[:SOURce[1]]:{f}:READ:BACK", self.flag("readback"))
            r(f"[:SOURce[1]]:{f}:DELay:AUTO", self._delay_auto)
            r(f"[:SOURce[1]]:{f}:DELay:USER[1]", self._user_delay("source_user_delays"))
            for n in range(2, 6):
                r(f"[:SOURce[1]]:{f}:DELay:USER{n}", self._user_delay("source_user_delays", n))
            r(f"[:SOURce[1]]:{f}:DELay", self._delay)
            r(f"[:SOURce[1]]:{f}[:LEVel][:IMMediate][:AMPLitude]", self._level(f[:4].upper()))
            r(f"[:SOURce[1]]:SWEep:{f}:LIST", self._sweep_list(f[:4].upper()))
            r(f"[:SOURce[1]]:SWEep:{f}:LINear", self._sweep_linear(f[:4].upper()))
            r(f"[:SOURce[1]]:SWEep:{f}:LINear:STEP", self._sweep_linear_step(f[:4].upper()))
            r(f"[:SOURce[1]]:SWEep:{f}:LOG", self._sweep_log(f[:4].upper()))
        r("[:SOURce[1]]:VOLTage:PROTection[:LEVel]", self._protection)
        r("[:SOURce[1]]:VOLTage:PROTection[:LEVel]:TRIPped?", lambda a, q, m: "0")
        r("[:SOURce[1]]:LIST:VOLTage:APPend", self.h_list_append)
        r("[:SOURce[1]]:LIST:VOLTage:POINts?", lambda a, q, m: str(len(self.source_list)))
        r("[:SOURce[1]]:LIST:VOLTage", self.h_list)
        for node, kind in (("[:SOURce[1]]", "source"), ("[:SENSe[1]]", "measure")):
            r(f"{node}:CONFiguration:LIST:CREate", self._config_create(kind))
            r(f"{node}:CONFiguration:LIST:STORe", self._config_store(kind))
            r(f"{node}:CONFiguration:LIST:RECall", self._config_recall(kind))
            r(f"{node}:CONFiguration:LIST:SIZE?", self._config_size(kind))
            r(f"{node}:CONFiguration:LIST:DELete", self._config_delete(kind))
            r(f"{node}:CONFiguration:LIST:CATalog?", self._config_catalog(kind))

    def _register_sense(self):
        r = self.register
        r("[:SENSe[1]]:FUNCtion[:ON]", self._sense_function)
        r("[:SENSe[1]]:COUNt", self._count)
        r("[:SENSe[1]]:AZERo:ONCE", self._zero_once)
        # one set of measure settings serves the three functions (a simplification: the
        # instrument keeps them per function)
        r("[:SENSe[1]]:CURRent[:DC]:RANGe:AUTO", self._measure_autorange)
        r("[:SENSe[1]]:CURRent[:DC]:RANGe[:UPPer]", self._measure_range)
        for f, ranges in (("VOLTage[:DC]", self.voltage_ranges), ("RESistance", OHM_RANGES)):
            r(f"[:SENSe[1]]:{f}:RANGe:AUTO", self._other_autorange(f[:4].upper()))
            r(f"[:SENSe[1]]:{f}:RANGe[:UPPer]", self._other_range(f[:4].upper(), ranges))
        for f in ("CURRent[:DC]", "VOLTage[:DC]", "RESistance"):
            s = f"[:SENSe[1]]:{f}"
            r(f"{s}:NPLCycles", self.number("nplc", 0.01, 10))
            r(f"{s}:AZERo[:STATe]", self.flag("autozero"))
            r(f"{s}:AVERage[:STATe]", self.flag("filter_on"))
            r(f"{s}:AVERage:COUNt", self._filter_count)
            r(f"{s}:AVERage:TCONtrol", self._filter_type)
            r(f"{s}:RELative:STATe", self.flag("rel_on"))
            r(f"{s}:RELative:ACQuire", self._rel_acquire)
            r(f"{s}:RELative", self._rel_level)
            r(f"{s}:RSENse", self.flag("four_wire"))
            r(f"{s}:OCOMpensated", self.flag("offset_compensation"))
            r(f"{s}:DELay:USER[1]", self._user_delay("measure_user_delays"))
            for n in range(2, 6):
                r(f"{s}:DELay:USER{n}", self._user_delay("measure_user_delays", n))
        r(":ROUTe:TERMinals", self._terminals)
        r(":DISPlay:SCReen", self._screen)

    def _register_trigger(self):
        r = self.register
        r(":INITiate[:IMMediate]", self._initiate)
        r(":ABORt", lambda a, q, m: self.abort())
        r(":TRIGger:STATe?", self._trigger_state)
        r(":TRIGger:LOAD", self._trigger_load)
        r(
            ":TRIGger:BLOCk:BUFFer[:CLEar]",
            self._block(
                "CLEAR", lambda a: (self.buffer_name(unquote(a[0])) if a else "defbuffer1",)
            ),
        )
        r(":TRIGger:BLOCk:CONFig:NEXT", self._block("NEXT", _list_names))
        r(":TRIGger:BLOCk:CONFig:PREVious", self._block("PREV", _list_names))
        r(":TRIGger:BLOCk:CONFig:RECall", self._block("RECALL", _recall_args))
        r(":TRIGger:BLOCk:SOURce:STATe", self._block("SOURCE", lambda a: (parse_bool(a[0]),)))
        r(
            ":TRIGger:BLOCk:DELay:CONStant",
            self._block("DELAY", lambda a: (parse_number(a[0], 0, 1e4),)),
        )
        r(":TRIGger:BLOCk:DELay:DYNamic", self._block("DELAY_DYNAMIC", _user_delay_index))
        r(":TRIGger:BLOCk:MEASure", self._block("MEASURE", self._measure_block_args))
        r(
            ":TRIGger:BLOCk:BRANch:COUNter",
            self._block(
                "COUNTER", lambda a: (int(parse_number(a[0], 1, 268435455)), _block_number(a[1]))
            ),
        )
        r(":TRIGger:BLOCk:BRANch:ALWays", self._block("ALWAYS", lambda a: (_block_number(a[0]),)))
        r(":TRIGger:BLOCk:BRANch:ONCE", self._block("ONCE", lambda a: (_block_number(a[0]),)))
        r(
            ":TRIGger:BLOCk:BRANch:ONCE:EXCLuded",
            self._block("ONCE_EXCLUDED", lambda a: (_block_number(a[0]),)),
        )
        r(
            ":TRIGger:BLOCk:BRANch:EVENt",
            self._block("ON_EVENT", lambda a: (trigger_event(a[0]), _block_number(a[1]))),
        )
        r(":TRIGger:BLOCk:WAIT", self._block("WAIT", _wait_args))
        r(
            ":TRIGger:BLOCk:NOTify",
            self._block("NOTIFY", lambda a: (int(parse_number(a[0], 1, 8)),)),
        )
        r(":TRIGger:BLOCk:NOP", self._block("NOP", lambda a: ()))

    def _register_trace(self):
        r = self.register
        r(":TRACe:MAKE", self._trace_make)
        r(":TRACe:DELete", self._trace_delete)
        r(":TRACe:CLEar", lambda a, q, m: self._clear(self._buffer(a)))
        r(":TRACe:POINts", self._buffer_points)
        r(":TRACe:FILL:MODE", self._fill_mode)
        r(":TRACe:ACTual?", lambda a, q, m: str(len(self._buffer(a).readings)))
        r(":TRACe:ACTual:STARt?", lambda a, q, m: "1" if self._buffer(a).readings else "0")
        r(":TRACe:ACTual:END?", lambda a, q, m: str(len(self._buffer(a).readings)))
        r(":TRACe:DATA?", self._trace_data)
        r(":TRACe:TRIGger", self._trace_trigger)
        for name, statistic in (
            ("AVERage", _mean),
            ("MAXimum", max),
            ("MINimum", min),
            ("PK2Pk", _peak_to_peak),
            ("SPAN", _peak_to_peak),
            ("STDDev", _stddev),
        ):
            r(f":TRACe:STATistics:{name}?", self._statistic(statistic))
        r(":TRACe:STATistics:CLEar", lambda a, q, m: self._buffer(a))
        r(":FETCh?", self._fetch)
        r(":READ?", self._read)
        r(":MEASure[:CURRent[:DC]]?", self._measure("CURR"))
        r(":MEASure:VOLTage[:DC]?", self._measure("VOLT"))
        r(":MEASure:RESistance?", self._measure("RES"))
        r(":FORMat[:DATA]", self._format_data)
        r(":FORMat:ASCii:PRECision", self._ascii_precision)
        r(":FORMat:BORDer", self._byte_order)

    def _register_system(self):
        r = self.register
        r("*LANG", self._language)
        r(":SYSTem:CLEar", lambda a, q, m: self.errors.clear())
        r(":SYSTem:BEEPer[:IMMediate]", self._beep)
        r(":STATus:CLEar", lambda a, q, m: self._clear_status_events())
        for name, register in (("OPERation", self.operation), ("QUEStionable", self.questionable)):
            r(f":STATus:{name}:MAP", self._status_map(register))

    # --- state ---------------------------------------------------------------------------
    def reset(self) -> None:
        """``*RST``: the defaults the help pages list for each setting."""
        self.reset_source()
        self.i_limit = 105e-6  # WH-2450 30561 (smu.source.ilimit.level)
        self.v_range, self.v_range_auto = 20.0, True  # WH-2450 29386: source autorange on
        self.source_function = "VOLT"  # WH-2450 29382
        self.idle_level = 0.0  # the level of the source function not in use
        self.i_source_range, self.i_source_range_auto = 1e-4, True
        self.v_limit = 21.0  # WH-2450 30561: the current source's voltage limit
        self.i_range, self.i_range_auto = 1e-4, True  # WH-2450 29393: measure autorange on
        self.nplc = 1.0  # WH-2450 29064
        self.readback = True  # WH-2450 30579
        self.autozero = True  # WH-2450 29048; RM p.6-46
        self.zeroed = False
        self.auto_delay = True  # WH-2450 33143
        self.source_delay = 0.0  # WH-2450 29079
        self.protection = "NONE"  # overvoltage protection off
        self.source_user_delays = [0.0] * 5
        self.measure_user_delays = [0.0] * 5
        self.measure_count = 1  # WH-2450 30505
        self.sense_function = "CURR"
        self.filter_on, self.filter_count, self.filter_type = False, 10, "REP"
        self.rel_on, self.rel_level = False, 0.0
        self.four_wire = False
        self.offset_compensation = False
        self.other_ranges = {"VOLT": (20.0, True), "RESI": (200e3, True)}
        self.front_terminals = True
        self.data_format, self.ascii_digits, self.little_endian = "ASC", 0, True
        for name in DEFAULT_BUFFERS:
            self.buffers[name].capacity = BUFFER_CAPACITY
        self.trigger_blocks: dict = {}
        self.trigger_state = "EMPTY"
        self.last_block = 0
        self.config_lists: dict = {}

    # --- timing hooks (smu.py) -----------------------------------------------------------
    def source_delay_s(self) -> float:
        """The delay after each level change (first output-on, then each change of level,
        WH-2450 29079): the range-dependent autodelay (ID_SRC_DELAY_BUT: by the measure
        range for a voltage source, the source range for a current source) or the set delay."""
        if not self.auto_delay:
            return self.source_delay
        if self.source_function == "CURR":
            return CURRENT_AUTODELAY_S[self.i_source_range]
        return AUTODELAY_S[self.i_range]

    def reading_timing(self) -> ReadingTiming:
        """Autozero on: two reference conversions of one aperture each with every reading
        (WH-2450 29727 "makes two more readings"; the help gives no expiry interval, so
        every reading pays them). The repeating average filter makes ``count`` conversions
        for a reading. Readback adds :data:`READBACK_S`."""
        conversions = self.filter_count if self.filter_on and self.filter_type == "REP" else 1
        references = 2 * self.aperture if self.autozero else 0.0
        lead = (conversions - 1) * (self.aperture + references) + references
        tail = self.reading_overhead + (READBACK_S if self.readback else 0.0)
        return ReadingTiming(lead, self.aperture, tail)

    # --- current source ------------------------------------------------------------------
    def drive(self, t: float) -> tuple[float, float]:
        """A current source drives the device with V = I/G, up to the voltage limit."""
        if self.source_function == "VOLT":
            return super().drive(t)
        if not self.output or self.level == 0:
            return 0.0, math.inf
        conductance = max(self.bench.device_of(self).conductance(), 1e-30)
        volts = min(abs(self.level) / conductance, self.v_limit)
        return math.copysign(volts, self.level), abs(self.level)

    def apply_level(self, level: float) -> None:
        if self.source_function == "VOLT":
            super().apply_level(level)
            return
        if self.i_source_range_auto:
            self.i_source_range = self.range_for(level, self.current_ranges)
        elif abs(level) > self.i_source_range * self.overrange_fraction:
            raise data_out_of_range(f"{level:g} A beyond the {self.i_source_range:g} A range")
        self.settling = self.settling or level != self.level
        self.level = level

    def _sample_current_source(self, t: float) -> tuple[Reading, float]:
        """Current source: the device current is the source level unless the voltage limit
        holds it back; the measure range is the source range (WH-2450 29407)."""
        volts, _ = self.drive(t)
        current, _ = self.bench.device_current(self)
        limited = self.output and abs(volts) >= self.v_limit * (1 - 1e-12)
        self.limit_tripped = limited or self.stuck_limit
        value = self._noisy(current, self.i_source_range)
        return Reading(t, self.level if self.output else 0.0, value, self.limit_tripped), volts

    # --- measurement ---------------------------------------------------------------------
    def sample(self, t: float) -> Reading:
        """A reading of the present sense function, relative offset applied."""
        if self.autozero:
            self.zeroed = True  # the references are refreshed with the reading
        if self.source_function == "CURR":
            reading, volts = self._sample_current_source(t)
        else:
            reading = super().sample(t)
            volts = reading.source
        if self.sense_function == "CURR":
            value = reading.value
        elif self.sense_function == "VOLT":
            value = volts
        elif reading.value == self.overflow_reading or reading.value == 0:
            value = self.overflow_reading
        else:
            value = volts / reading.value
        if self.rel_on and value != self.overflow_reading:
            value -= self.rel_level
        return replace(reading, value=value, function=self.sense_function)

    def store(self, buffer: str, reading: Reading) -> None:
        target = self.buffer(buffer)
        if target.style.startswith(("WRIT", "FULLWRIT")):
            raise settings_conflict("a writable buffer cannot collect readings")
        target.append(reading)
        if len(target.readings) == target.capacity and buffer in DEFAULT_BUFFERS:
            self.post_event(EVENT_BUFFER_FULL)

    def measure_now(self, buffer: str) -> Reading:
        """``:READ?``, ``:MEAS?``, ``:TRAC:TRIG``: ``:SENS:COUN`` readings into a buffer.
        Each reading of a count waits the source delay (WH-2450 30505, the example's
        readings are 0.152 s apart with a 0.1 s delay)."""
        self.buffer(buffer)
        reading = None
        for k in range(self.measure_count):
            self.settling = self.settling or k > 0
            reading = self.read_now()
            self.store(buffer, reading)
        return reading

    def buffer_name(self, name: str) -> str:
        self.buffer(name)
        return name

    def buffer(self, name: str) -> ReadingBuffer:
        if name not in self.buffers:
            raise illegal_value(f"reading buffer {name} not found")
        return self.buffers[name]

    def _buffer(self, args) -> ReadingBuffer:
        return self.buffer(unquote(args[0]) if args else "defbuffer1")

    def _clear(self, buffer: ReadingBuffer) -> None:
        buffer.clear()
        if any(buffer is self.buffers[n] for n in DEFAULT_BUFFERS):
            self.post_event(EVENT_BUFFER_EMPTY)

    # --- refused while the trigger model runs ----------------------------------------------
    def execute(self, header: str, argtext: str) -> str | None:
        """ "When the trigger model is executing, most sent commands are not executed. If a
        command cannot be processed, an error event message is generated" (WH-2450 29803).
        Queries that only read (buffers, status, errors) and ``:ABORt`` go through; the
        help names no error code, so the simulator uses -200 Execution error."""
        if self.busy() and not self._allowed_while_running(header):
            raise ScpiError(
                -200, "Execution error; not executed while the trigger model is running"
            )
        return super().execute(header, argtext)

    def _allowed_while_running(self, header: str) -> bool:
        if header.startswith("*"):
            return True
        name = header.upper().lstrip(":")
        if header.endswith("?"):
            return not name.startswith(("READ", "MEAS"))  # these would measure
        return name.startswith(("ABOR", "INIT", "STAT", "SYST:CLE", "SYSTEM:CLE"))

    # --- source ------------------------------------------------------------------------------
    def _source_function(self, args, query, match):
        """``:SOUR:FUNC VOLT|CURR``: each function keeps its own level (WH-2450 29382)."""
        if query:
            return self.source_function
        word = args[0].upper()
        functions = {"VOLT": "VOLT", "VOLTAGE": "VOLT", "CURR": "CURR", "CURRENT": "CURR"}
        if word not in functions:
            raise illegal_value(f"source function {args[0]}")
        if functions[word] != self.source_function:
            self.level, self.idle_level = self.idle_level, self.level
            self.source_function = functions[word]
            self.settling = True

    def _level(self, function: str):
        """``:SOUR:VOLT|CURR <level>``: the level of that function, applied if it is the
        one in use."""

        def handler(args, query, match):
            active = function == self.source_function
            if query:
                return f"{self.level if active else self.idle_level:g}"
            top = SOURCE_LIMITS[function]
            value = parse_number(args[0], -top, top, 0.0)
            if active:
                self.apply_level(value)
            else:
                self.idle_level = value

        return handler

    def _current_source_range(self, args, query, match):
        if query:
            return f"{self.i_source_range:g}"
        self.i_source_range_auto = False
        self.i_source_range = self.range_for(
            parse_number(args[0], -1.05, 1.05, 1e-8), self.current_ranges
        )

    def _tripped(self, function: str):
        return lambda a, q, m: str(int(self.limit_tripped and function == self.source_function))

    def _vlimit(self, args, query, match):
        if query:
            return f"{self.v_limit:g}"
        self.v_limit = parse_number(args[0], 0.02, 210, 21)

    def _ilimit(self, args, query, match):
        if query:
            return f"{self.i_limit:g}"
        self.i_limit = parse_number(args[0], 1e-9, 1.05, 105e-6)

    def _delay(self, args, query, match):
        """``:SOUR:VOLT:DEL``: setting a delay turns autodelay off; under autodelay the
        query returns the autodelay in use (WH-2450 29079, 33143)."""
        if query:
            return f"{self.source_delay_s():g}"
        self.source_delay = parse_number(args[0], 0, 1e4, 0)
        self.auto_delay = False

    def _delay_auto(self, args, query, match):
        if query:
            return str(int(self.auto_delay))
        self.auto_delay = parse_bool(args[0])

    def _user_delay(self, attribute: str, number: int = 1):
        def handler(args, query, match):
            delays = getattr(self, attribute)
            if query:
                return f"{delays[number - 1]:g}"
            delays[number - 1] = parse_number(args[0], 0, 1e4)

        return handler

    def _protection(self, args, query, match):
        """Overvoltage protection: NONE or PROT2 ... PROT180 (RM :SOURce:VOLTage:PROTection)."""
        if query:
            return self.protection
        word = args[0].upper()
        levels = {2, 5, 10, 20, 40, 60, 80, 100, 120, 140, 160, 180}
        if word not in ("NONE",) and not (
            word.startswith("PROT") and word[4:].isdigit() and int(word[4:]) in levels
        ):
            raise illegal_value(f"protection {args[0]}")
        self.protection = word

    # --- sweeps --------------------------------------------------------------------------------
    def _sweep_delay(self, arg: str) -> float:
        """A sweep's delay: -1 switches source autodelay on, 0 none, else 50 us to 10 ks
        (RM p.6-81, 6-85); it adds to the source delay (WH-2450 30563)."""
        delay = parse_number(arg, -1, 1e4)
        if delay == -1:
            self.auto_delay = True
            return 0.0
        if 0 < delay < 50e-6 or (delay < 0):
            raise data_out_of_range(f"sweep delay {delay:g}: 0, -1 or 50e-6 to 1e4")
        return delay

    @staticmethod
    def _sweep_count(arg: str) -> float:
        """1 to 268435455 times, or 0 for an endless sweep that ``:ABORt`` stops (RM p.6-81)."""
        count = int(parse_number(arg, 0, 268435455))
        return INFINITE if count == 0 else count

    def _sweep(self, levels, args: Arguments, first: int, range_type: str = "BEST") -> None:
        """Common tail of the sweep commands: <delay>, <count>, [<rangeType>,] <failAbort>,
        [<dual>,] "<buffer>" starting at ``args[first]``, with the defaults of RM p.6-81."""
        top = SOURCE_LIMITS[self.source_function]
        if any(abs(v) > top for v in levels):
            raise data_out_of_range(f"sweep levels beyond {top:g}")
        rest = list(args[first:])
        delay = self._sweep_delay(rest.pop(0)) if rest else self._sweep_delay("-1")
        count = self._sweep_count(rest.pop(0)) if rest else 1
        if range_type != "LIST" and rest:
            range_type = rest.pop(0).upper()
        fail_abort = parse_bool(rest.pop(0)) if rest else True
        if range_type != "LIST" and rest and parse_bool(rest.pop(0)):
            levels = levels + levels[-2::-1]
        buffer = self.buffer_name(unquote(rest.pop(0))) if rest else "defbuffer1"
        if rest:
            raise ScpiError(-108, "Parameter not allowed")
        self.config_lists[SWEEP_LIST] = ConfigList(
            "source", self._sweep_entries(levels, range_type)
        )
        self.trigger_blocks = sweep_blocks(
            SWEEP_LIST, len(levels), delay, count, fail_abort, buffer
        )
        self.trigger_state = "BUILDING"

    def _sweep_entries(self, levels, range_type: str) -> list:
        """One source configuration per level: AUTO ranges each level, BEST one range for
        all, FIXed the present range with levels beyond it clipped to its maximum (the
        2450 "outputs the maximum level for that range", WH-2450 30563)."""
        base = self._source_settings()
        ranges, range_key, auto_key = self._source_range_keys()
        present, present_auto = base[range_key], base[auto_key]
        if range_type in ("AUTO",):
            return [dict(base, level=v, **{auto_key: True}) for v in levels]
        if range_type in ("BEST",):
            best = self.range_for(max(abs(v) for v in levels), ranges)
            return [dict(base, level=v, **{range_key: best, auto_key: False}) for v in levels]
        top = present * self.overrange_fraction
        if range_type == "LIST":  # the source keeps its range settings
            if not present_auto and any(abs(v) > top for v in levels):
                raise data_out_of_range(f"a list level beyond the {present:g} range")
            return [dict(base, level=v) for v in levels]
        if range_type in ("FIX", "FIXED"):
            return [dict(base, level=max(-top, min(top, v)), **{auto_key: False}) for v in levels]
        raise illegal_value(f"range type {range_type}: AUTO, BEST or FIXed")

    def _sweep_command(self, function: str, levels_of):
        """A sweep of ``function``, which must be the source function in use (a sweep of
        the other one is refused: the simulator does not guess a function change)."""

        def handler(args, query, match):
            if function != self.source_function:
                raise settings_conflict(f"the source function is {self.source_function}")
            levels_of(args)

        return handler

    def _sweep_list(self, function):
        """``:SOUR:SWE:<f>:LIST <startIndex>, <delay>, <count>, <failAbort>, "<buffer>"``
        over the source list of ``:SOUR:LIST:VOLT`` (RM p.6-85)."""

        def levels_of(args):
            if not self.source_list:
                raise settings_conflict("the source list is empty")
            start = int(parse_number(args[0], 1, len(self.source_list))) if args else 1
            self._sweep(self.source_list[start - 1 :], args, 1, range_type="LIST")

        return self._sweep_command(function, levels_of)

    def _sweep_linear(self, function):
        """``:SOUR:SWE:<f>:LIN <start>, <stop>, <points>, <delay>, <count>, <rangeType>,
        <failAbort>, <dual>, "<buffer>"`` (RM p.6-81; delay -1 autodelay, count 0 endless)."""

        def levels_of(args):
            start, stop = parse_number(args[0]), parse_number(args[1])
            points = int(parse_number(args[2], 2, 1e6))
            self._sweep([start + (stop - start) * k / (points - 1) for k in range(points)], args, 3)

        return self._sweep_command(function, levels_of)

    def _sweep_linear_step(self, function):
        """``:SOUR:SWE:<f>:LIN:STEP <start>, <stop>, <step>, ...`` (RM p.6-83)."""

        def levels_of(args):
            start, stop, step = (parse_number(a) for a in args[:3])
            if step == 0 or (stop - start) * step < 0:
                raise settings_conflict("the step must be non-zero and go from start to stop")
            points = int(math.floor((stop - start) / step + 1e-9)) + 1
            self._sweep([start + k * step for k in range(points)], args, 3)

        return self._sweep_command(function, levels_of)

    def _sweep_log(self, function):
        """``:SOUR:SWE:<f>:LOG <start>, <stop>, <points>, ...`` (RM p.6-87): start and
        stop of one sign, not zero; the asymptote parameter is not simulated."""

        def levels_of(args):
            start, stop = parse_number(args[0]), parse_number(args[1])
            points = int(parse_number(args[2], 2, 1e6))
            if start * stop <= 0:
                raise settings_conflict("a log sweep needs start and stop of one sign")
            if len(args) > 9 and parse_number(args[9]) != 0:
                raise settings_conflict("a log sweep asymptote is not simulated")
            ratio = (stop / start) ** (1 / (points - 1))
            self._sweep([start * ratio**k for k in range(points)], Arguments(args[:9]), 3)

        return self._sweep_command(function, levels_of)

    # --- configuration lists -------------------------------------------------------------------
    def _source_range_keys(self) -> tuple:
        """(ranges, range attribute, autorange attribute) of the source function in use."""
        if self.source_function == "CURR":
            return self.current_ranges, "i_source_range", "i_source_range_auto"
        return self.voltage_ranges, "v_range", "v_range_auto"

    def _source_settings(self) -> dict:
        """What a source configuration list stores (WH-2450 33143, 29079: "Where saved:
        source configuration list"): level, range, limit, delay and readback settings."""
        _, range_key, auto_key = self._source_range_keys()
        return dict(
            source_function=self.source_function,
            level=self.level,
            **{range_key: getattr(self, range_key), auto_key: getattr(self, auto_key)},
            i_limit=self.i_limit,
            v_limit=self.v_limit,
            auto_delay=self.auto_delay,
            source_delay=self.source_delay,
            readback=self.readback,
        )

    def _measure_settings(self) -> dict:
        return dict(
            nplc=self.nplc,
            i_range=self.i_range,
            i_range_auto=self.i_range_auto,
            autozero=self.autozero,
            sense_function=self.sense_function,
        )

    def recall(self, name: str, index: int) -> float:
        """Restore index ``index`` of a configuration list; returns the settling time a
        source level change costs (the source delay, WH-2450 29079)."""
        entries = self.config_lists[name].entries
        if not 1 <= index <= len(entries):
            raise data_out_of_range(f"index {index} of configuration list {name}")
        settings = dict(entries[index - 1])
        level = settings.pop("level", None)
        function = settings.pop("source_function", self.source_function)
        if function != self.source_function:
            self.level, self.idle_level = self.idle_level, self.level
            self.source_function, self.settling = function, True
        if not settings.pop("v_range_auto", True):  # a fixed range change may overshoot
            self.v_range_auto = False
            self.set_voltage_range(settings.pop("v_range"))
        for key, value in settings.items():
            setattr(self, key, value)
        return self.change_level(level) if level is not None else 0.0

    def _config_list(self, kind: str, name: str) -> ConfigList:
        found = self.config_lists.get(name)
        if found is None or found.kind != kind:
            raise illegal_value(f"no {kind} configuration list {name}")
        return found

    def _config_create(self, kind):
        def handler(args, query, match):
            self.config_lists[unquote(args[0])] = ConfigList(kind)

        return handler

    def _config_store(self, kind):
        def handler(args, query, match):
            entries = self._config_list(kind, unquote(args[0])).entries
            settings = self._source_settings() if kind == "source" else self._measure_settings()
            if len(args) > 1:
                index = int(parse_number(args[1], 1, len(entries) + 1))
                entries[index - 1 : index] = [settings]
            else:
                entries.append(settings)

        return handler

    def _config_recall(self, kind):
        def handler(args, query, match):
            name = unquote(args[0])
            self._config_list(kind, name)
            settle = self.recall(name, int(parse_number(args[1], 1)) if len(args) > 1 else 1)
            self.bench.clock.sleep(settle)

        return handler

    def _config_size(self, kind):
        return lambda a, q, m: str(len(self._config_list(kind, unquote(a[0])).entries))

    def _config_delete(self, kind):
        def handler(args, query, match):
            name = unquote(args[0])
            entries = self._config_list(kind, name).entries
            if len(args) > 1:
                del entries[int(parse_number(args[1], 1, len(entries))) - 1]
            else:
                del self.config_lists[name]

        return handler

    def _config_catalog(self, kind):
        def handler(args, query, match):
            names = [n for n, c in self.config_lists.items() if c.kind == kind and n != SWEEP_LIST]
            return ",".join(f'"{n}"' for n in names) or '""'

        return handler

    # --- trigger model -------------------------------------------------------------------------
    def _trigger_load(self, args, query, match):
        """``:TRIG:LOAD "<template>", ...`` (RM 3-104 "Predefined trigger models")."""
        self.trigger_blocks = template_blocks(unquote(args[0]), list(args[1:]), self)
        self.trigger_state = "BUILDING" if self.trigger_blocks else "EMPTY"

    def _block(self, kind, parse):
        def handler(args, query, match):
            number = _block_number(args[0])
            self.trigger_blocks[number] = Block(kind, parse(Arguments(args[1:])))
            self.trigger_state = "BUILDING"

        return handler

    def _measure_block_args(self, args) -> tuple:
        """``:TRIG:BLOC:MEAS <block>[, "<buffer>"][, <count>]``: count 1 to 268435455,
        INFinite, or AUTO (the ``:SENS:COUN`` setting)."""
        buffer = self.buffer_name(unquote(args[0])) if args else "defbuffer1"
        if len(args) < 2:
            return buffer, 1
        word = args[1].upper()
        if word in ("INF", "INFINITE"):
            return buffer, INFINITE
        if word == "AUTO":
            return buffer, "AUTO"
        return buffer, int(parse_number(args[1], 1, 268435455))

    def _initiate(self, args, query, match):
        if self.program is not None:
            raise ScpiError(-213, "Init ignored; the trigger model is running")
        check_blocks(self.trigger_blocks, self.config_lists)
        self.program = TriggerModel(
            dict(self.trigger_blocks), t=self.bench.clock.now(), timing=self.reading_timing()
        )
        self.trigger_state = "RUNNING"
        self.post_event(EVENT_TRIGGER_INITIATED)

    def abort(self) -> None:
        """``:ABORt``: the trigger model stops where it is; the output keeps its state and
        level (RM :ABORt)."""
        if self.program is not None:
            self.last_block = self.program.last_block
            self.trigger_state = "ABORTED"
            self.post_event(EVENT_TRIGGER_IDLE)
        super().abort()

    def fire_event(self, t: float) -> None:
        """One step of the trigger model; an error inside it stops the model (state FAILED)
        and goes to the error queue, as on the instrument."""
        program = self.program
        try:
            super().fire_event(t)
        except ScpiError as error:
            self.push_error(error.code, error.message)
            self.program, self.last_block, self.trigger_state = None, program.last_block, "FAILED"
            self.post_event(EVENT_TRIGGER_IDLE)
            return
        if self.program is None:
            self.last_block = program.last_block
            self.trigger_state = "IDLE"
            self.post_event(EVENT_TRIGGER_IDLE)

    def trigger(self) -> None:
        """``*TRG``: the COMMAND trigger event (WH-2450 31104, 46040)."""
        if isinstance(self.program, TriggerModel):
            self.program.trigger("COMM", self.bench.clock.now())

    def _trigger_state(self, args, query, match):
        """``:TRIG:STAT?``: ``<state>;<state>;<last block executed>``, e.g. ``IDLE;IDLE;9``
        (2461 RM p.6-235; WH-2450 25741)."""
        if isinstance(self.program, TriggerModel):
            state = "WAITING" if self.program.waiting else "RUNNING"
            block = self.program.last_block
        else:
            state, block = self.trigger_state, self.last_block
        return f"{state};{state};{block}"

    # --- buffers -------------------------------------------------------------------------------
    def _trace_make(self, args, query, match):
        """``:TRAC:MAKE "<name>", <size>[, <style>]`` (WH-2450 25629: at least 10 readings,
        0 for the most memory allows; STANdard, COMPact, FULL, WRITable, FULLWRITable)."""
        name = unquote(args[0])
        if name in DEFAULT_BUFFERS or not name:
            raise illegal_value(f"buffer name {name!r}")
        style = BUFFER_STYLES.get(args[2].upper()) if len(args) > 2 else "STAN"
        if style is None:
            raise illegal_value(f"buffer style {args[2]}")
        self.buffers.pop(name, None)
        self.buffers[name] = ReadingBuffer(
            capacity=self._capacity(args[1]), fill_once=True, style=style
        )

    def _capacity(self, arg: str, buffer: ReadingBuffer | None = None) -> int:
        others = sum(b.capacity for b in self.buffers.values() if b is not buffer)
        free = BUFFER_MEMORY - others
        size = int(parse_number(arg, 0, BUFFER_MEMORY))
        if size == 0:
            return free
        if size < 10:
            raise data_out_of_range("a buffer holds at least 10 readings")
        if size > free:
            raise ScpiError(-225, "Out of memory; not enough memory for the buffer")
        return size

    def _trace_delete(self, args, query, match):
        name = unquote(args[0])
        if name in DEFAULT_BUFFERS:
            raise settings_conflict("default buffers cannot be deleted")
        self.buffer(name)
        del self.buffers[name]

    def _buffer_points(self, args, query, match):
        """``:TRAC:POIN <size>[, "<buffer>"]``: a new capacity deletes the readings
        (WH-2450 45724)."""
        if query:
            return str(self._buffer(args).capacity)
        buffer = self._buffer(args[1:])
        buffer.capacity = self._capacity(args[0], buffer)
        self._clear(buffer)

    def _fill_mode(self, args, query, match):
        if query:
            return "ONCE" if self._buffer(args).fill_once else "CONT"
        mode = args[0].upper()
        if mode not in ("CONT", "CONTINUOUS", "ONCE"):
            raise illegal_value(f"fill mode {args[0]}")
        self._buffer(args[1:]).fill_once = mode == "ONCE"

    def _trace_trigger(self, args, query, match):
        """``:TRAC:TRIG ["<buffer>"]``: ``:SENS:COUN`` readings into the buffer."""
        self.measure_now(unquote(args[0]) if args else "defbuffer1")

    def _trace_data(self, args, query, match):
        """``:TRAC:DATA? <start>, <end>[, "<buffer>"][, <elements>...]`` (RM p.6-109)."""
        buffer = self._buffer(args[2:3])
        first, last = int(parse_number(args[0])), int(parse_number(args[1]))
        if not 1 <= first <= last <= len(buffer.readings):
            raise data_out_of_range(
                f"buffer holds {len(buffer.readings)} readings, asked {first}-{last}"
            )
        return self._format(buffer.readings[first - 1 : last], args[3:], buffer)

    def _fetch(self, args, query, match):
        """``:FETC? ["<buffer>"[, <elements>]]``: the latest reading, no new measurement."""
        buffer = self._buffer(args[:1])
        if not buffer.readings:
            raise ScpiError(-230, "Data corrupt or stale; the buffer is empty")
        return self._format(buffer.readings[-1:], args[1:], buffer)

    def _read(self, args, query, match):
        """``:READ? ["<buffer>"[, <elements>]]``: ``:SENS:COUN`` readings, the last one
        returned (RM :READ?)."""
        name = unquote(args[0]) if args else "defbuffer1"
        reading = self.measure_now(name)
        return self._format([reading], args[1:], self.buffer(name))

    def _measure(self, function: str):
        def handler(args, query, match):
            self.sense_function = function
            return self._read(args, query, match)

        return handler

    def _statistic(self, statistic):
        def handler(args, query, match):
            values = [
                r.value for r in self._buffer(args).readings if r.value != self.overflow_reading
            ]
            return self._number(statistic(values) if values else self.overflow_reading)

        return handler

    # --- response formats ----------------------------------------------------------------------
    def _format(self, readings, element_args, buffer: ReadingBuffer) -> str:
        names = [a.strip().upper() for a in element_args] or ["READ"]
        if any(n not in ELEMENTS for n in names):
            raise illegal_value(f"buffer element {', '.join(element_args)}")
        names = [ELEMENTS[n] for n in names]
        t0 = buffer.readings[0].t if buffer.readings else readings[0].t
        if self.data_format == "ASC":
            return ",".join(self._element(r, n, t0) for r in readings for n in names)
        if any(n in TEXT_ELEMENTS for n in names):
            raise settings_conflict("text buffer elements need :FORM:DATA ASCii")
        values = [float(self._element(r, n, t0)) for r in readings for n in names]
        code = ("<" if self.little_endian else ">") + (
            "d" if self.data_format == "REAL" else "f"
        ) * len(values)
        payload = struct.pack(code, *values).decode("latin-1")
        return f"#{len(str(len(payload)))}{len(payload)}{payload}"

    def _number(self, value: float) -> str:
        if self.ascii_digits:
            return f"{value:.{self.ascii_digits - 1}E}"
        return f"{value:.7e}"

    def _element(self, reading: Reading, name: str, t0: float) -> str:
        stamp = POWER_ON_DATE + datetime.timedelta(seconds=reading.t)
        if name == "READ":
            return self._number(reading.value)
        if name == "SOUR":
            return self._number(reading.source)
        if name == "REL":
            return f"{reading.t - t0:.9e}"
        if name == "SOURSTAT":
            return str(
                SOURCE_OUTPUT
                | (SOURCE_LIMIT if reading.limited else 0)
                | (SOURCE_READBACK if self.readback else 0)
            )
        if name == "STAT":
            return str(
                (MEASURE_FRONT_TERMINAL if self.front_terminals else 0)
                | (MEASURE_QUESTIONABLE if reading.value == self.overflow_reading else 0)
            )
        if name == "UNIT":
            return UNITS[reading.function]
        if name == "SOURUNIT":
            return UNITS[self.source_function]
        if name == "SEC":
            return str(int(POWER_ON_DATE.timestamp() + reading.t))
        if name == "FRAC":
            return f"{reading.t % 1:.9f}"
        if name == "DATE":
            return stamp.strftime("%m/%d/%Y")
        if name == "TIME":
            return stamp.strftime("%H:%M:%S.") + f"{reading.t % 1:.9f}"[2:]
        if name == "TST":
            return stamp.strftime("%m/%d/%Y %H:%M:%S.") + f"{reading.t % 1:.9f}"[2:]
        if name == "FORM":
            return _formatted(reading.value, UNITS[reading.function].split()[0][0])
        return _formatted(reading.source, UNITS[self.source_function][0])  # SOURFORM

    def _format_data(self, args, query, match):
        """``:FORM:DATA ASCii|REAL|SREal`` (RM :FORMat[:DATA]): REAL is IEEE 754 double,
        SREal single, sent as an IEEE 488.2 definite-length block."""
        if query:
            return self.data_format
        word = args[0].upper()
        formats = {"ASC": "ASC", "ASCII": "ASC", "REAL": "REAL", "SRE": "SRE", "SREAL": "SRE"}
        if word not in formats:
            raise illegal_value(f"data format {args[0]}")
        self.data_format = formats[word]

    def _ascii_precision(self, args, query, match):
        if query:
            return str(self.ascii_digits) if self.ascii_digits else "AUTO"
        word = args[0].upper()
        self.ascii_digits = (
            0 if word in ("AUTO", "DEF", "DEFAULT") else int(parse_number(args[0], 1, 16))
        )

    def _byte_order(self, args, query, match):
        """``:FORM:BORD NORMal|SWAPped``: SWAPped (least significant byte first) after
        reset (WH-2450 28048, format.byteorder LITTLEENDIAN)."""
        if query:
            return "SWAP" if self.little_endian else "NORM"
        word = args[0].upper()
        if word not in ("NORM", "NORMAL", "SWAP", "SWAPPED"):
            raise illegal_value(f"byte order {args[0]}")
        self.little_endian = word.startswith("SWAP")

    # --- sense settings ------------------------------------------------------------------------
    def _sense_function(self, args, query, match):
        if query:
            return SENSE_REPLIES[self.sense_function]
        word = unquote(args[0]).upper()
        if word not in SENSE_FUNCTIONS:
            raise illegal_value(f"measure function {args[0]}")
        self.sense_function = SENSE_FUNCTIONS[word]

    def _measure_range(self, args, query, match):
        """Under autorange the query returns the range in use (WH-2450 29407)."""
        if query:
            return f"{self.i_range:g}"
        self.i_range_auto = False
        self.i_range = self.range_for(parse_number(args[0], 1e-9, 1.05, 1e-8), self.current_ranges)

    def _measure_autorange(self, args, query, match):
        if query:
            return str(int(self.i_range_auto))
        self.i_range_auto = parse_bool(args[0])

    def _other_range(self, function: str, ranges):
        """Voltage and resistance measure ranges: kept and reported; a voltage is measured
        on the source range and a resistance computed, so they change no reading."""

        def handler(args, query, match):
            if query:
                return f"{self.other_ranges[function][0]:g}"
            value = parse_number(args[0], 0, ranges[-1] * 1.05, ranges[0])
            self.other_ranges[function] = (self.range_for(value, ranges), False)

        return handler

    def _other_autorange(self, function: str):
        def handler(args, query, match):
            if query:
                return str(int(self.other_ranges[function][1]))
            self.other_ranges[function] = (self.other_ranges[function][0], parse_bool(args[0]))

        return handler

    def _count(self, args, query, match):
        if query:
            return str(self.measure_count)
        self.measure_count = int(parse_number(args[0], 1, 300000, 1))

    def _zero_once(self, args, query, match):
        """``:SENS:AZER:ONCE`` refreshes the references once; autozero stays as it was
        (WH-2450 29049)."""
        self.zeroed = True
        self.bench.clock.sleep(2 * self.aperture)

    def _filter_count(self, args, query, match):
        if query:
            return str(self.filter_count)
        self.filter_count = int(parse_number(args[0], 1, 100, 10))

    def _filter_type(self, args, query, match):
        if query:
            return self.filter_type
        word = args[0].upper()
        if word not in ("REP", "REPEAT", "MOV", "MOVING"):
            raise illegal_value(f"filter type {args[0]}")
        self.filter_type = word[:3]

    def _rel_level(self, args, query, match):
        if query:
            return self._number(self.rel_level)
        self.rel_level = parse_number(args[0], -1.05, 1.05)

    def _rel_acquire(self, args, query, match):
        self.rel_level = self.read_now().value

    def _terminals(self, args, query, match):
        if query:
            return "FRON" if self.front_terminals else "REAR"
        word = args[0].upper()
        if word not in ("FRON", "FRONT", "REAR"):
            raise illegal_value(f"terminals {args[0]}")
        self.front_terminals = word.startswith("FRON")

    def _screen(self, args, query, match):
        """``:DISP:SCR <screen>``: the front panel is not simulated; the documented screen
        names are accepted (RM :DISPlay:SCReen), others refused."""
        if args[0].upper() not in SCREENS:
            raise illegal_value(f"screen {args[0]}")

    # --- system and status ---------------------------------------------------------------------
    def _language(self, args, query, match):
        """``*LANG?`` says SCPI. ``*LANG TSP``/``SCPI2400`` would switch the language at the
        next power-up (RM appendix B, *LANG); only SCPI is simulated, so the simulator
        refuses them with a settings conflict rather than pretend."""
        if query:
            return "SCPI"
        word = args[0].upper()
        if word != "SCPI":
            if word not in ("TSP", "SCPI2400"):
                raise illegal_value(f"language {args[0]}")
            raise settings_conflict(f"only the SCPI language is simulated, not {word}")

    def _beep(self, args, query, match):
        parse_number(args[0], 20, 8000)
        self.bench.clock.sleep(parse_number(args[1], 0.001, 100))

    def _status_map(self, register):
        """``:STAT:OPER:MAP <bit>, <setEvent>[, <clearEvent>]`` (WH-2450 31648)."""
        maps = self.status_maps[id(register)]

        def handler(args, query, match):
            bit = int(parse_number(args[0], 0, 14))
            if query:
                return "{},{}".format(*maps.get(bit, (0, 0)))
            set_event = int(parse_number(args[1], 0, 1e6))
            clear_event = int(parse_number(args[2], 0, 1e6)) if len(args) > 2 else 0
            maps[bit] = (set_event, clear_event)

        return handler

    def _clear_status_events(self) -> None:
        """``:STAT:CLE``: the operation and questionable event registers (WH-2450 30567)."""
        self.operation.read_event()
        self.questionable.read_event()

    def post_event(self, event: int) -> None:
        """An instrument event sets or clears the status bits mapped to it (WH-2450 31648)."""
        for register in (self.operation, self.questionable):
            for bit, (set_event, clear_event) in self.status_maps[id(register)].items():
                if event == set_event:
                    register.set(1 << bit)
                if event == clear_event:
                    register.clear(1 << bit)


def _block_number(arg: str) -> int:
    return int(parse_number(arg, 1, MAX_BLOCK))


def _list_names(args) -> tuple:
    return tuple(unquote(a) for a in args[:2]) if len(args) > 1 else (unquote(args[0]),)


def _recall_args(args) -> tuple:
    """``"<list>"[, <index>][, "<list2>"[, <index2>]]`` (RM :TRIGger:BLOCk:CONFig:RECall)."""
    name, rest = unquote(args[0]), list(args[1:])
    index = int(parse_number(rest.pop(0), 1)) if rest and not rest[0].startswith('"') else 1
    if not rest:
        return name, index
    second = unquote(rest.pop(0))
    return name, index, second, int(parse_number(rest.pop(0), 1)) if rest else 1


def _user_delay_index(args) -> tuple:
    word = args[0].upper()
    if word[:1] in ("M", "S") and word[1:].isdigit() and 1 <= int(word[1:]) <= 5:
        return (int(word[1:]),)
    raise illegal_value(f"user delay {args[0]}: M1 to M5")


def _wait_args(args) -> tuple:
    clear = args[1].upper()[:3] if len(args) > 1 else "ENT"
    if clear not in ("ENT", "NEV"):
        raise illegal_value(f"clear {args[1]}: ENTer or NEVer")
    if len(args) > 2:
        raise settings_conflict("a wait block on several events is not simulated")
    return trigger_event(args[0]), clear


def _mean(values):
    return sum(values) / len(values)


def _peak_to_peak(values):
    return max(values) - min(values)


def _stddev(values):
    mean = _mean(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1))


def _formatted(value: float, unit: str) -> str:
    """A front-panel style value: six significant digits and an SI prefix."""
    if value == 0 or not math.isfinite(value) or abs(value) >= 1e30:
        return f"{value:+.5E} {unit}"
    exponent = max(-12, min(6, 3 * math.floor(math.log10(abs(value)) / 3)))
    prefix = {-12: "p", -9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M"}[exponent]
    return f"{value / 10**exponent:+.5g} {prefix}{unit}"
