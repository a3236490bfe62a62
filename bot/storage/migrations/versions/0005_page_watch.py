"""The embassy's page, watched: its last accepted text and hash, and each change with its diff for staff.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "watched_pages",
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("text_hash", sa.String(length=64), nullable=True),
        sa.Column("checked_at", TIMESTAMP, nullable=True),
        sa.Column("succeeded_at", TIMESTAMP, nullable=True),
        sa.Column("changed_at", TIMESTAMP, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_at", TIMESTAMP, nullable=True),
        sa.Column("suspect_hash", sa.String(length=64), nullable=True),
        sa.Column("suspect_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_watched_pages")),
    )
    op.create_table(
        "page_changes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("old_hash", sa.String(length=64), nullable=False),
        sa.Column("new_hash", sa.String(length=64), nullable=False),
        sa.Column("removed", sa.Text(), nullable=False),
        sa.Column("added", sa.Text(), nullable=False),
        sa.Column("omitted", sa.Integer(), nullable=False),
        sa.Column("programmes", sa.String(length=200), nullable=False),
        sa.Column("detected_at", TIMESTAMP, nullable=False),
        sa.Column("staff_notified_at", TIMESTAMP, nullable=True),
        sa.Column("confirmed_at", TIMESTAMP, nullable=True),
        sa.Column("confirmed_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_changes")),
    )
    op.create_index(op.f("ix_page_changes_staff_notified_at"), "page_changes", ["staff_notified_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_page_changes_staff_notified_at"), table_name="page_changes")
    op.drop_table("page_changes")
    op.drop_table("watched_pages")
