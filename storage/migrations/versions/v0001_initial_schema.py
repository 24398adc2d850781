"""Initial schema: change requests and their projections, audit chain, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)
LIVE = sa.text("ended IS NULL")
READY = sa.text("delivered_at IS NULL AND dead_at IS NULL")

SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END""",
]
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$""",
    """CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()""",
]


def upgrade() -> None:
    _counters()
    _change_requests()
    _projections()
    _audit_events()
    _outbox()


def _counters() -> None:
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    op.bulk_insert(counters, [{"name": "change_requests", "value": 0}])


def _change_requests() -> None:
    op.create_table(
        "change_requests",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("requester", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("risk", sa.String(), nullable=False),
        sa.Column("active_stage", sa.Integer(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=True),
        sa.Column("remind_at", TIME, nullable=True),
        sa.Column("apply_at", TIME, nullable=True),
        sa.Column("next_deadline", TIME, nullable=True),
        sa.Column("idempotency_key", sa.String(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_change_requests_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_change_requests_number")),
        sa.UniqueConstraint(
            "requester",
            "idempotency_key",
            name=op.f("uq_change_requests_requester_idempotency_key"),
        ),
    )
    op.create_index("ix_change_requests_next_deadline", "change_requests", ["next_deadline"])
    op.create_index(
        "ix_change_requests_requester_created_at", "change_requests", ["requester", "created_at"]
    )
    op.create_index(
        "ix_change_requests_state_created_at", "change_requests", ["state", "created_at"]
    )


def _child(name: str, *columns: sa.Column[Any] | sa.CheckConstraint, key: str) -> None:
    """A table of rows belonging to one change, keyed by (change_id, `key`)."""
    op.create_table(
        name,
        sa.Column("change_id", sa.String(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["change_requests.id"],
            name=op.f(f"fk_{name}_change_id_change_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("change_id", key, name=op.f(f"pk_{name}")),
    )


def _projections() -> None:
    _child(
        "responses",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(), nullable=False),
        sa.Column("requester", sa.String(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("ended", sa.String(), nullable=True),
        sa.Column("ended_at", TIME, nullable=True),
        sa.CheckConstraint("person <> requester", name=op.f("ck_responses_not_requester")),
        key="position",
    )
    op.create_index(
        "uq_responses_live",
        "responses",
        ["change_id", "revision", "person"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    _child("review_groups", sa.Column("group_name", sa.String(), nullable=False), key="group_name")
    op.create_index(
        "ix_review_groups_group_name_change_id", "review_groups", ["group_name", "change_id"]
    )
    _child("change_authors", sa.Column("person", sa.String(), nullable=False), key="person")


def _audit_events() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("change_id", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_events_prev_hash")),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_change_id_seq", "audit_events", ["change_id", "seq"])
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def _outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("change_id", sa.String(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=False),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_until", TIME, nullable=True),
        sa.Column("delivered_at", TIME, nullable=True),
        sa.Column("dead_at", TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_ready_next_attempt_at",
        "outbox",
        ["next_attempt_at"],
        sqlite_where=READY,
        postgresql_where=READY,
    )


def downgrade() -> None:
    for table in ("outbox", "audit_events", "change_authors", "review_groups", "responses",
                  "change_requests", "counters"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_events_refuse_change()")
