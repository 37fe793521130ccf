"""The station file: instruments, their VISA resources, the safety limits, the simulation.

A station YAML is validated as a whole on load; every problem is reported by its YAML path
(``limits.max_voltage: ...``). See README "The station file" for an annotated example.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .compression import COMPRESSIONS
from .instruments import registry
from .instruments.keithley707b import CHANNEL, CHANNEL_HELP
from .instruments.sentio import parse_address
from .paths import station_file
from .validation import Amps, Ohms, Seconds, Volts, load_yaml

SMU_MODELS = tuple(registry.SMUS)
GENERATOR_MODELS = tuple(registry.PULSE_GENERATORS)
SWITCH_MODELS = tuple(registry.SWITCHES)
OFF_MODES = registry.OFF_MODES  # of any SMU; the station checks its own model's
FAULT_KINDS = ("timeout", "disconnect", "garbled", "error", "stuck-compliance")
PROBERS = ("simulated", "manual", "sentio")  # bmrlab/prober.py


class Strict(BaseModel):
    """Unknown keys, NaN and infinities are refused in every file bmrlab reads."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Limits(Strict):
    """What the device may see. Checked before the first instrument write of every run."""

    max_voltage: Volts = Field(0.5, gt=0, le=20, description="largest |V| at the device")
    max_compliance: Amps = Field(1e-3, gt=0, le=0.1, description="largest current limit")
    min_pulse_width: Seconds = Field(100e-6, gt=0, description="shortest pulse allowed")
    max_step: Volts = Field(0.01, gt=0, description="largest bias change applied at once")


