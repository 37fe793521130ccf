"""HDF5 storage: runs are appended as they are measured and read back as DataFrames.

Layout (schema 1): root attrs ``bmrlab_version`` and ``schema_version``; each run is a group
``/<sample>/<device>/<run_id>`` with its protocol, parameters (value and ``<name>.units``),
status, reason, start and end times, a JSON snapshot of the station, the device's test
``conditions`` and ``published`` figures (JSON), the figures as the JSON of the protocol's
typed result with ``result_schema`` (its version, ``bmrlab.results``), and (once the run
ended) ``stored_rows``, the rows its writer stored; each data column is a resizable dataset
with a ``units`` attr. Analysis reads a run through :class:`StoredRun`.
"""

from .reader import RunData, export_csv, list_runs, load_run
from .stored_run import StoredRun
from .writer import RunWriter, Store

__all__ = [
    "RunData",
    "RunWriter",
    "Store",
    "StoredRun",
    "export_csv",
    "list_runs",
    "load_run",
]
