"""Simulated Keithley 2450 SourceMeter speaking its SCPI command set.

Command forms follow the Model 2450 Reference Manual (2450-901-01 Rev. B, section 6, SCPI
command reference). Only the voltage-source / current-measure subset that bmrlab and
pymeasure's Keithley2450 use is modelled; anything else is queued as ``-113,"Undefined
header"`` exactly as the instrument does.
"""

from .scpi import ScpiError, illegal_value, parse_bool, parse_number, unquote
from .scpi_smu import ScpiSmu
from .trigger_model import Block, TriggerModel, check_blocks

BUFFER_ELEMENTS = {"READ": "value", "READING": "value", "SOUR": "source", "SOURCE": "source",
                   "REL": "rel", "RELATIVE": "rel", "SOURSTAT": "sourstat",
                   "SOURSTATUS": "sourstat", "TST": "rel", "TSTAMP": "rel"}
STAT_LIMIT, STAT_OUTPUT = 32, 128  # buffer source-status bits (manual, bufferVar.sourcestatuses)


class SimKeithley2450(ScpiSmu):
    model = "2450"

    def __init__(self, bench, name: str, serial: str, seed: int):
        super().__init__(bench, name, seed)
        self.idn = f"KEITHLEY INSTRUMENTS,MODEL 2450,{serial},1.7.12b"
        r = self.register
        r(":OUTPut[1][:STATe]", self.h_output)
        r(":OUTPut[1]:VOLTage:SMODe", self.h_off_mode)
        r("[:SOURce[1]]:FUNCtion[:MODE]", self.h_source_function)
        r("[:SOURce[1]]:VOLTage:RANGe:AUTO", self.flag("v_range_auto"))
        r("[:SOURce[1]]:VOLTage:RANGe", self.h_source_range)
        r("[:SOURce[1]]:VOLTage:ILIMit[:LEVel]:TRIPped",
          lambda a, q, m: str(int(self.limit_tripped)))
        r("[:SOURce[1]]:VOLTage:ILIMit[:LEVel]", self._ilimit)
        r("[:SOURce[1]]:VOLTage:READ:BACK", self.flag("readback"))
        r("[:SOURce[1]]:VOLTage:DELay:AUTO", self._delay_auto)
        r("[:SOURce[1]]:VOLTage:DELay", self.number("source_delay", 0, 1e4))
        r("[:SOURce[1]]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", self.h_level)
        r("[:SOURce[1]]:LIST:VOLTage:APPend", self.h_list_append)
        r("[:SOURce[1]]:LIST:VOLTage:POINts", lambda a, q, m: str(len(self.source_list)))
        r("[:SOURce[1]]:LIST:VOLTage", self.h_list)
        r("[:SOURce[1]]:SWEep:VOLTage:LIST", self._sweep_list)
        r("[:SOURce[1]]:SWEep:VOLTage:LINear", self._sweep_linear)
        r("[:SOURce[1]]:CONFiguration:LIST:CREate", self._config_create)
        r("[:SOURce[1]]:CONFiguration:LIST:STORe", self._config_store)
        r("[:SOURce[1]]:CONFiguration:LIST:SIZE", self._config_size)
        r("[:SOURce[1]]:CONFiguration:LIST:DELete", self._config_delete)
        r(":TRIGger:LOAD", self._trigger_load)
        r(":TRIGger:BLOCk:BUFFer:CLEar", self._block("CLEAR", _buffer_name))
        r(":TRIGger:BLOCk:CONFig:NEXT", self._block("NEXT", _list_name))
        r(":TRIGger:BLOCk:CONFig:RECall", self._block("RECALL", _list_index))
        r(":TRIGger:BLOCk:SOURce:STATe", self._block("SOURCE", lambda a: (parse_bool(a[0]),)))
        r(":TRIGger:BLOCk:DELay:CONStant", self._block(
            "DELAY", lambda a: (parse_number(a[0], 0, 1e4),)))
        r(":TRIGger:BLOCk:MEASure", self._block("MEASURE", _buffer_name))
        r(":TRIGger:BLOCk:BRANch:COUNter", self._block(
            "COUNTER", lambda a: (int(parse_number(a[0], 1)), int(parse_number(a[1], 1)))))
        r(":TRIGger:BLOCk:BRANch:ALWays", self._block(
            "ALWAYS", lambda a: (int(parse_number(a[0], 1)),)))
        r(":TRIGger:BLOCk:NOP", self._block("NOP", lambda a: ()))
        r("[:SENSe[1]]:FUNCtion[:ON]", self.h_sense_function)
        r("[:SENSe[1]]:CURRent[:DC]:RANGe:AUTO", self.flag("i_range_auto"))
        r("[:SENSe[1]]:CURRent[:DC]:RANGe[:UPPer]", self.h_measure_range)
        r("[:SENSe[1]]:CURRent[:DC]:NPLCycles", self.number("nplc", 0.01, 10))
        r("[:SENSe[1]]:AZERo:ONCE", self._zero_once)
        r("[:SENSe[1]]:CURRent[:DC]:AZERo[:STATe]", lambda a, q, m: "0" if q else None)
        r(":INITiate[:IMMediate]", self._initiate)
        r(":ABORt", lambda a, q, m: self.abort())
        r(":TRIGger:STATe", self._trigger_state)
        r(":TRACe:ACTual:END", lambda a, q, m: str(len(self._buffer(a).readings)))
        r(":TRACe:ACTual", lambda a, q, m: str(len(self._buffer(a).readings)))
        r(":TRACe:CLEar", lambda a, q, m: self._buffer(a).clear())
        r(":TRACe:POINts", self._buffer_points)
        r(":TRACe:DATA", self._trace_data)
        r(":READ", self._read)
        r(":MEASure[:CURRent[:DC]]", self._read)
        self.reset()

    def reset(self) -> None:
        self.reset_source()
        self.trigger_blocks: dict = {}
        self.config_lists: dict = {}

    # --- helpers ---------------------------------------------------------------------------
    def _buffer(self, args):
        return self.buffer(unquote(args[0]) if args else "defbuffer1")

    # --- source ------------------------------------------------------------------------------
    def _ilimit(self, args, query, match):
        if query:
            return f"{self.i_limit:g}"
        self.i_limit = parse_number(args[0], 1e-9, 1.05, 105e-6)

    def _delay_auto(self, args, query, match):
        if query:
            return "0"
        if parse_bool(args[0]):
            # auto source delay: 50 ms on the 10 nA and 100 nA ranges (manual, source delay)
            self.source_delay = 0.05 if self.i_range <= 100e-9 else 1e-3

    def _sweep_list(self, args, query, match):
        """``:SOUR:SWE:VOLT:LIST <startIndex>, <delay>, <count>, <failAbort>, "<buffer>"``."""
        if not self.source_list:
            raise ScpiError(-221, "Settings conflict; the source list is empty")
        start = int(parse_number(args[0], 1, len(self.source_list))) if args else 1
        delay = parse_number(args[1], 0, 1e4) if len(args) > 1 else 0.0
        count = int(parse_number(args[2], 1, 268435455)) if len(args) > 2 else 1
        fail_abort = parse_bool(args[3]) if len(args) > 3 else False
        buffer = unquote(args[4]) if len(args) > 4 else "defbuffer1"
        self.buffer(buffer)
        levels = self.source_list[start - 1:]
        self.trigger_blocks = {}
        self.armed_sweep = (levels, delay, len(levels) * count, buffer, fail_abort)

    def _sweep_linear(self, args, query, match):
        """``:SOUR:SWE:VOLT:LIN <start>, <stop>, <points>, <delay>, <count>, <rangeType>,
        <failAbort>, <dual>, "<buffer>"``: a list sweep whose list is a straight line."""
        if len(args) < 3:
            raise ScpiError(-109, "Missing parameter")
        start, stop = parse_number(args[0], -210, 210), parse_number(args[1], -210, 210)
        points = int(parse_number(args[2], 2, 1e6))
        delay = parse_number(args[3], 0, 1e4) if len(args) > 3 else 0.0
        count = int(parse_number(args[4], 1, 268435455)) if len(args) > 4 else 1
        fail_abort = parse_bool(args[6]) if len(args) > 6 else True
        dual = parse_bool(args[7]) if len(args) > 7 else False
        buffer = unquote(args[8]) if len(args) > 8 else "defbuffer1"
        self.buffer(buffer)
        levels = [start + (stop - start) * k / (points - 1) for k in range(points)]
        if dual:
            levels += levels[-2::-1]
        self.trigger_blocks = {}
        self.armed_sweep = (levels, delay, len(levels) * count, buffer, fail_abort)

    def _config_create(self, args, query, match):
        self.config_lists[unquote(args[0])] = []

    def _config_store(self, args, query, match):
        name = unquote(args[0])
        if name not in self.config_lists:
            raise ScpiError(-221, f"Settings conflict; no configuration list {name}")
        self.config_lists[name].append(self.level)

    def _config_size(self, args, query, match):
        return str(len(self.config_lists.get(unquote(args[0]), [])))

    def _config_delete(self, args, query, match):
        self.config_lists.pop(unquote(args[0]), None)

    def _trigger_load(self, args, query, match):
        if not args or unquote(args[0]).upper() != "EMPTY":
            raise ScpiError(-221, "Settings conflict; only the Empty template is simulated")
        self.trigger_blocks = {}
        self.armed_sweep = None

    def _block(self, kind, parse):
        def handler(args, query, match):
            if not args:
                raise ScpiError(-109, "Missing parameter")
            number = int(parse_number(args[0], 1, 63))
            self.trigger_blocks[number] = Block(kind, parse(args[1:]))
            self.armed_sweep = None
        return handler

    def _initiate(self, args, query, match):
        if self.program is not None:
            raise ScpiError(-213, "Init ignored; the trigger model is running")
        if self.trigger_blocks:
            check_blocks(self.trigger_blocks, self.config_lists)
            self.program = TriggerModel(dict(self.trigger_blocks), self.config_lists,
                                        t=self.bench.clock.now(), timing=self.reading_timing())
            return
        if self.armed_sweep is None:
            self.buffers["defbuffer1"].append(self.read_now())
            return
        self.start_list_sweep(*self.armed_sweep)

    def _trigger_state(self, args, query, match):
        state = "RUNNING" if self.program else "IDLE"
        return f"{state};{state};{self.program.progress if self.program else 0}"

    # --- measurement ---------------------------------------------------------------------------
    def _zero_once(self, args, query, match):
        self.zeroed = True

    def _buffer_points(self, args, query, match):
        if query:
            return str(self._buffer(args).capacity)
        buffer = self._buffer(args[1:])
        buffer.capacity = int(parse_number(args[0], 10, 11_000_000))
        buffer.clear()

    def _trace_data(self, args, query, match):
        """``:TRAC:DATA? <start>, <end>, "<buffer>", <elements>...`` (REL, SOUR, READ, ...)."""
        if len(args) < 2:
            raise ScpiError(-109, "Missing parameter")
        buffer = self._buffer(args[2:3])
        first, last = int(parse_number(args[0])), int(parse_number(args[1]))
        if not 1 <= first <= last <= len(buffer.readings):
            raise data_out_of_range_of(buffer, first, last)
        elements = [e.upper() for e in args[3:]] or ["READ"]
        if any(e not in BUFFER_ELEMENTS for e in elements):
            raise illegal_value(f"buffer element {elements}")
        t_first = buffer.readings[0].t
        out = []
        for reading in buffer.readings[first - 1:last]:
            for element in elements:
                out.append(self._element(reading, BUFFER_ELEMENTS[element], t_first))
        return ",".join(out)

    def _element(self, reading, element, t_first) -> str:
        if element == "value":
            return f"{reading.value:.7e}"
        if element == "source":
            return f"{reading.source:.7e}"
        if element == "rel":
            return f"{reading.t - t_first:.9e}"
        status = STAT_OUTPUT | (STAT_LIMIT if reading.limited else 0)
        return str(status)

    def _read(self, args, query, match):
        reading = self.read_now()
        self._buffer(args[:1]).append(reading)
        if len(args) > 1:
            return ",".join(self._element(reading, BUFFER_ELEMENTS[e.upper()], reading.t)
                            for e in args[1:])
        return f"{reading.value:.7e}"


def _buffer_name(args) -> tuple:
    return (unquote(args[0]) if args else "defbuffer1",)


def _list_name(args) -> tuple:
    return (unquote(args[0]),)


def _list_index(args) -> tuple:
    return unquote(args[0]), int(parse_number(args[1], 1)) if len(args) > 1 else 1


def data_out_of_range_of(buffer, first, last) -> ScpiError:
    return ScpiError(-222, f"Data out of range; buffer holds {len(buffer.readings)} readings,"
                           f" asked {first}-{last}")
