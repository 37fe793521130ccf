"""Build a simulated bench from a station file (or the default one of each instrument)."""

from functools import partial
from pkgutil import resolve_name

from ..clock import make_clock
from ..config import Instrument, Simulation, StationConfig, load_station_config
from ..instruments import registry
from .bench import SimBench
from .library import load_device


def simulated_instrument(model: str):
    """The simulated instrument class of ``model`` (from the instrument registry), called
    as ``(bench, role, serial, seed=...)``."""
    simulator = registry.MODELS[model].simulator
    return partial(resolve_name(simulator.path), **simulator.options)


def _sim(model: str, resource: str) -> Instrument:
    return Instrument(model=model, resource=resource, visa_library="@bmrsim")


# `pyvisa.ResourceManager("@bmrsim")` with no station file: one instrument of each model,
# each SMU with its own device, the generators wired to the 2450's device.
DEFAULT_STATION = StationConfig(
    name="default simulated bench",
    instruments={
        "smu": _sim("keithley2450", "USB0::0x05E6::0x2450::SIM04512345::INSTR"),
        "smu2400": _sim("keithley2400", "GPIB0::24::INSTR"),
        "smu2636b": _sim("keithley2636b", "USB0::0x05E6::0x2636::SIM4410001::INSTR"),
        "pulse_generator": _sim("keysight33500b", "USB0::0x0957::0x2807::SIMMY5310001::INSTR"),
        "generator33220a": _sim("agilent33220a", "GPIB0::10::INSTR"),
    },
    simulation=Simulation(
        devices={"dut2400": "ag-pnw-ag", "dut2636b": "ag-pnw-ag"},
        wiring={"smu2400": "dut2400", "smu2636b": "dut2636b"},
    ),
)


def build_bench(config: StationConfig, device: str | None = None, clock=None) -> SimBench:
    """Every '@bmrsim' instrument of ``config``, wired to its simulated device."""
    sim = config.simulation
    bench = SimBench(clock or make_clock(config.clock))
    presets = {"dut": device or sim.device, **sim.devices}
    for k, (name, preset) in enumerate(presets.items()):
        loaded = load_device(preset)
        bench.add_device(loaded.build(seed=sim.seed + 7919 * k, name=name))
        if name == "dut":
            bench.preset = loaded
    for k, (role, spec) in enumerate(config.instruments.items()):
        if spec.visa_library != "@bmrsim":
            continue
        serial = spec.resource.split("::")[3] if spec.resource.count("::") >= 4 else role
        instrument = simulated_instrument(spec.model)(bench, role, serial, seed=sim.seed * 1000 + k)
        bench.add_instrument(spec.resource, instrument, sim.wiring.get(role, "dut"))
    bench.add_faults(sim.faults)
    return bench


def bench_for_library_path(path: str) -> SimBench:
    """``@bmrsim`` alone opens the default bench; ``station.yaml@bmrsim`` that station's."""
    if path in ("", "unset"):
        return build_bench(DEFAULT_STATION)
    return build_bench(load_station_config(path))
