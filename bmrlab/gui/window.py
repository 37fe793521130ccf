"""The probe-station window: it puts the parts together and runs the queue. The live plot
under the run strip in the middle; around it docks that can be moved, tabbed, closed and
are restored next time: what to run (form and buttons), manual control, figures, queue, run
browser, wafer map (a click on a device opens its runs in the browser), log. A status bar
with each instrument's state. Keyboard shortcuts in the Run menu; a confirmation before
Abort and before closing during a run."""

import time
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QSettings, Qt, QTimer
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..catalog import catalog_url
from ..procedures import PROTOCOLS, stored_result
from ..units import format_quantity
from .figures_panel import FiguresPanel
from .form import ParameterForm
from .live_plot import LivePlot
from .manual_panel import ManualPanel
from .plot_controls import PlotControls
from .result_figure import draw_result
from .run_browser import RunBrowser, run_title
from .run_queue import Job, RunQueue
from .run_strip import RunStrip
from .run_thread import RunThread
from .wafer_map import WaferMapView

REFRESH_MS = 66  # 15 plot updates a second, at most
LAYOUT_VERSION = 2  # a saved layout of another version is not restored
SHORTCUTS = {"start": "Ctrl+R", "queue": "Ctrl+Shift+R", "abort": "Ctrl+.", "off": "Ctrl+0"}


