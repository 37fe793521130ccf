"""Simulated Keithley 2400 SourceMeter (SCPI, 2400 Series User's Manual, section 18).

Differences from the 2450 that matter to bmrlab: the lowest current range is 1 uA (a pA
high-resistance state reads as the range's offset and noise), compliance is
``:SENS:CURR:PROT`` with ``:SENS:CURR:PROT:TRIP?``, sweeps are trigger counts over a source
list (``:SOUR:VOLT:MODE LIST``), readings go to a 2500-point buffer that ``:TRAC:DATA?``
returns whole, and every reading carries the FORM:ELEM elements (voltage, current,
resistance, time, status; status bit 3 = in compliance).
"""

from .scpi import ScpiError, illegal_value, parse_number
from .scpi_smu import MAX_LIST_POINTS, ScpiSmu
from .smu import Reading

ELEMENTS = {"VOLT": "VOLT", "VOLTAGE": "VOLT", "CURR": "CURR", "CURRENT": "CURR",
            "RES": "RES", "RESISTANCE": "RES", "TIME": "TIME", "STAT": "STAT",
            "STATUS": "STAT"}
STATUS_COMPLIANCE, STATUS_V_SOURCE = 8, 1 << 14
BUFFER_POINTS = MAX_LIST_POINTS


class SimKeithley2400(ScpiSmu):
    model = "2400"
    current_ranges = (1e-6, 10e-6, 100e-6, 1e-3, 10e-3, 100e-3, 1.0)
    current_offsets = {1e-6: 300e-12, 10e-6: 2e-9, 100e-6: 6e-9, 1e-3: 60e-9, 10e-3: 600e-9,
                       100e-3: 6e-6, 1.0: 500e-6}
    voltage_ranges = (0.2, 2.0, 20.0, 200.0)
    floor_fraction = 20e-6  # 20 pA at 1 NPLC on the 1 uA range
    reading_overhead = 0.5e-3

    def __init__(self, bench, name: str, serial: str, seed: int):
        super().__init__(bench, name, seed)
        self.idn = (f"KEITHLEY INSTRUMENTS INC.,MODEL 2400,{serial},"
                    "C33   Mar 31 2015 09:32:39/A02  /S/K")
        r = self.register
        r(":OUTPut[1][:STATe]", self.h_output)
        r(":OUTPut[1]:SMODe", self.h_off_mode)
        r(":FORMat:ELEMents[:SENSe[1]]", self._elements)
        r("[:SOURce[1]]:FUNCtion[:MODE]", self.h_source_function)
        r("[:SOURce[1]]:VOLTage:MODE", self._mode)
        r("[:SOURce[1]]:VOLTage:RANGe:AUTO", self.flag("v_range_auto"))
        r("[:SOURce[1]]:VOLTage:RANGe", self.h_source_range)
        r("[:SOURce[1]]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", self.h_level)
        r("[:SOURce[1]]:LIST:VOLTage:APPend", self.h_list_append)
        r("[:SOURce[1]]:LIST:VOLTage:POINts", lambda a, q, m: str(len(self.source_list)))
        r("[:SOURce[1]]:LIST:VOLTage", self.h_list)
        r("[:SOURce[1]]:DELay:AUTO", lambda a, q, m: "0" if q else None)
        r("[:SOURce[1]]:DELay", self.number("source_delay", 0, 9999.998))
        r("[:SOURce[1]]:CLEar:AUTO", lambda a, q, m: "0" if q else None)
        r("[:SENSe[1]]:FUNCtion:CONCurrent", lambda a, q, m: "1" if q else None)
        r("[:SENSe[1]]:FUNCtion[:ON]", self.h_sense_function)
        r("[:SENSe[1]]:CURRent[:DC]:PROTection:TRIPped",
          lambda a, q, m: str(int(self.limit_tripped)))
        r("[:SENSe[1]]:CURRent[:DC]:PROTection[:LEVel]", self._compliance)
        r("[:SENSe[1]]:CURRent[:DC]:RANGe:AUTO", self.flag("i_range_auto"))
        r("[:SENSe[1]]:CURRent[:DC]:RANGe[:UPPer]", self.h_measure_range)
        r("[:SENSe[1]]:CURRent[:DC]:NPLCycles", self.number("nplc", 0.01, 10))
        r(":SYSTem:AZERo[:STATe]", lambda a, q, m: "1" if q else None)
        r(":TRIGger:COUNt", self._count("trigger_count"))
        r(":ARM:COUNt", self._count("arm_count"))
        r(":TRIGger:DELay", lambda a, q, m: "0" if q else None)
        r(":TRACe:POINts:ACTual", lambda a, q, m: str(len(self.trace.readings)))
        r(":TRACe:POINts", self._trace_points)
        r(":TRACe:FEED:CONTrol", self._feed_control)
        r(":TRACe:FEED", lambda a, q, m: "SENS" if q else None)
        r(":TRACe:CLEar", lambda a, q, m: self.trace.clear())
        r(":TRACe:DATA", self._trace_data)
        r(":INITiate[:IMMediate]", self._initiate)
        r(":ABORt", lambda a, q, m: self.abort())
        r(":READ", self._read)
        r(":FETCh", self._fetch)
        r(":MEASure[:CURRent[:DC]]", self._measure)
        self.reset()

    def reset(self) -> None:
        self.reset_source()
        self.v_range = 20.0
        self.i_range = 1e-4
        self.i_limit = 105e-6
        self.zeroed = False  # autozero does not remove the offset term of a range
        self.elements = ["VOLT", "CURR", "RES", "TIME", "STAT"]
        self.list_mode = False
        self.trigger_count = 1
        self.arm_count = 1
        self.feed = False
        self.last = []
        self.trace.capacity = BUFFER_POINTS

    @property
    def trace(self):
        return self.buffers["defbuffer1"]

    # --- helpers ---------------------------------------------------------------------------
    def _count(self, attribute):
        def handler(args, query, match):
            if query:
                return str(getattr(self, attribute))
            setattr(self, attribute, int(parse_number(args[0], 1, 2500, 1)))
        return handler

    # --- source ------------------------------------------------------------------------------
    def _mode(self, args, query, match):
        if query:
            return "LIST" if self.list_mode else "FIX"
        mode = args[0].upper()
        if mode not in ("FIX", "FIXED", "LIST"):
            raise illegal_value(f"source mode {args[0]}")
        self.list_mode = mode == "LIST"

    # --- measurement ---------------------------------------------------------------------------
    def _compliance(self, args, query, match):
        if query:
            return f"{self.i_limit:g}"
        self.i_limit = parse_number(args[0], 1e-9, 1.05, 105e-6)

    def _elements(self, args, query, match):
        if query:
            return ",".join(self.elements)
        names = [a.strip().upper() for a in args]
        if not names or any(n not in ELEMENTS for n in names):
            raise illegal_value(f"elements {args}")
        self.elements = [ELEMENTS[n] for n in names]

    def _trace_points(self, args, query, match):
        if query:
            return str(self.trace.capacity)
        self.trace.capacity = int(parse_number(args[0], 1, BUFFER_POINTS, BUFFER_POINTS))

    def _feed_control(self, args, query, match):
        if query:
            return "NEXT" if self.feed else "NEV"
        self.feed = args[0].upper() == "NEXT"

    def store(self, buffer: str, reading: Reading) -> None:
        self.last.append(reading)
        if self.feed and len(self.trace.readings) < self.trace.capacity:
            self.trace.append(reading)
            self.feed = len(self.trace.readings) < self.trace.capacity

    def _initiate(self, args, query, match):
        if self.program is not None:
            raise ScpiError(-213, "Init ignored")
        if not self.output:
            raise ScpiError(803, "Output disabled")
        total = self.trigger_count * self.arm_count
        levels = self.source_list if self.list_mode and self.source_list else [self.level]
        self.last = []
        self.start_list_sweep(levels, self.source_delay, total, "defbuffer1", False)

    def _format(self, reading: Reading, t0: float) -> str:
        status = STATUS_V_SOURCE | (STATUS_COMPLIANCE if reading.limited else 0)
        values = {"VOLT": f"{reading.source:+.6E}", "CURR": f"{reading.value:+.6E}",
                  "RES": "+9.910000E+37", "TIME": f"{reading.t - t0:+.6E}",
                  "STAT": f"{status:+.6E}"}
        return ",".join(values[e] for e in self.elements)

    def _readings(self, readings) -> str:
        t0 = readings[0].t if readings else 0.0
        return ",".join(self._format(r, t0) for r in readings)

    def _read(self, args, query, match):
        self._initiate(args, query, match)
        self.wait_idle()
        return self._readings(self.last)

    def _fetch(self, args, query, match):
        return self._readings(self.last)

    def _measure(self, args, query, match):
        self.output = True  # MEASure? switches the output on
        return self._read(args, query, match)

    def _trace_data(self, args, query, match):
        if not query:
            raise ScpiError(-113, "Undefined header")
        return self._readings(self.trace.readings)
