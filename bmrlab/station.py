"""A station: the instruments of a station file, its safety guard and its clock.

Loading a station validates the file and builds the simulated bench if there is one, but
sends nothing; :meth:`Station.connect` opens the VISA sessions and builds the drivers. So
every check on a run's parameters happens before any instrument is touched.
"""

from pathlib import Path

from .clock import make_clock
from .config import StationConfig, load_station_config
from .errors import BadInput, Stopped
from .instruments.keithley2400 import Keithley2400, Keithley2400Smu
from .instruments.keithley2450 import Keithley2450, Keithley2450Smu
from .paths import DEFAULT_STATION
from .safety import Guard

STOP_POLL_S = 0.1  # waits look at the stop request at least this often

SMU_DRIVERS = {"keithley2450": (Keithley2450, Keithley2450Smu),
               "keithley2400": (Keithley2400, Keithley2400Smu)}


def _shown(path: Path) -> str:
    """A path as a person would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Station:
    def __init__(self, config: StationConfig, source: str = "station", device: str | None = None):
        if config.instruments["smu"].model not in SMU_DRIVERS:
            raise BadInput(f"instruments.smu.model {config.instruments['smu'].model} in "
                           f"{source}: bmrlab has no driver for it yet (drivers: "
                           f"{', '.join(SMU_DRIVERS)}); the simulator serves it to pyvisa")
        if device and not config.simulated:
            raise BadInput(f"--device {device}: selects a simulated device, but {source} has "
                           "no simulated instruments ('@bmrsim')")
        self.config = config
        self.source = source
        self.guard = Guard(config.limits, source)
        self.clock = make_clock(config.clock)
        self.sim = None
        self.smu = None
        self.identities: dict[str, str] = {}
        if config.simulated:
            from .sim.backend import register_bench  # the simulator only when it is used
            from .sim.builder import build_bench
            self.sim = build_bench(config, device, self.clock)
            self._bench_key = register_bench(self.sim)

    @classmethod
    def load(cls, path=None, device: str | None = None) -> "Station":
        """The station of ``path`` (default: the simulated config/station.yaml)."""
        path = Path(path) if path else DEFAULT_STATION
        return cls(load_station_config(path), _shown(path), device)

    @property
    def device_preset(self) -> str | None:
        """Key of the simulated device (None on hardware)."""
        return self.sim.preset.key if self.sim else None

    def conditions(self) -> dict:
        """Test conditions known for the device under test (simulated device file)."""
        return self.sim.preset.conditions() if self.sim else {}

    @property
    def smu_class(self):
        """The SMU interface class of this station's SMU (known without connecting)."""
        return SMU_DRIVERS[self.config.instruments["smu"].model][1]

    def visa_library(self, role: str) -> str:
        spec = self.config.instruments[role]
        return f"{self._bench_key}@bmrsim" if spec.visa_library == "@bmrsim" else spec.visa_library

    def connect(self) -> None:
        """Open the instruments' VISA sessions and build their drivers."""
        spec = self.config.instruments["smu"]
        driver_class, smu_class = SMU_DRIVERS[spec.model]
        driver = driver_class(spec.resource, visa_library=self.visa_library("smu"),
                              timeout=spec.timeout_ms)
        self.smu = smu_class(driver, self.guard, self.clock, spec.off_mode)
        self.identities = {"smu": self.smu.identify()}

    def wait(self, seconds: float, should_stop=lambda: False) -> None:
        """Wait on the station clock in slices, raising Stopped once a stop is requested."""
        end = self.clock.now() + seconds
        while True:
            if should_stop():
                raise Stopped("stopped on request")
            remaining = end - self.clock.now()
            if remaining <= 0:
                return
            self.clock.sleep(min(STOP_POLL_S, remaining))

    def snapshot(self) -> dict:
        """What is recorded with every run: file, limits, instruments and their settings."""
        instruments = {}
        for role, spec in self.config.instruments.items():
            entry = spec.model_dump()
            entry["idn"] = self.identities.get(role, "")
            if role == "smu" and self.smu is not None:
                entry["settings"] = self.smu.settings
            instruments[role] = entry
        snap = {"name": self.config.name, "file": self.source, "clock": self.config.clock,
                "limits": self.config.limits.model_dump(), "instruments": instruments}
        if self.sim:
            snap["simulation"] = {"device": self.device_preset, "seed": self.config.simulation.seed}
        return snap

    def close(self) -> None:
        if self.smu is not None:
            self.smu.driver.adapter.close()
            self.smu = None
        if self.sim is not None:
            from .sim.backend import forget_bench
            forget_bench(self._bench_key)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
