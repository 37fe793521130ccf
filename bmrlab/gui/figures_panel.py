"""The figures of a run as a physicist reads them: each figure in words with its unit, the
median with its 5-95 % spread and n, and flags in words (lower bound, censored,
resolution-limited, why a figure was not measured). Curves (PPF index against the interval,
delay per amplitude) are one row per point; fits one row each."""

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem

from ..standard import TABLE1
from ..units import format_quantity

NAMES = {"vset_mV": "Vset", "vreset_mV": "Vreset", "on_off_ratio": "On/Off ratio",
         "endurance_cycles": "endurance (cycles)", "delay_ms": "switching delay",
         "delay_at_mV": "delay measured at", "retention_ms": "retention",
         "retention_pulse_mV": "retention pulse amplitude",
         "retention_pulse_ms": "retention pulse width", "hrs_A": "HRS current",
         "lrs_A": "LRS current", "cycles": "cycles", "volatile": "volatile",
         "delay_fit": "delay fit", "retention_fit": "retention fit", "ppf": "PPF"}
UNITS = {"mV": ("V", 1e-3), "ms": ("s", 1e-3), "A": ("A", 1.0), "V": ("V", 1.0),
         "s": ("s", 1.0)}
FLAGS = {"on_off_lower_bound": ("on_off_ratio", "lower bound: HRS at the current floor"),
         "endurance_censored": ("endurance_cycles", "censored: the window never closed"),
         "retention_censored": ("retention_ms", "lower bound: most traces censored")}


def unit_of(key: str) -> tuple[str, float]:
    """(SI unit, scale to SI) from the key's suffix: ``vset_mV`` -> ("V", 1e-3)."""
    suffix = key.rsplit("_", 1)[-1] if "_" in key else ""
    return UNITS.get(suffix, ("", 1.0))


def value_text(key: str, value) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        unit, scale = unit_of(key)
        if unit:
            return format_quantity(float(value) * scale, unit, 3)
        return f"{value:.3g}" if isinstance(value, float) else f"{value:,}"
    return str(value)


def spread_notes(stats: dict) -> list[str]:
    notes = []
    if stats.get("reason"):
        notes.append(stats["reason"])
    if "switched" in stats and "pulses" in stats:
        notes.append(f"{stats['switched']} of {stats['pulses']} switched")
    if stats.get("resolved") is False and stats.get("median") is not None:
        notes.append("resolution-limited (delay within a few samples)")
    if stats.get("censored"):
        notes.append(f"{stats['censored']} of {stats.get('traces', '?')} censored")
    if stats.get("median_censored"):
        notes.append("lower bound")
    return notes


def fit_text(fit) -> str:
    """A fit's parameters, each with its unit: ``C1 = 0.34, tau1 = 32.4 ms``."""
    if not fit:
        return "no fit"
    if not isinstance(fit, dict):
        return str(fit)
    parts = []
    for key, value in fit.items():
        if value is None or key == "terms" or isinstance(value, (list, dict, bool)):
            continue
        unit, _ = unit_of(key)
        name = key.rsplit("_", 1)[0] if unit else key
        if isinstance(value, (int, float)):
            value = value_text(key, value) if unit else f"{value:.3g}"
        parts.append(f"{name} = {value}")
    return ", ".join(parts)


def figure_rows(figures: dict) -> list[tuple]:
    """(figure, value, 5-95 %, n, note) rows, Table 1 columns first."""
    stats = figures.get("stats", {})
    notes = {}
    for flag, (key, words) in FLAGS.items():
        if figures.get(flag):
            notes.setdefault(key, []).append(words)
    rows = []
    keys = [k for k in TABLE1 if k in figures]
    keys += [k for k in figures if k not in TABLE1 and k != "stats" and k not in FLAGS]
    keys += [k for k in stats if k not in figures and not isinstance(stats[k], int)]
    for key in keys:
        value = figures.get(key, stats.get(key))
        if key == "ppf" and isinstance(value, dict):
            for interval, index in zip(value.get("interval_ms", []), value.get("index", [])):
                rows.append((f"PPF index at {value_text('interval_ms', interval)}",
                             f"{index:.3g}", "", "", ""))
            rows.append(("PPF fit", "", "", "", fit_text(value.get("fit"))))
            continue
        if key == "delay_by_mV" and isinstance(value, dict):
            for mv, s in value.items():
                rows.append(_stat_row(f"delay at {value_text('x_mV', float(mv))}", "delay_ms",
                                      s, []))
            continue
        if key.endswith("_fit"):
            rows.append((NAMES.get(key, key.replace("_", " ")), "", "", "", fit_text(value)))
            continue
        spread = stats.get(key)
        name = NAMES.get(key, key.replace("_", " "))
        if isinstance(spread, dict):
            row = _stat_row(name, key, spread, notes.get(key, []))
            if value is not None and spread.get("median") is None:
                row = (name, value_text(key, value)) + row[2:]
            rows.append(row)
        elif isinstance(value, dict):
            rows.append((name, "", "", "", fit_text(value)))
        else:
            rows.append((name, value_text(key, value), "", "", "; ".join(notes.get(key, []))))
    return rows


def _stat_row(name: str, key: str, stats: dict, notes: list) -> tuple:
    median = stats.get("median")
    spread = ""
    if stats.get("p5") is not None and stats.get("p95") is not None:
        low, high = value_text(key, stats["p5"]), value_text(key, stats["p95"])
        low_unit, high_unit = low.rpartition(" ")[2], high.rpartition(" ")[2]
        if " " in low and low_unit == high_unit:  # 54.9 .. 69.3 mV: the unit once
            low = low.rpartition(" ")[0]
        spread = f"{low} .. {high}"
    n = stats.get("n")
    notes = notes + spread_notes(stats)
    value = value_text(key, median)
    if median is None and stats.get("reason"):  # the reason where the value would be
        value = stats["reason"]
        notes = [note for note in notes if note != value]
    return (name, value, spread, "" if n is None else str(n), "; ".join(notes))


class FiguresPanel(QTableWidget):
    HEADERS = ["figure", "median", "5-95 %", "n", "note"]

    def __init__(self):
        super().__init__(0, len(self.HEADERS))
        self.setHorizontalHeaderLabels(self.HEADERS)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(self.HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalHeader().setVisible(False)
        self.setWordWrap(True)

    def waiting(self) -> None:
        """A run started: the previous run's figures go away."""
        self._fill([("figures when the run ends", "", "", "", "")])
        self.setSpan(0, 0, 1, len(self.HEADERS))

    def show_run(self, status: str, reason: str, figures: dict,
                 parameters: dict | None = None, metadata: dict | None = None) -> None:
        rows = figure_rows(figures)
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
        self.resizeRowsToContents()

    def rows(self) -> dict:
        """figure -> (median, 5-95 %, n, note), as shown."""
        return {self.item(r, 0).text(): tuple(self.item(r, c).text() for c in range(1, 5))
                for r in range(self.rowCount())}

