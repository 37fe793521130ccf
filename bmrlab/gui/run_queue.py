"""The queue of runs: every run of the session with its state (queued, running, finished,
aborted, failed) and the parameters it differs from the protocol's defaults by. Queued runs
can be removed (Delete) and reordered; an abort pauses the queue, which offers Resume, Skip
(drop the next run, then resume) and Clear (drop every queued run)."""

from dataclasses import dataclass, field

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

STATE_COLORS = {
    "queued": "#555555",
    "running": "#1f4e9c",
    "finished": "#1e8449",
    "aborted": "#b9770e",
    "failed": "#c0392b",
}


@dataclass
class Job:
    protocol: str
    values: dict
    sample: str
    device: str
    changed: dict = field(default_factory=dict)  # values that differ from the defaults
    metadata: dict = field(default_factory=dict)  # the user's notes stored with the run
    state: str = "queued"
    reason: str = ""

    def args(self) -> tuple:
        return self.protocol, self.values, self.sample, self.device, self.metadata

    def text(self) -> str:
        changed = ", ".join(f"{k}={v}" for k, v in self.changed.items()) or "defaults"
        outcome = f" ({self.reason})" if self.reason and self.state != "finished" else ""
        return f"{self.state}: {self.protocol} on {self.device}: {changed}{outcome}"


class JobList(QListWidget):
    """The list of runs; the Delete key removes the selected queued runs."""

    delete_pressed = pyqtSignal()

    def keyPressEvent(self, event):
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_pressed.emit()
        else:
            super().keyPressEvent(event)


class RunQueue(QWidget):
    resume_requested = pyqtSignal()
    changed = pyqtSignal()  # runs added, removed, moved or changed state

    def __init__(self):
        super().__init__()
        self.jobs: list[Job] = []
        self.paused = False
        self.list = JobList()
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.delete_pressed.connect(self.remove_selected)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("remove the selected queued runs (Delete)")
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button = QPushButton("Up")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button = QPushButton("Down")
        self.down_button.clicked.connect(lambda: self.move_selected(+1))
        self.pause_label = QLabel("queue paused after an abort")
        self.pause_label.setStyleSheet("color: #b9770e; font-weight: bold")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("start the next queued run")
        self.resume_button.clicked.connect(self.resume)
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("drop the next queued run, then resume")
        self.skip_button.clicked.connect(self.skip)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("drop every queued run")
        self.clear_button.clicked.connect(self.clear_queued)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list)
        edit_row = QHBoxLayout()
        for button in (self.remove_button, self.up_button, self.down_button):
            edit_row.addWidget(button)
        layout.addLayout(edit_row)
        self.pause_row = QWidget()
        pause_layout = QHBoxLayout(self.pause_row)
        pause_layout.setContentsMargins(0, 0, 0, 0)
        pause_layout.addWidget(self.pause_label, 1)
        for button in (self.resume_button, self.skip_button, self.clear_button):
            pause_layout.addWidget(button)
        layout.addWidget(self.pause_row)
        self.pause_row.setVisible(False)

    # --- what the window asks ----------------------------------------------------------------
    def add(self, job: Job) -> Job:
        self.jobs.append(job)
        self._show()
        return job

    def queued(self) -> list[Job]:
        return [job for job in self.jobs if job.state == "queued"]

    def next_job(self) -> Job | None:
        """The next queued run, unless the queue is paused."""
        queued = self.queued()
        return None if self.paused or not queued else queued[0]

    def set_state(self, job: Job, state: str, reason: str = "") -> None:
        job.state, job.reason = state, reason
        self._show()

    def pause(self) -> None:
        """After an abort: keep the queued runs, offer Resume / Skip / Clear."""
        self.paused = bool(self.queued())
        self._show()

    # --- the user's buttons ----------------------------------------------------------------
    def resume(self) -> None:
        self.paused = False
        self._show()
        self.resume_requested.emit()

    def skip(self) -> None:
        queued = self.queued()
        if queued:
            self.jobs.remove(queued[0])
        self.resume()

    def clear_queued(self) -> None:
        self.jobs = [job for job in self.jobs if job.state != "queued"]
        self.paused = False
        self._show()

    def remove_selected(self) -> None:
        chosen = {id(self.jobs[self.list.row(item)]) for item in self.list.selectedItems()}
        self.jobs = [job for job in self.jobs if not (id(job) in chosen and job.state == "queued")]
        self.paused = self.paused and bool(self.queued())
        self._show()

    def move_selected(self, step: int) -> None:
        """Move the selected queued run up or down among the queued runs."""
        row = self.list.currentRow()
        if row < 0 or self.jobs[row].state != "queued":
            return
        other = row + step
        if 0 <= other < len(self.jobs) and self.jobs[other].state == "queued":
            self.jobs[row], self.jobs[other] = self.jobs[other], self.jobs[row]
            self._show()
            self.list.setCurrentRow(other)

    def _show(self) -> None:
        self.list.clear()
        for job in self.jobs:
            item = QListWidgetItem(job.text())
            item.setForeground(QColor(STATE_COLORS[job.state]))
            item.setToolTip("\n".join(f"{k} = {v}" for k, v in job.values.items()))
            self.list.addItem(item)
        self.pause_row.setVisible(self.paused)
        self.changed.emit()
