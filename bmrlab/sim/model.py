"""The bio-voltage memristor model (docs/simulator.md), solved exactly between events.

Every source that drives the device is piecewise constant, so the two state variables have
closed-form solutions on each constant segment: the gap closure ``x`` relaxes exponentially
towards ``x* = tau_x g(V)``, and the filament strength ``w`` moves linearly. The model jumps
from event to event (bridge, rupture, STP->LTP crossing, w_max clamp) instead of stepping in
time, which makes it exact and fast: a 10^4-cycle endurance costs a few 10^4 events.
"""

import math
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import brentq

# A positive drive from rest is a new set attempt (a new draw of tau0) when the rest since the
# last positive drive lasted long enough for a closed gap to relax below this closure
# (tau_x ln 20), or when the device has set since the last draw: each set event draws its own
# nucleation time, even where a slowly relaxing gap is still partly closed when the next
# stimulus comes (else every later pulse would repeat one draw). The rest, not the gap's
# closure, decides: a closure depends on the draw itself, and a draw that closed the gap
# during a 20 mV read (a fast one) would be kept for the sweep that follows while a slow one
# was drawn again, biasing the sets toward fast draws (ag-pnw-pd read its Vset 10 % low).
FRESH_ATTEMPT_X = 0.05
# Largest argument of the sinh rate laws. At V = 200 V0 a switch takes ~2 tau0 e^-200, far
# below anything an instrument resolves, while sinh overflows a float beyond ~710: a drive of
# -9 V or +100 V (which a real SMU accepts) must give an answer, not an OverflowError.
MAX_RATE_EXPONENT = 200.0


def fresh_attempt_rest(tau_x: float) -> float:
    """The rest at 0 V after which a positive drive is a new set attempt: a closed gap
    relaxes below ``FRESH_ATTEMPT_X`` in it (tau_x ln 20)."""
    return tau_x * math.log(1.0 / FRESH_ATTEMPT_X)


def _sinh_rate(z: float) -> float:
    """sinh(z) for a rate law, saturated at |z| = MAX_RATE_EXPONENT."""
    return math.sinh(max(-MAX_RATE_EXPONENT, min(z, MAX_RATE_EXPONENT)))


class ModelParams(BaseModel):
    """Physical parameters of one simulated device (SI units: S, s, V, A)."""

    model_config = ConfigDict(extra="forbid")

    G_off: float = Field(gt=0, description="HRS conductance")
    G_on: float = Field(gt=0, description="LRS (bridged) conductance")
    tau0: float = Field(gt=0, description="nucleation time constant at 0 V")
    V0: float = Field(gt=0, description="voltage scale of the set kinetics")
    tau_x: float = Field(gt=0, description="relaxation time of the gap closure x")
    k_d0: float = Field(ge=0, description="filament dissolution rate below w_LTP")
    w_max: float = Field(gt=0, description="largest filament strength (s of I_ref)")
    w_LTP: float = Field(default=math.inf, ge=0, description="strength where LTP begins")
    k_LTP: float = Field(default=0.0, ge=0, description="dissolution rate above w_LTP")
    tau0r_w: float | None = Field(default=None, gt=0, description="field-driven reset time")
    N_fail: float | None = Field(default=None, gt=0, description="cycles until On/Off = 10")
    a: float = Field(default=5.0, ge=0)
    L: float = Field(default=1000.0, gt=0)
    V0r: float = Field(default=0.01, gt=0)
    tau0r: float = Field(default=0.01, gt=0)
    I_ref: float = Field(default=1e-6, gt=0)
    sigma_tau0: float = Field(default=0.25, ge=0, description="per-cycle spread of ln tau0")
    sigma_tau0r_w: float = Field(default=0.25, ge=0)
    tau_c: float | None = Field(
        default=None, gt=0, description="ion-supply recovery time; None: no depression"
    )
    kappa: float = Field(default=0.0, ge=0, description="ion-supply depletion per drive")


@dataclass
class Watchdog:
    """What the device has been exposed to, so tests can prove bmrlab never harmed it."""

    max_abs_v: float = 0.0
    overshoots: list = field(default_factory=list)  # (t, volts, seconds, source)


class WatchedPart:
    """Anything at the probes: its present time ``t`` and the watchdog of what reached it."""

    t: float
    watchdog: Watchdog

    def expose(
        self, v: float, t: float | None = None, seconds: float = 0.0, source: str = ""
    ) -> None:
        """Record a voltage at the part; a glitch also goes into the overshoot list."""
        self.watchdog.max_abs_v = max(self.watchdog.max_abs_v, abs(v))
        if seconds:
            self.watchdog.overshoots.append((self.t if t is None else t, v, seconds, source))


