"""The run browser: the runs of the session's HDF5 file, or of the lab's run catalog found by
a search (sample, device pattern, protocol, station, dates, figure ranges, status; every
file and station the catalog knows). One table row per run (started, protocol, device,
status; for catalog runs also station, file and the searched figures; file and group in the
tooltip). A chosen run's plot and figures are shown, whichever file holds it; CSV and PNG
export named after the run beside its HDF5 file, and "use these parameters" to fill the
form with an earlier run's values."""

from dataclasses import dataclass, field
from pathlib import Path

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..errors import BadInput
from ..storage import export_csv, list_runs, load_run
from .catalog_search import CatalogSearch
from .run_queue import STATE_COLORS

COLUMNS = ["started", "protocol", "device", "status"]
# catalog runs: COLUMNS, the figures searched by range, then "file" and "station"
SHOWN_AT_MOST = 1000  # catalog runs listed (the newest): a search narrows the rest
WIDEST_COLUMN_PX = 130  # a long station or file name is elided (the tooltip has it all)


def run_stem(run: str) -> str:
    """A file name for a run: ``/sample/device/20261201T..._iv-sweep`` -> ``sample_device_...``."""
    return run.strip("/").replace("/", "_").replace(":", "")


def started_text(run_id: str) -> str:
    """``20261201T050911.472Z_iv-sweep`` -> ``12-01 05:09:11``."""
    stamp = run_id.split("_")[0]
    if len(stamp) >= 15 and stamp[8] == "T":
        return f"{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}"
    return stamp


@dataclass
class Listed:
    """A run as the table lists it: where it is stored and what its row says."""

    file: Path
    run: str  # group path, /sample/device/run_id
    protocol: str
    status: str
    station: str = ""
    figures: dict[str, float] = field(default_factory=dict)


