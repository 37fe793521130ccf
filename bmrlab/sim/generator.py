"""Simulated Keysight 33500B series (answering as a two-channel 33522B) and Agilent 33220A
function generators: their SCPI command set, and what channel 1 puts on the device.

The commands, ranges, defaults and conflict rules come from the 33500 Series Operating and
Service Guide and the 33220A User's Guide (see generator_models.py for the per-model facts,
generator_channel.py for the rules of one channel, each with its page). Commands are those
of the subsystems clients use: FUNCtion (SIN SQU TRI RAMP PULS PRBS NOIS DC; arbitrary
waveforms are refused with a clear -241), FREQuency[:MODE], PHASe, VOLTage (amplitude, OFFSet,
HIGH, LOW, UNIT, RANGe:AUTO, LIMit), FUNCtion:SQUare/RAMP/PULSe, BURSt, TRIGger, OUTPut
(LOAD, POLarity, SYNC, TRIGger), DISPlay, SYSTem and the IEEE 488.2 commands of the parser.
On the 33500 both channels (``SOURce2``, ``OUTPut2``, ``TRIGger2``) hold a full state of their
own; only channel 1 is wired to the device (channel 2 drives nothing).

What shapes the physics: levels are held as open-circuit volts, so with ``OUTP:LOAD 50`` (the
power-on setting) a high-impedance device sees twice the programmed level. A level change
with the output on (and voltage autoranging on, the default) switches the amplitude relays,
which puts a glitch on the device (recorded by the watchdog). Pulses and squares run in
virtual time with their edge times (as a staircase), bursts after ``TRIG:DEL``.
"""

import math
import re

from .generator_channel import GeneratorChannel, clipped
from .generator_models import MODELS
from .scpi import (
    ScpiError,
    ScpiInstrument,
    illegal_value,
    parse_bool,
    settings_conflict,
    undefined_header,
    unquote,
)

GLITCH_S = 10e-6  # amplitude-relay glitch on a level change under power


def nr3(value: float) -> str:
    """A numeric reply; infinity is the SCPI 9.9E+37."""
    return "9.9E+37" if math.isinf(value) else f"{value:+.15E}"


def one_argument(args: list[str]) -> str:
    if not args:
        raise ScpiError(-109, "Missing parameter")
    if len(args) > 1:
        raise ScpiError(-108, "Parameter not allowed")
    return args[0]


def short_form(name: str) -> str:
    """``TRIGgered`` -> ``TRIG``: the upper-case letters of a keyword as a manual spells it."""
    return "".join(c for c in name if not c.islower())


def choice(arg: str, *names: str) -> str:
    """A SCPI keyword in short or long form (``TRIGgered`` takes TRIG or TRIGGERED); returns
    its short form."""
    text = arg.strip().upper()
    for name in names:
        if text in (short_form(name), name.upper()):
            return short_form(name)
    raise illegal_value(arg.strip())


NUMBER_WITH_SUFFIX = re.compile(r"([-+]?(?:\d+\.?\d*|\.\d+)(?:E[-+]?\d+)?)\s*([A-Z]*)")
# IEEE 488.2 7.7.3: suffix multipliers; M is milli and MA mega, but MHZ is megahertz
MULTIPLIERS = {"": 1.0, "K": 1e3, "MA": 1e6, "M": 1e-3, "U": 1e-6, "N": 1e-9}
AMPLITUDE_UNITS = ("VPP", "VRMS", "DBM")


def split_suffix(arg: str) -> tuple[float, str]:
    """``"2.5 KHZ"`` -> (2.5, "KHZ"); a malformed number is -104."""
    match = NUMBER_WITH_SUFFIX.fullmatch(arg.strip().upper())
    if not match:
        raise ScpiError(-104, "Data type error")
    value = float(match[1])
    if not math.isfinite(value):
        raise ScpiError(-104, "Data type error")
    return value, match[2]


