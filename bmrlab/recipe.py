"""Recipes: the same protocols over many devices and parameter values, unattended.

A recipe file names a sample, the devices to visit (each an id, and optionally its device
file: the test conditions on any station, and the simulated device on a simulated one), and
the steps to run on each (a protocol, fixed parameters, an optional sweep of parameter values,
repeats, and a condition that skips the device's remaining steps). :func:`load_recipe`
validates the whole file and :func:`plan` checks every run it implies against the station
(protocol, parameter names, types, limits, devices, who moves the probes) before any
instrument is touched: every problem is reported by its YAML path. Before each device's runs
the station's prober brings the device under the probes (:mod:`bmrlab.prober`).
"""

import itertools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from . import runner
from .config import Strict
from .errors import BadInput
from .paths import recipe_file
from .prober import ManualProber, Prober
from .validation import load_yaml


class Space(Strict):
    """Values of a swept parameter: exactly one of a list, linspace or logspace."""

    values: list[float | str] | None = None
    linspace: tuple[float, float, int] | None = Field(None, description="start, stop, count")
    logspace: tuple[float, float, int] | None = Field(
        None, description="start, stop, count (geometric, both > 0)"
    )

    @model_validator(mode="after")
    def _one(self):
        given = [k for k in ("values", "linspace", "logspace") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of values, linspace, logspace")
        if self.logspace and min(self.logspace[:2]) <= 0:
            raise ValueError("logspace start and stop must be > 0")
        return self

    def expand(self) -> list:
        if self.values is not None:
            return list(self.values)
        if self.linspace:
            return [float(x) for x in np.linspace(*self.linspace)]
        start, stop, n = self.logspace
        return [float(x) for x in np.geomspace(start, stop, n)]


class SkipRest(Strict):
    """Skip the device's remaining steps when a figure of this step is below/above a value."""

    figure: str
    below: float | None = None
    above: float | None = None
    censored_counts: bool = Field(True, description="a censored figure never triggers it")

    @model_validator(mode="after")
    def _bound(self):
        if (self.below is None) == (self.above is None):
            raise ValueError("give exactly one of below, above")
        return self

    def triggered(self, figures: dict) -> bool:
        value = figures.get(self.figure)
        if value is None:
            return True  # the figure was not found: the device did not do it
        return value < self.below if self.below is not None else value > self.above


class Step(Strict):
    protocol: str
    set: dict[str, float | str | list | bool] = Field(default_factory=dict)
    sweep: dict[str, Space] = Field(
        default_factory=dict, description="parameter -> values; several: all combinations"
    )
    repeat: int = Field(1, ge=1, le=100_000)
    skip_rest_if: SkipRest | None = None


class Device(Strict):
    id: str = Field(min_length=1)
    preset: str | None = Field(None, description="device file: a library preset or a .yaml")


class Array(Strict):
    """A rows x columns array of devices with ids A1, A2 ... (row letter, column number)."""

    rows: int = Field(ge=1, le=26)
    columns: int = Field(ge=1, le=1000)
    preset: str | None = None

    def devices(self) -> list[Device]:
        return [
            Device(id=f"{chr(65 + r)}{c + 1}", preset=self.preset)
            for r in range(self.rows)
            for c in range(self.columns)
        ]


class Recipe(Strict):
    name: str = "recipe"
    sample: str = "sample"
    station: str | None = Field(None, description="station file (--station wins)")
    devices: list[Device] | None = None
    array: Array | None = None
    prompt: Literal["never", "hardware", "always"] = Field(
        "hardware",
        description="hardware: the station's prober moves before each device; "
        "never: only a prober that needs nobody; always: a person "
        "is asked even on a simulated station",
    )
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _devices(self):
        if (self.devices is None) == (self.array is None):
            raise ValueError("give exactly one of devices, array")
        return self

    @field_validator("devices")
    @classmethod
    def _unique(cls, devices):
        ids = [d.id for d in devices or []]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"device ids must be unique (repeated: {', '.join(repeated)})")
        return devices

    def device_list(self) -> list[Device]:
        return self.devices if self.devices is not None else self.array.devices()


def load_recipe(path) -> Recipe:
    """A recipe file by path, or a shipped example by name."""
    return load_yaml(recipe_file(path), Recipe, "recipe")


@dataclass
class PlannedRun:
    device: Device
    step_index: int
    protocol: str
    values: dict
    key: str  # stored with the run: identifies it for --resume
    skip_rest_if: SkipRest | None = None


@dataclass
class Outcome:
    planned: PlannedRun
    status: str  # finished | aborted | failed | skipped | resumed
    figures: dict = field(default_factory=dict)
    reason: str = ""
    run: str = ""


