"""The wafer report: the per-device table, the yield by criterion, the device-to-device
distributions and the maps of a sample, written as files (what ``bmrlab wafer-report`` and
the wafer recipes write beside their HDF5 file)."""

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import BadInput
from ..plotting import plain_log_labels
from .criteria import CriteriaGiven, as_criteria, judge, yield_table
from .cumulative import cumulative_png
from .distributions import distribution_table
from .maps import MapLayout, colour_bar, draw_figure_map, draw_yield_map, figure_label, map_figure
from .table import device_table, figure_values


def default_out_dir(path) -> Path:
    """Beside the HDF5 file: ``wafer.h5`` -> ``wafer_report/``."""
    path = Path(path)
    return path.with_name(f"{path.stem}_report")


def worth_plotting(values: np.ndarray) -> bool:
    """A figure gets a map and a cumulative plot when some device has it, unless every
    device has the same value (a condition recorded with the result, an endurance censored
    at the run's last cycle): its distribution row says so."""
    return bool(values.size) and (values.size == 1 or values.max() > values.min())


def make_out_dir(out_dir: Path) -> None:
    """Make the report's folder and check that a file can be written in it (BadInput, one
    line, before any file of the report is written)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInput(f"--out {out_dir}: exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=out_dir).close()
    except OSError as error:
        raise BadInput(f"--out {out_dir}: cannot be written ({error.strerror or error})") from None


def write_report(
    path, sample: str | None, out_dir=None, criteria: CriteriaGiven | None = None
) -> list[Path]:
    """Write the report of ``sample`` (the file's only one when None) of the HDF5 file
    ``path`` into ``out_dir`` (default: ``<file>_report`` beside it) and return the files:
    the per-device table (Parquet and CSV), the yield by criterion and the distributions
    (CSV), a cumulative plot and a map per figure and the yield map (PNG). ``criteria``:
    a list of :class:`Criterion`, or a recipe screen's ``pass_if`` mapping (``{"vset_mV":
    {"below": 120}}``); the field's defaults when None. Every input is checked (BadInput)
    before anything is written."""
    criteria = as_criteria(criteria)
    table = judge(device_table(path, sample), criteria)
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(path)
    make_out_dir(out_dir)
    stem = out_dir / table.attrs["sample"]
    written = []

    def named(suffix: str) -> Path:
        written.append(Path(f"{stem}_{suffix}"))
        return written[-1]

    table.to_parquet(named("devices.parquet"), index=False)
    table.to_csv(named("devices.csv"), index=False)
    yield_table(table, criteria).to_csv(named("yield.csv"), index=False)
    distribution_table(table).to_csv(named("distributions.csv"), index=False)
    figures = [f for f in table.attrs["figures"] if worth_plotting(figure_values(table, f))]
    for figure in figures:
        cumulative_png(table, figure, named(f"cumulative_{figure}.png"))
    layout = MapLayout.of(table)
    if layout is not None:
        for figure in figures:
            map_png(table, layout, figure, named(f"map_{figure}.png"))
        map_png(table, layout, None, named("map_yield.png"))
    return written


def map_png(table: pd.DataFrame, layout: MapLayout, figure: str | None, path: Path) -> None:
    """The map of ``figure`` (None: the yield map) as a PNG."""
    fig = map_figure(layout)
    ax = fig.subplots()
    if figure is None:
        draw_yield_map(ax, table, layout)
    else:
        mapping = draw_figure_map(ax, table, figure, layout)
        colour_bar(fig, ax, mapping, figure_label(figure, table.attrs["figures"][figure]))
    plain_log_labels(fig)
    fig.tight_layout()
    fig.savefig(path)
