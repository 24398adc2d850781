"""Tables of the models; Alembic migrations create exactly these (a test compares them)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from storage.sql.types import UTCDateTime, json_type

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

LIVE = text("ended IS NULL")
READY = text("delivered_at IS NULL AND dead_at IS NULL")

# One row per named counter; `UPDATE … SET value = value + 1 RETURNING value` inside the
# transaction hands out numbers no concurrent transaction can also get.
counters = Table(
    "counters",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

change_requests = Table(
    "change_requests",
    metadata,
    Column("id", String, primary_key=True),
    Column("number", BigInteger, nullable=False, unique=True),
    Column("requester", String, nullable=False),
    Column("state", String, nullable=False),
    Column("version", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("family", String, nullable=False),
    Column("action", String, nullable=False),
    Column("target", String, nullable=False),
    Column("risk", String, nullable=False),
    Column("active_stage", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("remind_at", UTCDateTime, nullable=True),
    Column("apply_at", UTCDateTime, nullable=True),
    Column("next_deadline", UTCDateTime, nullable=True),
    Column("idempotency_key", String, nullable=True),
    Column("request_hash", String(64), nullable=True),  # sha256 of the keyed create request
    Column("data", json_type(), nullable=False),
    UniqueConstraint("requester", "idempotency_key"),
    CheckConstraint("version >= 1", name="version_positive"),
    Index("ix_change_requests_state_created_at", "state", "created_at"),
    Index("ix_change_requests_requester_created_at", "requester", "created_at"),
    Index("ix_change_requests_next_deadline", "next_deadline"),
)

def owned_by_change() -> Column[str]:
    """The key column of a table of rows that belong to one change and go with it."""
    return Column("change_id", String, ForeignKey("change_requests.id", ondelete="CASCADE"),
                  primary_key=True)


responses = Table(
    "responses",
    metadata,
    owned_by_change(),
    Column("position", Integer, primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("stage", Integer, nullable=False),
    Column("person", String, nullable=False),
    Column("requester", String, nullable=False),
    Column("verdict", String, nullable=False),
    Column("comment", Text, nullable=False),
    Column("digest", String, nullable=False),
    Column("groups", json_type(), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("ended", String, nullable=True),
    Column("ended_at", UTCDateTime, nullable=True),
    CheckConstraint("person <> requester", name="not_requester"),
    Index(
        "uq_responses_live",
        "change_id",
        "revision",
        "person",
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    ),
)

# The groups of the active stage of every change pending review: "what waits for me" by group.
review_groups = Table(
    "review_groups",
    metadata,
    owned_by_change(),
    Column("group_name", String, primary_key=True),
    Index("ix_review_groups_group_name_change_id", "group_name", "change_id"),
)

# The requester and every revision author: four eyes bars them from the review queue.
change_authors = Table(
    "change_authors",
    metadata,
    owned_by_change(),
    Column("person", String, primary_key=True),
)

# Everyone who took part in a change (requester, authors, responders, commenters): App Home.
change_people = Table(
    "change_people",
    metadata,
    owned_by_change(),
    Column("person", String, primary_key=True),
    Index("ix_change_people_person_change_id", "person", "change_id"),
)

# The process running each started apply: written in the start's transaction, renewed while the
# executor runs. Another replica settles the apply as unknown only once the lease has run out.
apply_leases = Table(
    "apply_leases",
    metadata,
    owned_by_change(),
    Column("apply_key", String, nullable=False),
    Column("owner", String, nullable=False),
    Column("lease_until", UTCDateTime, nullable=False),
)

# Append-only (triggers refuse UPDATE and DELETE); UNIQUE(prev_hash) forbids forks of the chain.
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False),
    Column("change_id", String, nullable=True),
    Column("kind", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("record", json_type(), nullable=False),
    Index("ix_audit_events_change_id_seq", "change_id", "seq"),
    Index("ix_audit_events_at", "at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("topic", String, nullable=False),
    Column("change_id", String, nullable=True),
    Column("payload", json_type(), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_owner", String, nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("dead_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Index(
        "ix_outbox_ready_next_attempt_at",
        "next_attempt_at",
        sqlite_where=READY,
        postgresql_where=READY,
    ),
    # Claims skip a change whose earlier message another relay is still delivering.
    Index("ix_outbox_ready_change_id", "change_id", sqlite_where=READY, postgresql_where=READY),
)

# Bearer tokens of the REST API: only the sha256 of the bearer value is kept; a name is unique
# among live tokens, so a revoked name can be given to a new token.
LIVE_TOKEN = text("revoked_at IS NULL")
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(12), primary_key=True),
    Column("name", String, nullable=False),
    Column("user_id", String, nullable=False),
    Column("scopes", String, nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index(
        "uq_api_tokens_live_name",
        "name",
        unique=True,
        sqlite_where=LIVE_TOKEN,
        postgresql_where=LIVE_TOKEN,
    ),
)

# Where each copy of a change's Slack card was posted, so it is updated in place after a restart.
slack_cards = Table(
    "slack_cards",
    metadata,
    Column("channel", String, primary_key=True),
    Column("ts", String, primary_key=True),
    Column("change_id", String, nullable=False, index=True),
    Column("audience", String, nullable=False),
    Column("rendered", String, nullable=False),
    Column("posted_at", UTCDateTime, nullable=False),
)

# Each approver's one DM digest of the changes awaiting them (bot/slack/outbound/dm_digest.py):
# where it was posted and what it shows, so it is updated in place after a restart.
slack_dm_digests = Table(
    "slack_dm_digests",
    metadata,
    Column("person", String, primary_key=True),
    Column("channel", String, nullable=False),
    Column("ts", String, nullable=False),
    Column("rendered", String, nullable=False),
)

# Slack interactions already acted on, by a hash of who made which gesture: a captured request
# replayed while its signature is still valid is acknowledged and ignored, on every replica.
slack_interactions = Table(
    "slack_interactions",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("seen_at", UTCDateTime, nullable=False, index=True),
)

# Facts about the database itself, by name: `served_policy` is the policy file the last
# `serve` ran with, so a server started with another policy's database can say so.
database_facts = Table(
    "database_facts",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", String, nullable=False),
)
