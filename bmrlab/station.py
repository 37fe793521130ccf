"""A station: the instruments of a station file, its safety guard, its clock, its prober,
its switch matrix and what is known about the device under test (its device file).

Loading a station validates the files and builds the simulated bench if there is one, but
sends nothing; :meth:`Station.connect` opens the VISA sessions and builds the drivers. So
every check on a run's parameters happens before any instrument is touched.
"""

from dataclasses import replace
from pathlib import Path

import pyvisa

from .clock import make_clock
from .config import StationConfig, load_station_config
from .device import DeviceFile, load_device_file, resolve_device
from .die_address import DieAddress
from .errors import BadInput, Stopped
from .instruments import registry
from .instruments.pulse_generator import PulseGenerator
from .paths import station_file
from .prober import Prober, make_prober
from .safety import Guard
from .switch import MatrixSwitch, NoSwitch, Switch

STOP_POLL_S = 0.05  # waits look at the stop request this often (an abort must reach 0 V in 100 ms)


def _shown(path: Path) -> str:
    """A path as a person would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Station:
    """``device``: the simulated device (a preset, device file or reference part; simulated
    stations only). ``device_file``: the device file of the device under test, on any
    station: its test conditions and published figures (on a simulated station it is also
    the simulated device unless ``device`` names one). ``sim_process``: the simulated
    instruments run in a process of their own (the window: see sim/process.py)."""

    def __init__(
        self,
        config: StationConfig,
        source: str = "station",
        device: str | None = None,
        device_file: str | None = None,
        sim_process: bool = False,
    ):
        smu = config.instruments["smu"]
        off_modes = registry.SMUS[smu.model].off_modes
        if smu.off_mode not in off_modes:
            raise BadInput(
                f"instruments.smu.off_mode = {smu.off_mode} in {source} is not "
                f"allowed: the {smu.model} offers {', '.join(off_modes)}"
            )
        if device and not config.simulated:
            raise BadInput(
                f"--device {device}: selects a simulated device, but {source} has "
                "no simulated instruments ('@bmrsim'); give the device's file "
                "with --device-file"
            )
        self.config = config
        self.source = source
        self.guard = Guard(config.limits, source)
        self.clock = make_clock(config.clock)
        self.sim = None
        self.smu = None
        self.generator = None  # the role 'pulse_generator', if the station has one
        self.identities: dict[str, str] = {}
        self.device_file: DeviceFile | None = None
        self.device_file_key = ""  # the preset name or the file's stem
        if device_file:
            self.device_file = load_device_file(device_file)
            self.device_file_key = resolve_device(device_file).stem
        self.sentio_sim = None  # the simulated SENTIO prober of a simulated wafer
        wafer = None
        if config.simulated:
            from .sim.backend import register_bench  # the simulator only when it is used
            from .sim.builder import build_bench
            from .sim.process import BenchProcess

            wafer = self._wafer(config, source, device)
            nominal = wafer.device if wafer else None  # the wafer's devices' file
            # the simulated prober steps the bench in this process: a wafer keeps it here
            make_bench = BenchProcess if sim_process and wafer is None else build_bench
            self.sim = make_bench(config, device or nominal or device_file, self.clock)
            if wafer is not None:
                from .sim.wafer import mount

                self.sentio_sim = mount(wafer, self.sim)
            self._bench_key = register_bench(self.sim)
            spec = getattr(self.sim.preset, "spec", None)  # a reference part has none
            if self.device_file is None and spec is not None:
                self.device_file, self.device_file_key = spec, self.sim.preset.key
        self.prober: Prober = make_prober(config.prober_kind, self.sim, self._sentio())
        self.switch: Switch = self._switch(wafer)

    @staticmethod
    def _wafer(config: StationConfig, source: str, device: str | None):
        """The simulated wafer of the station file, if it has one."""
        if not config.simulation.wafer:
            return None
        if device:
            raise BadInput(
                f"--device {device}: {source} has a simulated wafer "
                f"({config.simulation.wafer}), whose devices are the devices under test"
            )
        from .sim.wafer import load_wafer

        return load_wafer(config.simulation.wafer)

    def _switch(self, wafer) -> Switch:
        """The switch matrix of ``instruments: switch:`` (connected at its first move), else
        none; on a simulated wafer with a matrix layout its channels are the wafer's."""
        spec = self.config.instruments.get("switch")
        if spec is None:
            return NoSwitch()
        matrix = [d.channel for d in wafer.layout.matrix] if wafer is not None else []
        channels = spec.channels or matrix
        if not channels:
            raise BadInput(
                f"instruments.switch.channels in {self.source}: missing: the crosspoint of "
                "each device of a landing, device 0 first (e.g. [1A01, 1A02])"
            )
        if matrix and channels != matrix:
            raise BadInput(
                f"instruments.switch.channels = {channels} in {self.source}: the wafer's "
                f"devices are wired to {matrix} (its layout.matrix); leave channels out"
            )
        driver = registry.SWITCHES[spec.model].driver
        return MatrixSwitch(
            lambda: self._open("switch", driver),
            channels,
            lambda: self.guard.check_switching(self.smu),
            spec.close_delay,
        )

    def _sentio(self):
        """How the SENTIO prober is reached: its host:port, else the simulated one."""
        from .instruments.sentio import SentioRemote, tcp_remote

        spec = self.config.prober_spec
        if spec.resource:
            return tcp_remote(spec.resource, spec.timeout_ms / 1000)
        if self.sentio_sim is not None:
            from .sim.sentio import SimSentioLink

            sim = self.sentio_sim
            return lambda: SentioRemote(SimSentioLink(sim))
        return None

    @classmethod
    def load(
        cls,
        path=None,
        device: str | None = None,
        device_file: str | None = None,
        sim_process: bool = False,
    ) -> "Station":
        """The station of ``path``, or a shipped template by name (default: a simulated
        2450)."""
        path = station_file(path)
        return cls(load_station_config(path), _shown(path), device, device_file, sim_process)

    @property
    def device_preset(self) -> str | None:
        """Key of the device under test: the simulated device, else the device file's
        (None on hardware without a device file)."""
        return self.sim.preset.key if self.sim else self.device_file_key or None

    def conditions(self) -> dict:
        """Test conditions of the device under test, from its device file ({} without one:
        the protocols' standard defaults)."""
        return self.device_file.test_conditions() if self.device_file else {}

    def published(self) -> dict:
        """The device file's published figures, to compare the measured ones against."""
        return self.device_file.published_figures() if self.device_file else {}

    @property
    def smu_class(self):
        """The SMU interface class of this station's SMU (known without connecting)."""
        return registry.SMUS[self.config.instruments["smu"].model].interface

    def visa_library(self, role: str) -> str:
        spec = self.config.instruments[role]
        return f"{self._bench_key}@bmrsim" if spec.visa_library == "@bmrsim" else spec.visa_library

    @property
    def has_generator(self) -> bool:
        return "pulse_generator" in self.config.instruments

    @property
    def generator_class(self):
        """The driver class of this station's pulse generator (known without connecting)."""
        return registry.PULSE_GENERATORS[self.config.instruments["pulse_generator"].model].driver

    def connect(self) -> None:
        """Open the instruments' VISA sessions and build their drivers (the generator's
        output is switched off and its bursts configured at once); an automatic prober is
        reached and identified too."""
        spec = self.config.instruments["smu"]
        model = registry.SMUS[spec.model]
        driver = self._open("smu", model.driver)
        self.smu = model.interface(driver, self.guard, self.clock, spec.off_mode)
        self.identities = {"smu": self._identify("smu", self.smu)}
        if self.has_generator:
            spec = self.config.instruments["pulse_generator"]
            driver = self._open("pulse_generator", registry.PULSE_GENERATORS[spec.model].driver)
            self.generator = PulseGenerator(
                driver,
                self.guard,
                load=spec.load,
                series_resistor=spec.series_resistor,
                trigger=spec.trigger,
            )
            self.identities["pulse_generator"] = self._identify("pulse_generator", self.generator)
            self.generator.configure()
        prober = self.prober.identity()  # an automatic prober answers as the instruments do
        if prober:
            self.identities["prober"] = prober
        switch = self.switch.identity()
        if switch:
            self.identities["switch"] = switch

    def _open(self, role: str, driver_class):
        """The driver of ``role``; a resource that cannot be opened (no such instrument,
        a malformed name, no VISA library) is refused as BadInput, nothing sent."""
        spec = self.config.instruments[role]
        options: dict = {"visa_library": self.visa_library(role), "timeout": spec.timeout_ms}
        if spec.resource.upper().endswith("::SOCKET"):
            # a raw LAN socket (port 5025) has no end-of-message signal: the instruments end
            # each SCPI or TSP message with a line feed, which USB-TMC and GPIB do not need
            options.update(read_termination="\n", write_termination="\n")
        try:
            return driver_class(spec.resource, **options)
        except (pyvisa.errors.Error, ValueError, OSError) as error:
            raise BadInput(
                f"instruments.{role}.resource {spec.resource} in {self.source}: "
                f"cannot be opened ({str(error).splitlines()[0]})"
            ) from None

    def _identify(self, role: str, instrument) -> str:
        """``*IDN?``: where nothing listens at the address (connection refused), the
        resource does not exist: BadInput. A hung instrument stays an instrument fault."""
        try:
            return instrument.identify()
        except ConnectionRefusedError as error:
            spec = self.config.instruments[role]
            raise BadInput(
                f"instruments.{role}.resource {spec.resource} in {self.source}: "
                f"nothing answers there ({error.strerror})"
            ) from None

    def raise_errors(self) -> None:
        """Raise with the instruments' own messages if an error queue is not empty."""
        for instrument in (self.smu, self.generator):
            if instrument is not None:
                instrument.driver.raise_errors()

    def reach(self, device_id: str = "", sample: str = "", prober: Prober | None = None) -> str:
        """Bring device ``device_id`` of ``sample`` under test through ``prober`` (default:
        the station's); returns the id of the device now under test. Characterize and recipes
        move between devices only through here.

        An id ``c3r4[s1][d2]`` lands the probes on its die and site (unless they are there
        already) and then selects device ``d2`` through the switch matrix (d0 without one).
        No id: the next device of the landing, else the prober's next landing and its d0.
        Another id goes to the prober as it is, and the switch selects d0."""
        prober = prober or self.prober
        address = DieAddress.parse(device_id)
        if address is not None:
            self.switch.check(address.device, device_id)
            landing = str(address.landing)
            if prober.current != landing:
                self._land(prober, landing, sample)
            self.switch.select(address.device)
            return str(address)
        here = DieAddress.parse(prober.current)
        selected = self.switch.selected
        if not device_id and here is not None and selected is not None:
            if selected + 1 < self.switch.devices:  # the landing's next device
                self.switch.select(selected + 1)
                return str(replace(here, device=selected + 1))
        current = self._land(prober, device_id, sample)
        self.switch.select(0)
        return current

    def start_at(self, device_id: str | None, sample: str = "") -> None:
        """``--device-id`` of ``run`` and ``characterize``: on a station whose SENTIO prober
        steps over a wafer map, the device it names (``c3r4d2``) is reached first; elsewhere
        the id only names the device in the file."""
        if device_id and self.prober.kind == "sentio":
            self.reach(device_id, sample)

    def _land(self, prober: Prober, device_id: str, sample: str) -> str:
        """The probes to ``device_id``'s landing, every switch channel open while they move."""
        self.switch.release()
        return prober.next_device(device_id, sample)

    def safe_off(self) -> None:
        """Every source to 0 V and off; each one tried even if another fails."""
        failures = []
        for instrument in (self.generator, self.smu):
            if instrument is None:
                continue
            try:
                instrument.safe_off()
            except Exception as error:  # the next instrument must still be switched off
                failures.append(f"{type(error).__name__}: {error}")
        if failures:
            raise RuntimeError("; ".join(failures))

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
            instrument = {
                "smu": self.smu,
                "pulse_generator": self.generator,
                "switch": self.switch,
            }.get(role)
            if instrument is not None:
                entry["settings"] = instrument.settings
            instruments[role] = entry
        snap = {
            "name": self.config.name,
            "file": self.source,
            "clock": self.config.clock,
            "limits": self.config.limits.model_dump(),
            "instruments": instruments,
            "prober": self.prober.kind,
            "prober_idn": self.identities.get("prober", ""),
            "device_file": self.device_file_key,
        }
        if self.sim:
            snap["simulation"] = {"device": self.device_preset, "seed": self.config.simulation.seed}
            if self.config.simulation.wafer:
                snap["simulation"]["wafer"] = self.config.simulation.wafer
        return snap

    def close(self) -> None:
        self.prober.close()
        self.switch.close()
        for instrument in (self.smu, self.generator):
            if instrument is not None:
                instrument.driver.adapter.close()
        self.smu = self.generator = None
        if self.sim is not None:
            from .sim.backend import forget_bench
            from .sim.process import BenchProcess

            forget_bench(self._bench_key)
            if isinstance(self.sim, BenchProcess):
                self.sim.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
