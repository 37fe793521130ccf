"""`bmrlab gui`: the window on a station; with --run, a protocol started at once, a
screenshot when it ends, and an exit (smoke tests and documentation)."""

import sys

from PyQt6.QtCore import QSettings, QTimer
from PyQt6.QtWidgets import QApplication

from ..station import Station
from .window import MainWindow


def main(
    station_file=None,
    device=None,
    out="data/gui.h5",
    run=None,
    values=None,
    screenshot=None,
    quit_when_done=False,
    device_file=None,
) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = QSettings("bmrlab", "gui")
    station_file = station_file or settings.value("station") or None
    with Station.load(station_file, device, device_file, sim_process=True) as station:
        if station_file:
            settings.setValue("station", str(station_file))
        window = MainWindow(station, out, settings)
        window.show()
        status = {"code": 0}
        if run:
            window.protocol_box.setCurrentText(run)
            for name, value in (values or {}).items():
                window.form.set_value(name, value)
            window.start()

            def when_done():
                if window.worker.running or not window.worker.events.empty():
                    return
                poll.stop()
                window._drain()
                result = window.last_result
                status["code"] = 0 if result is not None and result.status == "finished" else 1
                if screenshot:
                    window.grab().save(str(screenshot))
                if quit_when_done:
                    window.close()
                    app.quit()

            poll = QTimer()
            poll.timeout.connect(when_done)
            poll.start(200)
        app.exec()
    return status["code"]
