"""The window's simulated station with its instruments in a process of their own (what
`bmrlab gui` does): runs and the manual panel share the one simulated device, and a crash of
either process leaves no output on and no traceback."""

import os
import subprocess
import sys
import textwrap
import time

import pytest
from PyQt6.QtCore import QSettings

from bmrlab.gui.window import MainWindow
from bmrlab.station import Station

from .conftest import idle, run_from_window, start_long_run


@pytest.fixture
def process_window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    with Station.load(sim_process=True) as station:
        win = MainWindow(station, tmp_path / "gui.h5", settings)
        win.confirm = lambda question: True
        qtbot.addWidget(win)
        win.show()
        yield win
        win.close()


def test_a_run_and_the_manual_panel_use_the_one_device_in_the_other_process(qtbot, process_window):
    win = process_window
    bench = win.station.sim
    assert bench.process.is_alive() and bench.process.pid != os.getpid()
    result = run_from_window(qtbot, win, "endurance", max_cycles=20)
    assert result.status == "finished" and len(result.data["i_A"]) > 0
    assert win.station.clock.now() > 1.0  # the run's virtual time came back with the replies
    win.manual.pulse_v.setText("300mV")  # sets the device (Vset ~60 mV) ...
    win.manual.pulse()
    assert "after the 300 mV pulse, read" in win.manual.result.text()
    win.manual.read()  # ... and a later read finds it set: the same simulated device
    assert "R = V/I = " in win.manual.result.text()
    resistance = win.manual.result.text().split("R = V/I = ")[1]
    assert resistance.endswith("kΩ") or resistance.endswith(" Ω"), resistance
    assert not bench.by_name("smu").output  # the read left the output off, as it found it


def test_the_simulator_process_dying_mid_run_fails_the_run_and_the_window_goes_on(
    qtbot, process_window
):
    win = process_window
    start_long_run(qtbot, win)
    win.station.sim.process.kill()
    qtbot.waitUntil(lambda: idle(win), timeout=60_000)
    assert win.queue.jobs[-1].state == "failed"
    assert "failed" in win.strip.outcome.text()
    assert "Traceback" not in win.log.toPlainText()


def test_the_simulator_process_ends_when_the_window_process_is_killed(tmp_path):
    script = textwrap.dedent(
        """
        import os, sys
        from bmrlab.station import Station

        if __name__ == "__main__":
            station = Station.load(sim_process=True)
            station.connect()
            station.smu.configure(max_abs_v=0.2, compliance=1e-6, nplc=0.05)  # output on
            print(station.sim.process.pid, flush=True)
            os.kill(os.getpid(), 9)  # the window's process crashes
        """
    )
    path = tmp_path / "crash.py"
    path.write_text(script)
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    child = int(run.stdout.split()[0])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _running(child):
        time.sleep(0.1)
    assert not _running(child)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie awaiting its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
