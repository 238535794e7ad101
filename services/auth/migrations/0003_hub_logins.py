"""Each user's Hugging Face Hub login: the encrypted token, its Hub account and namespaces.

Revision ID: auth_0003
Revises: auth_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "auth_0003"
down_revision = "auth_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_hub_logins",
        sa.Column("user_id", sa.String(36), sa.ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("token_encrypted", sa.Text(), nullable=False),
        sa.Column("hub_username", sa.String(100), nullable=False),
        sa.Column("namespaces", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("auth_hub_logins")
