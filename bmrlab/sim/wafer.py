"""A simulated wafer: many devices of one kind, each a little different, some defective.

A wafer file names the nominal device (a device file: a library preset or a .yaml), the
die grid and the devices on each die (their sites), the device-to-device variability and
the fraction of defective devices:

```yaml
name: demo wafer
device: ag-pnw-ag            # the nominal device (device file)
seed: 7                      # the same seed gives the same wafer, device for device
layout:
  columns: 10
  rows: 10
  die_width_um: 5000
  die_height_um: 5000
  sites:                     # the devices of a die, by position from the die's home
    - {name: d1, x_um: 0, y_um: 0}
  matrix:                    # optional: the devices one landing reaches through a switch
    - {name: a, channel: 1A01}  # matrix (Keithley 707B crosspoints), device 0, 1, ...
    - {name: b, channel: 1A02}
variability:                 # sigma of ln(parameter) from device to device
  tau0: 0.3
  G_off: 0.5
defects:                     # fractions of all devices
  shorted: 0.02              # a resistor of shorted_ohms through the switching layer
  open: 0.02                 # no contact to the switching layer
  never_sets: 0.03           # the gap never closes
  sets_once: 0.02            # one set, then never again
```

Each device's parameters are its nominal device's (calibrated from the device file) times
``exp(sigma * z)`` with a standard normal ``z`` per parameter; whether it is defective, and
how, is drawn first. Every draw comes from a generator seeded by (seed, column, row, site)
(and the matrix device, from the second on), so a device is the same whenever and in whatever
order it is reached. The simulated prober (:mod:`bmrlab.sim.sentio`) lands the probes
(:meth:`SimWafer.place`) and the simulated switch matrix (:mod:`bmrlab.sim.keithley707b`)
closes crosspoints (:meth:`SimWafer.switch`); the bench's device is the one both reach.
"""

import math
from pathlib import Path

import numpy as np
from pydantic import Field, field_validator, model_validator

from ..config import Strict
from ..die_address import DieAddress
from ..errors import BadInput
from ..instruments.keithley707b import CHANNEL, CHANNEL_HELP
from ..paths import CONFIG_DIR, shipped_names
from ..validation import Ohms, load_yaml
from .library import DevicePreset, load_device
from .model import BmrDevice, ModelParams
from .reference import STRAY_CONDUCTANCE_S, ReferenceDevice

WAFERS = CONFIG_DIR / "wafers"
DEFECTS = ("shorted", "open", "never_sets", "sets_once")
# parameters that may vary from device to device: the positive physical ones of the model
# (not the per-cycle spreads sigma_*, which are already variability within a device)
VARIABLE = tuple(
    name
    for name, field in ModelParams.model_fields.items()
    if not name.startswith("sigma_") and field.annotation in (float, float | None)
)


class Site(Strict):
    """One device of a die, by its offset from the die's home position."""

    name: str = Field(min_length=1)
    x_um: float = 0.0
    y_um: float = 0.0


class MatrixDevice(Strict):
    """One device a landing of the probes reaches through the switch matrix: the crosspoint
    (707B channel) that connects the SMU to its pad."""

    name: str = Field(min_length=1)
    channel: str = Field(description="707B crosspoint, slot row column, e.g. 1A01")

    @field_validator("channel")
    @classmethod
    def _crosspoint(cls, channel):
        if not CHANNEL.fullmatch(channel):
            raise ValueError(f"{channel}: not a 707B crosspoint ({CHANNEL_HELP})")
        return channel


class Layout(Strict):
    columns: int = Field(ge=1, le=1000)
    rows: int = Field(ge=1, le=1000)
    die_width_um: float = Field(5000.0, gt=0, description="die pitch in x")
    die_height_um: float = Field(5000.0, gt=0, description="die pitch in y")
    sites: list[Site] = Field(default_factory=lambda: [Site(name="d1")], min_length=1)
    matrix: list[MatrixDevice] = Field(
        default_factory=list,
        description="the devices one landing reaches through a switch matrix (none: one)",
    )

    @property
    def devices(self) -> int:
        """Devices reached at one landing of the probes."""
        return max(1, len(self.matrix))

    @model_validator(mode="after")
    def _sites_inside(self):
        for k, site in enumerate(self.sites):
            if not (0 <= site.x_um < self.die_width_um and 0 <= site.y_um < self.die_height_um):
                raise ValueError(
                    f"sites[{k}]: ({site.x_um}, {site.y_um}) µm lies outside the die "
                    f"(0 <= x < {self.die_width_um}, 0 <= y < {self.die_height_um})"
                )
        names = [s.name for s in self.sites]
        if len(set(names)) != len(names):
            raise ValueError("sites: names must be unique")
        for what in ("name", "channel"):
            values = [getattr(d, what) for d in self.matrix]
            if len(set(values)) != len(values):
                raise ValueError(f"matrix: each device needs its own {what}")
        return self


