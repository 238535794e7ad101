"""Approval rules, when a job's approval request expires, and its estimated cost.

Revision ID: scheduler_0003
Revises: scheduler_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "scheduler_0003"
down_revision = "scheduler_0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("scheduler_jobs") as table:
        table.add_column(sa.Column("approval_expires_at", TZ, nullable=True))
        table.add_column(sa.Column("estimated_cost", sa.Float(), nullable=False, server_default="0"))
    op.create_table(
        "scheduler_approval_rules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("condition", sa.String(32), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("pattern", sa.String(255), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scheduler_approval_rules")
    with op.batch_alter_table("scheduler_jobs") as table:
        table.drop_column("estimated_cost")
        table.drop_column("approval_expires_at")
