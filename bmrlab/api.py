"""The Python API: run a protocol from a script or a notebook, with the same checks, guard
and storage as the command line.

>>> import bmrlab
>>> result = bmrlab.run_protocol("iv-sweep", device="ag-bioi-pt", out="data/nb.h5", cycles=5)
>>> result.figures["vset_mV"], result.dataframe().head(), result.path
"""

from pathlib import Path

from . import runner
from .errors import BadInput
from .station import Station


def run_protocol(
    protocol: str,
    *,
    station: Station | str | Path | None = None,
    device: str | None = None,
    device_file: str | None = None,
    out="data/notebook.h5",
    sample: str = "sample",
    device_id: str | None = None,
    figures_dir=None,
    stop=None,
    compression: str | None = None,
    **values,
) -> runner.RunResult:
    """Run ``protocol`` with parameter ``values`` (numbers or strings like ``"150mV"``) and
    return its :class:`~bmrlab.runner.RunResult` (figures, ``dataframe()``, file location,
    status). ``station``: a connected or loaded :class:`Station`, a station file or a shipped
    station's name (default: a simulated 2450); ``device``: a simulated device preset or file;
    ``device_file``: the device file of the device under test on any station (its test
    conditions, and the published figures stored beside the measured ones); ``compression``:
    this run's data-column filter, "none", "gzip" or "lzf" (default: the station's).
    Bad parameters raise :class:`BadInput` before any instrument is touched; a failed or
    aborted run returns with its status and reason (its data are in the file)."""
    if isinstance(station, Station):
        if device is not None or device_file is not None:
            raise BadInput(
                "device, device_file: choose the device when loading the Station, "
                "Station.load(path, device=..., device_file=...)"
            )
        return _run(
            station, protocol, values, out, sample, device_id, figures_dir, stop, compression
        )
    with Station.load(station, device, device_file) as loaded:
        return _run(
            loaded, protocol, values, out, sample, device_id, figures_dir, stop, compression
        )


def _run(station, protocol, values, out, sample, device_id, figures_dir, stop, compression):
    procedure = runner.prepare(station, protocol, values)
    return runner.run(
        station,
        procedure,
        out,
        sample=sample,
        device=device_id or station.device_preset or "device",
        figures_dir=figures_dir,
        stop=stop,
        compression=compression,
    )
