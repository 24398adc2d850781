"""Several replicas: who runs each started apply (a renewed lease), everyone who took part in
a change (App Home without decoding every change), and an index for per-change outbox claims.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)
READY = sa.text("delivered_at IS NULL AND dead_at IS NULL")


def _owned_by_change(name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["change_id"], ["change_requests.id"],
                                   name=op.f(f"fk_{name}_change_id_change_requests"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "apply_leases",
        sa.Column("change_id", sa.String(), nullable=False),
        sa.Column("apply_key", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("lease_until", TIME, nullable=False),
        _owned_by_change("apply_leases"),
        sa.PrimaryKeyConstraint("change_id", name=op.f("pk_apply_leases")),
    )
    op.create_table(
        "change_people",
        sa.Column("change_id", sa.String(), nullable=False),
        sa.Column("person", sa.String(), nullable=False),
        _owned_by_change("change_people"),
        sa.PrimaryKeyConstraint("change_id", "person", name=op.f("pk_change_people")),
    )
    op.create_index("ix_change_people_person_change_id", "change_people",
                    ["person", "change_id"])
    # Commenters of changes saved before this revision join when their change is next saved.
    op.execute("INSERT INTO change_people (change_id, person) "
               "SELECT change_id, person FROM change_authors "
               "UNION SELECT change_id, person FROM responses")
    op.create_index("ix_outbox_ready_change_id", "outbox", ["change_id"],
                    sqlite_where=READY, postgresql_where=READY)


def downgrade() -> None:
    op.drop_index("ix_outbox_ready_change_id", table_name="outbox")
    op.drop_table("change_people")
    op.drop_table("apply_leases")
