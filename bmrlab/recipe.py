"""Recipes: the same protocols over many devices and parameter values, unattended.

A recipe file names a sample, the devices to visit (listed, an array, or the devices of the
station's wafer map: :mod:`bmrlab.device_map`), an optional quick screen whose pass criteria
decide which devices get the rest (:mod:`bmrlab.screen`), and the steps to run on each (a
protocol, fixed parameters, an optional sweep of parameter values, repeats, a condition that
skips the device's remaining steps; or the standard characterization). :func:`load_recipe`
validates the whole file and :func:`plan` checks every run it implies against the station
(protocol, parameter names, types, limits, devices, who moves the probes) before any
instrument is touched: every problem is reported by its YAML path. Before each device's runs
the station brings the device under test (:meth:`bmrlab.station.Station.reach`). A wafer
recipe keeps one station for the whole route: one wafer, one clock, the prober stepping on.
"""

import itertools
import json
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from . import runner
from .characterize import ORDER as CHARACTERIZE_ORDER
from .characterize import Measured, adapt
from .config import Strict
from .device_map import WaferSelection, wafer_map
from .die_address import DieAddress
from .errors import BadInput
from .paths import recipe_file
from .prober import ManualProber, Prober
from .procedures import get_protocol
from .screen import ScreenCriteria, record_verdict
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
    """One protocol (``protocol``, ``set``, ``sweep``, ``repeat``), or the standard
    characterization (``characterize``: its five protocols, each adapted at run time to what
    the earlier ones measured, as ``bmrlab characterize`` does; fixed parameters by
    protocol)."""

    protocol: str | None = None
    characterize: dict[str, dict[str, float | str | list | bool]] | None = Field(
        None, description="protocol -> fixed parameters, for the five of bmrlab characterize"
    )
    set: dict[str, float | str | list | bool] = Field(default_factory=dict)
    sweep: dict[str, Space] = Field(
        default_factory=dict, description="parameter -> values; several: all combinations"
    )
    repeat: int = Field(1, ge=1, le=100_000)
    skip_rest_if: SkipRest | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.protocol is None) == (self.characterize is None):
            raise ValueError("give exactly one of protocol, characterize")
        if self.characterize is not None:
            if self.set or self.sweep or self.repeat != 1 or self.skip_rest_if:
                raise ValueError(
                    "characterize takes its fixed parameters by protocol "
                    "(characterize: {iv-sweep: {cycles: 5}}), not set, sweep, repeat or "
                    "skip_rest_if"
                )
            unknown = sorted(set(self.characterize) - set(CHARACTERIZE_ORDER))
            if unknown:
                raise ValueError(
                    f"characterize: {', '.join(unknown)}: not one of its protocols "
                    f"({', '.join(CHARACTERIZE_ORDER)})"
                )
        return self

    @property
    def protocols(self) -> list[str]:
        return [self.protocol] if self.protocol is not None else list(CHARACTERIZE_ORDER)


class Screen(ScreenCriteria):
    """The quick screen: short steps run first on each device; a device whose figures miss
    ``pass_if`` skips the recipe's ``steps`` (docs/recipes.md)."""

    steps: list[Step] = Field(min_length=1)


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


# what the one station of a wafer recipe is loaded for (the wafer's devices are the
# station's), and the device of a run checked before it is given to a device
WHOLE_WAFER = Device(id="wafer")


