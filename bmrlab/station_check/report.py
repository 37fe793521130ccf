"""The station check's result: one row a check, printed as a table and stored as JSON."""

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..errors import BadInput

RESULTS = ("pass", "fail", "not checked", "info")  # info: recorded, nothing to compare


@dataclass
class Row:
    instrument: str  # the role in the station file: smu, pulse_generator
    check: str
    measured: str
    allowed: str
    result: str
    values: dict = field(default_factory=dict)  # the numbers behind ``measured`` (SI units)
    source: str = ""  # where the allowed value comes from


@dataclass
class Report:
    station: dict  # the station snapshot (file, limits, instruments and their settings)
    reference_ohm: float | None
    started: str
    rows: list = field(default_factory=list)
    facts: dict = field(default_factory=dict)  # role -> what the instrument said about itself
    ended: str = ""

    @property
    def passed(self) -> bool:
        return not any(row.result == "fail" for row in self.rows)

    def as_dict(self) -> dict:
        return {
            "kind": "station-check",
            "bmrlab_version": __version__,
            "started": self.started,
            "ended": self.ended,
            "passed": self.passed,
            "reference_ohm": self.reference_ohm,
            "station": self.station,
            "facts": self.facts,
            "checks": [asdict(row) for row in self.rows],
        }

    def table(self) -> str:
        header = ("check", "measured", "allowed", "result")
        lines = [
            (
                f"{row.instrument}: {row.check}",
                row.measured,
                row.allowed,
                row.result.upper() if row.result == "fail" else row.result,
            )
            for row in self.rows
        ]
        widths = [max(len(line[k]) for line in [header, *lines]) for k in range(3)]
        out = []
        for k, line in enumerate([header, *lines]):
            out.append(
                "  ".join(text.ljust(width) for text, width in zip(line[:3], widths, strict=True))
                + "  "
                + line[3]
            )
            if k == 0:
                out.append("  ".join("-" * w for w in [*widths, 6]))
        verdict = "PASSED" if self.passed else "FAILED"
        failed = sum(row.result == "fail" for row in self.rows)
        out.append(f"station check {verdict}" + (f": {failed} check(s) failed" if failed else ""))
        return "\n".join(out)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def check_out_dir(out_dir) -> Path:
    """Refuse (before any instrument is touched) a report directory that cannot be written."""
    path = Path(out_dir)
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise BadInput(
            f"--out {out_dir}: cannot write a report there ({existing} is not a writable directory)"
        )
    return path


def write(report: Report, out_dir: Path) -> Path:
    """``<out_dir>/station-check_<UTC time>.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = report.started.replace(":", "").replace("-", "").replace("+0000", "Z")
    path = out_dir / f"station-check_{stamp}.json"
    path.write_text(json.dumps(report.as_dict(), indent=1, default=str) + "\n")
    return path
