"""Quiz verdicts for the staff's /stats: programme and status only, never the answers or who.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "quiz_log",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_log")),
    )
    op.create_index(op.f("ix_quiz_log_finished_at"), "quiz_log", ["finished_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_quiz_log_finished_at"), table_name="quiz_log")
    op.drop_table("quiz_log")
