"""What a person sees: the window fits a 1280x720 laptop screen with every control
reachable; the run strip's progress and messages are really drawn (checked in a grab);
the layout is restored."""

from PyQt6.QtCore import QPoint, QRect
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QAbstractButton, QCheckBox, QComboBox, QLineEdit, QScrollArea, QWidget

from bmrlab.gui.run_strip import PROGRESS_COLOR

from .conftest import idle, run_from_window, start_long_run

CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QCheckBox)


def rect_in_window(win, widget) -> QRect:
    return QRect(widget.mapTo(win, QPoint(0, 0)), widget.size())


def drawn(win, widget) -> bool:
    """The widget is on screen inside the window and nothing covers it."""
    inside = win.rect().contains(rect_in_window(win, widget))
    region = widget.visibleRegion().boundingRect()
    return (
        widget.isVisible()
        and inside
        and region.width() >= widget.width() - 1
        and region.height() >= widget.height() - 1
    )


def reach(qtbot, win, widget) -> None:
    """What a user does to reach a control: raise its dock's tab, scroll to it."""
    parent = widget.parentWidget()
    while parent is not None and parent is not win:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget, 20, 20)
        parent = parent.parentWidget()
    qtbot.wait(10)


def test_the_window_fits_1280x720_with_every_control_reachable(qtbot, window):
    """Finding 6: the window could not shrink below 728 px (812 px for retention)."""
    for protocol in ("iv-sweep", "retention", "pulse-delay"):
        window.protocol_box.setCurrentText(protocol)
        window.resize(1280, 720)
        qtbot.wait(50)
        assert window.width() <= 1280 and window.height() <= 720, protocol
        for name, dock in window.docks.items():
            dock.raise_()
            qtbot.wait(10)
            for widget in dock.widget().findChildren(QWidget):
                if (
                    not isinstance(widget, CONTROLS)
                    or not widget.isVisibleTo(dock)
                    or widget.objectName().startswith("qt_")
                ):
                    continue
                reach(qtbot, window, widget)
                assert drawn(window, widget), f"{protocol}: {name}: {widget}"
        for widget in (
            window.start_button,
            window.abort_button,
            window.add_button,
            window.strip.bar,
            window.status,
        ):
            assert drawn(window, widget), widget


def colour_pixels(image, rect: QRect, colour: str) -> int:
    target = QColor(colour).rgb()
    return sum(
        image.pixel(x, y) == target
        for x in range(rect.left(), rect.right(), 2)
        for y in range(rect.top(), rect.bottom(), 2)
    )


def test_progress_and_messages_are_visible_in_a_grab(qtbot, window):
    """Finding 2: every status-bar message was covered; no progress anywhere."""
    window.resize(1280, 720)
    start_long_run(qtbot, window, reads=3_000_000)  # 5 % soon, and the rest to abort in
    qtbot.waitUntil(lambda: window.strip.bar.value() >= 50, timeout=60_000)
    image = window.grab().toImage()
    assert colour_pixels(image, rect_in_window(window, window.strip.bar), PROGRESS_COLOR) > 10
    assert "elapsed" in window.strip.times.text() and "left" in window.strip.times.text()
    assert drawn(window, window.strip.times) and drawn(window, window.strip.outcome)
    window.abort_button.click()
    assert "aborting" in window.strip.message.text() and drawn(window, window.strip.message)
    qtbot.waitUntil(lambda: idle(window), timeout=60_000)
    assert window.strip.outcome.text().startswith("read-disturb: aborted: stopped on request")
    assert drawn(window, window.strip.outcome)
    image = window.grab().toImage()
    outcome = rect_in_window(window, window.strip.outcome)
    assert colour_pixels(image, outcome, "#b9770e") > 10  # the outcome's colour
    window.manual.pulse_v.setText("2V")
    window.manual.pulse_button.click()
    assert "not allowed" in window.strip.message.text() and drawn(window, window.strip.message)


def test_a_finished_run_is_green_with_its_time(qtbot, window):
    run_from_window(qtbot, window, "iv-sweep", cycles=1)
    assert window.strip.outcome.text() == "iv-sweep: finished"
    assert window.strip.times.text().startswith("took")
    assert window.strip.bar.value() == 1000
    image = window.grab().toImage()
    assert colour_pixels(image, rect_in_window(window, window.strip.outcome), "#1e8449") > 10


def test_the_layout_is_restored(qtbot, window, tmp_path):
    from PyQt6.QtCore import QSettings

    from bmrlab.gui.window import MainWindow

    window.docks["log"].setFloating(True)
    window.docks["manual"].hide()
    window.close()
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    again = MainWindow(window.station, tmp_path / "gui.h5", settings)
    qtbot.addWidget(again)
    again.show()
    assert again.docks["log"].isFloating() and not again.docks["manual"].isVisible()
    again.close()
