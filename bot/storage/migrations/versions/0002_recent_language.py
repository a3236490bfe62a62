"""The language a user last subscribed in, for alerts when they chose none explicitly.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild): on SQLite a rebuild of `users` would cascade-delete its rows'
    # subscriptions and deliveries while foreign keys are on.
    op.add_column(
        "users",
        sa.Column(
            "recent_language",
            sa.String(length=2),
            sa.CheckConstraint("recent_language IN ('en', 'fr', 'nl')", name=op.f("ck_users_recent_language")),
            nullable=True,
        ),
    )


def downgrade() -> None:
    op.drop_column("users", "recent_language")
