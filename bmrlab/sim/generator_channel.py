"""One output channel of a simulated function generator: its settings, the rules that tie
them together (as the guides state them), and the waveform it puts out in time.

Guides (see generator_models.py): "33500 guide" and "33220A guide", pages as printed.

Levels are kept as open-circuit volts (what the high-impedance device sees). The guides
define levels for the load the user declares with ``OUTP:LOAD``: the output has a fixed 50 ohm
series impedance, so a level programmed for a load R appears as (R + 50)/R times that level
on an open circuit (twice it for the 50 ohm setting), and changing the load setting changes
the displayed levels, not the output (33500 guide p.62, "Output Termination").

A setter that adjusts a value raises the instrument's error *after* storing the adjusted
settings, as the instrument does (the error goes to the queue, the adjusted value stays).
"""

import math
from dataclasses import dataclass

from .generator_models import GeneratorModel
from .scpi import ScpiError, data_out_of_range, settings_conflict

SERIES_OHMS = 50.0  # fixed series output impedance (33500 guide p.62)
EDGE_STEPS = 4  # a linear edge is replayed as a staircase of this many levels
EDGE_SPAN = 1 / 0.8  # an edge time is 10 % to 90 %: the whole ramp lasts 1.25 times it
EDGE_FIT = 0.8  # 0.8 x (lead + trail) must fit in the width and in the gap (see _edge_room)
FAST_PERIOD_S = 100e-6  # trains faster than this ...
FAST_CYCLES = 1000  # ... and longer than this reach the device as their mean level
BURST_GAP = 200e-9  # burst period > cycles x period + 200 ns (33220A guide p.227)
CREST_PP_PER_RMS = {
    "SIN": 2 * math.sqrt(2),
    "SQU": 2.0,
    "RAMP": 2 * math.sqrt(3),
    "TRI": 2 * math.sqrt(3),
}  # Vpp / Vrms of the shapes with a fixed crest


def clipped(value: float, low: float, high: float, what: str) -> tuple[float, ScpiError | None]:
    """A value outside the documented range is set to the nearest limit, with -222."""
    if low <= value <= high:
        return value, None
    return min(max(value, low), high), data_out_of_range(f"{what} clipped to the limit")


@dataclass
class Run:
    """Consecutive cycles of the waveform: from ``start``, ``cycles`` of them (may be inf)."""

    start: float
    cycles: float


