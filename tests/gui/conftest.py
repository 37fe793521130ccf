"""The probe-station window under pytest-qt (offscreen) on the simulated station; the user's
answers to confirmations are given by the tests (``window.confirm``)."""

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import QSettings, Qt

from bmrlab.gui.window import MainWindow
from bmrlab.station import Station


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    with Station.load() as station:
        win = MainWindow(station, tmp_path / "gui.h5", settings)
        win.confirm = lambda question: True
        qtbot.addWidget(win)
        win.show()  # the plot's ranges follow the data only in a shown window
        yield win
        win.confirm = lambda question: True
        win.close()


def idle(win) -> bool:
    return not win.worker.running and win.worker.events.empty() and win.job is None


def run_from_window(qtbot, win, protocol, **values):
    win.protocol_box.setCurrentText(protocol)
    for name, value in values.items():
        win.form.set_value(name, str(value))
    assert win.form.check(), win.form.problems.text()
    win.last_result = None
    win.start_button.click()
    qtbot.waitUntil(lambda: win.last_result is not None and idle(win), timeout=60_000)
    return win.last_result


# reads of a read-disturb run that cannot end before an abort reaches it, however fast the
# machine (300 000 ended first on an idle one)
ENDLESS_READS = 100_000_000


def start_long_run(qtbot, win, reads=ENDLESS_READS):
    """A read-disturb run long enough to act on while it runs."""
    win.protocol_box.setCurrentText("read-disturb")
    win.form.set_value("reads", str(reads))
    win.start_button.click()
    qtbot.waitUntil(lambda: win.plot.points() > 1000, timeout=60_000)


def figure_rows(win) -> dict:
    return win.figures.rows()


def press(qtbot, window, key) -> None:
    """Ctrl+key as a user presses it: a window shortcut fires only in the active window,
    which another test's window or the start of a run can have taken."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
