"""The queue: jobs with priorities, placement, GPUs and attempts (the first table held no data), and settings.

Revision ID: scheduler_0002
Revises: scheduler_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "scheduler_0002"
down_revision = "scheduler_0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.drop_table("scheduler_jobs")
    op.create_table(
        "scheduler_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("owner_id", sa.String(64), nullable=False, index=True),
        sa.Column("owner_name", sa.String(255), nullable=False),
        sa.Column("team_key", sa.String(80), nullable=False),
        sa.Column("config_name", sa.String(255), nullable=False),
        sa.Column("model_family", sa.String(64), nullable=False),
        sa.Column("config_json", sa.Text(), nullable=False),
        sa.Column("configs_dir", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("base_priority", sa.Integer(), nullable=False),
        sa.Column("priority_override", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("worker_labels_json", sa.Text(), nullable=False),
        sa.Column("any_gpu", sa.Boolean(), nullable=False),
        sa.Column("gpu_count", sa.Integer(), nullable=False),
        sa.Column("preferred_gpus", sa.String(255), nullable=False),
        sa.Column("allocated_gpus", sa.String(255), nullable=False),
        sa.Column("placement", sa.String(255), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("submitted_at", TZ, nullable=False),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("ended_at", TZ, nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("owner_id", "request_id", name="uq_scheduler_jobs_owner_request"),
    )
    op.create_index("ix_scheduler_jobs_status_submitted", "scheduler_jobs", ["status", "submitted_at"])
    op.create_index("ix_scheduler_jobs_updated", "scheduler_jobs", ["updated_at"])
    op.create_table(
        "scheduler_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value_json", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scheduler_settings")
    op.drop_index("ix_scheduler_jobs_updated", "scheduler_jobs")
    op.drop_index("ix_scheduler_jobs_status_submitted", "scheduler_jobs")
    op.drop_table("scheduler_jobs")
    op.create_table(
        "scheduler_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(100), nullable=True, unique=True),
        sa.Column("config_name", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False, index=True),
        sa.Column("status", sa.String(32), nullable=False, index=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
