"""Create or upgrade a catalog's schema with Alembic, from the migrations shipped in the
package (``migrations/versions``): a catalog written by an older bmrlab is brought up to date
when a newer one opens it, and a new catalog is made by the same steps.

Every run's process opens the catalog to record itself, and nearly always finds it up to
date: that is one query on Alembic's version table, and Alembic itself (about 10 MB of
modules) is loaded only when there is something to migrate."""

from pathlib import Path

import sqlalchemy as sa

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0001"  # the newest migration's revision (a test holds it to migrations/versions)
UPGRADE_LOCK = 0x626D726C61620001  # PostgreSQL advisory lock key: "bmrlab" + 1


def alembic_config(connection: sa.Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def revision(connection: sa.Connection) -> str | None:
    """The schema revision Alembic recorded in the catalog (None: a new, empty one)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: sa.Engine) -> None:
    """Bring the schema to the newest version, in one transaction a second station opening
    the same new catalog waits for, then finds made: on SQLite the write lock taken as the
    transaction begins, on PostgreSQL an advisory lock held until it commits (without it,
    two stations would both create the tables and one would fail)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        if revision(connection) == HEAD:
            return
        from alembic import command

        command.upgrade(alembic_config(connection), "head")
