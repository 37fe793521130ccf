"""Model parameters from published figures, so that measuring gives the figures back.

Each figure is first "measured" on the bare model under the standard conditions
(:func:`model_figures`: the same sweep, pulse and read schemes the protocols use, without
instruments or noise), then the parameters it depends on are solved for, analytically where
the relations allow (On/Off, endurance) and otherwise with a root finder on the simulated
measurement (Vset and delay together fix tau0 and V0; retention fixes k_d0; Vreset fixes
tau0r_w). Parameters written in the device file's ``model:`` are kept as they are.
"""

import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from .. import standard
from ..errors import BadInput
from .model import BmrDevice, ModelParams

CALIBRATION_VERSION = 2  # bump when the model or the standard conditions change
DEFAULTS = {"G_on": 1e-5, "tau_x": 10e-3}
DEFAULT_V0 = 0.03  # without a delay figure, the set kinetics scale (V)
SLOWER_TAU_X = (0.1, 1.0, 10.0)  # gap relaxation times tried when the default cannot fit
DEFAULT_FIGURES = {"vset_mV": 80.0, "on_off_ratio": 1e4, "retention_ms": 30.0}
NONVOLATILE = {"k_d0": 0.0, "w_max": 0.05, "w_LTP": 0.0, "k_LTP": 1e-9}
MEASURE_FRACTION = 0.7  # where in a sweep step the SMU's reading falls


# --- the standard measurements, on the bare model ----------------------------------------
def _device(params: ModelParams) -> BmrDevice:
    return BmrDevice(params.model_copy(update={"sigma_tau0": 0.0, "sigma_tau0r_w": 0.0}))


def sweep_vset(params: ModelParams, icc: float, dwell: float, v_max: float = 1.0) -> float | None:
    """Set voltage of a standard up-sweep from the relaxed state (continuous in the
    parameters: the step level plus where in the step the bridge formed)."""
    d = _device(params)
    step = standard.SWEEP_STEP_V
    d.advance(dwell, standard.V_READ, icc)  # the HRS read before the cycle
    level = 0.0
    while level < v_max:
        level += step
        t = d.time_to_set(level, icc, t_max=dwell)
        if t is not None:
            return level + step * (t / dwell - MEASURE_FRACTION + 0.5)
    return None


def sweep_vreset(params: ModelParams, icc: float, dwell: float, v_max: float,
                 v_neg: float) -> float | None:
    """|V| of the reset on the negative branch of a standard bipolar sweep."""
    d = _device(params)
    step = standard.SWEEP_STEP_V
    for level in np.r_[np.arange(step, v_max + step / 2, step), np.arange(v_max, 0, -step)]:
        d.advance(d.t + dwell, level, icc)
    if not d.bridged:
        return None
    level = 0.0
    while level < v_neg:
        level += step
        d.advance(d.t + dwell, -level, icc)
        if not d.bridged:
            return level
    return None


def delay(params: ModelParams, v: float, icc: float) -> float | None:
    return _device(params).time_to_set(v, icc, t_max=1e3)


def retention(params: ModelParams, v: float, width: float, icc: float,
              expected: float) -> float | None:
    """Time from the end of a (v, width) pulse until a read finds the conductance below
    sqrt(G_on G_off); reads as the retention protocol makes them."""
    d = _device(params)
    d.advance(width, v, icc)
    if not d.bridged:
        return 0.0
    threshold = math.sqrt(d.g_on() * d.g_off())
    read = standard.RETENTION_READ_S
    period = max(expected / standard.RETENTION_READS, read / standard.RETENTION_READ_DUTY)
    start = d.t
    while d.t - start < 100 * expected:
        d.advance(d.t + period - read, 0.0, icc)
        d.advance(d.t + read, standard.V_READ, icc)
        if d.conductance() < threshold:
            return d.t - start
    return None


def hrs_read_closure(params: ModelParams, dwell: float) -> float:
    """Gap closure reached during the HRS read (one sweep step at V_READ, read at 70 %)."""
    d = _device(params)
    d.advance(dwell * MEASURE_FRACTION, standard.V_READ)
    return d.x


def on_off(params: ModelParams, dwell: float) -> float:
    return params.G_on / (params.G_off * (1 + params.a * hrs_read_closure(params, dwell)))


