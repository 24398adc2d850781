"""Approvers' DM digests: each person's one digest message, updated in place after restarts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_dm_digests",
        sa.Column("person", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("ts", sa.String(), nullable=False),
        sa.Column("rendered", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("person", name=op.f("pk_slack_dm_digests")),
    )


def downgrade() -> None:
    op.drop_table("slack_dm_digests")
