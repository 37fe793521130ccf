"""What each panel shows: live-plot axes, legends and curves; the figures panel; the run
browser; the manual panel; the parameter form; the shortcuts."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QCheckBox, QLabel

from bmrlab.gui.live_plot import LivePlot
from bmrlab.procedures import PROTOCOLS

from .conftest import ENDLESS_READS, figure_rows, idle, press, run_from_window, start_long_run
from .test_gui_runs import tick_value


def axis_label(win, side: str) -> str:
    return win.plot.getAxis(side).labelString()


# --- live plots (finding 8) ----------------------------------------------------------------
def test_a_log_axis_after_a_log_axis_in_other_units_keeps_no_stale_prefix(qtbot):
    plot = LivePlot()
    qtbot.addWidget(plot)
    plot.show()
    plot.begin({"x": "compliance_A", "y": "i_A", "log_x": True}, {"compliance_A": "A"})
    plot.add({"compliance_A": np.array([1e-7, 1e-6, 1e-5]), "i_A": np.array([1.0, 2, 3])})
    plot.refresh()
    qtbot.wait(200)
    plot.begin({"x": "interval_ms", "y": "index", "log_x": True}, {"interval_ms": "ms"})
    assert tick_value(plot.getAxis("bottom"), 0) == 1  # 1 ms, not 1e6 ms


def test_axis_labels_are_words_with_units_and_cycles_have_a_legend(qtbot, window):
    run_from_window(qtbot, window, "iv-sweep", cycles=2)
    assert "source voltage" in axis_label(window, "bottom")
    assert "(mV)" in axis_label(window, "bottom") or "(V)" in axis_label(window, "bottom")
    assert "|current|" in axis_label(window, "left") and "(A)" in axis_label(window, "left")
    assert "v_src_V" not in axis_label(window, "bottom")
    names = [label.text for _, label in window.plot.legend.items]
    assert names == ["cycle 1", "cycle 2"]


def test_pulse_delay_is_drawn_against_time_since_the_step_on_a_log_axis(qtbot, window):
    result = run_from_window(
        qtbot, window, "pulse-delay", amplitudes="200mV,300mV", delay_at="200mV", pulses=2
    )
    assert result.status == "finished"
    assert window.plot.spec["x"] == "t_step_s" and window.plot.spec["log_x"]
    assert "time since the step" in axis_label(window, "bottom")
    x = np.concatenate([c.getData()[0] for c in window.plot.curves.values()])
    x = x[np.isfinite(x)]
    assert x.min() < np.log10(3e-3)  # a few-ms delay is resolved on the log axis
    names = [label.text for _, label in window.plot.legend.items]
    assert names == ["amplitude 200 mV", "amplitude 300 mV"]


def test_paired_pulses_are_not_joined_across_pulse_and_interval(qtbot, window):
    window.protocol_box.setCurrentText("paired-pulse")
    for name, value in {"intervals": "1ms,100ms", "repeats": "1"}.items():
        window.form.set_value(name, value)
    window.start_button.click()
    qtbot.waitUntil(lambda: window.last_result is not None and idle(window), timeout=60_000)
    data = window.last_result.data  # the run's samples, drawn as they were live
    window.plot.begin(PROTOCOLS["paired-pulse"].LIVE_PLOT, PROTOCOLS["paired-pulse"].COLUMNS)
    window.plot.add(data)
    window.plot.refresh()
    first_pair = window.plot.curves[1].getData()[1]
    # the two pulses' samples, not joined by a line; the 0 V interval is not drawn
    assert np.isfinite(first_pair).sum() == 2 and np.isnan(first_pair[1])
    names = [label.text for _, label in window.plot.legend.items]
    assert names == ["interval 1 ms", "interval 100 ms"]


# --- figures panel (finding 7) -------------------------------------------------------------
def test_figures_show_units_spread_n_and_why_something_was_not_measured(qtbot, window):
    run_from_window(qtbot, window, "iv-sweep", cycles=3)
    rows = figure_rows(window)
    median, spread, n, _ = rows["Vset"]
    assert median.endswith("mV") and " .. " in spread and spread.endswith("mV") and n == "3"
    assert rows["Vreset"][0] == "not measured: unipolar sweep"
    assert rows["HRS current"][0].endswith("A")


def test_paired_pulse_figures_are_rows_not_json(qtbot, window):
    run_from_window(qtbot, window, "paired-pulse", intervals="1ms,100ms", repeats=1)
    rows = figure_rows(window)
    assert float(rows["PPF index at 1 ms"][0]) > 1
    assert not any("{" in text for row in rows.values() for text in row)


def test_the_next_run_clears_the_figures_and_an_abort_says_why(qtbot, window):
    run_from_window(qtbot, window, "iv-sweep", cycles=1)
    start_long_run(qtbot, window)
    assert "Vset" not in figure_rows(window)
    assert any("figures when the run ends" in name for name in figure_rows(window))
    window.abort_button.click()
    qtbot.waitUntil(lambda: idle(window), timeout=60_000)
    rows = figure_rows(window)
    assert rows["no figures: run aborted"][0] == "stopped on request by the user"


# --- run browser (finding 9) ----------------------------------------------------------------
def test_the_browser_lists_protocol_and_status_and_exports_beside_the_file(qtbot, window, tmp_path):
    run_from_window(qtbot, window, "iv-sweep", cycles=1)
    table = window.browser.table
    assert [table.item(0, c).text() for c in (1, 3)] == ["iv-sweep", "finished"]
    window.browser.select(0)
    csv = window.browser.default_path(".csv")
    assert csv.startswith(str(tmp_path)) and "iv-sweep" in csv and csv.endswith(".csv")
    title = window.plot.plotItem.titleLabel.text
    assert "I-V sweep" in title and "finished" in title
    png = window.browser.export_png(str(tmp_path / "plot.png"))
    assert (tmp_path / "plot.png").stat().st_size > 1000 and png
    window.browser.export_csv(str(tmp_path / "run.csv"))
    assert (tmp_path / "run.csv").read_text().startswith("t_s")


def test_use_these_parameters_fills_the_form(qtbot, window):
    run_from_window(qtbot, window, "iv-sweep", cycles=2)
    window.protocol_box.setCurrentText("retention")
    window.browser.select(0)
    window.browser.reuse_button.click()
    assert window.protocol() == "iv-sweep" and window.form.values()["cycles"] == "2"


# --- manual panel (finding 11) --------------------------------------------------------------
def test_a_manual_read_shows_v_i_r_and_time_and_leaves_the_output_off(qtbot, window):
    window.manual.read_button.click()
    text = window.manual.result.text()
    assert "V = " in text and "I = " in text and "R = V/I = " in text and ":" in text
    assert not window.station.sim.by_name("smu").output  # it was off: off again


def test_a_manual_pulse_is_confirmed_with_a_read_back(qtbot, window):
    window.manual.pulse_v.setText("100mV")
    window.manual.pulse_width.setText("5ms")
    window.manual.pulse_button.click()
    assert "after the 100 mV pulse" in window.manual.result.text()
    assert any(
        "pulse applied: 100 mV for 5 ms" in line for line in window.log.toPlainText().splitlines()
    )
    window.manual.pulse_width.setText("five")
    window.manual.pulse_button.click()
    message = window.strip.message.text()
    assert message.startswith("pulse width:") and "10ms" in message and "20mV" not in message
    window.manual.pulse_v.setText("2V")
    window.manual.pulse_width.setText("5ms")
    window.manual.pulse_button.click()
    assert "not allowed" in window.strip.message.text()
    assert not window.station.sim.by_name("smu").output


# --- the form (finding 10) ------------------------------------------------------------------
def test_values_are_kept_per_protocol_and_descriptions_are_shown(qtbot, window):
    window.protocol_box.setCurrentText("iv-sweep")
    window.form.set_value("cycles", "7")
    window.protocol_box.setCurrentText("paired-pulse")
    assert PROTOCOLS["paired-pulse"].description in window.form.description.text()
    window.protocol_box.setCurrentText("iv-sweep")
    assert window.form.values()["cycles"] == "7"
    labels = " ".join(label.text() for label in window.form.findChildren(QLabel))
    assert "peak of the positive branch" in labels  # descriptions beside the fields
    assert "1 mV .. 500 mV" in labels  # the allowed range before anything is typed


def test_booleans_are_check_boxes(qtbot, window):
    window.protocol_box.setCurrentText("retention")
    assert isinstance(window.edits["volatile"], QCheckBox)
    window.edits["volatile"].setChecked(False)
    assert window.form.values()["volatile"] == "false"


def test_every_problem_is_listed_and_each_field_highlighted(qtbot, window):
    window.protocol_box.setCurrentText("iv-sweep")
    window.form.set_value("v_max", "800mV")
    window.form.set_value("v_neg", "900mV")
    window.form.set_value("cycles", "0")
    problems = window.form.problems.text()
    assert "v_max" in problems and "v_neg" in problems and "cycles" in problems
    for name in ("v_max", "v_neg", "cycles"):
        assert "border" in window.edits[name].styleSheet(), name
    assert window.edits["dwell"].styleSheet() == ""
    assert not window.start_button.isEnabled()
    for name, value in (("v_max", "150mV"), ("v_neg", "0V"), ("cycles", "2")):
        window.form.set_value(name, value)
    assert window.start_button.isEnabled() and window.form.problems.text() == ""


def test_a_bare_number_is_said_to_be_seconds_and_the_duration_is_estimated(qtbot, window):
    window.protocol_box.setCurrentText("iv-sweep")
    window.form.set_value("cycles", "2")
    window.form.set_value("dwell", "2ms")
    assert window.estimate_label.text().startswith("estimated duration:")
    short = window.estimate_label.text()
    window.form.set_value("dwell", "2")
    assert "dwell = 2 is taken as 2 s" in window.form.notes.text()
    assert window.estimate_label.text() != short and "min" in window.estimate_label.text()


# --- shortcuts (finding 12) ------------------------------------------------------------------
def test_keyboard_shortcuts_start_and_abort(qtbot, window):
    window.protocol_box.setCurrentText("read-disturb")
    window.form.set_value("reads", str(ENDLESS_READS))
    press(qtbot, window, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: window.plot.points() > 1000, timeout=60_000)
    press(qtbot, window, Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: idle(window), timeout=60_000)
    assert window.last_result.status == "aborted"


@pytest.mark.parametrize("key", ["start", "queue", "abort", "off"])
def test_every_shortcut_is_shown_on_its_button(window, key):
    from bmrlab.gui.window import SHORTCUTS

    tips = [
        b.toolTip()
        for b in (
            window.start_button,
            window.add_button,
            window.abort_button,
            window.manual.off_button,
        )
    ]
    assert any(SHORTCUTS[key] in tip for tip in tips)


def test_a_log_axis_over_less_than_two_decades_labels_1_2_5_only(qtbot):
    plot = LivePlot()
    qtbot.addWidget(plot)
    axis = plot.getAxis("bottom")
    axis.setLogMode(True)
    axis.setRange(-3.1, -1.9)
    values = np.log10([1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 7e-3, 8e-3, 9e-3, 1e-2])
    labels = axis.tickStrings(list(values), 1.0, 0.1)
    assert [bool(text) for text in labels] == [
        True,
        True,
        False,
        False,
        True,
        False,
        False,
        False,
        False,
        True,
    ]


def test_any_column_against_any_column_with_log_toggles_and_a_cursor_readout(qtbot, window):
    result = run_from_window(qtbot, window, "iv-sweep", cycles=1)
    controls = window.plot_controls
    assert controls.x_box.currentData() == "v_src_V" and controls.log_y.isChecked()
    controls.x_box.setCurrentIndex(controls.x_box.findData("t_s"))
    controls.log_y.setChecked(False)
    controls._chosen()
    assert window.plot.spec["x"] == "t_s" and not window.plot.spec["log_y"]
    x = np.concatenate([c.getData()[0] for c in window.plot.curves.values()])
    t = result.data["t_s"][result.data["phase"] != 0]
    assert np.nanmax(x) == pytest.approx(t.max())
    assert "time" in axis_label(window, "bottom")
    centre = window.plot.plotItem.vb.sceneBoundingRect().center()
    window.plot.scene().sigMouseMoved.emit(centre)
    assert controls.readout.text().startswith("time = ") and "current = " in controls.readout.text()


def test_a_log_axis_within_one_decade_still_has_a_scale(qtbot):
    plot = LivePlot()
    qtbot.addWidget(plot)
    axis = plot.getAxis("left")
    axis.setLogMode(True)
    ticks = [v for _, values in axis.tickValues(-12.01, -11.79, 500) for v in values]
    labels = axis.tickStrings(ticks, 1.0, 1.0)
    assert len(ticks) >= 3 and len(set(labels)) == len(labels)
    assert float(labels[0]) == pytest.approx(10 ** ticks[0], rel=0.05)


def test_a_long_list_shows_its_start_and_says_it_is_a_list(qtbot, window):
    window.protocol_box.setCurrentText("paired-pulse")
    assert window.edits["intervals"].cursorPosition() == 0
    labels = " ".join(label.text() for label in window.form.findChildren(QLabel))
    assert "a list: a,b,c" in labels


def test_notes_are_stored_with_the_run_and_shown_in_the_browser(qtbot, window):
    from bmrlab.storage import load_run

    window.form.metadata_edits["operator"].setText("Ada")
    window.form.metadata_edits["temperature"].setText("295 K")
    window.form.notes_edit.setPlainText("probe 3 re-landed")
    result = run_from_window(qtbot, window, "iv-sweep", cycles=1)
    stored = load_run(result.path, result.run)
    assert stored.metadata == {
        "operator": "Ada",
        "temperature": "295 K",
        "notes": "probe 3 re-landed",
    }
    assert "operator" not in stored.parameters
    window.browser.select(0)
    assert figure_rows(window)["operator"][0] == "Ada"


def dashed_lines(win) -> list:
    import pyqtgraph as pg

    return [item for item in win.plot.plotItem.items if isinstance(item, pg.InfiniteLine)]


def test_the_median_delays_are_marked_on_the_traces_when_the_run_ends(qtbot, window):
    result = run_from_window(
        qtbot, window, "pulse-delay", amplitudes="200mV,300mV", delay_at="200mV", pulses=2
    )
    lines = dashed_lines(window)
    assert len(lines) == 2
    medians = sorted(s["median"] * 1e-3 for s in result.figures["stats"]["delay_by_mV"].values())
    assert sorted(10 ** line.value() for line in lines) == pytest.approx(medians)
    assert all(line.label.toPlainText().endswith("s") for line in lines)


def test_the_endurance_figure_is_marked_on_the_window_plot(qtbot, window):
    result = run_from_window(qtbot, window, "endurance", max_cycles=30)
    (line,) = dashed_lines(window)
    assert 10 ** line.value() == pytest.approx(result.figures["endurance_cycles"])
    assert "cycles" in line.label.toPlainText()
