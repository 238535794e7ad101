"""Each quota ceiling says what happens to a submission that would pass it: block, warn or require approval.

Revision ID: auth_0002
Revises: auth_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "auth_0002"
down_revision = "auth_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auth_quota_ceilings") as table:
        table.add_column(sa.Column("action", sa.String(20), nullable=False, server_default="block"))


def downgrade() -> None:
    with op.batch_alter_table("auth_quota_ceilings") as table:
        table.drop_column("action")
