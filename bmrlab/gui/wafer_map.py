"""The wafer map of the session's HDF5 file: a sample, a figure (or the yield), and each
device a cell at its place on the wafer, drawn as the report's PNG maps are
(``bmrlab.array_report.maps``). Clicking a device says whether it passes the yield criteria
and asks the window to open its runs (``device_chosen``). The map is read again when it is
shown after runs were added."""

from pathlib import Path

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from ..array_report import MapLayout, device_table, judge
from ..array_report.maps import colour_bar, draw_figure_map, draw_yield_map, figure_label
from ..array_report.table import POSITION, samples
from ..die_address import DieAddress
from ..errors import BadInput

YIELD = "yield"


class WaferMapView(QWidget):
    device_chosen = pyqtSignal(str, str)  # sample, device id

    def __init__(self, out: Path):
        super().__init__()
        self.out = Path(out)
        self.table = None  # the screened per-device table of the chosen sample
        self.layout_of_map: MapLayout | None = None
        self.devices: dict[DieAddress, str] = {}  # the id of the device in each cell
        self.stale = True  # runs were added since the map was read
        self.problem = ""  # why the file could not be read
        self.sample_box = QComboBox()
        self.figure_box = QComboBox()
        self.sample_box.currentTextChanged.connect(lambda _: self._read())
        self.figure_box.currentIndexChanged.connect(lambda _: self.draw())
        self.figure = Figure(figsize=(5, 5), dpi=100)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumSize(200, 200)
        self.canvas.mpl_connect("button_press_event", self._clicked)
        self.axes = None
        self.note = QLabel()
        self.note.setWordWrap(True)
        choices = QFormLayout()
        choices.addRow("sample", self.sample_box)
        choices.addRow("figure", self.figure_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(choices)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.note)

    # --- reading ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Runs were added: read the file again now if the map is in sight, else when it is
        next shown."""
        self.stale = True
        if self.isVisible():
            self._reload()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.stale:
            self._reload()

    def _reload(self) -> None:
        self.stale = False
        found = samples(self.out) if self.out.exists() else []
        chosen = self.sample_box.currentText()
        self.sample_box.blockSignals(True)
        self.sample_box.clear()
        self.sample_box.addItems(found)
        if chosen in found:
            self.sample_box.setCurrentText(chosen)
        self.sample_box.blockSignals(False)
        self._read()

    def _read(self) -> None:
        sample = self.sample_box.currentText()
        self.table, self.layout_of_map, self.devices, self.problem = None, None, {}, ""
        if sample:
            try:
                self.table = judge(device_table(self.out, sample))
            except BadInput as error:  # the file is being written by a run, or damaged
                self.problem = str(error)
        if self.table is not None:
            self.layout_of_map = MapLayout.of(self.table)
            placed = self.table.dropna(subset=list(POSITION))
            self.devices = {
                DieAddress(*(int(row[n]) for n in POSITION)): row["device_id"]
                for _, row in placed.iterrows()
            }
        chosen = self.figure_box.currentData()
        self.figure_box.blockSignals(True)
        self.figure_box.clear()
        if self.table is not None:
            self.figure_box.addItem(YIELD, YIELD)
            for name, units in self.table.attrs["figures"].items():
                if self.table[name].notna().any():
                    self.figure_box.addItem(figure_label(name, units), name)
            index = self.figure_box.findData(chosen)
            self.figure_box.setCurrentIndex(max(index, 0))
        self.figure_box.blockSignals(False)
        self.draw()

    # --- drawing and clicking ---------------------------------------------------------------------
    def choose(self, figure: str) -> None:
        """Show the map of ``figure`` (a column of the table, or ``yield``)."""
        self.figure_box.setCurrentIndex(self.figure_box.findData(figure))

    def draw(self) -> None:
        self.figure.clear()
        self.axes = None
        if self.table is None or self.layout_of_map is None:
            self.note.setText(self.problem or self._nothing_to_draw())
            self.canvas.draw_idle()
            return
        self.axes = self.figure.subplots()
        figure = self.figure_box.currentData()
        if figure == YIELD:
            draw_yield_map(self.axes, self.table, self.layout_of_map)
        else:
            units = self.table.attrs["figures"][figure]
            mapping = draw_figure_map(self.axes, self.table, figure, self.layout_of_map)
            colour_bar(self.figure, self.axes, mapping, figure_label(figure, units))
        self.figure.tight_layout()
        self.note.setText("click a device to open its runs")
        self.canvas.draw_idle()

    def _nothing_to_draw(self) -> str:
        if self.table is None:
            return f"no runs in {self.out.name} yet"
        return "no device of this sample has a wafer address (c<column>r<row>...)"

    def _clicked(self, event) -> None:
        if self.axes is None or event.inaxes is not self.axes or self.layout_of_map is None:
            return
        address = self.layout_of_map.address_at(event.xdata, event.ydata)
        device = self.devices.get(address) if address is not None else None
        if device is None:
            self.note.setText(f"{address}: no run in the file" if address else "")
            return
        row = self.table.set_index("device_id").loc[device]
        verdict = {
            "pass": "passes every yield criterion",
            "fail": f"fails: {row['failed_because']}",
        }.get(row["passed"], "not judged by the yield criteria")
        self.note.setText(f"{device}: {row['runs']} runs; {verdict}")
        self.device_chosen.emit(self.sample_box.currentText(), device)
