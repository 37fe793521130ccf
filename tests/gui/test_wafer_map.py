"""The window's wafer map (offscreen): a cell per device of the file's sample, the figure
and the yield to choose, and a click on a device choosing its latest run in the run
browser."""

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import QPoint, QSettings, Qt
from PyQt6.QtGui import QColor

from bmrlab.api import run_protocol
from bmrlab.die_address import DieAddress
from bmrlab.gui.window import MainWindow
from bmrlab.station import Station

from .conftest import run_from_window

DEVICES = ["c0r0", "c1r0", "c0r1", "c1r1"]  # a 2 x 2 chip, labelled on the simulated station
MAP_GREEN = "#2ca02c"  # a passing device on the yield map


@pytest.fixture
def chip_window(qtbot, tmp_path):
    """A window on a file holding one short I-V run per device of sample ``chip`` (c1r0
    measured twice)."""
    out = tmp_path / "gui.h5"
    with Station.load() as station:
        for device in [*DEVICES, "c1r0"]:
            run_protocol(
                "iv-sweep", station=station, out=out, sample="chip", device_id=device, cycles=1
            )
        settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
        win = MainWindow(station, out, settings)
        win.confirm = lambda question: True
        qtbot.addWidget(win)
        win.resize(1280, 720)
        win.show()
        yield win
        win.close()


def click(qtbot, view, address: DieAddress) -> None:
    """A left click at the middle of a device's cell, as a person clicks it."""
    x, y, w, h = view.layout_of_map.cell(address)
    px, py = view.axes.transData.transform((x + w / 2, y + h / 2))
    ratio = view.canvas.device_pixel_ratio
    height = view.figure.bbox.height
    point = QPoint(round(px / ratio), round((height - py) / ratio))
    qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=point)


def test_the_map_draws_every_device_and_a_click_opens_its_runs(qtbot, chip_window, tmp_path):
    view = chip_window.wafer_map
    chip_window.docks["map"].raise_()
    qtbot.waitUntil(lambda: view.axes is not None, timeout=10_000)
    assert [view.sample_box.itemText(k) for k in range(view.sample_box.count())] == ["chip"]
    figures = [view.figure_box.itemData(k) for k in range(view.figure_box.count())]
    assert figures[0] == "yield" and "vset_mV" in figures
    assert view.layout_of_map.columns == 2 and view.layout_of_map.rows == 2
    assert sorted(view.devices.values()) == sorted(DEVICES)
    image = view.grab().toImage()
    green = QColor(MAP_GREEN).rgb()
    assert (
        sum(
            image.pixel(x, y) == green
            for x in range(0, image.width(), 3)
            for y in range(0, image.height(), 3)
        )
        > 200
    )  # the yield map: four passing devices drawn
    view.choose("vset_mV")
    qtbot.wait(50)
    view.grab().save(str(tmp_path / "wafer_map.png"))
    with qtbot.waitSignal(view.device_chosen) as chosen:
        click(qtbot, view, DieAddress(1, 0))
    assert chosen.args == ["chip", "c1r0"]
    runs = chip_window.browser.runs
    latest = [listed for listed in runs if listed.run.startswith("/chip/c1r0/")][-1]
    assert chip_window.browser.current() == latest
    assert "c1r0: 2 runs; passes every yield criterion" in view.note.text()


def test_the_map_follows_the_runs_of_the_session(qtbot, chip_window):
    view = chip_window.wafer_map
    chip_window.docks["map"].raise_()
    qtbot.waitUntil(lambda: view.axes is not None, timeout=10_000)
    assert view.sample_box.currentText() == "chip"
    run_from_window(qtbot, chip_window, "iv-sweep", cycles=1)  # sample/device of the form
    chip_window.docks["map"].raise_()
    qtbot.waitUntil(lambda: view.sample_box.count() == 2, timeout=10_000)
    view.sample_box.setCurrentIndex(view.sample_box.findText("sample"))
    assert view.layout_of_map is None  # its device id is not a wafer address
    assert "no device of this sample has a wafer address" in view.note.text()
