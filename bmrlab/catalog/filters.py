"""A catalog query's filters as a person writes them, for the command line and the window
alike: figure ranges ``vset_mV=40..80`` (either end open: ``on_off_ratio=1e3..``) and the
statuses a run can have."""

STATUSES = ("finished", "aborted", "failed", "interrupted", "running")


def figure_range(text: str) -> tuple[str, tuple[float | None, float | None]]:
    """``vset_mV=40..80`` -> ("vset_mV", (40.0, 80.0)); an empty end is open. ValueError
    when the text is not NAME=LOW..HIGH with numbers."""
    name, _, bounds = text.strip().partition("=")
    low, dots, high = bounds.partition("..")
    if not name.strip() or not dots:
        raise ValueError(text)
    return name.strip(), (_bound(low), _bound(high))


def _bound(text: str) -> float | None:
    return float(text) if text.strip() else None
