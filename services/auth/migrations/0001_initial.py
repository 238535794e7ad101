"""Create the auth service's tables: users, levels, rules, sessions, keys, audit, orgs, teams, settings.

Revision ID: auth_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "auth_0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "auth_users",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("username", sa.String(50), nullable=False, unique=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("auth_provider", sa.String(50), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_login_at", TZ, nullable=True),
        sa.UniqueConstraint("auth_provider", "external_id"),
    )
    op.create_table(
        "auth_levels",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False, unique=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("is_system", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "auth_level_permissions",
        sa.Column("level_id", sa.String(36), sa.ForeignKey("auth_levels.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("permission", sa.String(64), primary_key=True),
    )
    op.create_table(
        "auth_user_levels",
        sa.Column("user_id", sa.String(36), sa.ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("level_id", sa.String(36), sa.ForeignKey("auth_levels.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "auth_user_permissions",
        sa.Column("user_id", sa.String(36), sa.ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("permission", sa.String(64), primary_key=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "auth_resource_rules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("resource_type", sa.String(20), nullable=False),
        sa.Column("pattern", sa.String(500), nullable=False),
        sa.Column("allow", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
    )
    op.create_table(
        "auth_level_rules",
        sa.Column("level_id", sa.String(36), sa.ForeignKey("auth_levels.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "rule_id", sa.String(36), sa.ForeignKey("auth_resource_rules.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("auth_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("ip_address", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=False),
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])
    op.create_table(
        "auth_api_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("auth_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("key_prefix", sa.String(16), nullable=False),
        sa.Column("scoped_permissions", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=True),
        sa.Column("last_used_at", TZ, nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
    )
    op.create_index("ix_auth_api_keys_user_id", "auth_api_keys", ["user_id"])
    op.create_table(
        "auth_login_failures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("failed_at", TZ, nullable=False),
    )
    op.create_index("ix_auth_login_failures_key", "auth_login_failures", ["key"])
    op.create_table(
        "auth_audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("actor_id", sa.String(100), nullable=False),
        sa.Column("actor_username", sa.String(320), nullable=False),
        sa.Column("actor_ip", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(50), nullable=False),
        sa.Column("target_id", sa.String(100), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("published_at", TZ, nullable=True),
    )
    for column in ("created_at", "event_type", "actor_id"):
        op.create_index(f"ix_auth_audit_log_{column}", "auth_audit_log", [column])
    op.create_table(
        "auth_audit_chain",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("head_id", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("anchor_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "auth_orgs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("slug", sa.String(50), nullable=False, unique=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "auth_org_members",
        sa.Column("org_id", sa.String(36), sa.ForeignKey("auth_orgs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
    )
    op.create_table(
        "auth_teams",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("org_id", sa.String(36), sa.ForeignKey("auth_orgs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("slug", sa.String(50), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("org_id", "slug"),
    )
    op.create_index("ix_auth_teams_org_id", "auth_teams", ["org_id"])
    op.create_table(
        "auth_team_members",
        sa.Column("team_id", sa.String(36), sa.ForeignKey("auth_teams.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
    )
    op.create_table(
        "auth_quota_ceilings",
        sa.Column("scope", sa.String(20), primary_key=True),
        sa.Column("scope_id", sa.String(36), primary_key=True),
        sa.Column("quota_type", sa.String(30), primary_key=True),
        sa.Column("limit_value", sa.Float(), nullable=False),
    )
    op.create_table(
        "auth_setup_steps",
        sa.Column("step", sa.String(50), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "auth_settings",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "auth_settings",
        "auth_setup_steps",
        "auth_quota_ceilings",
        "auth_team_members",
        "auth_teams",
        "auth_org_members",
        "auth_orgs",
        "auth_audit_chain",
        "auth_audit_log",
        "auth_login_failures",
        "auth_api_keys",
        "auth_sessions",
        "auth_level_rules",
        "auth_resource_rules",
        "auth_user_permissions",
        "auth_user_levels",
        "auth_level_permissions",
        "auth_levels",
        "auth_users",
    ):
        op.drop_table(table)
