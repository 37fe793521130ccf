"""SCPI commands that the simulated 2450 and 2400 answer the same way."""

from .scpi import ScpiError, ScpiInstrument, illegal_value, parse_bool, parse_number, unquote
from .smu import SimSmu

OFF_MODES = {
    "NORM": "NORM",
    "NORMAL": "NORM",
    "HIMP": "HIMP",
    "HIMPEDANCE": "HIMP",
    "ZERO": "ZERO",
    "GUAR": "GUAR",
    "GUARD": "GUAR",
}
MAX_LIST_POINTS = 2500
MAX_LIST_PER_COMMAND = 100


class ScpiSmu(SimSmu, ScpiInstrument):
    """A voltage-source, current-measure SMU behind a SCPI parser."""

    def __init__(self, bench, name: str, seed: int):
        ScpiInstrument.__init__(self)
        SimSmu.__init__(self, bench, name, seed)
        self.register(":SYSTem:LFRequency", lambda a, q, m: f"{self.line_frequency:g}")

    def busy(self) -> bool:
        """A sweep or trigger model is running (``*OPC`` sets its bit when it ends)."""
        return self.program is not None

    # --- handler factories -------------------------------------------------------------
    def flag(self, attribute: str):
        def handler(args, query, match):
            if query:
                return str(int(getattr(self, attribute)))
            setattr(self, attribute, parse_bool(args[0]))

        return handler

    def number(self, attribute: str, minimum: float, maximum: float):
        def handler(args, query, match):
            if query:
                return f"{getattr(self, attribute):g}"
            setattr(self, attribute, parse_number(args[0], minimum, maximum, minimum))

        return handler

    # --- shared handlers -----------------------------------------------------------------
    def h_output(self, args, query, match):
        if query:
            return str(int(self.output))
        self.output = parse_bool(args[0])

    def h_off_mode(self, args, query, match):
        if query:
            return self.off_mode
        if args[0].upper() not in OFF_MODES:
            raise illegal_value(f"output-off mode {args[0]}")
        self.off_mode = OFF_MODES[args[0].upper()]

    def h_source_function(self, args, query, match):
        if query:
            return "VOLT"
        if args[0].upper() not in ("VOLT", "VOLTAGE"):
            raise ScpiError(-221, "Settings conflict; only voltage sourcing is simulated")

    def h_sense_function(self, args, query, match):
        if query:
            return '"CURR:DC"'
        if unquote(args[0]).upper() not in ("CURR", "CURR:DC", "CURRENT", "CURRENT:DC"):
            raise ScpiError(-221, "Settings conflict; only current measurement is simulated")

    def h_source_range(self, args, query, match):
        if query:
            return f"{self.v_range:g}"
        self.v_range_auto = False
        self.set_voltage_range(parse_number(args[0], -210, 210, self.voltage_ranges[0]))

    def h_level(self, args, query, match):
        if query:
            return f"{self.level:g}"
        self.apply_level(parse_number(args[0], -210, 210, 0.0))

    def h_measure_range(self, args, query, match):
        if query:
            return f"{self.i_range:g}"
        self.i_range_auto = False
        self.i_range = self.range_for(parse_number(args[0], 1e-9, 1.05, 1e-4), self.current_ranges)

    def h_list(self, args, query, match):
        if query:
            return ",".join(f"{v:g}" for v in self.source_list)
        self.source_list = []
        self.h_list_append(args, query, match)

    def h_list_append(self, args, query, match):
        if len(args) > MAX_LIST_PER_COMMAND:
            raise ScpiError(-108, "Parameter not allowed; at most 100 values per command")
        values = [parse_number(a, -210, 210) for a in args]
        if len(self.source_list) + len(values) > MAX_LIST_POINTS:
            raise ScpiError(-225, "Out of memory; a source list holds 2500 values")
        self.source_list.extend(values)