class Instrument(Strict):
    model: Literal[SMU_MODELS + GENERATOR_MODELS + SWITCH_MODELS]
    resource: str = Field(min_length=1, description="VISA resource name")
    visa_library: str = Field("@py", description="'@py' for hardware, '@bmrsim' simulated")
    off_mode: Literal[OFF_MODES] = Field("zero", description="SMU: what 'output off' leaves")
    load: Literal["INF", "50"] = Field("INF", description="generator: OUTP:LOAD setting")
    series_resistor: Ohms = Field(0.0, ge=0, description="generator: resistor in series")
    trigger: Literal["bus", "external"] = Field(
        "bus", description="generator: what starts a burst (*TRG, or its trigger input)"
    )
    timeout_ms: int = Field(10_000, ge=100, le=600_000)
    channels: list[str] = Field(
        default_factory=list,
        description="switch: the crosspoint of device 0, 1, ... of a landing (e.g. 1A01); left "
        "out on a simulated wafer with a matrix layout: the wafer's",
    )
    close_delay: Seconds = Field(
        0.0, ge=0, le=60, description="switch: wait after a close, on top of the relay's settling"
    )

    @field_validator("channels")
    @classmethod
    def _crosspoints(cls, channels):
        bad = [c for c in channels if not CHANNEL.fullmatch(c)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not a 707B crosspoint ({CHANNEL_HELP})")
        if len(set(channels)) != len(channels):
            raise ValueError("each device needs its own crosspoint")
        return channels


class Fault(Strict):
    """A failure the simulated bench injects after ``after`` messages to one instrument."""

    instrument: str = Field(description="role of the instrument")
    kind: Literal[FAULT_KINDS]
    after: int = Field(0, ge=0, description="messages that pass before it strikes")
    error: str = Field('-100,"Command error"', description="kind 'error': the queued entry")


class Simulation(Strict):
    device: str = Field("ag-pnw-ag", description="the device under test ('dut'): preset or file")
    devices: dict[str, str] = Field(default_factory=dict, description="more devices by name")
    wiring: dict[str, str] = Field(
        default_factory=dict, description="instrument role -> device name (default 'dut')"
    )
    seed: int = Field(1, ge=0)
    faults: list[Fault] = Field(default_factory=list)
    wafer: str | None = Field(
        None,
        description="a simulated wafer (shipped name or .yaml): its devices, reached by the "
        "simulated SENTIO prober, are the device under test (docs/arrays.md)",
    )

    def device_names(self) -> set[str]:
        return {"dut", *self.devices}


class Storage(Strict):
    """How the runs of this station are written (docs/performance.md has the trade-off)."""

    compression: Literal[COMPRESSIONS] = Field(
        "none",
        description="filter of the data columns: gzip (every HDF5 reader), lzf "
        "(h5py; other readers need its plugin), none (fastest, 4x larger)",
    )


class ProberSpec(Strict):
    """A prober and where to reach it (``prober: sentio`` alone: the simulated one)."""

    kind: Literal[PROBERS]
    resource: str | None = Field(
        None,
        description="sentio: host:port of SENTIO's remote interface (port 35555); left out "
        "on a simulated station with a wafer: the simulated SENTIO prober",
    )
    timeout_ms: int = Field(30_000, ge=100, le=600_000, description="longest wait for a reply")

    @field_validator("resource")
    @classmethod
    def _address(cls, resource):
        if resource is not None:
            parse_address(resource, "")  # a BadInput is a ValueError: reported by its path
        return resource


class StationConfig(Strict):
    name: str = "station"
    clock: Literal["virtual", "realtime"] = "virtual"
    limits: Limits = Limits()
    instruments: dict[str, Instrument]
    simulation: Simulation | None = None
    prober: ProberSpec | None = Field(
        None,
        description="what brings the next device under the probes: its kind, or kind and "
        "resource (default: simulated on a simulated station, sentio with a simulated "
        "wafer, else manual)",
    )
    storage: Storage = Field(default_factory=Storage)
    catalog: str | None = Field(
        None,
        description="the run catalog every run is recorded in: a SQLAlchemy URL (a shared "
        "PostgreSQL catalog) or a SQLite file; 'off' records nothing (default: the user's)",
    )

    @field_validator("prober", mode="before")
    @classmethod
    def _kind_alone(cls, prober):
        """``prober: manual`` is short for ``prober: {kind: manual}``."""
        return {"kind": prober} if isinstance(prober, str) else prober

    @model_validator(mode="after")
    def _roles(self):
        if "smu" not in self.instruments:
            raise ValueError("instruments: a station needs an instrument with the role 'smu'")
        simulated = [r for r, i in self.instruments.items() if i.visa_library == "@bmrsim"]
        if simulated and self.simulation is None:
            raise ValueError(f"simulation: required, since {simulated} use '@bmrsim'")
        if self.simulation:
            sim = self.simulation
            roles = [*sim.wiring, *(f.instrument for f in sim.faults)]
            unknown = sorted({r for r in roles if r not in simulated})
            if unknown:
                raise ValueError(
                    f"simulation: {unknown} are not simulated instruments of "
                    f"this station ({simulated})"
                )
            missing = sorted(set(sim.wiring.values()) - sim.device_names())
            if missing:
                raise ValueError(
                    f"simulation.wiring: no device named {missing} "
                    f"(devices: {sorted(sim.device_names())})"
                )
        if self.prober_kind == "simulated" and not simulated:
            raise ValueError("prober: simulated needs simulated instruments ('@bmrsim')")
        wafer = self.simulation.wafer if self.simulation else None
        if wafer and self.prober_kind != "sentio":
            raise ValueError(
                "prober: a simulated wafer is reached by the simulated SENTIO prober "
                "(prober: sentio), not by the " + self.prober_kind + " prober"
            )
        if self.prober_kind == "sentio" and not (self.prober_spec.resource or wafer):
            raise ValueError(
                "prober: sentio needs its resource (host:port of SENTIO's remote "
                "interface), or a simulated wafer (simulation.wafer) on a simulated station"
            )
        if self.instruments["smu"].model not in SMU_MODELS:
            raise ValueError("instruments.smu: the role 'smu' needs a source-measure unit")
        generator = self.instruments.get("pulse_generator")
        if generator and generator.model not in GENERATOR_MODELS:
            raise ValueError(
                "instruments.pulse_generator: the role 'pulse_generator' needs "
                f"one of {', '.join(GENERATOR_MODELS)}"
            )
        for role, spec in self.instruments.items():
            if (role == "switch") != (spec.model in SWITCH_MODELS):
                raise ValueError(
                    f"instruments.{role}: a switch matrix ({', '.join(SWITCH_MODELS)}) has the "
                    "role 'switch', and the role 'switch' is a switch matrix"
                )
        return self

    @property
    def simulated(self) -> bool:
        return any(i.visa_library == "@bmrsim" for i in self.instruments.values())

    @property
    def prober_spec(self) -> ProberSpec:
        """The prober, with its kind filled in when the file leaves it out."""
        if self.prober:
            return self.prober
        if self.simulation and self.simulation.wafer:
            return ProberSpec(kind="sentio")
        return ProberSpec(kind="simulated" if self.simulated else "manual")

    @property
    def prober_kind(self) -> str:
        return self.prober_spec.kind


def load_station_config(path) -> StationConfig:
    """A station file by path, or a shipped station template by name."""
    return load_yaml(station_file(path), StationConfig, "station file")
