"""Runs write themselves into the catalog: once when they start (status ``running``, so a
station that dies mid-run leaves a row that reads ``interrupted``) and once when they end.

The HDF5 file is the source of truth; a catalog that cannot be reached or written costs the
run nothing but a warning (``catalog rebuild`` or ``catalog add`` catches up later).
"""

import functools
import logging

log = logging.getLogger(__name__)


@functools.cache
def _opened(url: str):
    """One catalog per URL per process: characterize and recipes run many runs."""
    from .database import Catalog

    return Catalog(url)


def record_run(url: str | None, file, group, *, writing: bool = False) -> None:
    """Record the run in ``group`` of ``file`` in the catalog at ``url`` (None: off)."""
    if url is None:
        return
    try:
        _opened(url).record(file, group, writing=writing)
    except Exception as error:  # the run and its file matter more than the catalog
        log.warning("catalog %s: run %s not recorded (%s)", url, group.name, error)
