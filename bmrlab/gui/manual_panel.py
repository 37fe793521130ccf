"""Manual control between runs, through the same guard as the protocols: a read at the read
voltage (V, I, R = V/I and when), one pulse with its confirmation and a read-back, and
Output off. A read or pulse leaves the output as it found it: switched off again (0 V) if it
was off. The window refuses them while a run owns the instruments; Output off during a run
is the window's business (it aborts the run safely first)."""

import time

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from .. import standard
from ..errors import BadInput
from ..units import format_quantity, parse_quantity


class ManualPanel(QWidget):
    said = pyqtSignal(str)  # what happened, for the run strip and the log
    output_off_requested = pyqtSignal()

    def __init__(self, station, busy):
        super().__init__()
        self.station, self.busy = station, busy
        self.pulse_v = QLineEdit("100mV")
        self.pulse_width = QLineEdit("10ms")
        self.result = QLabel("-")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.read_button = QPushButton(f"Read at {format_quantity(standard.V_READ, 'V')}")
        self.read_button.clicked.connect(self.read)
        self.pulse_button = QPushButton("One pulse")
        self.pulse_button.clicked.connect(self.pulse)
        self.off_button = QPushButton("Output off")
        self.off_button.setToolTip("0 V and output off (Ctrl+0); during a run, aborts it first")
        self.off_button.clicked.connect(self.output_off_requested)
        layout = QFormLayout(self)
        layout.addRow(self.read_button, self.result)
        layout.addRow("pulse", self.pulse_v)
        layout.addRow("width", self.pulse_width)
        row = QHBoxLayout()
        row.addWidget(self.pulse_button)
        row.addWidget(self.off_button)
        layout.addRow(row)

    def _smu(self):
        """The SMU configured for manual work, or None (with the reason said)."""
        if self.busy():
            self.said.emit("a run is in progress: manual read and pulse wait until it ends")
            return None
        if self.station.smu is None:
            self.station.connect()
        smu = self.station.smu
        if not smu.output_on:
            smu.configure(
                max_abs_v=self.station.config.limits.max_voltage,
                compliance=standard.COMPLIANCE_A,
                nplc=0.05,
            )
        return smu

    def _was_on(self) -> bool:
        return self.station.smu is not None and self.station.smu.output_on

    def read(self) -> None:
        was_on = self._was_on()
        try:
            smu = self._smu()
            if smu is None:
                return
            self._show_read(smu, "read")
            self._restore(was_on)
        except Exception as error:  # an instrument that does not answer: said, not raised
            self.said.emit(f"manual read failed: {type(error).__name__}: {error}")

    def _show_read(self, smu, what: str) -> None:
        reading = smu.read(standard.V_READ)
        v, i = float(reading.v[0]), float(reading.i[0])
        r = format_quantity(abs(v / i), "Ω", 3) if i != 0 else "open"
        text = (
            f"{what} at {time.strftime('%H:%M:%S')}: V = {format_quantity(v, 'V', 3)}, "
            f"I = {format_quantity(i, 'A', 3)}, R = V/I = {r}"
            + (", compliance hit" if bool(reading.limit[0]) else "")
        )
        self.result.setText(text)
        self.said.emit(text)

    def pulse(self) -> None:
        try:
            level = parse_quantity(self.pulse_v.text(), "V")
        except ValueError as error:
            self.said.emit(f"pulse amplitude: {error}")
            return
        try:
            width = parse_quantity(self.pulse_width.text(), "s")
        except ValueError as error:
            self.said.emit(f"pulse width: {error}")
            return
        try:
            self.station.guard.check_voltage("pulse", level)
            self.station.guard.check_pulse_width("width", width)
        except BadInput as error:
            self.said.emit(f"pulse refused: {error}")
            return
        was_on = self._was_on()
        try:
            smu = self._smu()
            if smu is None:
                return
            smu.pulse(level, width, self.station.clock.sleep)
            self.said.emit(
                f"pulse applied: {format_quantity(level, 'V', 3)} for "
                f"{format_quantity(width, 's', 3)}, then 0 V"
            )
            self._show_read(smu, f"after the {format_quantity(level, 'V', 3)} pulse, read")
            self._restore(was_on)
        except Exception as error:  # an instrument that does not answer: said, not raised
            self.said.emit(f"manual pulse failed: {type(error).__name__}: {error}")

    def _restore(self, was_on: bool) -> None:
        """Leave the output as it was: off (0 V) if it was off before."""
        if not was_on:
            self.station.safe_off()
