"""Create or upgrade a catalog's schema with Alembic, from the migrations shipped in the
package (``migrations/versions``): a catalog written by an older bmrlab is brought up to date
when a newer one opens it, and a new catalog is made by the same steps."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


UPGRADE_LOCK = 0x626D726C61620001  # PostgreSQL advisory lock key: "bmrlab" + 1


def upgrade(engine: sa.Engine) -> None:
    """Bring the schema to the newest version, in one transaction a second station opening
    the same new catalog waits for, then finds made: on SQLite the write lock taken as the
    transaction begins, on PostgreSQL an advisory lock held until it commits (without it,
    two stations would both create the tables and one would fail)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        command.upgrade(alembic_config(connection), "head")