def model_figures(params: ModelParams, volatile: bool, conditions: dict,
                  expected_retention_ms: float = DEFAULT_FIGURES["retention_ms"]) -> dict:
    """The Table 1 figures of the bare model under the standard conditions; the retention
    reads are spaced for ``expected_retention_ms`` (the published figure, if there is one)."""
    icc, dwell = conditions["compliance"], conditions["sweep_dwell_s"]
    figures = {"on_off_ratio": on_off(params, dwell), "volatile": volatile}
    vset = sweep_vset(params, icc, dwell)
    figures["vset_mV"] = vset * 1e3 if vset is not None else None
    if params.N_fail:
        figures["endurance_cycles"] = params.N_fail
    v_d = conditions["delay_at_mV"] * 1e-3
    t_d = delay(params, v_d, icc)
    figures["delay_ms"] = t_d * 1e3 if t_d is not None else None
    if volatile:
        v_p, w_p = conditions["retention_pulse_mV"] * 1e-3, conditions["retention_pulse_ms"] * 1e-3
        r = retention(params, v_p, w_p, icc, expected_retention_ms * 1e-3)
        figures["retention_ms"] = r * 1e3 if r is not None else None
    else:
        v_sweep = conditions["sweep_v_max"]
        vr = sweep_vreset(params, icc, dwell, v_sweep, v_sweep)
        figures["vreset_mV"] = vr * 1e3 if vr is not None else None
    return figures


# --- solving for the parameters -------------------------------------------------------------
_NOT_YET = {"G_off": 1e-10, "k_d0": 0.1, "w_max": 1e-2}  # while earlier figures are solved


def _model(p: dict) -> ModelParams:
    """Parameters under solution: those not solved yet do not affect the figure at hand."""
    return ModelParams(**{**_NOT_YET, **p})


class NoSolution(Exception):
    """The figure cannot be met in the searched range of the parameter."""


def _log_root(f, lo: float, hi: float, what: str, points: int = 24) -> float:
    """Root of f(exp(u)) for u in [ln lo, ln hi], bracketed on a log grid first. Grid points
    where f has no value (NaN, or NoSolution) are passed over."""
    grid = np.linspace(math.log(lo), math.log(hi), points)

    def value(u):
        try:
            return f(math.exp(u))
        except NoSolution:
            return math.nan
    values = [value(u) for u in grid]
    for u0, u1, f0, f1 in zip(grid, grid[1:], values, values[1:], strict=False):
        if f0 == 0:
            return math.exp(u0)
        if f0 * f1 < 0:
            return math.exp(brentq(lambda u: f(math.exp(u)), u0, u1, xtol=1e-6))
    raise NoSolution(what)


def _solve_tau0(p: dict, vset: float, icc: float, dwell: float) -> float:
    def mismatch(tau0):
        got = sweep_vset(_model({**p, "tau0": tau0}), icc, dwell, v_max=3 * vset + 0.1)
        return (got if got is not None else 10.0) - vset
    return _log_root(mismatch, 1e-12, 1e200, f"Vset {vset * 1e3:g} mV", points=48)


def _solve_set_kinetics(p: dict, f: dict, icc: float, dwell: float, v_delay: float) -> dict:
    vset = f.get("vset_mV", DEFAULT_FIGURES["vset_mV"]) * 1e-3
    t_d = f.get("delay_ms")
    if "V0" in p or t_d is None:
        v0 = p.get("V0", DEFAULT_V0)
        return {"V0": v0, "tau0": _solve_tau0({**p, "V0": v0}, vset, icc, dwell)}

    def delay_mismatch(v0):
        q = {**p, "V0": v0}
        q["tau0"] = _solve_tau0(q, vset, icc, dwell)
        got = delay(_model(q), v_delay, icc)
        return math.log(max(got, 1e-300) if got is not None else 1e6) - math.log(t_d * 1e-3)
    v0 = _log_root(delay_mismatch, 1e-3, 0.5, f"Vset {vset * 1e3:g} mV with a delay of "
                   f"{t_d:g} ms at {v_delay * 1e3:g} mV", points=16)
    return {"V0": v0, "tau0": _solve_tau0({**p, "V0": v0}, vset, icc, dwell)}


def _solve_set_kinetics_any_tau_x(p: dict, f: dict, icc: float, dwell: float,
                                  v_delay: float, fixed: bool) -> dict:
    """A delay long at the set voltage needs a slowly relaxing gap: when the default tau_x
    cannot meet Vset and delay together, try slower ones (unless the file fixes tau_x)."""
    tried = [p["tau_x"]] if fixed else [p["tau_x"], *SLOWER_TAU_X]
    for tau_x in tried:
        try:
            return {"tau_x": tau_x,
                    **_solve_set_kinetics({**p, "tau_x": tau_x}, f, icc, dwell, v_delay)}
        except NoSolution as error:
            failure = error
    raise failure


