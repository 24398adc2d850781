"""The request bodies of the API, declared once, and how they become the engine's values."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.api.fields import Field
from workflow.model import ChangeRequest, Content, Metadata, Risk
from workflow.post_review import ReviewOutcome
from workflow.rules_post_review import LINK_MAX, LINKS_MAX

# Field limits (characters); docs/api.md lists them.
TITLE_MAX = 200
SHORT_MAX = 100
TARGET_MAX = 500
DESCRIPTION_MAX = 20_000
PAYLOAD_MAX = 200_000
ROLLBACK_MAX = 50_000
OUTPUT_MAX = 1_000_000
NOTE_MAX = 10_000
LABEL_MAX = 100
LABELS_MAX = 20
KEY_MAX = 500
DIGEST_MAX = 71  # "sha256:" and 64 hex digits
REVIEWS_MAX = 200  # items of one bulk review

RISKS = tuple(r.value for r in Risk)
OUTCOMES = ("applied", "failed")
CONTENT_FIELDS = ("family", "action", "target", "risk", "payload", "rollback_plan",
                  "scheduled_for")
METADATA_FIELDS = ("title", "description", "ticket", "labels")


def change_fields(*, required: bool) -> tuple[Field, ...]:
    """The fields of a change (docs/api.md, `POST /changes`); required ones only when creating."""
    return (
        Field("title", "string", "What the change does, in a line.", required, TITLE_MAX,
              blank=False),
        Field("description", "string", "Why, and anything reviewers should know.",
              max_length=DESCRIPTION_MAX),
        Field("ticket", "string", "Reference in an outside change system, e.g. CHG-3192.",
              max_length=SHORT_MAX),
        Field("labels", "labels", "Free labels such as env=prod; policies may match on them.",
              max_length=LABEL_MAX, max_items=LABELS_MAX),
        Field("family", "string", "Kind of change, e.g. bgp, dns.zone, firewall.", required,
              SHORT_MAX, blank=False),
        Field("action", "string", "add, update, delete, push, reload, or free-form.", required,
              SHORT_MAX, blank=False),
        Field("target", "string", "Device, zone or tenant changed.", required, TARGET_MAX,
              blank=False),
        Field("risk", "enum", "Risk level; policies usually choose the workflow by it.",
              required, choices=RISKS),
        Field("payload", "string", "The change itself: commands, JSON, a diff.", required,
              PAYLOAD_MAX, blank=False),
        Field("rollback_plan", "string", "How to undo the change.", max_length=ROLLBACK_MAX),
        Field("scheduled_for", "datetime", "When to apply once approved (with a time zone); "
              "null applies when a person asks.", nullable=True),
    )


OUTPUT = Field("output", "string", "Dry-run output (diff or impact text) from your runner.",
               True, OUTPUT_MAX)
CREATE = (
    *change_fields(required=True),
    Field("dry_run", "object", "The dry-run output of revision 1, recorded with the change. "
          "Where the workflow takes only its executor's dry-run (a webhook or command executor "
          "bound to the family) nothing is proposed (409 dry_run_source, field dry_run.output): "
          "propose without it, then POST /changes/{id}/dry-run with no output.",
          members=(OUTPUT,)),
    Field("submit", "boolean", "Send the change for review at once (in the same transaction)."),
)
PATCH = (
    *change_fields(required=False),
    Field("revision", "integer", "The revision you edited; refused (409 revision_changed) if "
          "another edit made a newer one meanwhile."),
)
DRY_RUN = (
    replace(OUTPUT, required=False, description="Dry-run output from your runner; leave the "
            "body empty to run the executor bound to the change's family instead. Refused "
            "(409 dry_run_source, field output) where the workflow takes only its executor's "
            "dry-run."),
    Field("revision", "integer", "The revision the output is for; refused if the change has "
          "moved on."),
)
EMPTY: tuple[Field, ...] = ()
REVIEW = (
    Field("approved", "boolean", "true approves, false rejects.", required=True),
    Field("comment", "string", "Optional when approving; the reason, required, when rejecting.",
          max_length=NOTE_MAX),
    Field("revision", "integer", "The revision you were shown and reviewed; refused "
          "(409 revision_changed) if the change has moved on.", required=True),
    Field("digest", "string", "The dry-run digest you were shown (sha256:… or the 64 hex "
          "digits), or \"none\" (or null) when there was no dry-run; refused "
          "(409 digest_changed) if the change's dry-run is another.", required=True,
          max_length=DIGEST_MAX, nullable=True),
)
WITHDRAW = (Field("comment", "string", "Optional: why you take back your approval; shown in "
                  "the thread and the history (ignored when the requester cancels).",
                  max_length=NOTE_MAX),)
REVIEWS = (
    Field("reviews", "objects", "The reviews, each decided on its own as by "
          "POST /changes/{id}/review.", required=True, max_items=REVIEWS_MAX,
          members=(Field("id", "string", "The change id, e.g. CHG-42.", True, 40, blank=False),
                   *REVIEW)),
)
COMMENT = (Field("text", "string", "The note; it never counts as a review.", True, NOTE_MAX,
                 blank=False),)
RESULT = (
    Field("status", "enum", "What your executor did.", required=True, choices=OUTCOMES),
    Field("output", "string", "What it printed.", max_length=OUTPUT_MAX),
    Field("key", "string", "The apply's idempotency key (CHG-n:revision:digest); defaults to "
          "the running apply's, and is refused (409 result_not_expected) if it names another.",
          max_length=KEY_MAX),
)
POST_REVIEW = (
    Field("outcome", "enum", "How the change went.", required=True,
          choices=tuple(o.value for o in ReviewOutcome)),
    Field("note", "string", "What happened, for the change advisory board.", True, NOTE_MAX,
          blank=False),
    Field("links", "labels", "Up to 10 http(s) addresses of evidence: incident, dashboard, "
          "ticket.", max_length=LINK_MAX, max_items=LINKS_MAX),
)
RESOLVE = (
    Field("status", "enum", "What really happened to the apply.", required=True,
          choices=OUTCOMES),
    Field("note", "string", "How you know.", True, NOTE_MAX, blank=False),
)


def new_content(values: dict[str, Any]) -> Content:
    """Content of revision 1 from a checked create body."""
    return Content(values["family"], values["action"], values["target"], Risk(values["risk"]),
                   values["payload"], values.get("rollback_plan", ""),
                   values.get("scheduled_for"))


def new_metadata(values: dict[str, Any]) -> Metadata:
    """Metadata from a checked create body."""
    return Metadata(values["title"], values.get("description", ""), values.get("ticket", ""),
                    values.get("labels", ()))


def merged(cr: ChangeRequest, values: dict[str, Any]) -> tuple[Content | None, Metadata | None]:
    """A partial edit laid over the current values; None where nothing of that kind changes."""
    content_changes = {k: v for k, v in values.items() if k in CONTENT_FIELDS}
    if "risk" in content_changes:
        content_changes["risk"] = Risk(content_changes["risk"])
    metadata_changes = {k: v for k, v in values.items() if k in METADATA_FIELDS}
    content = replace(cr.content, **content_changes)
    metadata = replace(cr.metadata, **metadata_changes)
    return (content if content != cr.content else None,
            metadata if metadata != cr.metadata else None)