class Defects(Strict):
    shorted: float = Field(0.0, ge=0, le=1)
    open: float = Field(0.0, ge=0, le=1)
    never_sets: float = Field(0.0, ge=0, le=1)
    sets_once: float = Field(0.0, ge=0, le=1)
    shorted_ohms: Ohms = Field(1000.0, gt=0, description="resistance of a shorted device")

    @model_validator(mode="after")
    def _at_most_all(self):
        if sum(getattr(self, d) for d in DEFECTS) > 1:
            raise ValueError(f"the fractions of {', '.join(DEFECTS)} add up to more than 1")
        return self


class WaferFile(Strict):
    name: str
    device: str = Field(description="the nominal device: a preset or a device .yaml")
    seed: int = Field(1, ge=0)
    layout: Layout
    variability: dict[str, float] = Field(
        default_factory=dict, description="model parameter -> sigma of its logarithm"
    )
    defects: Defects = Defects()

    @field_validator("variability")
    @classmethod
    def _known(cls, variability):
        unknown = sorted(set(variability) - set(VARIABLE))
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not a model parameter that varies from device to "
                f"device (allowed: {', '.join(VARIABLE)})"
            )
        bad = [f"{k} = {v}" for k, v in variability.items() if not 0 <= v <= 3]
        if bad:
            raise ValueError(f"{', '.join(bad)}: a sigma of ln(parameter) is between 0 and 3")
        return variability


class SetsOnce(BmrDevice):
    """A device whose gap closes once: after its first set it never bridges again."""

    def g_rate(self, v: float) -> float:
        if v >= 0 and self.sets and not self.bridged:
            return 0.0
        return super().g_rate(v)


def wafer_names() -> list[str]:
    return shipped_names(WAFERS)


