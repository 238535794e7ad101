"""Tables owned by the auth service (every name starts with `auth_`)."""

from datetime import datetime
from pathlib import Path

from sqlalchemy import Boolean, DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from simpletuner.libs.db.migrations import Migrations


class Base(DeclarativeBase):
    """Declarative base of the auth service's tables."""


class User(Base):
    """A person who can sign in."""

    __tablename__ = "auth_users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


MIGRATIONS = Migrations(service="auth", directory=Path(__file__).parent / "migrations", metadata=Base.metadata)
