"""The plausible figure space of bio-voltage memristors, and whether a characterization
gives a device file's figures back.

Used by the calibration coverage test (a Latin-hypercube sample of device files nobody here
wrote: does the simulator build each, and does ``characterize`` measure its figures back?)
and by the seed-stability benchmark. The ranges are those of issue 15:

- Vset 40-120 mV, Vreset 20-120 mV (nonvolatile devices only: a volatile device has no
  field-driven reset), On/Off 10-10^7, endurance 10^2-10^5 cycles;
- a delay of 1-100 ms at 1.2-3 x Vset;
- retention 5-200 ms (volatile devices only: a nonvolatile one keeps its state and reports a
  censored retention) after a pulse at the delay amplitude lasting 1.5 x the delay.

Ratios and times are sampled on a log scale, voltages on a linear one; every figure is
rounded to three significant digits, as a paper prints it. The sweep rate of the Vset is not
sampled: a set is built at the standard 0.5 V/s, or, where its refusal names a slower rate,
at that rate stated as the Vset's test condition (:func:`at_named_sweep_rate`).
"""

import json
import math
import re
from pathlib import Path

import numpy as np
import yaml
from scipy.stats import qmc

from ..config import load_station_config
from ..paths import station_file
from ..station import Station

# the tolerances of DESIGN.md: relative, and a factor for On/Off
RELATIVE_TOLERANCE = {
    "vset_mV": 0.15,
    "vreset_mV": 0.15,
    "delay_ms": 0.20,
    "retention_ms": 0.25,
    "endurance_cycles": 0.30,
}
ON_OFF_FACTOR = 2.0

# (name, low, high, log scale) of each dimension of the hypercube
DIMENSIONS = (
    ("vset_mV", 40.0, 120.0, False),
    ("vreset_mV", 20.0, 120.0, False),
    ("on_off_ratio", 10.0, 1e7, True),
    ("endurance_cycles", 1e2, 1e5, True),
    ("delay_ms", 1.0, 100.0, True),
    ("delay_factor", 1.2, 3.0, False),  # delay amplitude in Vsets
    ("retention_ms", 5.0, 200.0, True),
)
RETENTION_PULSE_DELAYS = 1.5  # the retention pulse lasts this many delays


def _round(value: float) -> float:
    return float(f"{value:.3g}")


def figure_sets(n: int, volatile: bool, seed: int = 15) -> list[dict]:
    """``n`` device files (as dicts) from a Latin-hypercube sample of the figure space."""
    # the two types from their own hypercubes: independent samples
    sample = qmc.LatinHypercube(d=len(DIMENSIONS), seed=2 * seed + volatile).random(n)
    files = []
    for k, row in enumerate(sample):
        value = {}
        for (name, low, high, log), u in zip(DIMENSIONS, row, strict=True):
            value[name] = (
                math.exp(math.log(low) + u * math.log(high / low))
                if log
                else low + u * (high - low)
            )
        vset = _round(value["vset_mV"])
        delay = _round(value["delay_ms"])
        delay_at = _round(value["delay_factor"] * vset)
        published = {
            "vset_mV": vset,
            "on_off_ratio": _round(value["on_off_ratio"]),
            "endurance_cycles": _round(value["endurance_cycles"]),
            "delay_ms": delay,
        }
        if volatile:
            published["retention_ms"] = _round(value["retention_ms"])
        else:
            published["vreset_mV"] = _round(value["vreset_mV"])
        files.append(
            {
                "name": f"{'volatile' if volatile else 'nonvolatile'} sample {k}",
                "volatile": volatile,
                "conditions": {
                    "delay_at_mV": delay_at,
                    "retention_pulse_mV": delay_at,
                    "retention_pulse_ms": _round(RETENTION_PULSE_DELAYS * delay),
                },
                "published": published,
            }
        )
    return files