def ask(parent, question: str) -> bool:
    """A yes/no question; No is the default."""
    answer = QMessageBox.question(
        parent,
        "bmrlab",
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def scrolled(widget: QWidget) -> QScrollArea:
    """A panel that scrolls instead of making the window taller than the screen."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


class MainWindow(QMainWindow):
    def __init__(self, station, out="data/gui.h5", settings: QSettings | None = None):
        super().__init__()
        self.station = station
        self.out = Path(out)
        self.settings = settings or QSettings("bmrlab", "gui")
        self.worker = RunThread(station, self.out)
        self.confirm = lambda question: ask(self, question)  # tests answer for the user
        self.last_result = None
        self.last_limit = False
        self.last_v: float | None = None  # the last source level the running run recorded
        self.job: Job | None = None
        self.off_after_run = False
        self.batch_runs = 0  # runs since the queue was last started
        self.setWindowTitle(f"bmrlab - {station.config.name}")
        self._build()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._drain)
        self.timer.start(REFRESH_MS)

    # --- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.form = ParameterForm(self.station, self.settings)
        self.protocol_box = self.form.protocol_box
        self.add_button = QPushButton("Add to queue")
        self.start_button = QPushButton("Start")
        self.abort_button = QPushButton("Abort")
        self.abort_button.setEnabled(False)
        self.estimate_label = QLabel()
        self.estimate_label.setStyleSheet("color: #555")
        self.estimate_label.setWordWrap(True)
        self.queue = RunQueue()
        self.queue.resume_requested.connect(self._next)
        self.queue.changed.connect(self._update_buttons)
        self.manual = ManualPanel(self.station, lambda: self.worker.running)
        self.manual.said.connect(self.say)
        self.manual.output_off_requested.connect(self.output_off)
        self.strip = RunStrip()
        self.plot = LivePlot()
        self.figures = FiguresPanel()
        self.browser = RunBrowser(
            self.out, catalog_url(station_setting=self.station.config.catalog)
        )
        self.browser.plot = self.plot
        self.browser.chosen.connect(self.show_run)
        self.browser.reuse.connect(self.form.use)
        self.wafer_map = WaferMapView(self.out)
        self.wafer_map.device_chosen.connect(self.open_device)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)

        run_panel = QWidget()
        run_layout = QVBoxLayout(run_panel)
        run_layout.setContentsMargins(0, 0, 0, 0)
        run_layout.addWidget(scrolled(self.form), 1)
        for label in (self.form.notes, self.form.problems):  # always in sight
            run_layout.addWidget(label)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.start_button, self.abort_button):
            buttons.addWidget(button)
        run_layout.addLayout(buttons)
        run_layout.addWidget(self.estimate_label)

        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(0, 0, 0, 0)
        center_layout.addWidget(self.strip)
        self.plot_controls = PlotControls(self.plot)
        center_layout.addWidget(self.plot_controls)
        center_layout.addWidget(self.plot, 1)
        self.setCentralWidget(center)

        self.docks = {}
        for name, title, widget, area in (
            ("run", "Run", run_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("manual", "Manual", scrolled(self.manual), Qt.DockWidgetArea.LeftDockWidgetArea),
            ("figures", "Figures", self.figures, Qt.DockWidgetArea.RightDockWidgetArea),
            ("queue", "Queue", self.queue, Qt.DockWidgetArea.RightDockWidgetArea),
            ("runs", "Runs", self.browser, Qt.DockWidgetArea.RightDockWidgetArea),
            ("map", "Map", self.wafer_map, Qt.DockWidgetArea.RightDockWidgetArea),
            ("log", "Log", self.log, Qt.DockWidgetArea.RightDockWidgetArea),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{name}")  # saveState needs names
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        self.tabifyDockWidget(self.docks["figures"], self.docks["queue"])
        self.tabifyDockWidget(self.docks["queue"], self.docks["runs"])
        self.tabifyDockWidget(self.docks["runs"], self.docks["map"])
        self.tabifyDockWidget(self.docks["map"], self.docks["log"])
        self.docks["figures"].raise_()
        self.resizeDocks(
            [self.docks["run"], self.docks["figures"]], [360, 420], Qt.Orientation.Horizontal
        )
        self.resizeDocks(
            [self.docks["run"], self.docks["manual"]], [520, 170], Qt.Orientation.Vertical
        )
        self.default_state = self.saveState(LAYOUT_VERSION)

        self.status = QLabel()
        self.status.setMinimumWidth(1)
        self.statusBar().addWidget(self.status, 1)
        self._menus()
        self.form.checked.connect(self._update_buttons)
        self.add_button.clicked.connect(self.add_to_queue)
        self.start_button.clicked.connect(self.start)
        self.abort_button.clicked.connect(self.abort)
        self.resize(1400, 860)
        self._restore_layout()
        self._update_buttons()
        self._update_status()
        self.browser.refresh()

    def _menus(self) -> None:
        run_menu = self.menuBar().addMenu("&Run")
        for key, text, slot, button in (
            ("start", "Start", self.start, self.start_button),
            ("queue", "Add to queue", self.add_to_queue, self.add_button),
            ("abort", "Abort", self.abort, self.abort_button),
            ("off", "Output off", self.output_off, self.manual.off_button),
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(SHORTCUTS[key]))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            run_menu.addAction(action)
            button.setToolTip(f"{text} ({SHORTCUTS[key]})")
        view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        reset = QAction("Reset layout", self)
        reset.triggered.connect(lambda: self.restoreState(self.default_state, LAYOUT_VERSION))
        view_menu.addAction(reset)

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state, LAYOUT_VERSION)

    # --- what the user says ---------------------------------------------------------------
    @property
    def edits(self) -> dict:
        return self.form.edits

    def protocol(self) -> str:
        return self.form.protocol()

    def say(self, text: str) -> None:
        """A message in the run strip and the log."""
        self.strip.say(text)
        self.log.appendPlainText(f"{time.strftime('%H:%M:%S')}  {text}")

    def _job(self) -> Job:
        return Job(
            self.protocol(),
            self.form.values(),
            self.form.sample_edit.text() or "sample",
            self.form.device_edit.text() or "device",
            changed=self.form.changed(),
            metadata=self.form.metadata(),
        )

    def add_to_queue(self) -> None:
        if self.form.check():
            job = self.queue.add(self._job())
            self.say(f"queued: {job.text()}")
            self._update_buttons()

    def start(self) -> None:
        """Run the queued runs; with none queued, the form's run."""
        if self.worker.running:
            return
        if not self.queue.queued():
            if not self.form.check():
                return
            self.queue.add(self._job())
        self.form.remember()
        self.queue.paused = False
        self.batch_runs = 0
        self._next()

    def _next(self) -> None:
        """Start the next queued run, unless a run is going or the queue is paused."""
        if self.worker.running:
            return
        job = self.queue.next_job()
        if job is None:
            self._update_buttons()
            return
        self.job = job
        self.batch_runs += 1
        self.queue.set_state(job, "running")
        self.last_v = None
        self.worker.start(job.args())
        self._update_buttons()

    def abort(self) -> None:
        if not self.worker.running:
            return
        if not self.confirm(
            "Abort the running measurement? The queue pauses; the data so far are kept."
        ):
            return
        self.worker.abort("stopped on request by the user")
        self.say("aborting: the run ends at its next wait, 0 V, output off; the queue pauses")

    def output_off(self) -> None:
        """0 V and output off. During a run the run is stopped first (its shutdown sets
        0 V, output off) and the window switches off once it has ended, so the GUI never
        talks to an instrument the run is using."""
        if self.worker.running:
            self.off_after_run = True
            self.worker.abort("output switched off by the user")
            self.say("output off: the run stops first (0 V, output off)")
            return
        self._switch_off("output off (0 V)")
        self._update_status()

    def _switch_off(self, done: str) -> None:
        """The station's safe off from the window (never while a run owns the station); an
        instrument that does not answer is reported, not raised."""
        if self.station.smu is None:
            self.say(done)
            return
        try:
            self.station.safe_off()
        except Exception as error:  # e.g. a disconnected SMU: the user must know
            self.say(f"output off failed: {error}")
            return
        self.say(done)

    # --- what the run says ------------------------------------------------------------------
    def _drain(self) -> None:
        """Take everything the run thread sent since the last tick; redraw once."""
        while not self.worker.events.empty():
            topic, record = self.worker.events.get_nowait()
            if topic == "started":
                protocol, procedure = record
                self.plot.begin(
                    procedure.LIVE_PLOT,
                    procedure.COLUMNS,
                    f"{PROTOCOLS[protocol].title} · {self.job.sample}/{self.job.device} · running",
                )
                self.figures.waiting()
                self.strip.started(protocol, procedure.estimated_duration(), self.worker.started_at)
                changed = ", ".join(f"{k}={v}" for k, v in self.job.changed.items())
                self.say(
                    f"{protocol} started on {self.job.device}"
                    + (f" ({changed})" if changed else " (defaults)")
                )
            elif topic == "batch":
                self.plot.add(record)
                if "limit_hit" in record and len(record["limit_hit"]):
                    self.last_limit = bool(np.asarray(record["limit_hit"])[-1])
                if "v_V" in record and len(record["v_V"]):
                    self.last_v = float(np.asarray(record["v_V"])[-1])
            elif topic == "progress":
                self.strip.progress(record)
            elif topic == "finished":
                self._finished(record)
            elif topic == "error":
                if self.job is not None:
                    self.queue.set_state(self.job, "failed", record)
                    self.queue.pause()
                self.strip.finished(self.job.protocol if self.job else "run", "failed", record)
                self.say(record)
            elif topic == "idle":
                self._idle()
        self.plot.refresh()
        self.strip.tick()
        self._update_status()

    def _finished(self, result) -> None:
        self.last_result = result
        self.queue.set_state(self.job, result.status, result.reason)
        cls = PROTOCOLS[result.protocol]
        self.figures.show_run(result.status, result.reason, result.result)
        self.plot.setTitle(
            run_title(result.run, cls.title, result.status), color="#222", size="10pt"
        )
        if result.result is not None:
            draw_result(self.plot, cls.result_plot(result.result))
        self.strip.finished(result.protocol, result.status, result.reason)
        self.say(
            f"{result.protocol} {result.status}"
            + (f": {result.reason}" if result.reason else "")
            + f" ({result.run})"
        )
        if result.status != "finished":
            self.queue.pause()
        self.browser.refresh()
        self.wafer_map.refresh()

    def _idle(self) -> None:
        self.job = None
        if self.off_after_run:
            self.off_after_run = False
            self._switch_off(
                "output off (0 V): switched off by the user; the run was stopped first"
            )
        if self.queue.next_job() is not None:
            self._next()
            return
        if self.queue.paused:
            self.say(
                f"queue paused: {len(self.queue.queued())} run(s) waiting "
                "(Resume, Skip or Clear in the Queue panel)"
            )
            self.docks["queue"].raise_()
        elif self.batch_runs > 1:
            self.say(f"queue done: {self.batch_runs} runs")
            QApplication.alert(self)
        self._update_buttons()

    def _update_buttons(self, *_) -> None:
        running = self.worker.running or self.job is not None
        queued = len(self.queue.queued())
        self.start_button.setText(f"Start queue ({queued})" if queued else "Start")
        self.start_button.setEnabled(not running and (queued > 0 or self.form.valid))
        self.add_button.setEnabled(self.form.valid)
        self.abort_button.setEnabled(running)
        self.estimate_label.setText(self.form.estimate)

    def _update_status(self) -> None:
        parts = []
        for role, spec in self.station.config.instruments.items():
            connected = role in self.station.identities
            parts.append(f"{role} {spec.model}: {'connected' if connected else 'not connected'}")
        smu = self.station.smu
        if self.worker.running:
            last = (
                ""
                if self.last_v is None
                else f", last source level {format_quantity(self.last_v, 'V', 3)}"
            )
            parts.append(f"output on: the run drives it{last}")
        elif smu is not None:
            parts.append(
                f"output on at {format_quantity(smu.level, 'V')}" if smu.output_on else "output off"
            )
        if smu is not None:
            parts.append("compliance hit" if self.last_limit else "compliance ok")
        text = "  |  ".join(parts)
        self.status.setText(text)
        self.status.setToolTip(text)

    # --- run browser ------------------------------------------------------------------------
    def show_run(self, run) -> None:
        cls = PROTOCOLS.get(run.protocol)
        if cls is None:
            return
        self.plot.begin(cls.LIVE_PLOT, cls.COLUMNS, run_title(run.run, cls.title, run.status))
        self.plot.add({k: run.data[k].to_numpy() for k in run.data.columns})
        self.plot.refresh()
        result = stored_result(run.protocol, run.figures)
        self.figures.show_run(
            run.status,
            run.reason,
            result,
            run.parameters,
            run.metadata,
            older_schema=result is None and bool(run.figures),
        )
        if result is not None:
            draw_result(self.plot, cls.result_plot(result))

    def open_device(self, sample: str, device: str) -> None:
        """A device clicked on the map: its latest run chosen in the run browser, in sight."""
        self.browser.search_toggle.setChecked(False)  # the map is of the session's file
        prefix = f"/{sample}/{device}/"
        rows = [k for k, listed in enumerate(self.browser.runs) if listed.run.startswith(prefix)]
        if rows:
            self.docks["runs"].raise_()
            self.browser.select(rows[-1])

    # --- closing ------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if self.worker.running:
            if not self.confirm(
                "A run is in progress. Abort it (0 V, output off, data kept) and close?"
            ):
                event.ignore()
                return
            self.worker.abort("stopped: the window was closed")
            self.worker.join(timeout=10)
        self._switch_off("output off (0 V): the window closes")
        self.form.remember()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.timer.stop()
        super().closeEvent(event)
