"""Which catalog a command writes to and reads from.

In order: ``--catalog URL`` (or the ``catalog=`` argument), the ``BMRLAB_CATALOG``
environment variable, the station file's ``catalog:``, the user's configuration file
(``catalog:`` in ``config.yaml`` of the user's bmrlab configuration folder), and by default a
SQLite file in the user's data folder. ``off`` anywhere in that order turns recording off.
A bare file path is taken as a SQLite file. Benchmarks and soaks record into a
``throwaway_catalog`` instead: their runs are not the lab's.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs
import yaml  # type: ignore[import-untyped]

ENVIRONMENT = "BMRLAB_CATALOG"
OFF = "off"


def user_config_file() -> Path:
    return Path(platformdirs.user_config_dir("bmrlab")) / "config.yaml"


def default_url() -> str:
    return "sqlite:///" + str(Path(platformdirs.user_data_dir("bmrlab")) / "catalog.sqlite")


def _user_configured() -> str | None:
    path = user_config_file()
    if not path.is_file():
        return None
    loaded = yaml.safe_load(path.read_text()) or {}
    return loaded.get("catalog") if isinstance(loaded, dict) else None


def as_url(location: str) -> str:
    """A database URL; a plain path is a SQLite file, and ``postgresql://`` goes through
    psycopg 3 (the ``postgresql`` extra), not SQLAlchemy's default driver."""
    if "://" not in location:
        return "sqlite:///" + str(Path(location).expanduser())
    if location.startswith("postgresql://"):
        return "postgresql+psycopg://" + location.removeprefix("postgresql://")
    return location


def catalog_url(explicit: str | None = None, station_setting: str | None = None) -> str | None:
    """The catalog's URL, or None when recording is off."""
    for setting in (explicit, os.environ.get(ENVIRONMENT), station_setting, _user_configured()):
        if setting:
            return None if setting == OFF else as_url(setting)
    return default_url()


@contextmanager
def throwaway_catalog() -> Iterator[str | None]:
    """Runs started inside, and the processes started inside, record into a SQLite catalog
    in a temporary folder (deleted on leaving), not the user's: benchmark runs are not lab
    data, yet they pay what recording costs a real run. ``BMRLAB_CATALOG=off`` is kept (to
    measure without recording); yields the URL (None: off)."""
    previous = os.environ.get(ENVIRONMENT)
    if previous == OFF:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="bmrlab-throwaway-catalog-") as folder:
        os.environ[ENVIRONMENT] = url = as_url(str(Path(folder) / "catalog.sqlite"))
        try:
            yield url
        finally:
            if previous is None:
                os.environ.pop(ENVIRONMENT, None)
            else:
                os.environ[ENVIRONMENT] = previous
