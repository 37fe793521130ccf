"""The probe-station window under pytest-qt (offscreen): runs started from the window on the
simulated station, an abort mid-run, plots fed, figures shown, the form's checks."""

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import QSettings  # noqa: E402

from bmrlab.gui.window import MainWindow  # noqa: E402
from bmrlab.station import Station  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    with Station.load() as station:
        win = MainWindow(station, tmp_path / "gui.h5", settings)
        qtbot.addWidget(win)
        yield win
        win.close()


def run_from_window(qtbot, win, protocol, **values):
    win.protocol_box.setCurrentText(protocol)
    for name, value in values.items():
        win.edits[name].setText(str(value))
    assert win.check_form(), win.problems.text()
    win.start_button.click()
    qtbot.waitUntil(lambda: win.last_result is not None and not win.worker.running
                    and win.worker.events.empty(), timeout=60_000)
    return win.last_result


def figure_rows(win) -> dict:
    return {win.figures_table.item(k, 0).text(): win.figures_table.item(k, 1).text()
            for k in range(win.figures_table.rowCount())}


def test_an_iv_sweep_from_the_window_plots_and_shows_its_figures(qtbot, window):
    result = run_from_window(qtbot, window, "iv-sweep", cycles=3)
    assert result.status == "finished"
    assert window.plot.points() == len(result.data["i_A"])
    assert len(window.plot.curves) == 3  # one curve per cycle
    rows = figure_rows(window)
    assert float(rows["vset_mV"]) == pytest.approx(60, rel=0.2)
    assert window.runs_list.count() == 1 and "finished" in window.runs_list.item(0).text()


def test_a_paired_pulse_run_from_the_window(qtbot, window):
    result = run_from_window(qtbot, window, "paired-pulse", intervals="1ms,100ms", repeats=2)
    assert result.status == "finished"
    assert "ppf" in figure_rows(window)
    assert window.plot.points() == 2  # the PPF index against the interval, once it ended


def test_abort_mid_run_leaves_the_output_off_and_the_run_aborted(qtbot, window):
    window.protocol_box.setCurrentText("read-disturb")
    window.edits["reads"].setText("300000")
    window.start_button.click()
    qtbot.waitUntil(lambda: window.plot.points() > 1000, timeout=60_000)
    window.abort_button.click()
    qtbot.waitUntil(lambda: window.last_result is not None and not window.worker.running,
                    timeout=60_000)
    assert window.last_result.status == "aborted"
    smu = window.station.sim.by_name("smu")
    assert not smu.output and smu.level == 0.0
    assert 1000 < len(window.last_result.data["i_A"]) < 300_000
    assert "output off" in window.status.text()


def test_the_form_enforces_the_station_limits_as_you_type(qtbot, window):
    window.protocol_box.setCurrentText("iv-sweep")
    window.edits["v_max"].setText("800mV")
    assert not window.start_button.isEnabled()
    assert "v_max = 0.8 V is not allowed" in window.problems.text()
    window.edits["v_max"].setText("150mV")
    assert window.start_button.isEnabled() and window.problems.text() == ""


def test_manual_read_and_output_off_go_through_the_guard(qtbot, window):
    window.manual_read()
    assert window.manual_result.text().endswith("A")
    window.pulse_v.setText("2V")
    window.manual_pulse()
    assert "not allowed" in window.statusBar().currentMessage()
    window.manual_off()
    assert not window.station.sim.by_name("smu").output


def test_the_run_browser_reopens_a_run(qtbot, window, tmp_path):
    run_from_window(qtbot, window, "iv-sweep", cycles=2)
    window.plot.begin({}, {})
    window.runs_list.setCurrentRow(0)
    assert window.plot.points() > 0
    window.export_png(str(tmp_path / "plot.png"))
    assert (tmp_path / "plot.png").stat().st_size > 1000