def expand_step(step: Step) -> list[dict]:
    """The parameter sets of a step: fixed values, times every sweep combination, repeated."""
    names = list(step.sweep)
    combos = itertools.product(*(step.sweep[n].expand() for n in names)) if names else [()]
    sets = [{**step.set, **dict(zip(names, combo, strict=True))} for combo in combos]
    return [values for values in sets for _ in range(step.repeat)]


def prober_for(recipe: Recipe, station) -> Prober | None:
    """Who brings each device under the probes: the station's prober, by ``prompt``: never
    leaves out one that needs a person, always asks a person where it would move by itself."""
    prober = station.prober
    if recipe.prompt == "always" and prober.unattended:
        return ManualProber()
    if recipe.prompt == "never" and not prober.unattended:
        return None
    return prober


def plan(recipe: Recipe, station_for) -> list[PlannedRun]:
    """Every run of the recipe, each checked against its station (``station_for(device)``,
    which only loads: nothing is sent). Raises BadInput with every problem by YAML path."""
    problems, runs = [], []
    where_devices = "devices" if recipe.devices is not None else "array"
    for d, device in enumerate(recipe.device_list()):
        try:
            station = station_for(device)
        except BadInput as error:
            path = f"{where_devices}[{d}]" if recipe.devices is not None else where_devices
            problems += [f"{path}: {p}" for p in error.problems]
            continue
        with station:
            prober = prober_for(recipe, station)
            unready = prober.check() if prober else ""
            if unready:
                problems.append(f"prompt: {recipe.prompt}: {unready} (use prompt: never)")
            for s, step in enumerate(recipe.steps):
                for k, values in enumerate(expand_step(step)):
                    try:
                        runner.prepare(station, step.protocol, values)
                    except BadInput as error:
                        problems += [f"steps[{s}]: {p}" for p in error.problems]
                        continue
                    runs.append(
                        PlannedRun(
                            device,
                            s,
                            step.protocol,
                            values,
                            f"{device.id}/step{s}/run{k}",
                            step.skip_rest_if,
                        )
                    )
    if problems:
        raise BadInput(*dict.fromkeys(problems))  # each problem once
    return runs


def execute(
    recipe: Recipe,
    runs: list[PlannedRun],
    station_for,
    out,
    *,
    done=frozenset(),
    stop: threading.Event | None = None,
    on_run=None,
    on_event=None,
) -> list[Outcome]:
    """Run the planned runs device by device, each device brought under the probes by
    :func:`prober_for` first. ``done``: keys already finished in ``out`` (resume); ``stop``:
    set to end the current run safely and skip the rest; ``on_run(k, planned)`` before each
    run."""
    stop = stop or threading.Event()
    halted = ""  # why no further run can start (a full disk): the rest are skipped
    outcomes: list[Outcome] = []
    by_device: dict[str, list[PlannedRun]] = {}
    for planned in runs:
        by_device.setdefault(planned.device.id, []).append(planned)
    for device_runs in by_device.values():
        device = device_runs[0].device
        pending = [p for p in device_runs if p.key not in done]
        outcomes += [Outcome(p, "resumed") for p in device_runs if p.key in done]
        if not pending or stop.is_set() or halted:
            outcomes += [
                Outcome(p, "skipped", reason=halted or "stopped")
                for p in pending
                if stop.is_set() or halted
            ]
            continue
        with station_for(device) as station:
            prober = prober_for(recipe, station)
            if prober is not None:
                station.reach(device.id, recipe.sample, prober)
            skipping = ""
            for planned in pending:
                if stop.is_set() or skipping or halted:
                    outcomes.append(
                        Outcome(planned, "skipped", reason=halted or skipping or "stopped")
                    )
                    continue
                if on_run:
                    on_run(len(outcomes), planned)
                procedure = runner.prepare(station, planned.protocol, planned.values)
                result = runner.run(
                    station,
                    procedure,
                    out,
                    sample=recipe.sample,
                    device=device.id,
                    stop=stop,
                    step=planned.key,
                    on_event=on_event,
                )
                outcomes.append(
                    Outcome(planned, result.status, result.figures, result.reason, result.run)
                )
                if result.disk_full:
                    halted = "the disk is full"
                elif result.status != "finished":
                    skipping = f"an earlier step {result.status}"
                elif planned.skip_rest_if and planned.skip_rest_if.triggered(result.figures):
                    skipping = (
                        f"{planned.skip_rest_if.figure} of step "
                        f"{planned.step_index} met skip_rest_if"
                    )
    return outcomes


def finished_keys(out) -> set[str]:
    """Recipe steps already finished in ``out`` (for --resume)."""
    from .storage import list_runs

    if not Path(out).exists():
        return set()
    table = list_runs(out)
    return set(table.loc[table["status"] == "finished", "step"]) - {""}
