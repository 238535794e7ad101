"""Record who started each run, what it trains, where its files are and the last state it reported.

Revision ID: trainer_0002
Revises: trainer_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "trainer_0002"
down_revision = "trainer_0001"
branch_labels = None
depends_on = None

TEXT_COLUMNS = ("config_json", "run_dir", "output_dir", "message", "log_tail", "progress_json", "stages_json")


def upgrade() -> None:
    with op.batch_alter_table("trainer_runs") as table:
        table.add_column(sa.Column("request_id", sa.String(128), nullable=True))
        table.add_column(sa.Column("owner_id", sa.String(64), nullable=False, server_default=""))
        table.add_column(sa.Column("owner_name", sa.String(255), nullable=False, server_default=""))
        table.add_column(sa.Column("environment", sa.String(255), nullable=False, server_default=""))
        table.add_column(sa.Column("model_family", sa.String(64), nullable=False, server_default=""))
        for name in TEXT_COLUMNS:
            table.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
        table.add_column(sa.Column("process_start", sa.Float(), nullable=True))
        table.create_index("ix_trainer_runs_request_id", ["request_id"])
        table.create_index("ix_trainer_runs_owner_id", ["owner_id"])


def downgrade() -> None:
    with op.batch_alter_table("trainer_runs") as table:
        table.drop_index("ix_trainer_runs_owner_id")
        table.drop_index("ix_trainer_runs_request_id")
        for name in ("process_start", *reversed(TEXT_COLUMNS), "model_family", "environment", "owner_name"):
            table.drop_column(name)
        table.drop_column("owner_id")
        table.drop_column("request_id")
