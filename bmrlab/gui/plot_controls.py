"""Above the live plot: which column against which, linear or log axes, and the data
coordinates under the mouse. The protocol's own view comes back with each new run."""

from PyQt6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QWidget

from .live_plot import LivePlot, column_name


class PlotControls(QWidget):
    def __init__(self, plot: LivePlot):
        super().__init__()
        self.plot = plot
        self.x_box, self.y_box = QComboBox(), QComboBox()
        for box in (self.x_box, self.y_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.log_x, self.log_y = QCheckBox("log"), QCheckBox("log")
        self.readout = QLabel("")
        self.readout.setStyleSheet("color: #555")
        self.readout.setMinimumWidth(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        for widget in (QLabel("x"), self.x_box, self.log_x, QLabel("y"), self.y_box, self.log_y):
            layout.addWidget(widget)
        layout.addWidget(self.readout, 1)
        for box in (self.x_box, self.y_box):
            box.activated.connect(self._chosen)
        for check in (self.log_x, self.log_y):
            check.clicked.connect(self._chosen)
        plot.began.connect(self._show_declared)
        plot.cursor.connect(self.readout.setText)

    def _show_declared(self) -> None:
        """A new run: its columns, and the protocol's view selected."""
        spec, columns = self.plot.spec, list(self.plot.units)
        for box, key in ((self.x_box, spec.get("x", "t_s")), (self.y_box, spec.get("y", "i_A"))):
            box.clear()
            for column in columns:
                box.addItem(column_name(column), column)
            box.setCurrentIndex(max(0, box.findData(key)))
        self.log_x.setChecked(bool(spec.get("log_x")))
        self.log_y.setChecked(bool(spec.get("log_y")))

    def _chosen(self, *_) -> None:
        self.plot.choose(
            self.x_box.currentData(),
            self.y_box.currentData(),
            self.log_x.isChecked(),
            self.log_y.isChecked(),
        )