class RunBrowser(QWidget):
    chosen = pyqtSignal(object)  # the RunData of the run the user picked
    reuse = pyqtSignal(str, dict)  # protocol, parameters

    def __init__(self, out: Path, catalog: str | None = None):
        """``catalog``: the URL of the catalog to search (None: recording is off)."""
        super().__init__()
        self.out = Path(out)
        self.catalog_url = catalog
        self.runs: list[Listed] = []
        self.searched: dict | None = None  # the catalog search shown; None: the session's file
        self._catalog = None  # opened at the first search (SQLAlchemy loads then)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)  # one line a run; long names elided
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.currentCellChanged.connect(lambda row, *_: self._choose(row))
        self.search_toggle = QPushButton("Search the catalog")
        self.search_toggle.setCheckable(True)
        self.search_toggle.toggled.connect(self._toggle_search)
        if catalog is None:
            self.search_toggle.setEnabled(False)
            self.search_toggle.setToolTip("the run catalog is off (BMRLAB_CATALOG or catalog:)")
        else:
            self.search_toggle.setToolTip(f"every run recorded in {catalog}")
        self.search = CatalogSearch()
        self.search.setVisible(False)
        self.search.requested.connect(self.search_catalog)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.csv_button = QPushButton("Export CSV")
        self.csv_button.clicked.connect(lambda: self.export_csv())
        self.png_button = QPushButton("Export PNG")
        self.reuse_button = QPushButton("Use these parameters")
        self.reuse_button.setToolTip("fill the form with this run's protocol and parameters")
        self.reuse_button.clicked.connect(self._reuse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.search_toggle)
        layout.addWidget(self.search)
        layout.addWidget(self.note)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        for button in (self.csv_button, self.png_button, self.reuse_button):
            row.addWidget(button)
        layout.addLayout(row)
        self.plot = None  # the live plot the window lends for PNG export
        self.png_button.clicked.connect(lambda: self.export_png())
        self._say(f"runs of {self.out.name}")

    def refresh(self) -> None:
        """List again what is shown: the session's file, or the catalog search (a run that
        just ended appears if it matches)."""
        if self.searched is None:
            self._fill(self._file_runs(), COLUMNS)
            self._say(f"runs of {self.out.name}")
        else:
            self.search_catalog(self.searched)

    def _file_runs(self) -> list[Listed]:
        if not self.out.exists():
            return []
        return [
            Listed(self.out, row["run"], row["protocol"], row["status"])
            for _, row in list_runs(self.out).iterrows()
        ]

    def search_catalog(self, filters: dict | None = None) -> None:
        """List the catalog's runs matching ``filters`` (``Catalog.query`` arguments; by
        default the search fields). A bad filter or an unreachable catalog is said in the
        note, the list kept."""
        try:
            filters = self.search.filters() if filters is None else filters
            found = self._opened().query(**filters)
        except BadInput as error:
            self._say(str(error), error=True)
            return
        except Exception as error:  # the database: unreachable, locked too long, ...
            self._say(f"catalog {self.catalog_url}: {type(error).__name__}: {error}", error=True)
            return
        self.searched = filters
        named = [name for name in filters.get("figure_ranges", {}) if name in found.columns]
        shown = found.tail(SHOWN_AT_MOST).to_dict("records")
        self._fill(
            [
                Listed(
                    Path(row["file"]),
                    row["run"],
                    row["protocol"],
                    row["status"],
                    row["station"],
                    {name: row[name] for name in named},
                )
                for row in shown
            ],
            [*COLUMNS, *named, "file", "station"],
        )
        runs = "run" if len(found) == 1 else "runs"
        if len(found) > len(shown):
            self._say(f"{len(found)} {runs} found in the catalog; the newest {len(shown)} shown")
        else:
            self._say(f"{len(found)} {runs} found in the catalog")

    def _opened(self):
        if self._catalog is None:
            from ..catalog import Catalog

            self._catalog = Catalog(self.catalog_url)
        return self._catalog

    def _toggle_search(self, searching: bool) -> None:
        """Open the search fields; closing them lists the session's file again."""
        self.search.setVisible(searching)
        if not searching and self.searched is not None:
            self.searched = None
            self.refresh()

    def _fill(self, runs: list[Listed], columns: list[str]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        self.table.setRowCount(len(runs))
        for r, listed in enumerate(runs):
            for c, text in enumerate(_cells(listed, columns)):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{listed.file}\n{listed.run}")
                if columns[c] == "status" and text in STATE_COLORS:
                    item.setForeground(QColor(STATE_COLORS[text]))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        for c in range(len(columns)):
            self.table.setColumnWidth(c, min(self.table.columnWidth(c), WIDEST_COLUMN_PX))
        self.runs = runs
        self.table.blockSignals(False)

    def _say(self, text: str, error: bool = False) -> None:
        self.note.setText(text)
        self.note.setStyleSheet("color: #b00020" if error else "color: #555")

    def current(self) -> Listed | None:
        row = self.table.currentRow()
        return self.runs[row] if 0 <= row < len(self.runs) else None

    def select(self, row: int) -> None:
        self.table.setCurrentCell(row, 0)

    def _load(self, listed: Listed):
        """The run's data, or None with the reason in the note (a catalogued file moved or
        unreadable)."""
        try:
            return load_run(listed.file, listed.run)
        except (OSError, BadInput, KeyError) as error:
            self._say(f"{listed.file}: {listed.run} cannot be read ({error})", error=True)
            return None

    def _choose(self, row: int) -> None:
        if 0 <= row < len(self.runs):
            loaded = self._load(self.runs[row])
            if loaded is not None:
                self.chosen.emit(loaded)

    def _reuse(self) -> None:
        listed = self.current()
        loaded = self._load(listed) if listed is not None else None
        if loaded is not None:
            self.reuse.emit(loaded.protocol, {k: str(v) for k, v in loaded.parameters.items()})

    def default_path(self, suffix: str) -> str:
        """Beside the run's HDF5 file, named after the run."""
        listed = self.current()
        folder = (listed.file if listed else self.out).parent
        return str(folder / f"{run_stem(listed.run if listed else 'run')}{suffix}")

    def export_csv(self, path: str | None = None) -> str | None:
        listed = self.current()
        if listed is None:
            return None
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export CSV", self.default_path(".csv"), "CSV (*.csv)"
            )
        if path:
            export_csv(listed.file, listed.run, path)
        return path

    def export_png(self, path: str | None = None) -> str | None:
        """The plot as shown, with its title (protocol, sample/device, time, status)."""
        if self.plot is None or self.current() is None:
            return None
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export PNG", self.default_path(".png"), "PNG (*.png)"
            )
        if path:
            self.plot.grab().save(path)
        return path


def _cells(listed: Listed, columns: list[str]) -> list[str]:
    """The texts of a run's row; a column not named here is a figure."""
    sample, device, run_id = listed.run.strip("/").split("/")[-3:]
    named = {
        "started": started_text(run_id),
        "protocol": listed.protocol,
        "device": f"{sample}/{device}",
        "status": listed.status,
        "file": listed.file.name,
        "station": listed.station,
    }
    return [named[c] if c in named else _figure_text(listed.figures.get(c)) for c in columns]


def _figure_text(value) -> str:
    return "" if value is None or value != value else f"{value:.4g}"


def run_title(run: str, protocol: str, status: str) -> str:
    """A plot title for a run: protocol, sample/device, start time, status."""
    sample, device, run_id = (run.strip("/").split("/") + ["", "", ""])[:3]
    return f"{protocol} · {sample}/{device} · {started_text(run_id)} · {status}"
