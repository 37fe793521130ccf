"""The lab's run catalog: every run's identity, parameters, conditions and figures in one
SQL database (SQLite built in, PostgreSQL shared), pointing at the HDF5 file and group that
hold its data. The files stay the source of truth: ``Catalog.rebuild`` makes the catalog
again from them.

``Catalog`` is imported on first use: SQLAlchemy loads only in a process that opens a
catalog, not in every ``bmrlab`` command, and Alembic only when a catalog is made or needs
migrating.
"""

from .location import catalog_url, throwaway_catalog
from .recording import record_run

__all__ = ["Catalog", "catalog_url", "record_run", "throwaway_catalog"]


def __getattr__(name: str):
    if name == "Catalog":
        from .database import Catalog

        return Catalog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
