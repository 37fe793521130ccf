"""Runs from the window: plots, figures, two runs in a row with the axes checked numerically,
abort with a queue, Output off during a run, what the status bar says while a run drives
the output."""

import pytest
from PyQt6.QtCore import Qt

from bmrlab.storage import load_run

from .conftest import ENDLESS_READS, figure_rows, idle, press, run_from_window, start_long_run

SUPERSCRIPTS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def tick_value(axis, log_value: float) -> float:
    """The number the axis writes at ``log_value`` of a log axis (``10⁻⁶`` -> 1e-06)."""
    text = axis.tickStrings([log_value], axis.autoSIPrefixScale * axis.scale, 1)[0]
    plain = text.translate(SUPERSCRIPTS)
    return 10.0 ** int(plain[2:]) if plain != text else float(text)


def test_an_iv_sweep_from_the_window_plots_and_shows_its_figures(qtbot, window):
    result = run_from_window(qtbot, window, "iv-sweep", cycles=3)
    assert result.status == "finished"
    assert window.plot.points() == (result.data["phase"] != 0).sum()  # the rests not drawn
    assert len(window.plot.curves) == 3  # one curve per cycle
    vset = figure_rows(window)["Vset"]
    assert vset[0].endswith("mV") and float(vset[0].split()[0]) == pytest.approx(60, rel=0.2)
    assert window.browser.table.rowCount() == 1
    assert window.browser.table.item(0, 3).text() == "finished"


def test_two_runs_in_one_window_draw_the_current_at_its_true_value(qtbot, window):
    """Finding 1: from the second run the current axis read 10^6 too high."""
    for _ in range(2):
        result = run_from_window(qtbot, window, "iv-sweep", cycles=1)
        assert result.status == "finished"
        left = window.plot.getAxis("left")
        assert left.autoSIPrefixScale == 1.0
        assert tick_value(left, -6) == pytest.approx(1e-6)  # the 1 uA compliance is drawn at 1e-6 A
        top = max(
            float(c.getData()[1][~(c.getData()[1] != c.getData()[1])].max())
            for c in window.plot.curves.values()
        )
        assert top == pytest.approx(-6, abs=0.1)  # log10 of the compliance-limited points


def test_the_ppf_plot_after_an_iv_sweep_reads_the_interval_in_ms(qtbot, window):
    """Finding 1: the paired-pulse x axis was 1000x off after a linear V axis in mV."""
    run_from_window(qtbot, window, "iv-sweep", cycles=1)
    run_from_window(qtbot, window, "paired-pulse", intervals="1ms,100ms", repeats=1)
    bottom = window.plot.getAxis("bottom")
    assert tick_value(bottom, 0) == 1 and tick_value(bottom, 2) == pytest.approx(100)
    window.browser.select(0)  # the iv-sweep from the browser, then the paired pulse again
    qtbot.wait(200)  # drawn: its V axis in mV
    window.browser.select(1)
    qtbot.wait(200)
    assert tick_value(window.plot.getAxis("bottom"), 0) == 1


def test_a_paired_pulse_run_from_the_window(qtbot, window):
    result = run_from_window(qtbot, window, "paired-pulse", intervals="1ms,100ms", repeats=2)
    assert result.status == "finished"
    assert "PPF index at 1 ms" in figure_rows(window)
    assert window.plot.points() == 2  # the PPF index against the interval, once it ended


def test_abort_keeps_the_queue_and_offers_resume_skip_and_clear(qtbot, window):
    """Finding 3: abort dropped the queue; running and pending runs were invisible."""
    window.protocol_box.setCurrentText("read-disturb")
    window.form.set_value("reads", str(ENDLESS_READS))
    window.add_to_queue()
    window.protocol_box.setCurrentText("iv-sweep")
    for cycles in ("1", "2"):
        window.form.set_value("cycles", cycles)
        window.add_to_queue()
    assert [job.state for job in window.queue.jobs] == ["queued"] * 3
    assert "cycles=2" in window.queue.list.item(2).text()  # entries show their parameters
    window.form.set_value("v_max", "9V")  # an invalid form does not block the queue
    assert window.start_button.isEnabled() and "3" in window.start_button.text()
    window.start_button.click()
    qtbot.waitUntil(lambda: window.plot.points() > 1000, timeout=60_000)
    assert window.queue.list.item(0).text().startswith("running")
    window.abort_button.click()
    qtbot.waitUntil(lambda: idle(window), timeout=60_000)
    assert [job.state for job in window.queue.jobs] == ["aborted", "queued", "queued"]
    assert window.queue.paused and window.queue.pause_row.isVisibleTo(window)
    window.queue.skip_button.click()  # drop cycles=1, run cycles=2
    qtbot.waitUntil(
        lambda: idle(window) and window.queue.jobs[-1].state == "finished", timeout=60_000
    )
    assert [job.state for job in window.queue.jobs] == ["aborted", "finished"]
    assert window.last_result.protocol == "iv-sweep"
    assert max(window.last_result.data["cycle"]) == 2


def test_clear_and_delete_drop_queued_runs(qtbot, window):
    for _ in range(3):
        window.add_to_queue()
    window.queue.list.setCurrentRow(1)
    window.queue.list.item(1).setSelected(True)
    qtbot.keyClick(window.queue.list, Qt.Key.Key_Delete)
    assert len(window.queue.jobs) == 2 and window.start_button.text() == "Start queue (2)"
    window.queue.clear_queued()
    assert window.queue.jobs == [] and window.start_button.text() == "Start"


