"""The devices of a wafer a recipe visits: the station's wafer map, narrowed by a selection.

The map is the prober's: on a simulated wafer every device of the wafer file
(:meth:`bmrlab.sim.wafer.SimWafer.addresses`), on an MPI SENTIO station the dies of the route
SENTIO holds, each with its subsites and, where a switch matrix reaches several devices from
one landing, each of those. A recipe's ``wafer:`` section keeps all of them, the listed ids,
or those in ranges of columns and rows, every n-th column or row of them (every other die),
and the devices of each landing it names. The order is always the route's, so the prober
steps forward over the wafer once.
"""

from pydantic import Field, field_validator, model_validator

from .config import Strict
from .die_address import FORMAT_HELP, DieAddress
from .errors import BadInput


class Every(Strict):
    """A pattern: every n-th column and row, counted from the first of the range."""

    columns: int = Field(1, ge=1)
    rows: int = Field(1, ge=1)


class WaferSelection(Strict):
    """Which devices of the station's wafer map: all of them (no key), the listed ``ids``,
    or those in the ``columns`` and ``rows`` ranges (first, last; both included), thinned
    to ``every`` n-th column and row, and to the ``matrix_devices`` of each landing."""

    ids: list[str] | None = Field(None, description="device ids: c3r4, c3r4s1, c3r4s1d2")
    columns: tuple[int, int] | None = Field(None, description="first, last column (included)")
    rows: tuple[int, int] | None = Field(None, description="first, last row (included)")
    every: Every | None = None
    matrix_devices: list[int] | None = Field(
        None, description="which devices of each landing the switch matrix reaches (0-based)"
    )

    @field_validator("ids")
    @classmethod
    def _ids(cls, ids):
        malformed = [i for i in ids if DieAddress.parse(i) is None]
        if malformed:
            raise ValueError(f"{', '.join(malformed)}: a device id is {FORMAT_HELP}")
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"device ids must be unique (repeated: {', '.join(repeated)})")
        return ids

    @field_validator("columns", "rows")
    @classmethod
    def _range(cls, span):
        if span is not None and not 0 <= span[0] <= span[1]:
            raise ValueError(f"{list(span)}: give first <= last, both >= 0")
        return span

    @model_validator(mode="after")
    def _one_kind(self):
        if self.ids is not None and (self.columns or self.rows or self.every):
            raise ValueError("give either ids or columns/rows/every, not both")
        return self

    def select(self, wafer_map: list[DieAddress]) -> list[DieAddress]:
        """The selected devices, in the map's order. Raises BadInput (by YAML path) for an
        id or a range that is not on the map."""
        if self.ids is not None:
            on_map = set(wafer_map)
            wanted = {DieAddress.parse(i) for i in self.ids}
            missing = [i for i in self.ids if DieAddress.parse(i) not in on_map]
            if missing:
                raise BadInput(
                    f"wafer.ids: {', '.join(missing)}: not on the station's wafer map "
                    f"({describe(wafer_map)})"
                )
            return [a for a in wafer_map if a in wanted]
        problems = []
        for axis in ("columns", "rows"):
            span = getattr(self, axis)
            last = max((getattr(a, axis[:-1]) for a in wafer_map), default=-1)
            if span is not None and span[1] > last:
                problems.append(
                    f"wafer.{axis}: {list(span)} reaches beyond the station's wafer map "
                    f"({axis} 0 to {last})"
                )
        devices = max((a.device for a in wafer_map), default=0)
        beyond = [d for d in self.matrix_devices or () if not 0 <= d <= devices]
        if beyond:
            problems.append(
                f"wafer.matrix_devices: {beyond}: each landing reaches devices 0 to {devices}"
            )
        if problems:
            raise BadInput(*problems)
        return [a for a in wafer_map if self._keeps(a)]

    def _keeps(self, address: DieAddress) -> bool:
        every = self.every or Every()
        for axis, stride in (("column", every.columns), ("row", every.rows)):
            span = getattr(self, axis + "s")
            first, last = span if span is not None else (0, None)
            value = getattr(address, axis)
            if value < first or (last is not None and value > last) or (value - first) % stride:
                return False
        return self.matrix_devices is None or address.device in self.matrix_devices


def describe(wafer_map: list[DieAddress]) -> str:
    """The map in words: its dies, sites and devices per landing."""
    dies = {a.die for a in wafer_map}
    landings = {a.landing for a in wafer_map}
    return (
        f"{len(wafer_map)} devices: {len(dies)} dies, {len(landings)} landings, "
        f"columns {min(a.column for a in dies)} to {max(a.column for a in dies)}, "
        f"rows {min(a.row for a in dies)} to {max(a.row for a in dies)}"
        if wafer_map
        else "empty"
    )


def route_addresses(remote, devices_per_landing: int = 1) -> list[DieAddress]:
    """Every device of the route a SENTIO station holds (:class:`SentioRemote`): its dies
    in stepping order, each die's subsites, each landing's matrix devices. Only map queries
    are sent: the chuck does not move."""
    dies = int(remote.command("map:get_num_dies Selected"))
    sites = int(remote.command("map:subsite:get_num"))
    route = []
    for sequence in range(dies):
        column, row = (int(v) for v in remote.command(f"map:path:get_die {sequence}").split(","))
        route += [
            DieAddress(column, row, site, device)
            for site in range(max(sites, 1))
            for device in range(devices_per_landing)
        ]
    return route


def wafer_map(station) -> list[DieAddress]:
    """The devices of the station's wafer, in the prober's route order: the simulated
    wafer's (nothing sent), else the route read from the SENTIO station. BadInput for a
    station without a wafer map (a manual or one-device simulated prober)."""
    if station.sentio_sim is not None:
        return station.sentio_sim.wafer.addresses()
    if station.prober.kind == "sentio":
        return route_addresses(station.prober.remote, station.switch.devices)
    raise BadInput(
        f"wafer: {station.source} has no wafer map (prober: {station.prober.kind}); a wafer "
        "recipe needs an MPI SENTIO prober or a simulated wafer (simulation.wafer)"
    )