class Recipe(Strict):
    name: str = "recipe"
    sample: str = "sample"
    station: str | None = Field(None, description="station file (--station wins)")
    devices: list[Device] | None = None
    array: Array | None = None
    wafer: WaferSelection | None = Field(
        None, description="the devices of the station's wafer map ({}: all of them)"
    )
    prompt: Literal["never", "hardware", "always"] = Field(
        "hardware",
        description="hardware: the station's prober moves before each device; "
        "never: only a prober that needs nobody; always: a person "
        "is asked even on a simulated station",
    )
    screen: Screen | None = None
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _devices(self):
        given = [k for k in ("devices", "array", "wafer") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of devices, array, wafer")
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
        """The listed devices or the array's (none: a wafer recipe's come from its station)."""
        if self.devices is not None:
            return self.devices
        return self.array.devices() if self.array is not None else []


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
    screen: ScreenCriteria | None = None  # a screen run: its criteria
    ends_screen: bool = False  # the screen's last run: the device's verdict follows it
    adapted: bool = False  # a characterization's: adapted to the earlier runs at run time


@dataclass
class Outcome:
    planned: PlannedRun
    status: str  # finished | aborted | failed | skipped | resumed
    figures: dict = field(default_factory=dict)
    reason: str = ""
    run: str = ""


def expand_step(step: Step) -> list[tuple[str, dict]]:
    """The runs of a step, (protocol, parameters): fixed values times every sweep
    combination, repeated; a characterization's five protocols with their fixed values."""
    protocol = step.protocol
    if protocol is None:
        given = step.characterize or {}
        return [(p, dict(given.get(p, {}))) for p in CHARACTERIZE_ORDER]
    names = list(step.sweep)
    combos = itertools.product(*(step.sweep[n].expand() for n in names)) if names else [()]
    sets = [{**step.set, **dict(zip(names, combo, strict=True))} for combo in combos]
    return [(protocol, values) for values in sets for _ in range(step.repeat)]


def prober_for(recipe: Recipe, station) -> Prober | None:
    """Who brings each device under the probes: the station's prober, by ``prompt``: never
    leaves out one that needs a person, always asks a person where it would move by itself."""
    prober = station.prober
    if recipe.prompt == "always" and prober.unattended:
        return ManualProber()
    if recipe.prompt == "never" and not prober.unattended:
        return None
    return prober


def device_runs(recipe: Recipe, station) -> tuple[list[PlannedRun], list[str]]:
    """The runs of one device on ``station``, each checked (keys without the device id:
    ``screen0/run0``, ``step1/run3``), and the problems by YAML path."""
    problems, runs = [], []
    stages = [("screen", recipe.screen.steps)] if recipe.screen else []
    for stage, steps in [*stages, ("step", recipe.steps)]:
        where = "screen.steps" if stage == "screen" else "steps"
        for s, step in enumerate(steps):
            for k, (protocol, values) in enumerate(expand_step(step)):
                try:
                    runner.prepare(station, protocol, values)
                except BadInput as error:
                    problems += [f"{where}[{s}]: {p}" for p in error.problems]
                    continue
                runs.append(
                    PlannedRun(
                        WHOLE_WAFER,
                        s,
                        protocol,
                        values,
                        f"{stage}{s}/run{k}",
                        step.skip_rest_if,
                        recipe.screen if stage == "screen" else None,
                        adapted=step.characterize is not None,
                    )
                )
    if recipe.screen:
        screened = [p for step in recipe.screen.steps for p in step.protocols]
        problems += recipe.screen.unknown_figures([p for p in screened if _known(p)])
        for run in [r for r in runs if r.screen is not None][-1:]:
            run.ends_screen = True
    return runs, problems


def _known(protocol: str) -> bool:
    try:
        get_protocol(protocol)
    except BadInput:
        return False
    return True


def for_device(runs: list[PlannedRun], device: Device) -> list[PlannedRun]:
    """The runs :func:`device_runs` checked, given to ``device`` (its id first in the keys)."""
    return [replace(r, device=device, key=f"{device.id}/{r.key}") for r in runs]


def plan(recipe: Recipe, station_for) -> list[PlannedRun]:
    """Every run of the recipe, each checked against its station (``station_for(device)``,
    which only loads: nothing is sent to the instruments; a wafer recipe's station, loaded
    for :data:`WHOLE_WAFER`, gives its wafer map). Raises BadInput with every problem by
    YAML path."""
    problems: list[str] = []
    runs: list[PlannedRun] = []
    if recipe.wafer is not None:
        with station_for(WHOLE_WAFER) as station:
            try:
                devices = [Device(id=str(a)) for a in recipe.wafer.select(wafer_map(station))]
            except BadInput as error:
                problems, devices = list(error.problems), []
            template, found = _checked(recipe, station)
            problems += found
            runs = [run for device in devices for run in for_device(template, device)]
    for d, device in enumerate(recipe.device_list()):
        try:
            station = station_for(device)
        except BadInput as error:
            path = f"devices[{d}]" if recipe.devices is not None else "array"
            problems += [f"{path}: {p}" for p in error.problems]
            continue
        with station:
            template, found = _checked(recipe, station)
            problems += found
            runs += for_device(template, device)
    if problems:
        raise BadInput(*dict.fromkeys(problems))  # each problem once
    return runs


def _checked(recipe: Recipe, station) -> tuple[list[PlannedRun], list[str]]:
    """A device's runs on ``station`` and the problems, who moves the probes included."""
    prober = prober_for(recipe, station)
    unready = prober.check() if prober else ""
    runs, problems = device_runs(recipe, station)
    if unready:
        problems.insert(0, f"prompt: {recipe.prompt}: {unready} (use prompt: never)")
    return runs, problems


class _Stations:
    """The station each device runs on, loaded at its first run: one for the whole route
    of a wafer recipe (one wafer, one virtual clock, the prober stepping on), else one per
    device, loaded with its device file and closed after it."""

    def __init__(self, recipe: Recipe, station_for):
        self.recipe = recipe
        self.station_for = station_for
        self.station = None

    def reach(self, device: Device):
        """The station with ``device`` under test."""
        station = self.station or self.station_for(
            WHOLE_WAFER if self.recipe.wafer is not None else device
        )
        self.station = station
        prober = prober_for(self.recipe, station)
        if prober is not None:
            station.reach(device.id, self.recipe.sample, prober)
        return station

    def done_with_device(self) -> None:
        if self.recipe.wafer is None:
            self.close()

    def close(self) -> None:
        if self.station is not None:
            self.station.close()
            self.station = None


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
    """Run the planned runs device by device, each device brought under test by the
    station first. ``done``: keys already finished in ``out`` (resume: their stored figures
    decide the screen, skip_rest_if and the characterization's adaptation as a new run's
    would); ``stop``: set to end the current run safely and skip the rest; ``on_run(k,
    planned)`` before each run."""
    stop = stop or threading.Event()
    stored = finished_runs(out) if done else {}
    halted = ""  # why no further run can start (a full disk): the rest are skipped
    outcomes: list[Outcome] = []
    by_device: dict[str, list[PlannedRun]] = {}
    for planned in runs:
        by_device.setdefault(planned.device.id, []).append(planned)
    failed_on_die: Counter = Counter()  # devices of each die that failed the screen
    die_limit = recipe.screen.skip_die_after if recipe.screen else None
    stations = _Stations(recipe, station_for)
    try:
        for device_runs in by_device.values():
            die = _die(device_runs[0].device.id)
            if die_limit and failed_on_die[die] >= die_limit:
                why = f"die {die}: {failed_on_die[die]} of its devices failed the screen"
                outcomes += [Outcome(p, "skipped", reason=why) for p in device_runs]
                continue
            device = _DeviceState(out)
            for planned in device_runs:
                if planned.key in done:
                    run, figures = stored.get(planned.key, ("", {}))
                    outcome = Outcome(planned, "resumed", figures, run=run)
                elif stop.is_set() or halted or device.skipping:
                    reason = halted or device.skipping or "stopped"
                    outcomes.append(Outcome(planned, "skipped", reason=reason))
                    continue
                else:
                    station = device.station or stations.reach(planned.device)
                    device.station = station
                    if on_run:
                        on_run(len(outcomes), planned)
                    result = device.run(station, planned, recipe.sample, stop, on_event)
                    outcome = Outcome(
                        planned, result.status, result.figures, result.reason, result.run
                    )
                    if result.disk_full:
                        halted = "the disk is full"
                outcomes.append(outcome)
                if device.decide(outcome, new=planned.key not in done):
                    failed_on_die[die] += 1
            stations.done_with_device()
    finally:
        stations.close()
    return outcomes


class _DeviceState:
    """One device's runs: each run on its station, and what the runs so far decide for
    the next ones (the screen's verdict, skip_rest_if, the characterization's adaptation)."""

    def __init__(self, out):
        self.out = out
        self.station = None
        self.skipping = ""  # why its remaining runs are skipped
        self.screened: dict = {}  # the figures of its screen runs
        self.measured: dict[int, Measured] = {}  # characterization step -> its results

    def run(self, station, planned: PlannedRun, sample: str, stop, on_event) -> runner.RunResult:
        """Run ``planned`` on ``station`` (a characterization's run adapted to its earlier
        ones)."""
        values = planned.values
        if planned.adapted:
            measured = self.measured.get(planned.step_index, {})
            limit = station.config.limits.max_voltage
            adapted, _ = adapt(planned.protocol, measured, station.conditions(), limit)
            values = {**adapted, **values}
        procedure = runner.prepare(station, planned.protocol, values)
        return runner.run(
            station,
            procedure,
            self.out,
            sample=sample,
            device=planned.device.id,
            stop=stop,
            step=planned.key,
            on_event=on_event,
        )

    def decide(self, outcome: Outcome, new: bool) -> bool:
        """Take a run's outcome into account (a new one, or one resumed from the file);
        True when it made the device fail its screen. A screen verdict of a new run is
        stored with the device."""
        planned = outcome.planned
        finished = outcome.status in ("finished", "resumed")
        if not finished:
            self.skipping = self.skipping or f"an earlier step {outcome.status}"
        if planned.adapted and finished:
            typed = _typed(planned.protocol, outcome.figures)
            if typed is not None:
                self.measured.setdefault(planned.step_index, {})[planned.protocol] = typed
        if planned.screen is not None:
            self.screened.update(outcome.figures)
            if outcome.status == "failed":  # a device that cannot be screened fails it
                why_not = f"{planned.protocol} failed ({outcome.reason})"
            elif finished and planned.ends_screen:
                why_not = planned.screen.verdict(self.screened)
            else:
                return False
            if new and outcome.run:
                record_verdict(self.out, _group(outcome.run), why_not, planned.screen)
            if why_not:
                self.skipping = f"failed the screen: {why_not}"
            return bool(why_not)
        if finished and planned.skip_rest_if and planned.skip_rest_if.triggered(outcome.figures):
            self.skipping = (
                f"{planned.skip_rest_if.figure} of step {planned.step_index} met skip_rest_if"
            )
        return False


def _group(run: str) -> str:
    """The device's HDF5 group of a run (/<sample>/<device>/<run id>)."""
    return run.rsplit("/", 1)[0]


def _die(device_id: str) -> str:
    """The die a device id names (the id itself where it names none)."""
    address = DieAddress.parse(device_id)
    return str(address.die) if address else device_id


def _typed(protocol: str, figures: dict):
    """A stored result as its protocol's typed result (None if it does not fit)."""
    try:
        return get_protocol(protocol).Result.model_validate(figures)
    except ValueError:
        return None


def finished_runs(out) -> dict[str, tuple[str, dict]]:
    """Recipe steps already finished in ``out``: step key -> (run, its stored figures)."""
    from .storage import list_runs
    from .storage.reader import open_file

    if not Path(out).exists():
        return {}
    table = list_runs(out)
    table = table[(table["status"] == "finished") & (table["step"] != "")]
    with open_file(out) as handle:
        return {
            step: (run, json.loads(handle[run].attrs["figures"]))
            for run, step in zip(table["run"], table["step"], strict=True)
        }


def finished_keys(out) -> set[str]:
    """Recipe steps already finished in ``out`` (for --resume)."""
    return set(finished_runs(out))