def wafer_path(name_or_path: str) -> Path:
    """A shipped wafer by name, or a .yaml path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        return path
    shipped = WAFERS / f"{name_or_path}.yaml"
    if not shipped.is_file():
        raise BadInput(
            f"wafer {name_or_path}: not a wafer shipped with bmrlab "
            f"({', '.join(wafer_names())}) nor a .yaml file"
        )
    return shipped


class SimWafer:
    """The devices of a wafer file, each made when the probes first reach it and kept, so
    that a device reached again remembers what it went through."""

    def __init__(self, spec: WaferFile, nominal: DevicePreset, device: str, source: str = "wafer"):
        self.spec = spec
        self.nominal = nominal
        self.device = device  # the nominal device's file, as load_device takes it
        self.source = source
        self._reached: dict[DieAddress, BmrDevice | ReferenceDevice] = {}
        self.landing: DieAddress | None = None  # where the probes touch down, if they do
        self.closed: frozenset[str] = frozenset()  # the matrix crosspoints now closed

    @property
    def layout(self) -> Layout:
        return self.spec.layout

    def contains(self, address: DieAddress) -> bool:
        layout = self.layout
        return (
            0 <= address.column < layout.columns
            and 0 <= address.row < layout.rows
            and 0 <= address.site < len(layout.sites)
            and 0 <= address.device < layout.devices
        )

    def addresses(self) -> list[DieAddress]:
        """Every device of the wafer, die by die (rows first), each landing's matrix devices
        in order."""
        layout = self.layout
        return [
            DieAddress(column, row, site, device)
            for row in range(layout.rows)
            for column in range(layout.columns)
            for site in range(len(layout.sites))
            for device in range(layout.devices)
        ]

    def _draws(self, address: DieAddress) -> tuple[str, dict, int]:
        """(defect or 'good', the device's parameter factors, its own seed), all from the
        device's generator in a fixed order. Device 0 of a landing has the generator it has
        on a wafer without a matrix, so adding a matrix keeps the devices already there."""
        key = [self.spec.seed, address.column, address.row, address.site]
        rng = np.random.default_rng(key + [address.device] if address.device else key)
        u = rng.random()
        kind, edge = "good", 0.0
        for defect in DEFECTS:
            edge += getattr(self.spec.defects, defect)
            if u < edge:
                kind = defect
                break
        factors = {
            name: math.exp(self.spec.variability[name] * rng.standard_normal())
            for name in sorted(self.spec.variability)
        }
        return kind, factors, int(rng.integers(2**31))

    def kind_of(self, address: DieAddress) -> str:
        """'good' or the device's defect."""
        return self._draws(address)[0]

    def params_of(self, address: DieAddress) -> ModelParams:
        """The model parameters of a device (its nominal ones times its variability)."""
        _, factors, _ = self._draws(address)
        nominal = self.nominal.params
        varied = {
            name: getattr(nominal, name) * factor
            for name, factor in factors.items()
            if getattr(nominal, name) is not None
        }
        return nominal.model_copy(update=varied)

    def build(self, address: DieAddress, name: str = "dut"):
        """A pristine device of the wafer at ``address``."""
        kind, _, seed = self._draws(address)
        if kind == "shorted":
            return ReferenceDevice(1.0 / self.spec.defects.shorted_ohms, seed=seed, name=name)
        if kind == "open":
            return ReferenceDevice(STRAY_CONDUCTANCE_S, seed=seed, name=name)
        params = self.params_of(address)
        if kind == "never_sets":
            return BmrDevice(params.model_copy(update={"tau0": math.inf}), seed=seed, name=name)
        return (SetsOnce if kind == "sets_once" else BmrDevice)(params, seed=seed, name=name)

    def place(self, bench, landing: DieAddress | None) -> None:
        """The probes touch down at ``landing`` (column, row, site; None: they are up)."""
        self.landing = landing
        self._connect(bench)

    def switch(self, bench, closed: frozenset[str]) -> None:
        """The switch matrix now has the crosspoints ``closed`` closed."""
        self.closed = frozenset(closed)
        self._connect(bench)

    def conflict(self, closed: frozenset[str]) -> str:
        """Why the simulated bench cannot have the crosspoints ``closed`` closed at once ('':
        it can): two devices in parallel under one SMU, or two matrix rows shorted through a
        column, are not simulated (strict: a real 707B closes them and the SMU sees both)."""
        devices = [d.channel for d in self.layout.matrix if d.channel in closed]
        if len(devices) > 1:
            return f"{' and '.join(devices)} would connect two devices at once"
        columns: dict[str, str] = {}
        for channel in sorted(closed):
            column = channel[0] + channel[2:]
            if column in columns:
                return f"{columns[column]} and {channel} would short two rows"
            columns[column] = channel
        return ""

    def under_test(self) -> DieAddress | None:
        """The device the SMU reaches: the landing's device whose crosspoint is closed (a
        wafer without a matrix: the landing's one device); None: nothing (probes up, no
        crosspoint closed, or no device pad there)."""
        landing = self.landing
        if landing is None:
            return None
        if not self.layout.matrix:
            return landing
        chosen = [k for k, d in enumerate(self.layout.matrix) if d.channel in self.closed]
        if len(chosen) != 1:
            return None
        return DieAddress(landing.column, landing.row, landing.site, chosen[0])

    def _connect(self, bench, name: str = "dut") -> None:
        """Put the device under test where the bench's device ``name`` is (none: the SMU
        sees an open circuit). A device left meanwhile rested unconnected, at 0 V."""
        address = self.under_test()
        with bench.lock:
            bench.sync()  # the outgoing device lives up to now under what drove it
            now = bench.clock.now()
            if address is None or not self.contains(address):
                part = ReferenceDevice(STRAY_CONDUCTANCE_S, name=name)
                part.t = now
            elif address in self._reached:
                part = self._reached[address]
                part.advance(now, 0.0)
            else:
                part = self._reached[address] = self.build(address, name)
                part.t = now
            bench.devices[name] = part


def load_wafer(name_or_path: str) -> SimWafer:
    """A wafer file (every problem by its YAML path) with its calibrated nominal device; a
    relative device path is taken from the wafer file's folder."""
    path = wafer_path(name_or_path)
    spec = load_yaml(path, WaferFile, "wafer file")
    device = spec.device
    if Path(device).suffix in (".yaml", ".yml") and not Path(device).is_absolute():
        device = str(path.parent / device)
    try:
        nominal = load_device(device)
    except BadInput as error:
        raise BadInput(*(f"{path}: device: {p}" for p in error.problems)) from None
    if not isinstance(nominal, DevicePreset):
        raise BadInput(
            f"{path}: device: {spec.device}: a wafer is made of memristors, not of a reference part"
        )
    return SimWafer(spec, nominal, device, str(path))


def mount(wafer: SimWafer, bench):
    """The wafer on a simulated bench: every simulated switch matrix of the bench wired to
    its devices, and the simulated SENTIO prober over it (returned)."""
    from .keithley707b import SimKeithley707B
    from .sentio import SimSentio

    switches = [i for i in bench.instruments.values() if isinstance(i, SimKeithley707B)]
    if wafer.layout.matrix and not switches:
        raise BadInput(
            f"instruments.switch: missing: the wafer {wafer.source} reaches "
            f"{len(wafer.layout.matrix)} devices per landing through a switch matrix "
            "(give the station {model: keithley707b, visa_library: '@bmrsim'})"
        )
    for switch in switches:
        switch.wire(wafer)
    return SimSentio(wafer, bench)
