"""Build a simulated bench from a station file (or the default one of each instrument)."""

from ..clock import make_clock
from ..config import Instrument, Simulation, StationConfig, load_station_config
from .bench import SimBench
from .keithley2450 import SimKeithley2450
from .library import load_device
from .model import BmrDevice

SIMULATED_MODELS = {"keithley2450": SimKeithley2450}

DEFAULT_STATION = StationConfig(
    name="default simulated bench",
    instruments={"smu": Instrument(model="keithley2450", visa_library="@bmrsim",
                                   resource="USB0::0x05E6::0x2450::SIM04512345::INSTR")},
    simulation=Simulation())


def build_bench(config: StationConfig, device: str | None = None, clock=None) -> SimBench:
    """Every '@bmrsim' instrument of ``config``, wired to one simulated device."""
    sim = config.simulation
    preset = load_device(device or sim.device)
    bench = SimBench(clock or make_clock(config.clock))
    bench.add_device(BmrDevice(preset.params, seed=sim.seed, name="dut"))
    for k, (role, spec) in enumerate(config.instruments.items()):
        if spec.visa_library != "@bmrsim":
            continue
        serial = spec.resource.split("::")[3] if spec.resource.count("::") >= 4 else role
        instrument = SIMULATED_MODELS[spec.model](bench, role, serial, seed=sim.seed * 1000 + k)
        bench.add_instrument(spec.resource, instrument, "dut")
    bench.preset = preset
    return bench


def bench_for_library_path(path: str) -> SimBench:
    """``@bmrsim`` alone opens the default bench; ``station.yaml@bmrsim`` that station's."""
    if path in ("", "unset"):
        return build_bench(DEFAULT_STATION)
    return build_bench(load_station_config(path))