def _solve_retention(p: dict, f: dict, conditions: dict, icc: float) -> dict:
    target = f.get("retention_ms", DEFAULT_FIGURES["retention_ms"]) * 1e-3
    v_p = conditions["retention_pulse_mV"] * 1e-3
    w_p = conditions["retention_pulse_ms"] * 1e-3
    open_ended = {**p, "w_max": 1e3, "w_LTP": math.inf}

    def mismatch(k):
        got = retention(_model({**open_ended, "k_d0": k}), v_p, w_p, icc, target)
        return math.log(max(got, 1e-9) if got is not None else 1e9) - math.log(target)
    drive = min(p["G_on"] * v_p, icc) / p.get("I_ref", 1e-6)
    k = _log_root(mismatch, 1e-6 * drive, drive * (1 - 1e-9), f"retention {target * 1e3:g} ms")
    t_d = delay(_model({**open_ended, "k_d0": k}), v_p, icc) or 0.0
    w_end = (drive - k) * max(w_p - t_d, 0.0)
    # large enough not to cap the standard pulse, small enough to relax between I-V cycles
    w_max = max(1.5 * w_end, min(12e-3, 0.2 * k * standard.IV_REST_S))
    return {"k_d0": k, "w_max": w_max}


def _solve_reset(p: dict, f: dict, icc: float, dwell: float) -> dict:
    target = f.get("vreset_mV", f.get("vset_mV", DEFAULT_FIGURES["vset_mV"])) * 1e-3
    v_sweep = standard.SWEEP_V_MAX

    def mismatch(tau):
        got = sweep_vreset(_model({**p, "tau0r_w": tau}), icc, dwell, v_sweep, v_sweep)
        return (got if got is not None else 10.0) - target
    return {"tau0r_w": _log_root(mismatch, 1e-6, 1e9, f"Vreset {target * 1e3:g} mV")}


def calibrate(volatile: bool, figures: dict, explicit: dict, conditions: dict) -> ModelParams:
    """Parameters that reproduce ``figures`` under ``conditions``; ``explicit`` ones are kept."""
    try:
        return _calibrate(volatile, {k: v for k, v in figures.items() if v is not None},
                          explicit, conditions)
    except NoSolution as error:
        raise BadInput(f"the model cannot reproduce these figures together ({error})") from None


def _calibrate(volatile: bool, f: dict, explicit: dict, conditions: dict) -> ModelParams:
    icc, dwell = conditions["compliance"], conditions["sweep_dwell_s"]
    p = {**DEFAULTS, **({} if volatile else NONVOLATILE), **explicit}
    if "tau0" not in p:
        p.update(_solve_set_kinetics_any_tau_x(p, f, icc, dwell,
                                               conditions["delay_at_mV"] * 1e-3,
                                               "tau_x" in explicit))
    if "G_off" not in p:
        target = f.get("on_off_ratio", DEFAULT_FIGURES["on_off_ratio"])
        p["G_off"] = p["G_on"] / target  # first guess, then correct for the HRS read
        p["G_off"] = p["G_on"] / target / (1 + p.get("a", 5.0) * hrs_read_closure(_model(p), dwell))
    if "N_fail" not in p and "endurance_cycles" in f:
        p["N_fail"] = f["endurance_cycles"]
    if volatile and "k_d0" not in p:
        p.update(_solve_retention(p, f, conditions, icc))
    if not volatile and "tau0r_w" not in p:
        p.update(_solve_reset(p, f, icc, dwell))
    return ModelParams(**p)


# --- cache ----------------------------------------------------------------------------------
def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bmrlab" / "calibration"


def calibrate_cached(volatile: bool, figures: dict, explicit: dict, conditions: dict):
    """:func:`calibrate`, remembered on disk by the hash of everything it depends on."""
    key = hashlib.sha256(json.dumps([CALIBRATION_VERSION, volatile, figures, explicit,
                                     conditions], sort_keys=True).encode()).hexdigest()[:20]
    path = cache_dir() / f"{key}.json"
    try:
        return ModelParams(**json.loads(path.read_text()))
    except (OSError, ValueError):
        pass
    params = calibrate(volatile, figures, explicit, conditions)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(params.model_dump()))  # keeps inf (w_LTP) as Infinity
    except OSError:
        pass  # a read-only home: calibrate again next time
    return params
