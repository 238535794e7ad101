"""Remote workers, and the lease a worker holds on the job it runs.

Revision ID: scheduler_0004
Revises: scheduler_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "scheduler_0004"
down_revision = "scheduler_0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("scheduler_jobs") as table:
        table.add_column(sa.Column("lease_expires_at", TZ, nullable=True))
    op.create_table(
        "scheduler_workers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("worker_type", sa.String(16), nullable=False),
        sa.Column("labels_json", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("gpu_name", sa.String(255), nullable=False),
        sa.Column("gpu_count", sa.Integer(), nullable=False),
        sa.Column("current_job_id", sa.String(36), nullable=False),
        sa.Column("last_heartbeat", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scheduler_workers")
    with op.batch_alter_table("scheduler_jobs") as table:
        table.drop_column("lease_expires_at")
