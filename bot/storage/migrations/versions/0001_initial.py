"""Users, subscriptions, the delivery outbox and the anonymous question log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite auto-increments INTEGER keys only
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("language IN ('en', 'fr', 'nl')", name=op.f("ck_users_language")),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_users")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["users.chat_id"], name=op.f("fk_subscriptions_chat_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("chat_id", "programme_id", name=op.f("pk_subscriptions")),
    )
    op.create_index(op.f("ix_subscriptions_programme_id"), "subscriptions", ["programme_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("alert_key", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'claimed', 'sent', 'failed')", name=op.f("ck_deliveries_state")),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["users.chat_id"], name=op.f("fk_deliveries_chat_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("alert_key", "chat_id", name=op.f("uq_deliveries_alert_key_chat_id")),
    )
    op.create_index(op.f("ix_deliveries_state_id"), "deliveries", ["state", "id"])
    op.create_index(op.f("ix_deliveries_chat_id"), "deliveries", ["chat_id"])
    op.create_table(
        "question_log",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("asked_at", TIMESTAMP, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("entry_id", sa.String(length=100), nullable=True),
        sa.CheckConstraint("lang IN ('en', 'fr', 'nl')", name=op.f("ck_question_log_lang")),
        sa.CheckConstraint(
            "outcome IN ('answered', 'suggested', 'fallback', 'redirect')", name=op.f("ck_question_log_outcome")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_log")),
    )
    op.create_index(op.f("ix_question_log_asked_at"), "question_log", ["asked_at"])


def downgrade() -> None:
    op.drop_table("question_log")
    op.drop_table("deliveries")
    op.drop_table("subscriptions")
    op.drop_table("users")
