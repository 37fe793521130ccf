"""``bmrlab station check``: the day-one bring-up of a real bench before a precious device is
probed (docs/station-check.md). The sequence is in checks.py; the datasheet figures it
compares against are on each model's class (``DATASHEET``), the margins in specs.py, the
report in report.py. What each instrument says about itself comes from the drivers
(``Smu.instrument_facts()``, ``PulseGenerator.instrument_facts()``)."""

from ..errors import BadInput, InstrumentError
from ..units import parse_resistance
from .checks import StationCheck
from .report import Report, check_out_dir, write

__all__ = ["Report", "StationCheck", "check_out_dir", "parse_reference", "run", "write"]


def parse_reference(text: str | None) -> float | None:
    """``--reference 1GOhm`` in ohms (None when not given); BadInput for anything else."""
    return None if text is None else parse_resistance(text, f"--reference {text}")


def run(station, reference_ohm: float | None = None) -> Report:
    """Connect ``station`` (BadInput if a resource cannot be opened: nothing sent) and check
    it. An error the generator reports at connect fails its error-queue row and the generator
    is set up once more, since its queue has then been read; if that fails too, or an
    instrument does not answer, the check ends there (sources off, report written)."""
    check = StationCheck(station, reference_ohm)
    try:
        try:
            station.connect()
        except InstrumentError as error:
            if station.generator is None:
                raise
            check.row("pulse_generator", "error queue at connect", str(error), "empty", "fail")
            station.generator.configure()
    except BadInput:
        raise
    except (Exception, KeyboardInterrupt) as error:  # no answer, or Ctrl+C: it failed
        shown = (
            "stopped on request"
            if isinstance(error, KeyboardInterrupt)
            else f"{type(error).__name__}: {error}"
        )
        check.row("station", "connect", shown, "connected", "fail")
        return check.finish()
    return check.run()
