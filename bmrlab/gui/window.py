"""The probe-station window: protocol and parameters, a queue of runs, start and abort, the
live plot, the figures of the last run, a run browser over the HDF5 file, manual control and
a status bar with each instrument's state."""

import json
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QSettings, Qt, QTimer
from PyQt6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                             QLabel, QLineEdit, QListWidget, QMainWindow, QPushButton,
                             QSplitter, QTableWidget, QTableWidgetItem, QTabWidget,
                             QVBoxLayout, QWidget)

from .. import runner, standard
from ..standard import TABLE1
from ..errors import BadInput
from ..procedures import PROTOCOLS
from ..storage import export_csv, list_runs, load_run
from ..units import format_quantity
from .live_plot import LivePlot
from .run_thread import RunThread

REFRESH_MS = 66  # 15 plot updates a second, at most


def parameter_text(parameter) -> str:
    value = parameter.value
    if isinstance(value, list):
        return ",".join(format_quantity(v, parameter.units or "") for v in value)
    if isinstance(value, float):
        return format_quantity(value, getattr(parameter, "units", "") or "")
    return str(value)


class MainWindow(QMainWindow):
    def __init__(self, station, out="data/gui.h5", settings: QSettings | None = None):
        super().__init__()
        self.station = station
        self.out = Path(out)
        self.settings = settings or QSettings("bmrlab", "gui")
        self.worker = RunThread(station, self.out)
        self.last_result = None
        self.last_limit = False
        self.setWindowTitle(f"bmrlab - {station.config.name}")
        self._build()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._drain)
        self.timer.start(REFRESH_MS)
        self.protocol_box.setCurrentText(self.settings.value("protocol", "iv-sweep"))
        self._show_form()

    # --- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.protocol_box = QComboBox()
        self.protocol_box.addItems(sorted(PROTOCOLS))
        self.protocol_box.currentTextChanged.connect(self._show_form)
        self.sample_edit = QLineEdit(self.settings.value("sample", "sample"))
        self.device_edit = QLineEdit(self.station.device_preset or "device")
        self.form = QFormLayout()
        self.problems = QLabel()
        self.problems.setStyleSheet("color: #c0392b")
        self.problems.setWordWrap(True)
        limits = self.station.config.limits
        self.limits_label = QLabel(
            f"station limits: |V| <= {format_quantity(limits.max_voltage, 'V')}, "
            f"compliance <= {format_quantity(limits.max_compliance, 'A')}, "
            f"pulses >= {format_quantity(limits.min_pulse_width, 's')}")
        self.queue_list = QListWidget()
        self.add_button = QPushButton("Add to queue")
        self.add_button.clicked.connect(self.add_to_queue)
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start)
        self.abort_button = QPushButton("Abort")
        self.abort_button.setEnabled(False)
        self.abort_button.clicked.connect(self.abort)

        left = QVBoxLayout()
        top = QFormLayout()
        top.addRow("protocol", self.protocol_box)
        top.addRow("sample", self.sample_edit)
        top.addRow("device", self.device_edit)
        left.addLayout(top)
        parameters = QGroupBox("parameters")
        parameters.setLayout(self.form)
        left.addWidget(parameters)
        left.addWidget(self.limits_label)
        left.addWidget(self.problems)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.start_button, self.abort_button):
            buttons.addWidget(button)
        left.addLayout(buttons)
        left.addWidget(QLabel("queue"))
        left.addWidget(self.queue_list)
        left.addWidget(self._manual_panel())
        left_widget = QWidget()
        left_widget.setLayout(left)

        self.plot = LivePlot()
        self.figures_table = QTableWidget(0, 2)
        self.figures_table.setHorizontalHeaderLabels(["figure", "value"])
        self.figures_table.horizontalHeader().setStretchLastSection(True)
        self.runs_list = QListWidget()
        self.runs_list.currentTextChanged.connect(self.show_run)
        export_csv_button = QPushButton("Export CSV")
        export_csv_button.clicked.connect(self.export_csv)
        export_png_button = QPushButton("Export PNG")
        export_png_button.clicked.connect(self.export_png)
        browser = QWidget()
        browser_layout = QVBoxLayout(browser)
        browser_layout.addWidget(self.runs_list)
        row = QHBoxLayout()
        row.addWidget(export_csv_button)
        row.addWidget(export_png_button)
        browser_layout.addLayout(row)
        tabs = QTabWidget()
        tabs.addTab(self.figures_table, "figures")
        tabs.addTab(browser, "runs")
        right = QSplitter(Qt.Orientation.Horizontal)
        right.addWidget(self.plot)
        right.addWidget(tabs)
        right.setSizes([700, 300])
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left_widget)
        splitter.addWidget(right)
        splitter.setSizes([330, 1000])
        self.setCentralWidget(splitter)
        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status, 1)
        self.resize(1400, 800)
        self._update_status()
        self.refresh_runs()

    def _manual_panel(self) -> QGroupBox:
        box = QGroupBox("manual")
        layout = QFormLayout(box)
        self.pulse_v = QLineEdit("100mV")
        self.pulse_width = QLineEdit("10ms")
        self.manual_result = QLabel("-")
        read = QPushButton(f"Read at {format_quantity(standard.V_READ, 'V')}")
        read.clicked.connect(self.manual_read)
        pulse = QPushButton("One pulse")
        pulse.clicked.connect(self.manual_pulse)
        off = QPushButton("Output off")
        off.clicked.connect(self.manual_off)
        layout.addRow(read, self.manual_result)
        layout.addRow("pulse", self.pulse_v)
        layout.addRow("width", self.pulse_width)
        row = QHBoxLayout()
        row.addWidget(pulse)
        row.addWidget(off)
        layout.addRow(row)
        return box

    # --- the parameter form ---------------------------------------------------------------
    def protocol(self) -> str:
        return self.protocol_box.currentText()

    def _show_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.edits: dict[str, QLineEdit] = {}
        cls = PROTOCOLS[self.protocol()]
        saved = json.loads(self.settings.value(f"parameters/{self.protocol()}", "{}"))
        defaults = runner.prepare_defaults(self.station, self.protocol())
        for name, parameter in cls()._parameters.items():
            edit = QLineEdit(saved.get(name, parameter_text(defaults[name])))
            edit.setToolTip(parameter.description or "")
            edit.textChanged.connect(self.check_form)
            unit = getattr(parameter, "units", "") or ""
            self.form.addRow(f"{name} ({unit})" if unit else name, edit)
            self.edits[name] = edit
        self.check_form()

    def values(self) -> dict:
        return {name: edit.text() for name, edit in self.edits.items()}

    def check_form(self) -> bool:
        """Validate as the user types: the parameters and the station limits."""
        try:
            runner.prepare(self.station, self.protocol(), self.values())
        except BadInput as error:
            self.problems.setText("\n".join(error.problems))
            self.start_button.setEnabled(False)
            self.add_button.setEnabled(False)
            return False
        self.problems.setText("")
        self.start_button.setEnabled(not self.worker.running)
        self.add_button.setEnabled(True)
        return True

    # --- runs -----------------------------------------------------------------------------
    def _job(self) -> tuple:
        return (self.protocol(), self.values(), self.sample_edit.text() or "sample",
                self.device_edit.text() or "device")

    def add_to_queue(self) -> None:
        if self.check_form():
            job = self._job()
            self.queue_list.addItem(f"{job[3]}: {job[0]}")
            self.queue_list.item(self.queue_list.count() - 1).setData(
                Qt.ItemDataRole.UserRole, job)

    def start(self) -> None:
        jobs = [self.queue_list.item(k).data(Qt.ItemDataRole.UserRole)
                for k in range(self.queue_list.count())]
        if not jobs:
            if not self.check_form():
                return
            jobs = [self._job()]
        self.queue_list.clear()
        self._remember()
        self.start_button.setEnabled(False)
        self.abort_button.setEnabled(True)
        self.worker.start(jobs)

    def abort(self) -> None:
        self.worker.abort()
        self.statusBar().showMessage("aborting: the run ends at its next wait, 0 V, output off")

    def _remember(self) -> None:
        self.settings.setValue("protocol", self.protocol())
        self.settings.setValue("sample", self.sample_edit.text())
        self.settings.setValue(f"parameters/{self.protocol()}", json.dumps(self.values()))

    def _drain(self) -> None:
        """Take everything the run thread sent since the last tick; redraw once."""
        while not self.worker.events.empty():
            topic, record = self.worker.events.get_nowait()
            if topic == "started":
                protocol, procedure = record
                self.plot.begin(procedure.LIVE_PLOT, procedure.COLUMNS)
                self.statusBar().showMessage(f"{protocol} running")
            elif topic == "batch":
                self.plot.add(record)
                if "limit_hit" in record and len(record["limit_hit"]):
                    self.last_limit = bool(np.asarray(record["limit_hit"])[-1])
            elif topic == "progress":
                self.statusBar().showMessage(f"running: {record:.0f} %")
            elif topic == "finished":
                self.last_result = record
                self.show_figures(record.figures)
                self.show_result_plot(record.figures)
                self.statusBar().showMessage(
                    f"{record.protocol} {record.status}"
                    + (f": {record.reason}" if record.reason else ""))
                self.refresh_runs()
            elif topic == "error":
                self.statusBar().showMessage(record)
            elif topic == "idle":
                self.abort_button.setEnabled(False)
                self.check_form()
        self.plot.refresh()
        self._update_status()

    def show_result_plot(self, figures: dict) -> None:
        """Figures that are curves themselves replace the live plot when the run ends: the
        PPF index against the interval."""
        ppf = figures.get("ppf")
        if ppf and ppf.get("interval_ms"):
            self.plot.begin({"x": "interval_ms", "y": "index", "log_x": True},
                            {"interval_ms": "ms", "index": ""})
            self.plot.add({"interval_ms": np.array(ppf["interval_ms"], dtype=float),
                           "index": np.array(ppf["index"], dtype=float)})
            self.plot.refresh()
            for curve in self.plot.curves.values():
                curve.setSymbol("o")

    def show_figures(self, figures: dict, parameters: dict | None = None) -> None:
        rows = [(k, figures[k]) for k in TABLE1 if k in figures]
        rows += [(k, v) for k, v in figures.items() if k not in TABLE1 and k != "stats"]
        rows += [(f"parameter {k}", v) for k, v in (parameters or {}).items()]
        self.figures_table.setRowCount(len(rows))
        for k, (name, value) in enumerate(rows):
            text = "not found" if value is None else (
                f"{value:.4g}" if isinstance(value, float) else json.dumps(value, default=str))
            self.figures_table.setItem(k, 0, QTableWidgetItem(name))
            self.figures_table.setItem(k, 1, QTableWidgetItem(text))

    def _update_status(self) -> None:
        parts = []
        for role, spec in self.station.config.instruments.items():
            connected = role in self.station.identities
            parts.append(f"{role} ({spec.model}): {'connected' if connected else 'not connected'}")
        smu = self.station.smu
        if smu is not None:
            parts.append(f"output on at {format_quantity(smu.level, 'V')}" if smu.output_on
                         else "output off")
            parts.append("compliance hit" if self.last_limit else "compliance ok")
        self.status.setText("   |   ".join(parts))

    # --- run browser ------------------------------------------------------------------------
    def refresh_runs(self) -> None:
        self.runs_list.clear()
        if self.out.exists():
            for _, row in list_runs(self.out).iterrows():
                self.runs_list.addItem(f"{row['run']}  [{row['status']}]")

    def show_run(self, text: str) -> None:
        if not text:
            return
        run = load_run(self.out, text.split()[0])
        cls = PROTOCOLS.get(run.protocol)
        if cls is None:
            return
        self.plot.begin(cls.LIVE_PLOT, cls.COLUMNS)
        self.plot.add({k: run.data[k].to_numpy() for k in run.data.columns})
        self.plot.refresh()
        self.show_figures(run.figures, run.parameters)
        self.show_result_plot(run.figures)

    def export_csv(self) -> None:
        item = self.runs_list.currentItem()
        if item is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export CSV", "run.csv", "CSV (*.csv)")
        if path:
            export_csv(self.out, item.text().split()[0], path)

    def export_png(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export PNG", "plot.png", "PNG (*.png)")
        if path:
            self.plot.grab().save(path)

    # --- manual control, through the same guard ----------------------------------------------
    def _ready(self):
        if self.worker.running:
            self.statusBar().showMessage("a run is in progress")
            return None
        if self.station.smu is None:
            self.station.connect()
        smu = self.station.smu
        if not smu.output_on:
            smu.configure(max_abs_v=self.station.config.limits.max_voltage,
                          compliance=standard.COMPLIANCE_A, nplc=0.05)
        return smu

    def manual_read(self) -> None:
        smu = self._ready()
        if smu is not None:
            reading = smu.read(standard.V_READ)
            self.manual_result.setText(format_quantity(float(reading.i[0]), "A"))

    def manual_pulse(self) -> None:
        from ..units import parse_quantity
        smu = self._ready()
        if smu is None:
            return
        try:
            level = parse_quantity(self.pulse_v.text(), "V")
            width = parse_quantity(self.pulse_width.text(), "s")
            self.station.guard.check_voltage("pulse", level)
            self.station.guard.check_pulse_width("width", width)
        except (BadInput, ValueError) as error:
            self.statusBar().showMessage(str(error))
            return
        smu.pulse(level, width, self.station.clock.sleep)
        self.statusBar().showMessage(f"pulse {self.pulse_v.text()} for {self.pulse_width.text()}")

    def manual_off(self) -> None:
        if self.station.smu is not None:
            self.station.safe_off()
        self.statusBar().showMessage("output off (0 V)")

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.worker.abort()
        if self.worker.thread is not None:
            self.worker.thread.join(timeout=5)
        if self.station.smu is not None:
            self.station.safe_off()
        super().closeEvent(event)