def write_device_file(spec: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


# how a calibration refusal names the slower I-V sweep at which the same figures are built
# (bmrlab/sim/calibration.py, _slower_sweep)
CONSISTENT_RATE = re.compile(r"consistent at a sweep rate of at most ([0-9.eE+-]+) V/s")


def at_named_sweep_rate(spec: dict, refusal: str) -> dict | None:
    """``spec`` with the sweep rate its refusal names stated as the Vset's test condition,
    as the refusal tells a user to do (a Vset is a figure of the sweep rate it was
    measured at, and the hypercube leaves the rate unwritten); None if it names none."""
    found = CONSISTENT_RATE.search(refusal)
    if found is None:
        return None
    conditions = {**spec["conditions"], "sweep_rate": float(found.group(1))}
    return {**spec, "conditions": conditions}


# the flag that makes a measured figure a lower bound: censored (the run ended before the
# state was lost or the window closed) or, for On/Off, an HRS at the instrument's floor
LOWER_BOUND_FLAGS = {
    "on_off_ratio": "on_off_lower_bound",
    "endurance_cycles": "endurance_censored",
    "retention_ms": "retention_censored",
}


def misses(measured: dict, published: dict, flags: dict) -> list[str]:
    """Each written figure the measured ones do not give back within its tolerance.

    A lower bound is judged as one. An On/Off at the instrument's floor counts when it does
    not exceed the written one by more than the factor (no instrument setting would show
    more). A censored endurance or retention (">= N": the run ended first) never shows a
    written figure: it is a miss that says whether it is consistent with it (the run
    stopped short: characterize runs endurance to twice the written figure) or contradicts
    it (the device outlasted the figure's tolerance)."""
    found = []
    for key, want in published.items():
        got = measured.get(key)
        bound = bool(flags.get(LOWER_BOUND_FLAGS.get(key, "")))
        if key == "on_off_ratio":
            low = 0.0 if bound else want / ON_OFF_FACTOR
            ok = got is not None and low <= got <= want * ON_OFF_FACTOR
            allowed = f"x{ON_OFF_FACTOR:g}" + (", lower bound" if bound else "")
            if not ok:
                found.append(f"{key} {_show(got)} for {want:g} ({allowed})")
            continue
        tolerance = RELATIVE_TOLERANCE[key]
        if got is not None and bound:
            verdict = "short of" if got <= want * (1 + tolerance) else "outlasts"
            found.append(
                f"{key} >= {_show(got)} for {want:g} (censored: {verdict} +-{tolerance:.0%})"
            )
        elif got is None or abs(got / want - 1) > tolerance:
            found.append(f"{key} {_show(got)} for {want:g} (+-{tolerance:.0%})")
    return found


def _show(value) -> str:
    return "none" if value is None else f"{value:.3g}"


def spread(values: list[float]) -> dict:
    """Median and the largest relative departure from it over seeds."""
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "max_departure": None}
    median = float(np.median(values))
    departure = max(abs(v / median - 1) for v in values) if median else 0.0
    return {"median": median, "min": min(values), "max": max(values), "max_departure": departure}


# the conflicts a calibration refusal names (bmrlab/sim/calibration.py)
PHYSICAL_CONFLICTS = (
    "do not fit one switch",
    "would set this device within",
    "leaves no state to retain",
    "no dissolution rate",
    "no field-driven reset",
    "no switch of this model",
    "cannot be met by a sweep",
    "of the endurance criterion",
)
FIGURE_WORDS = {
    "vset_mV": "Vset",
    "vreset_mV": "Vreset",
    "retention_ms": "retention of",
    "delay_ms": "delay of",
    "on_off_ratio": "On/Off",
    "endurance_cycles": "endurance",
}


def refusal_is_physical(message: str, spec: dict) -> bool:
    """Whether a calibration refusal names a physical conflict, and no figure the device
    file does not give."""
    unwritten = [w for key, w in FIGURE_WORDS.items() if key not in spec.get("published", {})]
    return any(c in message for c in PHYSICAL_CONFLICTS) and not any(
        w in message for w in unwritten
    )


def seeded_station(device: str, seed: int) -> Station:
    """The default simulated station with ``device`` and its simulation seeded by ``seed``
    (the device's cycle-to-cycle draws and the instruments' read noise)."""
    config = load_station_config(station_file(None))
    if config.simulation is None:
        raise ValueError("the default station is not simulated")
    simulation = config.simulation.model_copy(update={"seed": seed})
    return Station(config.model_copy(update={"simulation": simulation}), "station", device)


def report(row: dict, out: Path | None) -> None:
    """Print ``row`` as one JSON line as soon as it is known, and append it to ``out`` (a
    partial run keeps what it measured; ``--summarize`` reads the file back)."""
    line = json.dumps(row, default=str)
    print(line, flush=True)
    if out:
        with out.open("a") as sink:
            sink.write(line + "\n")


def read_report(path: Path) -> list[dict]:
    """The rows a run appended to ``path`` with :func:`report`."""
    return [json.loads(line) for line in path.read_text().splitlines() if line]
