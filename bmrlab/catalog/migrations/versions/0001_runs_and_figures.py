"""runs and figures

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("run", sa.Text, nullable=False),
        sa.Column("sample", sa.Text, nullable=False),
        sa.Column("device", sa.Text, nullable=False),
        sa.Column("die", sa.Text),
        sa.Column("protocol", sa.Text, nullable=False),
        sa.Column("station", sa.Text, nullable=False),
        sa.Column("operator", sa.Text),
        sa.Column("step", sa.Text),
        sa.Column("started", sa.Text, nullable=False),
        sa.Column("ended", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("rows", sa.BigInteger),
        sa.Column("host", sa.Text),
        sa.Column("pid", sa.Integer),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("conditions", sa.JSON, nullable=False),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("result_schema", sa.Integer),
        sa.UniqueConstraint("file", "run", name="uq_runs_file_run"),
    )
    op.create_index("ix_runs_identity", "runs", ["sample", "device", "protocol"])
    op.create_index("ix_runs_started", "runs", ["started"])
    op.create_table(
        "figures",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE")),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("ci_low", sa.Float),
        sa.Column("ci_high", sa.Float),
        sa.Column("n", sa.Integer),
        sa.Column("units", sa.Text),
        sa.PrimaryKeyConstraint("run_id", "name", name="pk_figures"),
    )
    op.create_index("ix_figures_run_id", "figures", ["run_id"])
    op.create_index("ix_figures_name_value", "figures", ["name", "value"])


def downgrade() -> None:
    op.drop_table("figures")
    op.drop_table("runs")