def test_the_status_bar_says_the_run_drives_the_output(qtbot, window):
    """Finding 4: it said "output on at 0 V" while a sweep drove the device."""
    start_long_run(qtbot, window)
    qtbot.waitUntil(lambda: "last source level" in window.status.text(), timeout=10_000)
    assert "the run drives it" in window.status.text()
    assert "output on at 0 V" not in window.status.text()
    window.abort_button.click()
    qtbot.waitUntil(lambda: idle(window), timeout=60_000)
    assert "output off" in window.status.text()


def test_output_off_during_a_run_aborts_it_safely_and_says_who(qtbot, window):
    """Finding 5: Output off talked to the SMU from the GUI thread during a run, which was
    stored as failed."""
    start_long_run(qtbot, window)
    window.manual.off_button.click()
    qtbot.waitUntil(lambda: idle(window), timeout=60_000)
    result = window.last_result
    assert result.status == "aborted"
    assert result.reason == "output switched off by the user"
    assert load_run(result.path, result.run).reason == "output switched off by the user"
    smu = window.station.sim.by_name("smu")
    assert not smu.output and smu.level == 0.0
    assert "output off" in window.status.text()


def test_abort_asks_first_and_a_no_keeps_the_run_going(qtbot, window):
    """Finding 12: no confirmation before Abort or before closing mid-run."""
    asked = []
    window.confirm = lambda question: asked.append(question) or False
    window.show()
    start_long_run(qtbot, window)
    window.abort_button.click()
    assert asked and window.worker.running and not window.worker.stop.is_set()
    window.close()  # closing mid-run asks too; No keeps the window and the run
    assert len(asked) == 2 and window.isVisible() and window.worker.running
    window.confirm = lambda question: True
    window.abort_button.click()
    qtbot.waitUntil(lambda: idle(window), timeout=60_000)
    assert window.last_result.status == "aborted"


def test_queued_runs_move_up_and_down(qtbot, window):
    for cycles in ("1", "2", "3"):
        window.form.set_value("cycles", cycles)
        window.add_to_queue()
    window.queue.list.setCurrentRow(2)
    window.queue.up_button.click()
    assert [job.values["cycles"] for job in window.queue.jobs] == ["1", "3", "2"]
    window.queue.down_button.click()
    assert [job.values["cycles"] for job in window.queue.jobs] == ["1", "2", "3"]


def test_the_run_strip_is_busy_until_progress_and_keeps_it_after_an_abort(qtbot):
    from bmrlab.gui.run_strip import RunStrip

    strip = RunStrip()
    qtbot.addWidget(strip)
    strip.started("retention", None)
    assert strip.bar.maximum() == 0  # busy, not a frozen 0 %
    strip.progress(40.0)
    assert strip.bar.maximum() == 1000 and strip.bar.value() == 400
    assert "elapsed" in strip.times.text() and "left" in strip.times.text()
    strip.finished("retention", "aborted", "stopped on request by the user")
    assert strip.bar.value() == 400
    assert strip.outcome.text() == "retention: aborted: stopped on request by the user"


def test_ctrl_0_switches_the_output_off_and_a_queue_end_is_announced(qtbot, window):
    for cycles in ("1", "2"):
        window.form.set_value("cycles", cycles)
        window.add_to_queue()
    window.start_button.click()
    qtbot.waitUntil(
        lambda: idle(window) and window.queue.jobs[-1].state == "finished", timeout=60_000
    )
    assert window.strip.message.text() == "queue done: 2 runs"
    window.manual.read_button.click()
    window.station.smu.configure(max_abs_v=0.2, compliance=1e-6, nplc=0.05)  # output on
    assert window.station.sim.by_name("smu").output
    press(qtbot, window, Qt.Key.Key_0)
    assert not window.station.sim.by_name("smu").output


def test_typed_values_of_every_protocol_are_remembered_for_the_next_session(
    qtbot, window, tmp_path
):
    from PyQt6.QtCore import QSettings

    from bmrlab.gui.window import MainWindow

    window.protocol_box.setCurrentText("iv-sweep")
    window.form.set_value("cycles", "7")
    window.protocol_box.setCurrentText("paired-pulse")
    window.form.set_value("repeats", "3")
    window.close()
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    again = MainWindow(window.station, tmp_path / "gui.h5", settings)
    qtbot.addWidget(again)
    assert again.protocol() == "paired-pulse" and again.form.values()["repeats"] == "3"
    again.protocol_box.setCurrentText("iv-sweep")
    assert again.form.values()["cycles"] == "7"


def test_a_failed_run_is_red_with_its_reason_and_pauses_the_queue(qtbot, tmp_path):
    import yaml
    from PyQt6.QtCore import QSettings

    from bmrlab.gui.window import MainWindow
    from bmrlab.paths import CONFIG_DIR
    from bmrlab.station import Station

    config = yaml.safe_load((CONFIG_DIR / "stations" / "sim-2450.yaml").read_text())
    config["simulation"]["faults"] = [
        {"instrument": "smu", "kind": "error", "after": 12, "error": '-113,"Undefined header"'}
    ]
    path = tmp_path / "faulty.yaml"
    path.write_text(yaml.safe_dump(config))
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    with Station.load(path) as station:
        win = MainWindow(station, tmp_path / "gui.h5", settings)
        win.confirm = lambda question: True
        qtbot.addWidget(win)
        win.show()
        win.form.set_value("cycles", "2")
        win.add_to_queue()
        win.add_to_queue()
        win.start_button.click()
        qtbot.waitUntil(lambda: idle(win) and win.last_result is not None, timeout=60_000)
        assert win.last_result.status == "failed"
        assert win.strip.outcome.text().startswith("iv-sweep: failed: ")
        assert "#c0392b" in win.strip.outcome.styleSheet()
        assert [job.state for job in win.queue.jobs] == ["failed", "queued"]
        assert win.queue.paused
        assert win.figures.rows()["no figures: run failed"][0] == win.last_result.reason
        win.close()