class BmrDevice(WatchedPart):
    """One simulated device. Call :meth:`advance` with the drive held since the last call."""

    def __init__(self, params: ModelParams, seed: int = 0, name: str = "dut"):
        self.p = params
        self.name = name
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.t = 0.0
        self.x = 0.0
        self.w = 0.0
        self.bridged = False
        self.c = 1.0  # ion supply (depression); stays 1 without tau_c
        self.v_last = 0.0
        self.positive_ended = -math.inf  # when the last positive drive ended
        self.sets = 0
        self.set_since_draw = False
        self.watchdog = Watchdog()
        self.tau0 = self._draw(params.tau0, params.sigma_tau0)
        self.tau0r_w = self._draw(params.tau0r_w, params.sigma_tau0r_w)

    # --- conductance -----------------------------------------------------------------
    def _loss(self) -> float:
        """Decades of On/Off window lost to cycling (closes near N_fail)."""
        p = self.p
        if p.N_fail is None:
            return 0.0
        r0 = math.log10(p.G_on / p.G_off)
        return min(r0, (r0 - 1.0) * (self.sets / p.N_fail) ** 8)

    def g_off(self) -> float:
        return self.p.G_off * 10 ** (0.7 * self._loss())

    def g_on(self) -> float:
        return self.p.G_on * 10 ** (-0.3 * self._loss())

    def conductance(self) -> float:
        if self.bridged:
            return self.g_on()
        return self.g_off() * (1 + self.p.a * self.x) + self.g_on() * math.exp(
            -self.p.L * (1 - self.x)
        )

    def current(self, v: float, i_limit: float = math.inf) -> tuple[float, bool]:
        """Device current at drive ``v`` and whether the source's current limit clipped it."""
        i = self.conductance() * v
        if abs(i) > i_limit:
            return math.copysign(i_limit, v), True
        return i, False

    # --- kinetics ----------------------------------------------------------------------
    def g_rate(self, v: float) -> float:
        """Ion-drive rate g(V) of the gap closure."""
        if v >= 0:
            return _sinh_rate(v / self.p.V0) / self.tau0
        return -_sinh_rate(-v / self.p.V0r) / self.p.tau0r

    def _k(self, upper: bool) -> float:
        return self.p.k_LTP if upper else self.p.k_d0

    def _w_rate(self, v: float, i_limit: float, upper: bool) -> float:
        if v >= 0:
            return min(self.g_on() * v, i_limit) / self.p.I_ref - self._k(upper)
        reset = _sinh_rate(-v / self.p.V0r) / self.tau0r_w if self.tau0r_w else 0.0
        return -self._k(upper) - reset

    def advance(self, t_end: float, v: float, i_limit: float = math.inf) -> None:
        """Evolve exactly from ``self.t`` to ``t_end`` under a constant drive ``v``."""
        if t_end <= self.t:
            return
        if v > 0 >= self.v_last and not self.bridged and (self._rested() or self.set_since_draw):
            self.tau0 = self._draw(self.p.tau0, self.p.sigma_tau0)  # a new set attempt
            self.set_since_draw = False
        elif v <= 0 < self.v_last:
            self.positive_ended = self.t
        self.v_last = v
        v_seen = v
        if self.bridged and abs(self.g_on() * v) > i_limit:
            v_seen = math.copysign(i_limit / self.g_on(), v)
        self.expose(v_seen)
        guard = 0
        while self.t < t_end:
            step = self._bridged_step if self.bridged else self._open_step
            step(t_end, v, i_limit)
            guard += 1
            if guard > 10_000:  # a drive that balances two events: hold the state
                self.t = t_end

    def _rested(self) -> bool:
        """Whether the rest since the last positive drive relaxes any closure below
        ``FRESH_ATTEMPT_X`` (whatever this draw closed)."""
        return self.t - self.positive_ended >= fresh_attempt_rest(self.p.tau_x)

    def _supply(self, v: float) -> tuple[float, float]:
        """Ion supply c: steady value and rate under drive ``v`` (no depression: 1, 0)."""
        p = self.p
        if p.tau_c is None:
            return 1.0, 0.0
        rate = 1.0 / p.tau_c + p.kappa * max(self.g_rate(v), 0.0)
        return 1.0 / (p.tau_c * rate), rate

    def _evolve_supply(self, v: float, dt: float) -> None:
        c_star, rate = self._supply(v)
        self.c = c_star + (self.c - c_star) * math.exp(-rate * dt)

    def time_to_set(self, v: float, i_limit: float = math.inf, t_max: float = 1e4) -> float | None:
        """Hold ``v`` until the gap bridges (exactly: the bridge is an event); None if not
        within ``t_max``. The device is left where it is then."""
        start, end = self.t, self.t + t_max
        while not self.bridged and self.t < end:
            self._open_step(end, v, i_limit)
        return self.t - start if self.bridged else None

    def _open_step(self, t_end: float, v: float, i_limit: float) -> None:
        """Gap closure: x(t) = A + B exp(-r t) + C exp(-t/tau_x), bridging where x = 1."""
        p = self.p
        dt = t_end - self.t
        g = self.g_rate(v)
        c_star, rate = self._supply(v)
        k = 1.0 / p.tau_x
        if abs(rate - k) < 1e-9 * k:
            rate *= 1 + 1e-6  # keep the two exponentials apart
        a = p.tau_x * g * c_star
        b = g * (self.c - c_star) / (k - rate) if rate else 0.0
        cc = self.x - a - b

        def x_at(t):
            return a + b * math.exp(-rate * t) + cc * math.exp(-k * t)

        t_bridge = self._first_bridge(x_at, a, dt) if g > 0 else None
        if t_bridge is not None:
            self.t += t_bridge
            self._evolve_supply(v, t_bridge)
            self._bridge()
            return
        self.x = min(1.0, max(0.0, x_at(dt)))
        self._evolve_supply(v, dt)
        self.t = t_end

    def _first_bridge(self, x_at, x_star: float, dt: float) -> float | None:
        """Earliest t in [0, dt] where x reaches 1 (exact root of the closed form). A gap just
        ruptured (x = 1) bridges again only if the drive still closes it."""
        if self.x >= 1.0:
            return 0.0 if x_at(1e-9 * max(dt, 1e-6)) >= 1.0 else None
        if self.p.tau_c is None:  # one exponential towards x_star: closed form
            if x_star <= 1.0:
                return None
            t = self.p.tau_x * math.log((x_star - self.x) / (x_star - 1.0))
            return t if t <= dt else None
        grid = np.linspace(0.0, dt, 65)
        values = [x_at(t) - 1.0 for t in grid]
        for t0, t1, f0, f1 in zip(grid, grid[1:], values, values[1:], strict=False):
            if f0 < 0 <= f1:
                return brentq(lambda t: x_at(t) - 1.0, t0, t1, xtol=1e-12)
        return None

    def _bridge(self) -> None:
        self.bridged = True
        self.x = 1.0
        self.w = 0.0
        self.sets += 1
        self.set_since_draw = True
        self.tau0r_w = self._draw(self.p.tau0r_w, self.p.sigma_tau0r_w)

    def _bridged_step(self, t_end: float, v: float, i_limit: float) -> None:
        p = self.p
        dt = t_end - self.t
        upper_rate = self._w_rate(v, i_limit, upper=True)
        lower_rate = self._w_rate(v, i_limit, upper=False)
        if self.w > p.w_LTP or (self.w == p.w_LTP and upper_rate > 0):
            rate, floor, ceiling = upper_rate, p.w_LTP, p.w_max
        else:
            rate, floor, ceiling = lower_rate, 0.0, min(p.w_LTP, p.w_max)
        t_start = self.t
        self._bridged_w(rate, floor, ceiling, dt, t_end, v)
        self._evolve_supply(v, self.t - t_start)

    def _bridged_w(self, rate, floor, ceiling, dt, t_end, v) -> None:
        p = self.p
        if rate > 0:
            t_hit = (ceiling - self.w) / rate
            if t_hit > dt:
                self.w += rate * dt
                self.t = t_end
            elif ceiling >= p.w_max:  # clamp at w_max for the rest of the segment
                self.w = p.w_max
                self.t = t_end
            else:
                self.w = ceiling
                self.t += t_hit
        elif rate < 0:
            t_hit = (self.w - floor) / -rate
            if t_hit > dt:
                self.w += rate * dt
                self.t = t_end
            else:
                self.w = floor
                self.t += t_hit
                if floor == 0.0:
                    self._at_zero_strength(t_end, v)
        else:
            self.t = t_end

    def _at_zero_strength(self, t_end: float, v: float) -> None:
        """Rupture, unless the drive alone would bridge the gap again at once."""
        if self.p.tau_x * self.g_rate(v) >= 1.0:
            self.t = t_end  # a marginal filament held by the drive
            return
        self.bridged = False
        self.x = 1.0

    def _draw(self, median: float | None, sigma: float) -> float | None:
        if median is None:
            return None
        return median * math.exp(sigma * self.rng.standard_normal()) if sigma else median
