"""The README's screenshots of the probe-station window, taken again after the window changes.

Why: the pictures in the README must show the window as it is; this script retakes them
instead of someone cropping screenshots by hand. It is not run by the tests.

How: the window is built as ``bmrlab gui`` builds it (the default simulated station, its
instruments in a process of their own), offscreen, with settings and data in a scratch
folder so that no user's remembered layout or values leak in (and its runs recorded in a
throwaway catalog, not the user's). At each size it starts a
20-cycle I-V sweep and grabs the window mid-run, waits for the sweep to end, then runs a
paired pulse (its defaults) to the end and grabs the window with its figures. Between
steps a real Qt event loop runs (``wait``), so the window has drawn what it shows.

Run: ``QT_QPA_PLATFORM=offscreen python bench/screenshots.py [OUT_DIR]`` (default docs/);
it writes gui-midrun-WxH.png and gui-paired-pulse-WxH.png for 1280x720 and 1920x1080.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QEventLoop, QSettings, QTimer
from PyQt6.QtWidgets import QApplication

from bmrlab.catalog import throwaway_catalog
from bmrlab.gui.window import REFRESH_MS, MainWindow
from bmrlab.station import Station

SIZES = ((1280, 720), (1920, 1080))
MIDRUN_PERCENT = 40  # the I-V sweep's progress at which it is grabbed
RUN_TIMEOUT_S = 600


def wait(ms: int) -> None:
    """Let the event loop run for ``ms`` (timers fire, the window repaints)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(condition, what: str, timeout_s: float = RUN_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        wait(REFRESH_MS)


def idle(window: MainWindow) -> bool:
    """No run going and every message of the last one shown."""
    return not window.worker.running and window.worker.events.empty() and window.job is None


def start(window: MainWindow, protocol: str, **values) -> None:
    """What a user does: choose the protocol, type the values, press Start."""
    window.protocol_box.setCurrentText(protocol)
    for name, value in values.items():
        window.form.set_value(name, str(value))
    wait(100)
    if not window.form.check():
        raise SystemExit(f"{protocol}: {window.form.problems.text()}")
    window.start_button.click()


def grab(window: MainWindow, path: Path, settle_ms: int = 500) -> None:
    """Save the window as drawn once ``settle_ms`` of refreshes have run."""
    wait(settle_ms)
    if not window.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path}")


def shoot(station: Station, scratch: Path, out_dir: Path, width: int, height: int) -> None:
    settings = QSettings(str(scratch / f"gui-{width}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(station, scratch / f"gui-{width}.h5", settings)
    window.confirm = lambda question: True  # nothing asks during these runs; no dialog waits
    window.show()
    window.resize(width, height)
    wait(300)
    size = f"{width}x{height}"

    start(window, "iv-sweep", cycles=20)
    wait_until(lambda: window.strip.percent >= MIDRUN_PERCENT, "the I-V sweep's progress")
    grab(window, out_dir / f"gui-midrun-{size}.png", settle_ms=3 * REFRESH_MS)
    wait_until(lambda: idle(window), "the I-V sweep's end")

    window.last_result = None
    start(window, "paired-pulse")
    wait_until(lambda: window.last_result is not None and idle(window), "the paired pulse's end")
    result = window.last_result
    assert result is not None  # waited for above
    if result.status != "finished":
        raise SystemExit(f"paired-pulse {result.status}: {result.reason}")
    grab(window, out_dir / f"gui-paired-pulse-{size}.png")
    window.close()
    wait(REFRESH_MS)


def main(out_dir: Path) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    out_dir.mkdir(parents=True, exist_ok=True)
    with (
        throwaway_catalog(),  # the window's runs are not the user's lab data
        tempfile.TemporaryDirectory() as scratch,
        Station.load(sim_process=True) as station,
    ):
        for width, height in SIZES:
            shoot(station, Path(scratch), out_dir, width, height)
    app.quit()


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs"
    )
