"""Runs record the GPUs the scheduler gave them and which attempt of their job they are; the scheduler
owns submission idempotency now, so the per-run request id goes.

Revision ID: trainer_0003
Revises: trainer_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "trainer_0003"
down_revision = "trainer_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trainer_runs") as table:
        table.drop_index("ix_trainer_runs_request_id")
        table.drop_column("request_id")
        table.add_column(sa.Column("devices", sa.String(255), nullable=False, server_default=""))
        table.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("trainer_runs") as table:
        table.drop_column("attempt")
        table.drop_column("devices")
        table.add_column(sa.Column("request_id", sa.String(128), nullable=True))
        table.create_index("ix_trainer_runs_request_id", ["request_id"])