class GeneratorChannel:
    def __init__(self, model: GeneratorModel, number: int):
        self.model = model
        self.number = number
        self.reset()

    def reset(self) -> None:
        """Power-on and ``*RST`` settings: the factory defaults of both guides (33500 guide,
        "Factory Default Settings"; 33220A guide, "Factory Default Settings" table): 1 kHz
        sine, 100 mVpp into 50 ohm, 0 V offset, Vpp units, 50 ohm load, output off, normal
        polarity, pulse 1 ms / 100 us (10 %), burst off (triggered, 1 cycle, 10 ms internal
        period, 0 degrees), trigger immediate, no delay, positive slopes."""
        m = self.model
        self.function = "SIN"
        self.frequency = 1e3
        self.high, self.low = 0.1, -0.1  # open circuit: 100 mVpp into 50 ohm
        self.unit = "VPP"
        self.load = 50.0
        self.output = False
        self.polarity = "NORM"
        self.phase = 0.0
        self.autorange = True
        self.frequency_mode = "CW"
        self.width = 100e-6
        self.hold = "WIDT"
        self.lead = self.trail = m.default_edge
        self.square_duty = 50.0
        self.ramp_symmetry = 100.0
        self.burst = False
        self.burst_mode = "TRIG"
        self.cycles: float = 1
        self.burst_period = 10e-3
        self.burst_phase = 0.0
        self.gate_polarity = "NORM"
        self.trigger_source = "IMM"
        self.trigger_delay = 0.0
        self.trigger_slope = "POS"
        self.trigger_timer = 1.0  # 33500 TRIGger:TIMer default 1 s
        self.trigger_count: float = 1
        self.trigger_out = False
        self.trigger_out_slope = "POS"
        self.sync_mode = "NORM"
        self.sync_polarity = "NORM"
        self.limits = False  # 33500 VOLTage:LIMit:STATe OFF, HIGH +5 V, LOW -5 V
        self.limit_high, self.limit_low = 5.0, -5.0
        self.t_on = 0.0  # when the output went on (or the phases were synchronised)
        self.burst_start: float | None = None  # a triggered burst runs from here

    # --- levels --------------------------------------------------------------------------
    @property
    def scale(self) -> float:
        """Displayed level per open-circuit volt for the declared load."""
        return 1.0 if math.isinf(self.load) else self.load / (self.load + SERIES_OHMS)

    @property
    def offset(self) -> float:
        return (self.high + self.low) / 2

    def display(self, volts: float) -> float:
        return volts * self.scale

    def _open_circuit(self, displayed: float) -> float:
        return displayed / self.scale

    def amplitude(self) -> float:
        """The amplitude in the present unit (VOLTage? query)."""
        return self._from_vpp(self.display(self.high - self.low))

    def _crest(self) -> float:
        crest = CREST_PP_PER_RMS.get(self.function)
        if crest is None:
            raise settings_conflict(f"{self.unit} amplitude is not defined for {self.function}")
        return crest

    def _from_vpp(self, vpp: float) -> float:
        if self.unit == "VPP":
            return vpp
        vrms = vpp / self._crest()
        if self.unit == "VRMS":
            return vrms
        return 10 * math.log10(vrms**2 / self.load / 1e-3)

    def _to_vpp(self, value: float, unit: str) -> float:
        if unit == "VPP":
            return value
        crest = self._crest()
        if unit == "VRMS":
            return value * crest
        return math.sqrt(10 ** min(value / 10, 300.0) * 1e-3 * self.load) * crest

    def set_unit(self, unit: str) -> None:
        # 33500 guide p.62: dBm needs a finite load (units are Vpp with a high impedance)
        if unit == "DBM" and math.isinf(self.load):
            raise settings_conflict("dBm needs a finite OUTP:LOAD")
        self.unit = unit

    def set_load(self, ohms: float) -> None:
        # 33500 guide p.62: 1 ohm to 10 kohm or INFinity; not while voltage limits are on;
        # the displayed levels follow, the output does not change (no error).
        if self.limits:
            raise settings_conflict("OUTP:LOAD cannot change with voltage limits on")
        error = None
        if not math.isinf(ohms):
            ohms, error = clipped(ohms, 1.0, 10e3, "load")
        self.load = ohms
        if self.unit == "DBM" and math.isinf(ohms):
            self.unit = "VPP"
        if error:
            raise error

    def set_amplitude(self, value: float, unit: str | None = None) -> None:
        """33500 guide, VOLTage: 1 mVpp to 10 Vpp into 50 ohm; with the offset,
        |offset| + Vpp/2 <= Vmax: an amplitude that does not fit is reduced (-221).
        ``unit`` (VPP, VRMS, DBM) is the one the value carries, else VOLT:UNIT."""
        if unit == "DBM" and math.isinf(self.load):
            raise settings_conflict("dBm needs a finite OUTP:LOAD")
        low, high = self.model.amplitude_range
        vpp, error = clipped(
            self._open_circuit(self._to_vpp(value, unit or self.unit)), low, high, "amplitude"
        )
        offset = self.offset
        room = 2 * (self.model.max_level - abs(offset))
        if vpp > room:
            vpp = max(room, low)
            offset = math.copysign(self.model.max_level - vpp / 2, offset) if room < low else offset
            error = error or settings_conflict("amplitude reduced to fit the offset")
        self._set_levels(offset + vpp / 2, offset - vpp / 2, error)

    def set_offset(self, value: float) -> None:
        """VOLTage:OFFSet: |offset| + Vpp/2 <= Vmax; an offset that does not fit with the
        amplitude is reduced (-221). DC uses the offset alone (up to Vmax)."""
        vmax = self.model.max_level
        offset, error = clipped(self._open_circuit(value), -vmax, vmax, "offset")
        half = (self.high - self.low) / 2
        if self.function != "DC" and abs(offset) + half > vmax:
            offset = math.copysign(vmax - half, offset)
            error = error or settings_conflict("offset reduced to fit the amplitude")
        self._set_levels(offset + half, offset - half, error)

    def set_high(self, value: float) -> None:
        """33500 guide, FUNCtion subsystem p.215 (and VOLTage:HIGH): a high level set below
        the low level moves the low level below it (by the smallest amplitude, 1 mV into
        50 ohm); below the output's range, the low level goes to the limit and the high level
        just above it; Vhigh - Vlow <= Vpp(max). The adjustment is a "Settings conflict"."""
        self._set_level(value, upper=True)

    def set_low(self, value: float) -> None:
        """The mirror of :meth:`set_high` (same guide text)."""
        self._set_level(value, upper=False)

    def _set_level(self, value: float, upper: bool) -> None:
        vmax = self.model.max_level
        min_pp, max_pp = self.model.amplitude_range
        level, error = clipped(
            self._open_circuit(value), -vmax, vmax, "high level" if upper else "low level"
        )
        sign = 1 if upper else -1  # work as if setting the high level
        mine, other = sign * level, sign * (self.low if upper else self.high)
        if mine - other < min_pp:
            other = mine - min_pp
            if other < -vmax:
                other, mine = -vmax, -vmax + min_pp
            error = error or settings_conflict("the other level was moved")
        elif mine - other > max_pp:
            other = mine - max_pp
            error = error or settings_conflict("the other level was moved")
        high, low = (mine, other) if upper else (-other, -mine)
        self._set_levels(high, low, error)

    def set_limits(
        self, on: bool | None = None, high: float | None = None, low: float | None = None
    ) -> None:
        """33500 VOLTage:LIMit:HIGH/LOW/STATe (displayed volts): with limits on, no level
        goes beyond them. Limits that the present levels break cannot be switched on."""
        new_high = self.limit_high if high is None else high
        new_low = self.limit_low if low is None else low
        if new_low >= new_high:
            raise settings_conflict("voltage limit low must be below high")
        state = self.limits if on is None else on
        if state and not (
            self.display(self.high) <= new_high and self.display(self.low) >= new_low
        ):
            raise settings_conflict("the present levels are outside the voltage limits")
        self.limits, self.limit_high, self.limit_low = state, new_high, new_low

    def _set_levels(self, high: float, low: float, error: ScpiError | None) -> None:
        if self.limits:
            top, bottom = self._open_circuit(self.limit_high), self._open_circuit(self.limit_low)
            if high > top or low < bottom:
                high, low = min(high, top), max(low, bottom)
                error = error or settings_conflict("level clipped at the voltage limit")
        self.high, self.low = high, low
        if error:
            raise error

    # --- function, frequency and pulse timing ---------------------------------------------
    @property
    def period(self) -> float:
        return 1 / self.frequency

    def pulse_duty(self) -> float:
        return 100 * self.width / self.period

    def set_function(self, shape: str) -> None:
        """FUNCtion: the frequency carries over; a shape whose maximum is below it gets its
        maximum, with "Settings conflict" (both guides, FUNCtion). Selecting PULSe applies
        the pulse rules to the kept width."""
        self._check_burst(shape, self.burst, self.burst_mode)
        self.function = shape
        top = self.model.max_frequency[shape]
        if self.frequency > top:
            self.frequency = top
            self._refit_pulse()
            raise settings_conflict(f"frequency reduced to the {shape} maximum")
        self._refit_pulse()

    def set_frequency(self, hertz: float) -> None:
        top = self.model.max_frequency[self.function]
        hertz, error = clipped(hertz, self.model.min_frequency, top, "frequency")
        self._change_period(1 / hertz, error)

    def set_period(self, seconds: float) -> None:
        low, high = self.model.period_range
        seconds, error = clipped(seconds, low, high, "period")
        self._change_period(seconds, error)

    def _change_period(self, period: float, error: ScpiError | None) -> None:
        """FUNCtion:PULSe:HOLD decides what stays when the period changes: the width or the
        duty cycle (33500 guide, FUNCtion:PULSe:HOLD)."""
        duty = self.pulse_duty()
        self.frequency = 1 / period
        if self.hold == "DCYC":
            self.width = duty / 100 * period
        self._refit_pulse(error)

    def _refit_pulse(self, error: ScpiError | None = None) -> None:
        """33220A guide p.192 (PULSe:PERiod): Period > Width + 1.6 x Edge time, else the edge
        time is minimised first, then the width adjusted, with "Settings conflict"; 33500
        guide p.69: Wmin <= width <= Period - Wmin. Only a pulse is refitted."""
        if self.function != "PULS":
            if error:
                raise error
            return
        width, lead, trail, adjusted = self._fit(
            self.width, self.lead, self.trail, minimise_edges=True
        )
        self.width, self.lead, self.trail = width, lead, trail
        if adjusted:
            error = error or settings_conflict("pulse width or edge time adjusted to the period")
        if error:
            raise error

    def _fit(self, width: float, lead: float, trail: float, minimise_edges: bool = False):
        """Width and edges that fit the period: the edges go first (shortened just enough,
        or to their minimum after a period change, 33220A guide p.192), then the width."""
        period, edge_min = self.period, self.model.edge_range[0]
        wmin = self.model.min_width(period)
        fitted = min(max(width, wmin), period - wmin)
        room = self._edge_room(fitted)
        if lead + trail > room:
            shrink = 0.0 if minimise_edges else room / (lead + trail)
            lead, trail = max(lead * shrink, edge_min), max(trail * shrink, edge_min)
        need = EDGE_FIT * (lead + trail)
        fitted = min(max(fitted, need), period - need)
        return fitted, lead, trail, (fitted, lead, trail) != (width, self.lead, self.trail)

    def _edge_room(self, width: float) -> float:
        """Largest lead + trail for ``width``: 1.6 x edge time must fit in the width and in
        the rest of the period (33220A guide p.192/193, Edge time <= 0.625 x width; the
        33500 guide p.69: longer edges need longer pulses)."""
        return min(width, self.period - width) / EDGE_FIT

    def set_width(self, seconds: float) -> None:
        """FUNCtion:PULSe:WIDTh. Width <= Period - Wmin, else the width is reduced with
        "Settings conflict" (33500 guide p.69; 33220A guide p.193); an edge that does not fit
        the width is shortened first, then the width, with the model's edge error."""
        low, high = self.model.width_range
        width, error = clipped(seconds, low, high, "pulse width")
        period, wmin = self.period, self.model.min_width(self.period)
        if not wmin <= width <= period - wmin:
            width = min(max(width, wmin), period - wmin)
            error = error or settings_conflict("pulse width must be below period - Wmin")
        fitted, lead, trail, _ = self._fit(width, self.lead, self.trail)
        if (fitted, lead, trail) != (width, self.lead, self.trail):
            error = error or ScpiError(
                self.model.edge_conflict_code,
                "Settings conflict; edge time does not fit the width"
                if self.model.edge_conflict_code == -221
                else "Data out of range; edge time does not fit the width",
            )
        self.width, self.lead, self.trail = fitted, lead, trail
        if error:
            raise error

    def set_pulse_duty(self, percent: float) -> None:
        """FUNCtion:PULSe:DCYCle: the duty cycle becomes a width (33500 guide p.69)."""
        low, high = self.model.pulse_duty_range
        percent, error = clipped(percent, low, high, "duty cycle")
        try:
            self.set_width(percent / 100 * self.period)
        except ScpiError as width_error:
            error = error or width_error
        if error:
            raise error

    def set_edges(self, lead: float | None, trail: float | None) -> None:
        """FUNCtion:PULSe:TRANsition[:BOTH|:LEADing|:TRAiling]: 8.4 ns to 1 us on the 33500,
        5 ns to 100 ns on the 33220A; an edge that does not fit the width (or the gap) is
        shortened, with the model's edge error (33220A guide p.193: "Data out of range")."""
        low, high = self.model.edge_range
        error = None
        if lead is not None:
            lead, error = clipped(lead, low, high, "edge time")
        if trail is not None:
            trail, trail_error = clipped(trail, low, high, "edge time")
            error = error or trail_error
        lead = self.lead if lead is None else lead
        trail = self.trail if trail is None else trail
        room = self._edge_room(self.width)
        if lead + trail > room:
            shrink = room / (lead + trail)
            lead, trail = max(lead * shrink, low), max(trail * shrink, low)
            code = self.model.edge_conflict_code
            error = error or ScpiError(
                code,
                ("Settings conflict" if code == -221 else "Data out of range")
                + "; edge time shortened",
            )
        self.lead, self.trail = lead, trail
        if error:
            raise error

    # --- bursts and triggers ---------------------------------------------------------------
    @staticmethod
    def _check_burst(shape: str, burst: bool, mode: str) -> None:
        """Bursts take sine, square, ramp, pulse (and arbitrary) waveforms; noise only in
        gated mode; never DC (33220A guide ch.3 "Burst Mode"; 33500 guide, BURSt subsystem)."""
        if burst and shape == "DC":
            raise settings_conflict("bursts are not available with DC")
        if burst and shape == "NOIS" and mode == "TRIG":
            raise settings_conflict("noise bursts are gated only")

    def set_burst(self, on: bool) -> None:
        self._check_burst(self.function, on, self.burst_mode)
        self.burst = on
        self.burst_start = None

    def set_burst_mode(self, mode: str) -> None:
        self._check_burst(self.function, self.burst, mode)
        self.burst_mode = mode
        self.burst_start = None

    def burst_period_needed(self) -> float:
        return self.cycles * self.period + BURST_GAP

    def set_burst_period(self, seconds: float) -> None:
        """BURSt:INTernal:PERiod: too short for the cycles is raised to what they need
        (33500 guide p.177, "Settings conflict"; 33220A guide p.227, "Data out of range")."""
        low, high = self.model.burst_period_range
        seconds, error = clipped(seconds, low, high, "burst period")
        if not math.isinf(self.cycles) and seconds < self.burst_period_needed():
            seconds = self.burst_period_needed()
            code = self.model.burst_period_code
            error = error or ScpiError(
                code,
                ("Settings conflict" if code == -221 else "Data out of range")
                + "; burst period raised",
            )
        self.burst_period = seconds
        if error:
            raise error

    def switch_output(self, on: bool, now: float) -> None:
        if on and not self.output:
            self.t_on = now
            self.burst_start = None
        self.output = on

    def synchronise_phase(self, now: float) -> None:
        """33500 PHASe:SYNChronize: the waveform restarts now."""
        self.t_on = now
        self.burst_start = None

    def triggered(self, now: float) -> bool:
        """A trigger (bus, or TRIGger) starts one burst after TRIG:DELay, unless a burst is
        still running; a gated burst or a continuous waveform ignores triggers."""
        if not (self.burst and self.burst_mode == "TRIG"):
            return False
        if self.trigger_source not in ("BUS", "EXT"):
            return False
        if self.burst_start is not None and now < self.busy_until(now):
            return False
        self.burst_start = now + self.trigger_delay
        return True

    def busy_until(self, now: float) -> float:
        """End of the triggered burst in progress (``*OPC?`` waits for it)."""
        if self.burst_start is None or math.isinf(self.cycles):
            return now
        return max(now, self.burst_start + self.cycles * self.period)

    # --- the waveform in time ----------------------------------------------------------------
    def _runs(self, t: float) -> list[Run]:
        """The run of cycles under way at ``t`` (or the last one before it) and the next one."""
        if not self.output:
            return []
        if not self.burst:  # continuous: PHASe shifts the waveform within its period
            shift = (self.phase / 360.0) % 1.0 * self.period
            return [Run(self.t_on - shift, math.inf)]
        if self.burst_mode == "GAT":
            return []  # the rear Trig In (the gate) is not wired in the simulation
        if self.trigger_source in ("IMM", "TIM"):
            every = (
                max(self.burst_period, self.burst_period_needed())
                if self.trigger_source == "IMM"
                else self.trigger_timer
            )
            first = self.t_on + self.trigger_delay
            if math.isinf(self.cycles):
                return [Run(first, math.inf)]
            k = max(0, math.floor((t - first) / every))
            return [Run(first + k * every, self.cycles), Run(first + (k + 1) * every, self.cycles)]
        if self.burst_start is None:
            return []
        return [Run(self.burst_start, self.cycles)]

    def _shape(self):
        """(width, lead, trail) of the simulated rectangular shapes, else None."""
        if self.function == "PULS":
            return self.width, self.lead, self.trail
        if self.function == "SQU":
            edge = self.model.square_edge
            return self.square_duty / 100 * self.period, edge, edge
        return None

    def _breakpoints(self, shape) -> list[float]:
        """Times within a cycle where the staircase of the edges changes level."""
        width, lead, trail = shape
        rise, fall = lead * EDGE_SPAN, trail * EDGE_SPAN
        fall_start = rise / 2 + width - fall / 2  # the 50 % points are `width` apart
        return [rise * j / EDGE_STEPS for j in range(EDGE_STEPS + 1)] + [
            fall_start + fall * j / EDGE_STEPS for j in range(EDGE_STEPS + 1)
        ]

    @staticmethod
    def _fraction(shape, position: float) -> float:
        """How far up the pulse is at ``position`` into its cycle (0 low, 1 high)."""
        width, lead, trail = shape
        rise, fall = lead * EDGE_SPAN, trail * EDGE_SPAN
        fall_start = rise / 2 + width - fall / 2
        if position < rise:
            return (math.floor(position / rise * EDGE_STEPS) + 0.5) / EDGE_STEPS
        if position < fall_start:
            return 1.0
        if position < fall_start + fall:
            step = math.floor((position - fall_start) / fall * EDGE_STEPS)
            return 1.0 - (step + 0.5) / EDGE_STEPS
        return 0.0

    def approximated(self) -> bool:
        """True when the device gets a mean level instead of the waveform: the shapes not
        simulated (sine, ramp, noise ...) and the fast trains of :meth:`_averaged`."""
        return (self._shape() is None and self.function != "DC") or self._averaged()

    def _averaged(self) -> bool:
        """A long train faster than FAST_PERIOD_S would take millions of events a second:
        it is replaced by its mean (a triggered burst of few cycles never is)."""
        if self._shape() is None or self.period >= FAST_PERIOD_S:
            return False
        few = not math.isinf(self.cycles) and self.cycles <= FAST_CYCLES
        return not (self.burst and self.trigger_source in ("BUS", "EXT") and few)

    def _averaged_runs(self, shape) -> tuple[list[Run], float]:
        """An averaged train as runs of constant level and the level's fraction between low
        (0) and high (1): width over period (exact for linear edges). Bursts that repeat on
        their own are spread over their repetition into one endless run."""
        fraction = shape[0] / self.period
        runs = self._runs(self.t_on)
        if self.burst and self.trigger_source in ("IMM", "TIM") and len(runs) == 2:
            fraction *= self.cycles * self.period / (runs[1].start - runs[0].start)
            return [Run(runs[0].start, math.inf)], fraction
        return runs, fraction

    def level_at(self, t: float) -> float:
        """Open-circuit output at ``t``. Pulse and square follow their cycles and edges;
        between bursts a pulse rests at its low level; DC and the shapes not simulated
        (sine, ramp, noise ...) give their offset. OUTP:POL INV mirrors the waveform about
        the offset (33500 guide, OUTPut[1|2]:POLarity)."""
        shape = self._shape()
        value = self.offset
        if shape is not None:
            value = self.low
            averaged = self._averaged()
            runs, mean = self._averaged_runs(shape) if averaged else (self._runs(t), 0.0)
            for run in runs:
                k = math.floor((t - run.start) / self.period)
                if run.start <= t and k < run.cycles:
                    fraction = (
                        mean if averaged else self._fraction(shape, t - run.start - k * self.period)
                    )
                    value = self.low + (self.high - self.low) * fraction
        return self.high + self.low - value if self.polarity == "INV" else value

    def next_change_after(self, t: float) -> float:
        """The next time after ``t`` at which :meth:`level_at` changes."""
        shape = self._shape()
        if shape is None:
            return math.inf
        offsets = self._breakpoints(shape)
        margin = 1e-14 * max(1.0, abs(t))  # an edge just replayed must not come round again
        best = math.inf
        if self._averaged():  # only where a run starts and ends
            for run in self._averaged_runs(shape)[0]:
                for edge in (run.start, run.start + run.cycles * self.period):
                    if edge > t + margin:
                        best = min(best, edge)
            return best
        for run in self._runs(t):
            k = max(0, math.floor((t - run.start) / self.period))
            for cycle in (k, k + 1):
                if cycle >= run.cycles:
                    break
                base = run.start + cycle * self.period
                later = [base + o for o in offsets if base + o > t + margin]
                if later:
                    best = min(best, later[0])
                    break
        return best
