"""The catalog's tables: one row per run, one row per figure of a run.

Figures have a table of their own (name, value, 95 % interval, n, units) so that a query by
figure range is an indexed lookup on any database. The migrations in ``migrations/`` create
these tables; this module is what the code reads and writes through.
"""

import sqlalchemy as sa

metadata = sa.MetaData()

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("file", sa.Text, nullable=False),  # absolute path of the HDF5 file
    sa.Column("run", sa.Text, nullable=False),  # the run's group in it, /sample/device/run_id
    sa.Column("sample", sa.Text, nullable=False),
    sa.Column("device", sa.Text, nullable=False),
    sa.Column("die", sa.Text),
    sa.Column("protocol", sa.Text, nullable=False),
    sa.Column("station", sa.Text, nullable=False),
    sa.Column("operator", sa.Text),
    sa.Column("step", sa.Text),  # the recipe step ('' outside a recipe)
    sa.Column("started", sa.Text, nullable=False),  # ISO 8601 UTC, as in the file
    sa.Column("ended", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("rows", sa.BigInteger),
    sa.Column("host", sa.Text),  # where a running run is written, to tell a dead one
    sa.Column("pid", sa.Integer),
    sa.Column("parameters", sa.JSON, nullable=False),
    sa.Column("conditions", sa.JSON, nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    sa.Column("result_schema", sa.Integer),
    sa.UniqueConstraint("file", "run", name="uq_runs_file_run"),
)
sa.Index("ix_runs_identity", runs.c.sample, runs.c.device, runs.c.protocol)
sa.Index("ix_runs_started", runs.c.started)

figures = sa.Table(
    "figures",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("ci_low", sa.Float),
    sa.Column("ci_high", sa.Float),
    sa.Column("n", sa.Integer),
    sa.Column("units", sa.Text),
    sa.PrimaryKeyConstraint("run_id", "name", name="pk_figures"),
)
sa.Index("ix_figures_name_value", figures.c.name, figures.c.value)