def scaled(value: float, suffix: str, unit: str) -> float:
    """Apply a suffix such as MS, KHZ or MV to ``value`` for a command in ``unit``."""
    if not suffix:
        return value
    prefix = suffix[: -len(unit)] if unit and suffix.endswith(unit) else None
    if unit == "HZ" and prefix == "M":
        prefix = "MA"
    if prefix not in MULTIPLIERS:
        raise ScpiError(-131, "Invalid suffix")
    return value * MULTIPLIERS[prefix]


def number(arg: str, minimum: float, maximum: float, default: float, unit: str = "") -> float:
    """A numeric argument with the MINimum/MAXimum/DEFault keywords and an optional suffix in
    ``unit`` (HZ, S, V). Out-of-range values are returned as they are: the channel clips them
    with -222 as the guides describe."""
    text = arg.strip().upper()
    keywords = {
        "MIN": minimum,
        "MINIMUM": minimum,
        "MAX": maximum,
        "MAXIMUM": maximum,
        "DEF": default,
        "DEFAULT": default,
    }
    if text in keywords:
        return float(keywords[text])
    return scaled(*split_suffix(text), unit)


def not_simulated(what: str) -> ScpiError:
    return ScpiError(-241, f"Hardware missing; {what} not simulated")


class SimFunctionGenerator(ScpiInstrument):
    def __init__(self, bench, name: str, serial: str, seed: int, model: str):
        """``seed`` is taken for a uniform construction; a generator has no noise."""
        super().__init__()
        self.bench = bench
        self.name = name
        self.model = MODELS[model]
        self.idn = self.model.idn.format(serial=serial)
        self.channels = [GeneratorChannel(self.model, n + 1) for n in range(self.model.channels)]
        self.t_replayed = 0.0  # events of channel 1 up to here have been replayed
        for channel in self.channels:
            self._register_channel(channel)
        self._register_instrument()
        self.reset()

    def reset(self) -> None:
        for channel in self.channels:
            channel.reset()
        self.sync_output = True  # OUTPut:SYNC default ON (both guides)
        self.sync_source = 1  # 33500 OUTPut:SYNC:SOURce CH1
        self.trigger_out_source = 1  # 33500 OUTPut:TRIGger:SOURce CH1
        self.display_on = True
        self.display_text = ""
        self.beeper = True

    # --- what the device sees (channel 1) ----------------------------------------------------
    @property
    def wired(self) -> GeneratorChannel:
        return self.channels[0]

    def drive(self, t: float) -> tuple[float, float]:
        if not self.wired.output:
            return 0.0, math.inf
        return self.wired.level_at(t), math.inf

    def next_event_time(self) -> float:
        if not self.wired.output:
            return math.inf
        return self.wired.next_change_after(self.t_replayed)

    def fire_event(self, t: float) -> None:
        """An edge step: :meth:`drive` already follows the waveform; remember how far it got."""
        self.t_replayed = t

    def busy_until(self) -> float:
        now = self.bench.clock.now()
        return max(channel.busy_until(now) for channel in self.channels)

    def wait_idle(self) -> None:
        self.bench.clock.advance_to(self.busy_until())
        self.bench.sync()

    def busy(self) -> bool:
        """A triggered burst is still running (``*OPC`` sets its bit once it ends)."""
        return self.busy_until() > self.bench.clock.now()

    def handle(self, message: str) -> str | None:
        """The bench has replayed every event up to now before a message arrives; settings
        changed by the message take effect from now on."""
        self.t_replayed = max(self.t_replayed, self.bench.clock.now())
        reply = super().handle(message)
        if self.wired.output and self.wired.approximated():  # the peaks still reach it
            peak = max(abs(self.wired.high), abs(self.wired.low))
            self.bench.device_of(self).expose(peak, t=self.bench.clock.now())
        return reply

    def _level_writer(self, channel: GeneratorChannel):
        """Wrap a level setter of ``channel`` so that it glitches the device when it should."""

        def wrap(put):
            return lambda value: self._glitch_if_levels_change(channel, lambda: put(value))

        return wrap

    def _glitch_if_levels_change(self, channel: GeneratorChannel, change) -> None:
        """Run ``change``; a level change with the wired output on and voltage autoranging
        on switches the amplitude relays under power."""
        before = (channel.high, channel.low)
        try:
            change()
        finally:
            if (
                channel is self.wired
                and channel.output
                and channel.autorange
                and (channel.high, channel.low) != before
            ):
                peak = max(abs(channel.high), abs(channel.low))
                self.bench.glitch(self, 2 * peak, GLITCH_S)

    # --- handler factories -------------------------------------------------------------------
    def _numeric(self, read, write, bounds, unit: str = ""):
        """A numeric setting in ``unit``: ``bounds()`` gives (MIN, MAX, DEFault);
        ``VALUE? MIN|MAX`` answers the bound."""

        def handler(args, query, match):
            low, high, default = bounds()
            if query:
                if args:
                    return nr3(
                        {"MIN": low, "MAX": high}[choice(one_argument(args), "MINimum", "MAXimum")]
                    )
                return nr3(read())
            write(number(one_argument(args), low, high, default, unit))

        return handler

    def _keyword(self, read, write, *names: str):
        def handler(args, query, match):
            if query:
                return read()
            write(choice(one_argument(args), *names))

        return handler

    def _switch(self, read, write):
        def handler(args, query, match):
            if query:
                return str(int(read()))
            write(parse_bool(one_argument(args)))

        return handler

    @staticmethod
    def _setter(channel: GeneratorChannel, attribute: str):
        return lambda value: setattr(channel, attribute, value)

    # --- commands of one channel -------------------------------------------------------------
    def _register_channel(self, ch: GeneratorChannel) -> None:
        m, r = self.model, self.register
        # Channel 1 answers with or without the SOURce node and the suffix 1 (SCPI optional
        # nodes); the 33220A guide omits them, but QCoDeS's driver of the 33200 family (33210A)
        # sends SOURce1:, OUTPut1 and TRIGger1, so the 33220A takes them too.
        suffix = "[1]" if ch.number == 1 else "2"
        src = f"[:SOURce{suffix}]" if ch.number == 1 else ":SOURce2"
        out, trig = f":OUTPut{suffix}", f":TRIGger{suffix}"
        levels = self._level_writer(ch)
        edges = lambda: (*m.edge_range, m.default_edge)  # noqa: E731
        limits = lambda: self._level_bounds(ch)  # noqa: E731

        r(f"{src}:FUNCtion", self._keyword(lambda: ch.function, self._function(ch), *m.shapes))
        r(
            f"{src}:FREQuency",
            self._numeric(
                lambda: ch.frequency,
                ch.set_frequency,
                lambda: (m.min_frequency, m.max_frequency[ch.function], 1e3),
                "HZ",
            ),
        )
        r(
            f"{src}:PHASe",
            self._numeric(lambda: ch.phase, self._phase(ch), lambda: (-360.0, 360.0, 0.0)),
        )
        r(f"{src}:VOLTage[:LEVel][:IMMediate][:AMPLitude]", self._amplitude(ch, levels))
        r(
            f"{src}:VOLTage[:LEVel][:IMMediate]:OFFSet",
            self._numeric(lambda: ch.display(ch.offset), levels(ch.set_offset), limits, "V"),
        )
        r(
            f"{src}:VOLTage[:LEVel][:IMMediate]:HIGH",
            self._numeric(lambda: ch.display(ch.high), levels(ch.set_high), limits, "V"),
        )
        r(
            f"{src}:VOLTage[:LEVel][:IMMediate]:LOW",
            self._numeric(lambda: ch.display(ch.low), levels(ch.set_low), limits, "V"),
        )
        r(f"{src}:VOLTage:UNIT", self._keyword(lambda: ch.unit, ch.set_unit, "VPP", "VRMS", "DBM"))
        r(f"{src}:VOLTage:RANGe:AUTO", self._autorange(ch))
        r(
            f"{src}:FUNCtion:SQUare:DCYCle",
            self._numeric(
                lambda: ch.square_duty,
                self._clipped(ch, "square_duty", m.square_duty_range),
                lambda: (*m.square_duty_range, 50.0),
            ),
        )
        r(
            f"{src}:FUNCtion:RAMP:SYMMetry",
            self._numeric(
                lambda: ch.ramp_symmetry,
                self._clipped(ch, "ramp_symmetry", (0.0, 100.0)),
                lambda: (0.0, 100.0, 100.0),
            ),
        )
        # The 33500 guide spells the pulse commands FUNCtion:PULSe:..., the 33220A guide
        # PULSe:PERiod and FUNCtion:PULSe:WIDTh; both spellings are accepted on both models.
        r(
            f"{src}[:FUNCtion]:PULSe:PERiod",
            self._numeric(lambda: ch.period, ch.set_period, lambda: (*m.period_range, 1e-3), "S"),
        )
        r(
            f"{src}[:FUNCtion]:PULSe:WIDTh",
            self._numeric(lambda: ch.width, ch.set_width, lambda: (*m.width_range, 100e-6), "S"),
        )
        r(
            f"{src}:FUNCtion:PULSe:DCYCle",
            self._numeric(ch.pulse_duty, ch.set_pulse_duty, lambda: (*m.pulse_duty_range, 10.0)),
        )
        r(
            f"{src}:FUNCtion:PULSe:HOLD",
            self._keyword(lambda: ch.hold, self._setter(ch, "hold"), "WIDTh", "DCYCle"),
        )
        both = "[:BOTH]" if m.separate_edges else ""  # the 33220A has one edge time
        r(
            f"{src}:FUNCtion:PULSe:TRANsition{both}",
            self._numeric(lambda: ch.lead, lambda value: ch.set_edges(value, value), edges, "S"),
        )
        if m.separate_edges:
            r(
                f"{src}:FUNCtion:PULSe:TRANsition:LEADing",
                self._numeric(lambda: ch.lead, lambda value: ch.set_edges(value, None), edges, "S"),
            )
            r(
                f"{src}:FUNCtion:PULSe:TRANsition:TRAiling",
                self._numeric(
                    lambda: ch.trail, lambda value: ch.set_edges(None, value), edges, "S"
                ),
            )
        self._register_apply(ch, src, levels)
        self._register_burst(ch, src)
        self._register_trigger(ch, trig)
        self._register_output(ch, out)
        if m.has_frequency_mode:
            r(
                f"{src}:FREQuency:MODE",
                self._keyword(
                    lambda: ch.frequency_mode,
                    self._frequency_mode(ch),
                    "CW",
                    "FIXed",
                    "LIST",
                    "SWEep",
                ),
            )
        if m.has_voltage_limits:
            r(
                f"{src}:VOLTage:LIMit:HIGH",
                self._numeric(lambda: ch.limit_high, lambda v: ch.set_limits(high=v), limits, "V"),
            )
            r(
                f"{src}:VOLTage:LIMit:LOW",
                self._numeric(lambda: ch.limit_low, lambda v: ch.set_limits(low=v), limits, "V"),
            )
            r(
                f"{src}:VOLTage:LIMit:STATe",
                self._switch(lambda: ch.limits, lambda on: ch.set_limits(on=on)),
            )
        if m.channels > 1:  # 33500 PHASe:SYNChronize restarts both channels
            r(f"{src}:PHASe:SYNChronize", self._phase_sync)
        for header in m.arbitrary_headers:
            r(f"{src}:{header}", self._arbitrary)

    def _register_apply(self, ch: GeneratorChannel, src: str, levels) -> None:
        for name in self.model.shapes:
            shape = short_form(name)
            handler = (
                self._arbitrary if shape in ("ARB", "USER") else self._apply(ch, shape, levels)
            )
            self.register(f"{src}:APPLy:{name}", handler)
        self.register(f"{src}:APPLy?", lambda a, q, match: self._applied(ch))

    def _apply(self, ch: GeneratorChannel, shape: str, levels):
        """APPLy:<shape> [<frequency>|DEF [,<amplitude>|DEF [,<offset>|DEF]]] (both guides,
        APPLy): shape, frequency, amplitude (in VOLT:UNIT) and offset at once; an omitted
        value is its default (1 kHz, 100 mVpp into 50 ohm, 0 V); the trigger source becomes
        IMMediate, burst goes off, voltage autoranging on, and the output goes on. Frequency
        is ignored for noise and DC, amplitude for DC."""

        def handler(args, query, match):
            if query:
                raise undefined_header("APPLy:<shape>?")
            if len(args) > 3:
                raise ScpiError(-108, "Parameter not allowed")
            frequency, amplitude, offset = (args + ["DEF"] * 3)[:3]
            first_error = None

            def attempt(action):
                nonlocal first_error
                try:
                    action()
                except ScpiError as error:
                    first_error = first_error or error

            ch.set_burst(False)
            ch.trigger_source = "IMM"
            ch.autorange = True
            attempt(lambda: ch.set_function(shape))
            top = self.model.max_frequency[shape]
            if shape not in ("NOIS", "DC"):
                attempt(
                    lambda: ch.set_frequency(
                        number(frequency, self.model.min_frequency, top, 1e3, "HZ")
                    )
                )
            if shape != "DC":
                bounds = tuple(ch.display(v) for v in self.model.amplitude_range)
                attempt(lambda: levels(lambda arg: self._set_amplitude(ch, arg, bounds))(amplitude))
            vmax = ch.display(self.model.max_level)
            attempt(lambda: levels(ch.set_offset)(number(offset, -vmax, vmax, 0.0, "V")))
            self._output(ch)(True)
            if first_error:
                raise first_error

        return handler

    @staticmethod
    def _applied(ch: GeneratorChannel) -> str:
        """APPLy?: '"<shape> <frequency>,<amplitude>,<offset>"'."""
        return (
            f'"{ch.function} {nr3(ch.frequency)},{nr3(ch.amplitude())},'
            f'{nr3(ch.display(ch.offset))}"'
        )

    def _register_burst(self, ch: GeneratorChannel, src: str) -> None:
        m, r = self.model, self.register
        r(f"{src}:BURSt:STATe", self._switch(lambda: ch.burst, ch.set_burst))
        r(
            f"{src}:BURSt:MODE",
            self._keyword(lambda: ch.burst_mode, ch.set_burst_mode, "TRIGgered", "GATed"),
        )
        r(f"{src}:BURSt:NCYCles", self._cycles(ch))
        r(
            f"{src}:BURSt:INTernal:PERiod",
            self._numeric(
                lambda: ch.burst_period,
                ch.set_burst_period,
                lambda: (*m.burst_period_range, 10e-3),
                "S",
            ),
        )
        # BURSt:PHASe -360 to +360 degrees; it has no effect on pulses (33220A guide p.227)
        r(
            f"{src}:BURSt:PHASe",
            self._numeric(
                lambda: ch.burst_phase,
                self._clipped(ch, "burst_phase", (-360.0, 360.0)),
                lambda: (-360.0, 360.0, 0.0),
            ),
        )
        r(
            f"{src}:BURSt:GATE:POLarity",
            self._keyword(
                lambda: ch.gate_polarity, self._setter(ch, "gate_polarity"), "NORMal", "INVerted"
            ),
        )

    def _register_trigger(self, ch: GeneratorChannel, trig: str) -> None:
        m, r = self.model, self.register
        r(f"{trig}[:IMMediate]", self._force_trigger(ch))
        r(
            f"{trig}:SOURce",
            self._keyword(
                lambda: ch.trigger_source,
                self._trigger_source(ch),
                "IMMediate",
                "EXTernal",
                "TIMer",
                "BUS",
            ),
        )
        r(
            f"{trig}:DELay",
            self._numeric(
                lambda: ch.trigger_delay,
                self._clipped(ch, "trigger_delay", (0.0, m.max_trigger_delay)),
                lambda: (0.0, m.max_trigger_delay, 0.0),
                "S",
            ),
        )
        r(
            f"{trig}:SLOPe",
            self._keyword(
                lambda: ch.trigger_slope, self._setter(ch, "trigger_slope"), "POSitive", "NEGative"
            ),
        )
        if m.has_trigger_timer:
            r(
                f"{trig}:TIMer",
                self._numeric(
                    lambda: ch.trigger_timer,
                    self._clipped(ch, "trigger_timer", (1e-6, 8000.0)),
                    lambda: (1e-6, 8000.0, 1.0),
                    "S",
                ),
            )
            r(f"{trig}:COUNt", self._trigger_count(ch))

    def _register_output(self, ch: GeneratorChannel, out: str) -> None:
        m, r = self.model, self.register
        r(f"{out}[:STATe]", self._switch(lambda: ch.output, self._output(ch)))
        r(f"{out}:LOAD", self._load(ch))
        r(
            f"{out}:POLarity",
            self._keyword(lambda: ch.polarity, self._setter(ch, "polarity"), "NORMal", "INVerted"),
        )
        if m.channels > 1:  # 33500: per-channel sync mode and polarity
            r(
                f"{out}:SYNC:MODE",
                self._keyword(
                    lambda: ch.sync_mode,
                    self._setter(ch, "sync_mode"),
                    "NORMal",
                    "CARRier",
                    "MARKer",
                ),
            )
            r(
                f"{out}:SYNC:POLarity",
                self._keyword(
                    lambda: ch.sync_polarity,
                    self._setter(ch, "sync_polarity"),
                    "NORMal",
                    "INVerted",
                ),
            )
        if ch.number == 1:  # the trigger-out connector serves channel 1 only
            r(
                ":OUTPut:TRIGger",
                self._switch(lambda: ch.trigger_out, self._setter(ch, "trigger_out")),
            )
            r(
                ":OUTPut:TRIGger:SLOPe",
                self._keyword(
                    lambda: ch.trigger_out_slope,
                    self._setter(ch, "trigger_out_slope"),
                    "POSitive",
                    "NEGative",
                ),
            )

    # --- instrument-wide commands -----------------------------------------------------------
    def _register_instrument(self) -> None:
        m, r = self.model, self.register
        # *OPT?: no option installed; the reply format of the guides is not re-checked
        r("*OPT?", lambda a, q, match: "0")
        r(
            ":OUTPut:SYNC",
            self._switch(lambda: self.sync_output, lambda on: setattr(self, "sync_output", on)),
        )
        if m.channels > 1:
            r(":OUTPut:SYNC:SOURce", self._channel_choice("sync_source"))
            r(":OUTPut:TRIGger:SOURce", self._channel_choice("trigger_out_source"))
        r(
            ":DISPlay[:STATe]",
            self._switch(lambda: self.display_on, lambda on: setattr(self, "display_on", on)),
        )
        r(":DISPlay:TEXT", self._display_text)
        r(":DISPlay:TEXT:CLEar", lambda a, q, match: self._no_query(q, self._clear_text))
        r(":SYSTem:BEEPer[:IMMediate]", lambda a, q, match: self._no_query(q, lambda: None))
        r(
            ":SYSTem:BEEPer:STATe",
            self._switch(lambda: self.beeper, lambda on: setattr(self, "beeper", on)),
        )
        if m.has_remote_state:
            self.remote_state = "REM"
            r(
                ":SYSTem:COMMunicate:RLSTate",
                self._keyword(
                    lambda: self.remote_state,
                    lambda s: setattr(self, "remote_state", s),
                    "LOCal",
                    "REMote",
                    "RWLock",
                ),
            )

    # --- handlers ------------------------------------------------------------------------------
    @staticmethod
    def _no_query(query: bool, action) -> None:
        if query:
            raise undefined_header("query of a command without a query form")
        action()

    def _clear_text(self) -> None:
        self.display_text = ""

    def _display_text(self, args, query, match):
        if query:
            return f'"{self.display_text}"'
        self.display_text = unquote(one_argument(args))

    def _channel_choice(self, attribute: str):
        def handler(args, query, match):
            if query:
                return f"CH{getattr(self, attribute)}"
            setattr(self, attribute, int(choice(one_argument(args), "CH1", "CH2")[2]))

        return handler

    @staticmethod
    def _arbitrary(args, query, match):
        raise not_simulated("arbitrary waveforms are")

    @staticmethod
    def _clipped(ch: GeneratorChannel, attribute: str, limits: tuple[float, float]):
        """A setting whose out-of-range values are clipped with -222."""

        def write(value):
            value, error = clipped(value, *limits, attribute.replace("_", " "))
            setattr(ch, attribute, value)
            if error:
                raise error

        return write

    @staticmethod
    def _function(ch: GeneratorChannel):
        def write(shape):
            if shape in ("ARB", "USER"):
                raise not_simulated("arbitrary waveforms are")
            ch.set_function(shape)

        return write

    def _phase(self, ch: GeneratorChannel):
        def write(value):
            if ch.function in ("DC", "NOIS"):  # 33500 PHASe: not for DC and noise
                raise settings_conflict(f"PHASe is not available with {ch.function}")
            self._clipped(ch, "phase", (-360.0, 360.0))(value)

        return write

    def _phase_sync(self, args, query, match):
        self._no_query(
            query, lambda: [c.synchronise_phase(self.bench.clock.now()) for c in self.channels]
        )

    def _amplitude(self, ch: GeneratorChannel, levels):
        """VOLTage: the amplitude in VOLT:UNIT, or in the unit the value carries (``VPP``,
        ``VRMS``, ``DBM``, with ``M`` for milli); MIN/MAX/DEF are Vpp."""

        def handler(args, query, match):
            low, high = (ch.display(v) for v in self.model.amplitude_range)
            if query:
                if args:
                    bound = choice(one_argument(args), "MINimum", "MAXimum")
                    return nr3(low if bound == "MIN" else high)
                return nr3(ch.amplitude())
            levels(lambda arg: self._set_amplitude(ch, arg, (low, high)))(one_argument(args))

        return handler

    @staticmethod
    def _set_amplitude(ch: GeneratorChannel, arg: str, bounds: tuple[float, float]) -> None:
        text = arg.strip().upper()
        keywords = {
            "MIN": bounds[0],
            "MINIMUM": bounds[0],
            "MAX": bounds[1],
            "MAXIMUM": bounds[1],
            "DEF": ch.display(0.2),
            "DEFAULT": ch.display(0.2),
        }
        if text in keywords:
            ch.set_amplitude(keywords[text], "VPP")
            return
        value, suffix = split_suffix(text)
        unit = next((u for u in AMPLITUDE_UNITS if suffix in (u, "M" + u)), None)
        if suffix and unit is None:
            raise ScpiError(-131, "Invalid suffix")
        if suffix.startswith("M") and unit != "DBM":
            value *= 1e-3
        ch.set_amplitude(value, unit)

    def _level_bounds(self, ch: GeneratorChannel):
        vmax = ch.display(self.model.max_level)
        return -vmax, vmax, 0.0

    def _autorange(self, ch: GeneratorChannel):
        """VOLTage:RANGe:AUTO {OFF|ON|ONCE}: off holds the attenuators, so level changes do
        not switch the relays (both guides, VOLTage:RANGe:AUTO); ONCE ranges once, then off."""

        def handler(args, query, match):
            if query:
                return str(int(ch.autorange))
            ch.autorange = choice(one_argument(args), "OFF", "ON", "ONCE", "0", "1") in ("ON", "1")

        return handler

    def _frequency_mode(self, ch: GeneratorChannel):
        def write(mode):
            if mode in ("LIST", "SWE"):
                raise not_simulated("frequency lists and sweeps are")
            ch.frequency_mode = "CW" if mode == "FIX" else mode

        return write

    def _cycles(self, ch: GeneratorChannel):
        """BURSt:NCYCles 1 to the model's maximum, or INFinity (33500 BURSt subsystem;
        33220A guide p.226); a burst period too short for them is raised (p.177, p.227)."""
        top = self.model.max_cycles

        def handler(args, query, match):
            if query:
                if args:
                    return nr3(
                        {"MIN": 1, "MAX": top}[choice(one_argument(args), "MINimum", "MAXimum")]
                    )
                return nr3(ch.cycles)
            text = one_argument(args).strip().upper()
            if text in ("INF", "INFINITY"):
                ch.cycles = math.inf
                return None
            value, error = clipped(round(number(text, 1, top, 1)), 1, top, "burst count")
            ch.cycles = int(value)
            if ch.burst_period < ch.burst_period_needed():
                ch.burst_period = ch.burst_period_needed()  # raised as needed (p.177, p.227)
            if error:
                raise error

        return handler

    def _trigger_count(self, ch: GeneratorChannel):
        """33500 TRIGger:COUNt 1 to 1,000,000 or INFinity (stored; every trigger is served)."""

        def handler(args, query, match):
            if query:
                return nr3(ch.trigger_count)
            text = one_argument(args).strip().upper()
            if text in ("INF", "INFINITY"):
                ch.trigger_count = math.inf
                return None
            self._clipped(ch, "trigger_count", (1, 1e6))(round(number(text, 1, 1e6, 1)))

        return handler

    def _trigger_source(self, ch: GeneratorChannel):
        def write(source):
            if source not in self.model.trigger_sources:
                raise illegal_value(f"trigger source {source}")
            ch.trigger_source = source
            ch.burst_start = None

        return write

    def _force_trigger(self, ch: GeneratorChannel):
        """TRIGger: a trigger from the remote interface whatever the trigger source (33220A
        guide, TRIGger); a burst in progress ignores it."""

        def handler(args, query, match):
            self._no_query(query, lambda: ch.triggered(self.bench.clock.now()))

        return handler

    def trigger(self) -> None:
        """*TRG triggers only the channels whose trigger source is BUS (both guides, *TRG);
        with none listening it is -211 Trigger ignored."""
        listening = [ch for ch in self.channels if ch.trigger_source == "BUS"]
        if not listening:
            raise ScpiError(-211, "Trigger ignored")
        for ch in listening:
            ch.triggered(self.bench.clock.now())

    def _output(self, ch: GeneratorChannel):
        def write(on):
            ch.switch_output(on, self.bench.clock.now())
            if ch is self.wired:
                self.t_replayed = self.bench.clock.now()

        return write

    def _load(self, ch: GeneratorChannel):
        """OUTPut:LOAD {<ohms>|INFinity|MIN|MAX}: 1 ohm to 10 kohm; the query answers
        9.9E+37 for INFinity (33500 guide p.62)."""

        def handler(args, query, match):
            if query:
                if args:
                    return nr3(
                        {"MIN": 1.0, "MAX": 10e3}[choice(one_argument(args), "MINimum", "MAXimum")]
                    )
                return nr3(ch.load)
            text = one_argument(args).strip().upper()
            ohms = math.inf if text in ("INF", "INFINITY") else number(text, 1.0, 10e3, 50.0)
            ch.set_load(ohms)

        return handler
