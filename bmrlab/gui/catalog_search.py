"""The run browser's search of the lab's run catalog: the filters of ``bmrlab catalog query``
(sample, device pattern, protocol, station, status, date range, figure ranges) as fields,
read into the arguments of ``Catalog.query``. Hidden until asked for, so that the browser
over the session's file looks as it always did."""

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ..catalog.filters import STATUSES, figure_range
from ..errors import BadInput
from ..procedures import PROTOCOLS

ANY = "any"


class CatalogSearch(QWidget):
    requested = pyqtSignal()  # Search pressed: the browser reads ``filters()``

    def __init__(self):
        super().__init__()
        self.sample = QLineEdit()
        self.device = QLineEdit()
        self.device.setPlaceholderText("pattern, e.g. c3r*")
        self.protocol = QComboBox()
        self.protocol.addItems([ANY, *sorted(PROTOCOLS)])
        self.station = QLineEdit()
        self.status = QComboBox()
        self.status.addItems([ANY, *STATUSES])
        self.since = QLineEdit()
        self.since.setPlaceholderText("e.g. 2026-12-01")
        self.until = QLineEdit()
        self.until.setPlaceholderText("that day included")
        self.figures = QLineEdit()
        self.figures.setPlaceholderText("vset_mV=40..80, on_off_ratio=1e3..")
        self.figures.setToolTip(
            "figure ranges NAME=LOW..HIGH, either end open, separated by commas"
        )
        self.button = QPushButton("Search catalog")
        self.button.clicked.connect(self.requested)
        for edit in (self.sample, self.device, self.station, self.since, self.until, self.figures):
            edit.returnPressed.connect(self.requested)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        pairs = [
            ("sample", self.sample),
            ("device", self.device),
            ("protocol", self.protocol),
            ("station", self.station),
            ("since", self.since),
            ("until", self.until),
            ("status", self.status),
        ]
        for k, (label, field) in enumerate(pairs):
            grid.addWidget(QLabel(label), k // 2, 2 * (k % 2))
            grid.addWidget(field, k // 2, 2 * (k % 2) + 1)
        last = len(pairs) // 2 + 1
        grid.addWidget(QLabel("figures"), last, 0)
        grid.addWidget(self.figures, last, 1, 1, 3)
        grid.addWidget(self.button, len(pairs) // 2, 3)

    def filters(self) -> dict:
        """The fields as ``Catalog.query`` arguments (empty fields and "any" left out); a
        figure range that is not NAME=LOW..HIGH is refused naming it."""
        texts = {
            "sample": self.sample.text(),
            "device": self.device.text(),
            "protocol": self.protocol.currentText(),
            "station": self.station.text(),
            "status": self.status.currentText(),
            "since": self.since.text(),
            "until": self.until.text(),
        }
        chosen: dict = {
            name: text.strip() for name, text in texts.items() if text.strip() not in ("", ANY)
        }
        ranges = {}
        for text in filter(str.strip, self.figures.text().split(",")):
            try:
                name, bounds = figure_range(text)
            except ValueError:
                raise BadInput(
                    f"figure range {text.strip()}: NAME=LOW..HIGH, either end may be empty"
                ) from None
            ranges[name] = bounds
        if ranges:
            chosen["figure_ranges"] = ranges
        return chosen
