"""The run browser over the session's HDF5 file: one table row per run (started, protocol,
device, status, reason; the full group path in the tooltip), the run's plot and figures when
chosen, CSV and PNG export named after the run beside the HDF5 file, and "use these
parameters" to fill the form with an earlier run's values."""

from pathlib import Path

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..storage import export_csv, list_runs, load_run
from .run_queue import STATE_COLORS

COLUMNS = ["started", "protocol", "device", "status"]


def run_stem(run: str) -> str:
    """A file name for a run: ``/sample/device/20261201T..._iv-sweep`` -> ``sample_device_...``."""
    return run.strip("/").replace("/", "_").replace(":", "")


def started_text(run_id: str) -> str:
    """``20261201T050911.472Z_iv-sweep`` -> ``12-01 05:09:11``."""
    stamp = run_id.split("_")[0]
    if len(stamp) >= 15 and stamp[8] == "T":
        return f"{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}"
    return stamp


class RunBrowser(QWidget):
    chosen = pyqtSignal(object)  # the RunData of the run the user picked
    reuse = pyqtSignal(str, dict)  # protocol, parameters

    def __init__(self, out: Path):
        super().__init__()
        self.out = Path(out)
        self.runs: list[str] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.currentCellChanged.connect(lambda row, *_: self._choose(row))
        self.csv_button = QPushButton("Export CSV")
        self.csv_button.clicked.connect(lambda: self.export_csv())
        self.png_button = QPushButton("Export PNG")
        self.reuse_button = QPushButton("Use these parameters")
        self.reuse_button.setToolTip("fill the form with this run's protocol and parameters")
        self.reuse_button.clicked.connect(self._reuse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        for button in (self.csv_button, self.png_button, self.reuse_button):
            row.addWidget(button)
        layout.addLayout(row)
        self.plot = None  # the live plot the window lends for PNG export
        self.png_button.clicked.connect(lambda: self.export_png())

    def refresh(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        self.runs = []
        if self.out.exists():
            rows = list_runs(self.out)
            self.table.setRowCount(len(rows))
            for r, (_, row) in enumerate(rows.iterrows()):
                sample, device, run_id = row["run"].strip("/").split("/")[-3:]
                texts = [started_text(run_id), row["protocol"], f"{sample}/{device}", row["status"]]
                for c, text in enumerate(texts):
                    item = QTableWidgetItem(text)
                    item.setToolTip(row["run"])
                    if c == 3 and text in STATE_COLORS:
                        item.setForeground(QColor(STATE_COLORS[text]))
                    self.table.setItem(r, c, item)
                self.runs.append(row["run"])
        self.table.blockSignals(False)

    def current(self) -> str | None:
        row = self.table.currentRow()
        return self.runs[row] if 0 <= row < len(self.runs) else None

    def select(self, row: int) -> None:
        self.table.setCurrentCell(row, 0)

    def _choose(self, row: int) -> None:
        if 0 <= row < len(self.runs):
            self.chosen.emit(load_run(self.out, self.runs[row]))

    def _reuse(self) -> None:
        run = self.current()
        if run is not None:
            loaded = load_run(self.out, run)
            self.reuse.emit(loaded.protocol, {k: str(v) for k, v in loaded.parameters.items()})

    def default_path(self, suffix: str) -> str:
        """Beside the HDF5 file, named after the run."""
        return str(self.out.parent / f"{run_stem(self.current() or 'run')}{suffix}")

    def export_csv(self, path: str | None = None) -> str | None:
        run = self.current()
        if run is None:
            return None
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export CSV", self.default_path(".csv"), "CSV (*.csv)"
            )
        if path:
            export_csv(self.out, run, path)
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


def run_title(run: str, protocol: str, status: str) -> str:
    """A plot title for a run: protocol, sample/device, start time, status."""
    sample, device, run_id = (run.strip("/").split("/") + ["", "", ""])[:3]
    return f"{protocol} · {sample}/{device} · {started_text(run_id)} · {status}"
