"""The run browser searches the lab's catalog, not only the session's file: the filters of
``bmrlab catalog query``, the runs found listed with their station and file, and a found
run opened as a run of the session's file is. Screenshots at 1280x720 of each step are
written beside the test's files (``catalog-search-*.png``) to look at."""

import pytest
from PyQt6.QtCore import QSettings

import bmrlab
from bmrlab.gui.window import MainWindow
from bmrlab.station import Station

from .conftest import figure_rows, idle, run_from_window


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """A catalog holding four runs from two stations in two files besides the session's:
    chipA (an I-V sweep on d01 and a pulse-delay, station "sim"), chipB (an I-V sweep on
    d02 of another device, station "bench 2")."""
    monkeypatch.setenv("BMRLAB_CATALOG", f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    runs = {
        "a": bmrlab.run_protocol(
            "iv-sweep", out=tmp_path / "chipA.h5", sample="chipA", device_id="d01", cycles=3
        ),
        "delay": bmrlab.run_protocol(
            "pulse-delay",
            out=tmp_path / "chipA.h5",
            sample="chipA",
            device_id="d01",
            amplitudes="100mV",
            pulses=4,
        ),
    }
    with Station.load(device="ag-bioi-pt") as other:
        other.config.name = "bench 2"
        runs["b"] = bmrlab.run_protocol(
            "iv-sweep",
            station=other,
            out=tmp_path / "chipB.h5",
            sample="chipB",
            device_id="d02",
            cycles=3,
        )
    return runs


@pytest.fixture
def window(qtbot, tmp_path, lab):
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    with Station.load() as station:
        win = MainWindow(station, tmp_path / "session.h5", settings)
        win.confirm = lambda question: True
        qtbot.addWidget(win)
        win.resize(1280, 720)
        win.show()
        win.docks["runs"].raise_()
        yield win
        win.close()


def shot(qtbot, win, tmp_path, step: str) -> None:
    qtbot.wait(100)
    assert win.grab().save(str(tmp_path / f"catalog-search-{step}.png"))


def listed(win) -> list[tuple[str, ...]]:
    """The browser's rows from the device column on: device, status (then any figures
    searched, the file and the station)."""
    table = win.browser.table
    columns = range(2, table.columnCount())
    return [tuple(table.item(r, c).text() for c in columns) for r in range(table.rowCount())]


def test_the_browser_finds_runs_of_every_file_and_station_and_opens_them(
    qtbot, window, lab, tmp_path
):
    browser, search = window.browser, window.browser.search
    window.form.sample_edit.setText("session")
    window.form.device_edit.setText("d09")
    run_from_window(qtbot, window, "iv-sweep", cycles=2)
    assert listed(window) == [("session/d09", "finished")]  # the session's file, as always
    shot(qtbot, window, tmp_path, "1-session-file")

    browser.search_toggle.click()
    assert search.isVisible()
    search.button.click()  # no filter: the whole catalog, the session's run too
    assert sorted(row[0] for row in listed(window)) == [
        "chipA/d01",
        "chipA/d01",
        "chipB/d02",
        "session/d09",
    ]
    assert browser.note.text() == "4 runs found in the catalog"
    shot(qtbot, window, tmp_path, "2-whole-catalog")

    search.station.setText("bench 2")
    search.button.click()
    assert listed(window) == [("chipB/d02", "finished", "chipB.h5", "bench 2")]
    assert browser.note.text() == "1 run found in the catalog"
    search.station.clear()

    a, b = lab["a"].result.vset_mV, lab["b"].result.vset_mV
    assert abs(a - b) > 1  # two devices, two set voltages: a range can tell them apart
    low, high = min(a, b) - 0.5, min(a, b) + 0.5
    search.device.setText("d0*")
    search.protocol.setCurrentText("iv-sweep")
    search.status.setCurrentText("finished")
    search.figures.setText(f"vset_mV={low:.2f}..{high:.2f}")
    search.button.click()
    lower = lab["a"] if a < b else lab["b"]
    assert [browser.runs[r].run for r in range(len(browser.runs))] == [lower.run]
    assert browser.table.horizontalHeaderItem(4).text() == "vset_mV"
    assert browser.table.item(0, 4).text() == f"{min(a, b):.4g}"
    shot(qtbot, window, tmp_path, "3-figure-range")

    browser.select(0)  # opened as a run of the session's file is: plot, title and figures
    title = window.plot.plotItem.titleLabel.text
    sample = "chipA" if lower is lab["a"] else "chipB"
    assert "I-V sweep" in title and sample in title and "finished" in title
    assert window.plot.points() > 0
    window.docks["figures"].raise_()
    assert figure_rows(window)  # the figures of the found run
    shot(qtbot, window, tmp_path, "4-found-run-opened")
    window.docks["runs"].raise_()

    search.figures.clear()
    search.since.setText("yesterday")
    search.button.click()  # a bad filter is said; the list stays
    assert "date yesterday" in browser.note.text()
    assert len(browser.runs) == 1
    search.since.setText("2026-01-01")
    search.figures.setText("vset_mV=4x")
    search.button.click()
    assert browser.note.text() == "figure range vset_mV=4x: NAME=LOW..HIGH, either end may be empty"
    shot(qtbot, window, tmp_path, "5-bad-filter")

    browser.search_toggle.click()  # closed: the session's file again
    assert not search.isVisible()
    assert listed(window) == [("session/d09", "finished")]
    assert idle(window)
