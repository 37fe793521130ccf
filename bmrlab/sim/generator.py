"""Simulated Keysight 33500B and Agilent 33220A function generators (pulse and DC).

Commands follow the 33500 Series and 33220A user's guides (SCPI): FUNCtion PULSe|DC,
FREQuency, [FUNCtion:]PULSe:PERiod and :WIDTh, VOLTage (amplitude), :OFFSet, :HIGH, :LOW,
OUTPut and OUTPut:LOAD, BURSt:STATe/:MODE/:NCYCles/:INTernal:PERiod, TRIGger:SOURce
IMMediate|BUS|EXTernal, *TRG and TRIGger. Only channel 1 is wired.

What shapes the physics: the generator programs its levels for the load it is told about;
with ``OUTP:LOAD 50`` (the power-on setting) and a high-impedance device, the device sees
twice the programmed level. Changing a level with the output on switches the amplitude
relays, which puts a glitch on the device (recorded by the watchdog).
"""

import math

from .scpi import ScpiError, ScpiInstrument, illegal_value, parse_bool, parse_number

GLITCH_S = 10e-6


class SimFunctionGenerator(ScpiInstrument):
    models = {
        "33500B": {"idn": "Agilent Technologies,33522B,{serial},4.00-1.19-2.00-58-00",
                   "min_width": 16e-9, "max_amplitude": 10.0},
        "33220A": {"idn": "Agilent Technologies,33220A,{serial},2.02-2.02-22-2",
                   "min_width": 20e-9, "max_amplitude": 10.0},
    }

    def __init__(self, bench, name: str, serial: str, seed: int, model: str):
        """``seed`` is taken for a uniform construction; a generator has no noise."""
        super().__init__()
        self.bench = bench
        self.name = name
        self.model = model
        self.spec = self.models[model]
        self.idn = self.spec["idn"].format(serial=serial)
        r = self.register
        r(":OUTPut[1]:LOAD", self._load)
        r(":OUTPut[1]:TRIGger", lambda a, q, m: "0" if q else None)
        r(":OUTPut[1][:STATe]", self._output)
        r("[:SOURce[1]]:FUNCtion:PULSe:WIDTh", self._width)
        r("[:SOURce[1]]:PULSe:WIDTh", self._width)
        r("[:SOURce[1]]:FUNCtion:PULSe:PERiod", self._period)
        r("[:SOURce[1]]:PULSe:PERiod", self._period)
        r("[:SOURce[1]]:FUNCtion:PULSe:TRANsition[:BOTH]",
          lambda a, q, m: "8.4E-09" if q else None)
        r("[:SOURce[1]]:FUNCtion[:SHAPe]", self._function)
        r("[:SOURce[1]]:FREQuency", self._frequency)
        r("[:SOURce[1]]:VOLTage:OFFSet", self._level("offset"))
        r("[:SOURce[1]]:VOLTage:HIGH", self._level("high"))
        r("[:SOURce[1]]:VOLTage:LOW", self._level("low"))
        r("[:SOURce[1]]:VOLTage:UNIT", lambda a, q, m: "VPP" if q else None)
        r("[:SOURce[1]]:VOLTage[:AMPLitude]", self._level("amplitude"))
        r("[:SOURce[1]]:BURSt:STATe", self._burst_state)
        r("[:SOURce[1]]:BURSt:MODE", self._burst_mode)
        r("[:SOURce[1]]:BURSt:NCYCles", self._cycles)
        r("[:SOURce[1]]:BURSt:INTernal:PERiod", self._burst_period)
        r(":TRIGger[1]:SOURce", self._trigger_source)
        r(":TRIGger[1][:IMMediate]", lambda a, q, m: self.trigger())
        r("*TRG", lambda a, q, m: self.trigger())
        self.reset()

    def reset(self) -> None:
        self.output = False
        self.load_ohms = 50.0
        self.function = "SIN"
        self.high, self.low = 0.05, -0.05  # 100 mVpp, the power-on amplitude
        self.width = 100e-6
        self.period = 1e-3
        self.burst = False
        self.burst_cycles = 1
        self.burst_period = 10e-3
        self.trigger_source = "IMM"
        self.t_start = 0.0  # when the waveform (or the triggered burst) began
        self.t_replayed = 0.0  # edges up to here have been replayed by the bench
        self.armed = False  # a triggered burst is running

    # --- what the device sees --------------------------------------------------------------
    def _gain(self) -> float:
        """A high-impedance device gets twice what a 50-ohm setting programs."""
        return 2.0 if self.load_ohms == 50.0 else 1.0

    def _pulse_high(self, t: float) -> bool:
        elapsed = t - self.t_start
        if self.function != "PULS" or elapsed < 0:
            return False
        if self.burst:
            if self.trigger_source == "IMM":
                elapsed %= self.burst_period  # a burst every internal period
            elif not self.armed:
                return False  # waiting for its trigger
            if elapsed >= self.burst_cycles * self.period:
                return False
        return (elapsed % self.period) < self.width

    def level_at(self, t: float) -> float:
        """Pulse levels; DC (and shapes not simulated) give the offset."""
        if self.function != "PULS":
            return self.offset_level()
        return self.high if self._pulse_high(t) else self.low

    def offset_level(self) -> float:
        return (self.high + self.low) / 2

    def drive(self, t: float) -> tuple[float, float]:
        if not self.output:
            return 0.0, math.inf
        return self._gain() * self.level_at(t), math.inf

    def next_event_time(self) -> float:
        """The next edge of the pulse waveform after the last one the bench replayed."""
        if not self.output or self.function != "PULS":
            return math.inf
        now = self.t_replayed
        elapsed = now - self.t_start
        if self.burst and self.trigger_source != "IMM":
            if not self.armed or elapsed >= self.burst_cycles * self.period:
                return math.inf
        k = math.floor(elapsed / self.period)  # may land one period short by rounding
        margin = 1e-9 * self.period  # an edge just replayed must not come round again
        for j in (k, k + 1, k + 2):
            for edge in (self.t_start + j * self.period, self.t_start + j * self.period
                         + self.width):
                if edge > now + margin:
                    return edge
        return math.inf

    def fire_event(self, t: float) -> None:
        """An edge: :meth:`drive` already follows the waveform; remember how far it got."""
        self.t_replayed = t

    def busy_until(self) -> float:
        if self.burst and self.armed:
            return self.t_start + self.burst_cycles * self.period
        return self.bench.clock.now()

    def wait_idle(self) -> None:
        self.bench.clock.advance_to(self.busy_until())
        self.bench.sync()

    def trigger(self) -> None:
        if self.burst and self.trigger_source == "BUS":
            self.t_start = self.t_replayed = self.bench.clock.now()
            self.armed = True

    # --- commands -------------------------------------------------------------------------
    def _changed_levels(self) -> None:
        if self.output:  # amplitude relays switch under power
            peak = self._gain() * max(abs(self.high), abs(self.low))
            self.bench.glitch(self, 2 * peak, GLITCH_S)

    def _level(self, which: str):
        def handler(args, query, match):
            amplitude, offset = self.high - self.low, self.offset_level()
            values = {"amplitude": amplitude, "offset": offset, "high": self.high,
                      "low": self.low}
            if query:
                return f"{values[which]:+.8E}"
            value = parse_number(args[0], -10.0, 10.0)
            if which == "amplitude":
                if not 1e-3 <= value <= self.spec["max_amplitude"]:
                    raise ScpiError(-222, "Data out of range; amplitude")
                self.high, self.low = offset + value / 2, offset - value / 2
            elif which == "offset":
                self.high, self.low = value + amplitude / 2, value - amplitude / 2
            elif which == "high":
                self.high = value
            else:
                self.low = value
            self._changed_levels()
        return handler

    def _output(self, args, query, match):
        if query:
            return str(int(self.output))
        on = parse_bool(args[0])
        if on and not self.output:
            self.t_start = self.t_replayed = self.bench.clock.now()
            self.armed = False
        self.output = on

    def _load(self, args, query, match):
        if query:
            return "9.9E+37" if math.isinf(self.load_ohms) else f"{self.load_ohms:+.8E}"
        text = args[0].strip().upper()
        self.load_ohms = math.inf if text in ("INF", "INFINITY", "MAX") else parse_number(
            args[0], 1.0, 10e3, 50.0)

    def _function(self, args, query, match):
        if query:
            return self.function
        shape = args[0].strip().upper()[:4]
        if shape not in ("SIN", "SQU", "RAMP", "PULS", "NOIS", "DC", "ARB", "PRBS", "TRI"):
            raise illegal_value(f"function {args[0]}")
        self.function = "SIN" if shape == "SIN" else shape

    def _width(self, args, query, match):
        if query:
            return f"{self.width:+.8E}"
        value = parse_number(args[0])
        if value < self.spec["min_width"] or value >= self.period:
            self.width = min(max(value, self.spec["min_width"]), self.period * 0.99)
            raise ScpiError(-222, "Data out of range; pulse width clipped")
        self.width = value

    def _period(self, args, query, match):
        if query:
            return f"{self.period:+.8E}"
        self.period = parse_number(args[0], 33e-9, 1e6)

    def _frequency(self, args, query, match):
        if query:
            return f"{1 / self.period:+.8E}"
        self.period = 1 / parse_number(args[0], 1e-6, 30e6)

    def _burst_state(self, args, query, match):
        if query:
            return str(int(self.burst))
        self.burst = parse_bool(args[0])

    def _burst_mode(self, args, query, match):
        if query:
            return "TRIG"
        if not args[0].upper().startswith("TRIG"):
            raise ScpiError(-221, "Settings conflict; only triggered bursts are simulated")

    def _cycles(self, args, query, match):
        if query:
            return str(self.burst_cycles)
        self.burst_cycles = int(parse_number(args[0], 1, 1e8, 1))

    def _burst_period(self, args, query, match):
        if query:
            return f"{self.burst_period:+.8E}"
        self.burst_period = parse_number(args[0], 1e-6, 8000.0)

    def _trigger_source(self, args, query, match):
        if query:
            return self.trigger_source
        source = args[0].strip().upper()[:3]
        if source not in ("IMM", "BUS", "EXT", "TIM"):
            raise illegal_value(f"trigger source {args[0]}")
        self.trigger_source = source
