"""The figures of a run as a physicist reads them (``bmrlab.result_rows``): each figure in
words with its unit, the median with its 95 % confidence interval ("63.2 [60.1, 65.0] mV"),
its 5-95 % spread and n, and flags in words (lower bound, censored, why a figure was not
measured). Curves (PPF index against the interval, delay per amplitude) are one row per
point with the interval and n of each; fits one row each, parameters with their standard
errors ("tau1 = 26.9 ± 7.9 ms")."""

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem

from ..result_rows import result_rows
from ..results import ProtocolResult


class FiguresPanel(QTableWidget):
    HEADERS = ["figure", "median [95 % CI]", "5-95 %", "n", "note"]

    def __init__(self):
        super().__init__(0, len(self.HEADERS))
        self.setHorizontalHeaderLabels(self.HEADERS)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(len(self.HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalHeader().setVisible(False)
        self.setWordWrap(True)

    def waiting(self) -> None:
        """A run started: the previous run's figures go away."""
        self._fill([("figures when the run ends", "", "", "", "")])
        self.setSpan(0, 0, 1, len(self.HEADERS))

    def show_run(
        self,
        status: str,
        reason: str,
        result: ProtocolResult | None,
        parameters: dict | None = None,
        metadata: dict | None = None,
        older_schema: bool = False,
    ) -> None:
        """``older_schema``: the run's figures were stored under another result schema and
        are not shown; ``bmrlab analyze`` recomputes them."""
        rows = [tuple(vars(row).values()) for row in result_rows(result)] if result else []
        if older_schema:
            rows.insert(
                0,
                (
                    "figures stored by another bmrlab version",
                    "recompute them: bmrlab analyze FILE --run ID",
                    "",
                    "",
                    "",
                ),
            )
        if status != "finished":
            rows.insert(0, (f"no figures: run {status}", reason, "", "", ""))
        rows += [(key, str(value), "", "", "") for key, value in (metadata or {}).items()]
        rows += [(f"parameter {k}", str(v), "", "", "") for k, v in (parameters or {}).items()]
        self._fill(rows)

    def _fill(self, rows: list[tuple]) -> None:
        self.clearSpans()
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.setItem(r, c, item)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Columns as wide as their contents but none wider than a quarter of the panel, so
        the note (a fit's parameters, a reason) keeps room to be read."""
        self.resizeColumnsToContents()
        widest = max(60, self.viewport().width() // 4)
        for column in range(len(self.HEADERS) - 1):
            self.setColumnWidth(column, min(self.columnWidth(column), widest))
        self.resizeRowsToContents()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def rows(self) -> dict:
        """figure -> (median [95 % CI], 5-95 %, n, note), as shown."""
        return {
            self.item(r, 0).text(): tuple(self.item(r, c).text() for c in range(1, 5))
            for r in range(self.rowCount())
        }
