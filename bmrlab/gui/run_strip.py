"""The run strip above the plot: what runs, a progress bar, the elapsed and the estimated
remaining time, the last message (aborting..., a manual pulse, a refusal), and once a run
ends its outcome in colour with the reason. Always visible, at any window size."""

import time

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

OUTCOME_COLORS = {
    "finished": "#1e8449",
    "aborted": "#b9770e",
    "failed": "#c0392b",
    "running": "#1f4e9c",
}
PROGRESS_COLOR = "#2e86de"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


class RunStrip(QWidget):
    def __init__(self):
        super().__init__()
        self.started_at: float | None = None
        self.percent = 0.0
        self.estimate: float | None = None
        self.outcome = QLabel("no run yet")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setFormat("%p %")
        self.bar.setMaximumWidth(260)
        self.bar.setStyleSheet(
            f"QProgressBar::chunk {{ background: {PROGRESS_COLOR}; }}"
            "QProgressBar { border: 1px solid #999; text-align: center; }"
        )
        self.times = QLabel("")
        self.message = QLabel("")
        self.message.setStyleSheet("color: #333")
        for label in (self.outcome, self.message):
            label.setWordWrap(True)  # a long reason wraps instead of widening the window
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addWidget(self.outcome)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.times)
        row.addWidget(self.message, 2)
        layout.addLayout(row)

    def started(self, title: str, estimate: float | None, at: float | None = None) -> None:
        """A run started (``at``: when, on ``time.monotonic``; default now)."""
        self.started_at = time.monotonic() if at is None else at
        self.percent, self.estimate = 0.0, estimate
        self.bar.setRange(0, 0)  # busy until the protocol reports progress (some never do)
        self._outcome(f"{title}: running", "running")
        self.say("")
        self.tick()

    def progress(self, percent: float) -> None:
        self.percent = percent
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(round(10 * percent)))
        self.tick()

    def tick(self) -> None:
        """Elapsed and remaining time; the remaining time from the progress made so far
        (the protocol's own estimate until there is some)."""
        if self.started_at is None:
            return
        elapsed = time.monotonic() - self.started_at
        if self.percent >= 1:
            remaining = elapsed * (100 - self.percent) / self.percent
        elif self.estimate is not None:
            remaining = self.estimate - elapsed
        else:
            remaining = None
        self.times.setText(
            f"elapsed {duration_text(elapsed)}, about {duration_text(remaining)} left"
        )

    def finished(self, title: str, status: str, reason: str) -> None:
        if self.started_at is not None:
            self.times.setText(f"took {duration_text(time.monotonic() - self.started_at)}")
        self.started_at = None
        self.bar.setRange(0, 1000)
        self.bar.setValue(1000 if status == "finished" else int(round(10 * self.percent)))
        self._outcome(f"{title}: {status}" + (f": {reason}" if reason else ""), status)

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)

    def _outcome(self, text: str, status: str) -> None:
        self.outcome.setText(text)
        self.outcome.setToolTip(text)
        self.outcome.setStyleSheet(
            f"color: white; background: {OUTCOME_COLORS[status]}; "
            "padding: 2px 6px; border-radius: 3px; font-weight: bold"
        )
