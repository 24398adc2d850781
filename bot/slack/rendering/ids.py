"""Identifiers shared by the renderers and the listeners: action, callback and block ids."""

from __future__ import annotations

from workflow.seen import Seen

# Buttons on a change card; each value is "<change id>:<revision>:<dry-run digest>".
APPROVE = "cg_approve"
REJECT = "cg_reject"
WITHDRAW_APPROVAL = "cg_withdraw_approval"
WITHDRAW_REQUEST = "cg_withdraw_request"
RERUN_DRY_RUN = "cg_rerun_dry_run"
VIEW_DRY_RUN = "cg_view_dry_run"
VIEW_CHANGE = "cg_view_change"
COMMENT = "cg_comment"
APPLY = "cg_apply"
RESOLVE = "cg_resolve"
EDIT = "cg_edit"  # opens the proposal form prefilled with the current revision
SUBMIT = "cg_submit"  # sends a draft for review
COPY = "cg_copy"  # Copy as new: a new draft from a failed, withdrawn, rejected or expired change
CARD_ACTIONS = (
    APPROVE, REJECT, WITHDRAW_APPROVAL, WITHDRAW_REQUEST, RERUN_DRY_RUN, VIEW_DRY_RUN, COMMENT,
    APPLY, RESOLVE, VIEW_CHANGE, EDIT, SUBMIT, COPY,
)

# Elsewhere: paging the dry-run and change modals, App Home.
DRY_RUN_PAGE = "cg_dry_run_page"
CHANGE_PAGE = "cg_change_page"
HOME_MORE = "cg_home_more"
OPEN_CARD = "cg_open_card"
POST_REVIEW = "cg_post_review"  # Record review, on an applied or failed card
ABORT = "cg_abort"  # Abort, on an executing card
HOME_BULK = "cg_home_bulk"  # then _approve or _reject; the value says which too
HOME_ROW = "cg_home_row_"  # block id of an awaiting row's buttons, then its position

# Modal callbacks.
PROPOSE_VIEW = "cg_propose_view"
EDIT_VIEW = "cg_edit_view"
REJECT_VIEW = "cg_reject_view"
APPROVE_VIEW = "cg_approve_view"
WITHDRAW_VIEW = "cg_withdraw_view"
COMMENT_VIEW = "cg_comment_view"
RESOLVE_VIEW = "cg_resolve_view"
POST_REVIEW_VIEW = "cg_post_review_view"
ABORT_VIEW = "cg_abort_view"
BULK_SELECT_VIEW = "cg_bulk_select_view"
BULK_CONFIRM_VIEW = "cg_bulk_confirm_view"

# Block ids inside the modals.
CARD_ACTIONS_BLOCK = "cg_actions"
REASON_BLOCK = "reason"
COMMENT_BLOCK = "text"
OUTCOME_BLOCK = "outcome"
NOTE_BLOCK = "note"
VALUE = "value"
BULK_BLOCK = "cg_bulk_"  # followed by the block's number: ten checkboxes each


def button_value(change_id: str, seen: Seen) -> str:
    """What a card button carries: which change, and the revision and dry-run digest the
    clicker is shown (empty when there is no dry-run: "none" is a value, never a wildcard)."""
    return f"{change_id}:{seen.revision}:{seen.digest or ''}"


def parse_button_value(value: str) -> tuple[str, Seen | None]:
    """Inverse of button_value: the change, and what the clicker was shown (None when the
    value does not say, which no review accepts)."""
    parts = value.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) < 1:
        return (parts[0] if len(parts) == 1 else value), None  # a bare id, or not ours
    return parts[0], Seen(int(parts[1]), parts[2] or None)
