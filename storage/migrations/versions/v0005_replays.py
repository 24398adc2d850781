"""Replays: the hash of the request that created a change under an idempotency key, and the Slack
interactions already acted on, so neither a reused key nor a replayed click acts twice.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Changes created before this revision have no hash; a retry of one is taken as a replay.
    op.add_column("change_requests", sa.Column("request_hash", sa.String(64), nullable=True))
    op.create_table(
        "slack_interactions",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("seen_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_slack_interactions")),
    )
    op.create_index(op.f("ix_slack_interactions_seen_at"), "slack_interactions", ["seen_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_slack_interactions_seen_at"), table_name="slack_interactions")
    op.drop_table("slack_interactions")
    with op.batch_alter_table("change_requests") as batch:
        batch.drop_column("request_hash")
