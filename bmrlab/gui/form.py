"""What to run: the protocol (with its description), sample and device, and the protocol's
parameter form. Each parameter shows its description, unit and allowed range (narrowed to the
station's limits) before anything is typed; booleans are check boxes and choices drop-downs.
Values typed are kept per protocol when switching. As the user types, the form is checked
against the parameters and the station limits: every problem listed, each offending field
highlighted; a bare number for a quantity with a unit is taken in that unit and said so; the
run's estimated duration is shown."""

import json
import re

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from .. import runner
from ..errors import BadInput
from ..procedures import PROTOCOLS
from ..procedures.base import ParameterSpec
from ..units import format_quantity
from .run_strip import duration_text

BAD_FIELD = "border: 2px solid #c0392b; background: #fdecea"
BARE_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
LEADING_NAME = re.compile(r"^\s*(\w+)\s*(=|:)")


def parameter_text(value, units: str) -> str:
    """A parameter's value as the user would type it: ``100mV,200mV``, ``2ms``, ``true``."""
    if isinstance(value, list):
        return ",".join(format_quantity(v, units) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return format_quantity(value, units)
    return str(value)


class ParameterForm(QWidget):
    checked = pyqtSignal(bool)  # after every check: whether the form can run

    def __init__(self, station, settings):
        super().__init__()
        self.station, self.settings = station, settings
        self.kept: dict[str, dict] = {}  # protocol -> the texts typed, kept when switching
        self.edits: dict[str, QWidget] = {}
        self.current = None
        self.valid = False
        self.protocol_box = QComboBox()
        for name in sorted(PROTOCOLS):
            self.protocol_box.addItem(f"{name}", name)
            self.protocol_box.setItemData(
                self.protocol_box.count() - 1,
                PROTOCOLS[name].description,
                Qt.ItemDataRole.ToolTipRole,
            )
        self.protocol_box.setToolTip("the protocol to run")
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: #333; font-style: italic")
        self.sample_edit = QLineEdit(settings.value("sample", "sample"))
        self.device_edit = QLineEdit(station.device_preset or "device")
        self.grid = QGridLayout()
        self.grid.setColumnStretch(1, 1)
        self.problems = QLabel()
        self.problems.setStyleSheet("color: #c0392b")
        self.problems.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setStyleSheet("color: #9a6700")
        self.notes.setWordWrap(True)
        self.estimate = ""  # the run's estimated duration in words (shown beside Start)
        limits = station.config.limits
        self.limits_label = QLabel(
            f"station limits: |V| <= {format_quantity(limits.max_voltage, 'V')}, "
            f"compliance <= {format_quantity(limits.max_compliance, 'A')}, "
            f"pulses >= {format_quantity(limits.min_pulse_width, 's')}"
        )
        self.limits_label.setWordWrap(True)
        self.limits_label.setStyleSheet("color: #555")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        top = QFormLayout()
        top.addRow("protocol", self.protocol_box)
        top.addRow("sample", self.sample_edit)
        top.addRow("device", self.device_edit)
        layout.addLayout(top)
        layout.addWidget(self.description)
        box = QGroupBox("parameters")
        box.setLayout(self.grid)
        layout.addWidget(box)
        layout.addWidget(self.limits_label)
        layout.addWidget(self._notes_box())
        layout.addStretch(1)
        self.protocol_box.currentIndexChanged.connect(self._switch)
        self.protocol_box.setCurrentIndex(
            max(0, self.protocol_box.findData(settings.value("protocol", "iv-sweep")))
        )
        self._switch()

    def _notes_box(self) -> QGroupBox:
        """Free metadata stored with each run: who, which chip, at what temperature, notes."""
        box = QGroupBox("notes stored with the run")
        form = QFormLayout(box)
        self.metadata_edits = {}
        for key, hint in (
            ("operator", ""),
            ("chip", "die / wafer id"),
            ("temperature", "e.g. 295 K"),
        ):
            edit = QLineEdit(self.settings.value(f"metadata/{key}", ""))
            edit.setPlaceholderText(hint)
            form.addRow(key, edit)
            self.metadata_edits[key] = edit
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setPlaceholderText("anything about this run")
        self.notes_edit.setFixedHeight(48)
        form.addRow("notes", self.notes_edit)
        return box

    def metadata(self) -> dict:
        """The filled-in notes (empty ones left out)."""
        values = {key: edit.text().strip() for key, edit in self.metadata_edits.items()}
        values["notes"] = self.notes_edit.toPlainText().strip()
        return {key: value for key, value in values.items() if value}

    # --- the form -------------------------------------------------------------------------
    def protocol(self) -> str:
        return self.protocol_box.currentData()

    def _switch(self) -> None:
        """Show the chosen protocol's parameters, with what was typed for it before."""
        if self.current is not None:
            self.kept[self.current] = self.values()
        self.current = self.protocol()
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        cls = PROTOCOLS[self.current]
        self.description.setText(f"{cls.title}: {cls.description}")
        saved = self.kept.get(self.current) or json.loads(
            self.settings.value(f"parameters/{self.current}", "{}")
        )
        defaults = runner.prepare_defaults(self.station, self.current)
        self.parameters = cls.parameter_specs()
        self.default_texts = {
            name: parameter_text(value, self.parameters[name].units)
            for name, value in defaults.items()
        }
        self.edits = {}
        for row, (name, parameter) in enumerate(self.parameters.items()):
            text = saved.get(name, self.default_texts[name])
            editor = self._editor(parameter, text)
            label = QLabel(
                f"<b>{name}</b><br><span style='color:#666'>{parameter.description}</span>"
            )
            label.setWordWrap(True)
            label.setToolTip(parameter.description)
            hint = QLabel(self._hint(parameter))
            hint.setStyleSheet("color: #666; font-size: 8pt")
            cell = QWidget()
            cell_layout = QVBoxLayout(cell)
            cell_layout.setContentsMargins(0, 0, 0, 0)
            cell_layout.setSpacing(0)
            cell_layout.addWidget(editor)
            cell_layout.addWidget(hint)
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(cell, row, 1)
            self.edits[name] = editor
        self.check()

    def _editor(self, parameter: ParameterSpec, text: str) -> QWidget:
        if parameter.kind == "flag":
            editor = QCheckBox()
            editor.setChecked(text.lower() == "true")
            editor.toggled.connect(self.check)
        elif parameter.kind == "choice":
            editor = QComboBox()
            editor.addItems([str(choice) for choice in parameter.choices])
            editor.setCurrentText(text)
            editor.currentTextChanged.connect(self.check)
        else:
            editor = QLineEdit(text)
            editor.setCursorPosition(0)  # a long list shows its start
            editor.setToolTip(parameter.description)
            editor.textChanged.connect(self.check)
        return editor

    def _hint(self, parameter: ParameterSpec) -> str:
        """Unit and allowed range, the maximum narrowed to the station's limits."""
        unit = parameter.units
        low, high = parameter.minimum, parameter.maximum
        if low is None or high is None or parameter.kind in ("flag", "choice"):
            return unit
        limits = self.station.config.limits
        high = min(high, {"V": limits.max_voltage, "A": limits.max_compliance}.get(unit, high))
        span = (
            f"{format_quantity(low, unit, 3)} .. {format_quantity(high, unit, 3)}"
            if unit
            else f"{low:g} .. {high:g}"
        )
        hint = f"{unit}, {span}" if unit else span
        if parameter.kind == "quantities":
            hint += "; a list: a,b,c"
        return hint

    def values(self) -> dict:
        values = {}
        for name, editor in self.edits.items():
            if isinstance(editor, QCheckBox):
                values[name] = "true" if editor.isChecked() else "false"
            elif isinstance(editor, QComboBox):
                values[name] = editor.currentText()
            else:
                values[name] = editor.text()
        return values

    def set_value(self, name: str, text: str) -> None:
        editor = self.edits[name]
        if isinstance(editor, QCheckBox):
            editor.setChecked(str(text).lower() == "true")
        elif isinstance(editor, QComboBox):
            editor.setCurrentText(str(text))
        else:
            editor.setText(str(text))

    def changed(self) -> dict:
        """The values that differ from the protocol's defaults (what a queue entry shows)."""
        return {k: v for k, v in self.values().items() if v != self.default_texts.get(k)}

    # --- checks ---------------------------------------------------------------------------
    def check(self) -> bool:
        """Check as the user types; list every problem and highlight its field. A protocol
        check stops at its first problem, so the offending value is set back to its default
        and the check repeated until nothing new is found."""
        values = self.values()
        trial, problems, bad = dict(values), [], []
        procedure = None
        for _ in range(len(values) + 1):
            try:
                procedure = runner.prepare(self.station, self.protocol(), trial)
                break
            except BadInput as error:
                progressed = False
                for problem in error.problems:
                    if problem not in problems:
                        problems.append(problem)
                    match = LEADING_NAME.match(problem)
                    if match and match[1] in trial:
                        del trial[match[1]]
                        bad.append(match[1])
                        progressed = True
                if not progressed:
                    break
        for name, editor in self.edits.items():
            editor.setStyleSheet(BAD_FIELD if name in bad else "")
        notes = self._bare_numbers(values)
        self.problems.setText("\n".join(problems))
        self.notes.setText("\n".join(notes))
        self.problems.setVisible(bool(problems))  # no empty space above the buttons
        self.notes.setVisible(bool(notes))
        self.valid = not problems
        if self.valid and procedure is not None:
            estimate = procedure.estimated_duration()
            self.estimate = "estimated duration: " + (
                f"{duration_text(estimate)} on the instrument"
                if estimate is not None
                else "not known in advance (the protocol adapts as it runs)"
            )
        else:
            self.estimate = ""
        self.checked.emit(self.valid)
        return self.valid

    def _bare_numbers(self, values: dict) -> list[str]:
        """A number typed without its unit is taken in the SI unit: say so."""
        notes = []
        for name, text in values.items():
            unit = self.parameters[name].units
            if unit and BARE_NUMBER.match(text) and float(text) != 0:
                notes.append(
                    f"{name} = {text.strip()} is taken as {format_quantity(float(text), unit)}"
                )
        return notes

    def remember(self) -> None:
        """The protocol, sample and every protocol's typed values, for the next session."""
        self.kept[self.protocol()] = self.values()
        self.settings.setValue("protocol", self.protocol())
        self.settings.setValue("sample", self.sample_edit.text())
        for protocol, values in self.kept.items():
            self.settings.setValue(f"parameters/{protocol}", json.dumps(values))
        for key, edit in self.metadata_edits.items():
            self.settings.setValue(f"metadata/{key}", edit.text())

    def use(self, protocol: str, values: dict) -> None:
        """Fill the form with an earlier run's protocol and parameters."""
        self.protocol_box.setCurrentIndex(self.protocol_box.findData(protocol))
        for name, value in values.items():
            if name in self.edits:
                self.set_value(name, value)
