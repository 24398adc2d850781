"""Every route of the API: method, path, handler, scopes, body and answer, in one table.

The router is built from this table and the OpenAPI document describes it; a test checks the
served document against the router and real answers against the document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.api import actions, admin, bodies, bulk, changes, copies, ops, post_reviews, waiting
from bot.api.abort import ABORT, abort_apply
from bot.api.auth import Handler, guarded
from bot.api.fields import Field
from storage.tokens import ADMIN, APPLY, READ, REVIEW, SUBMIT

WebHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
WRITES = (400, 401, 403, 404, 409, 413, 415, 503)
READS = (400, 401, 403, 404)


@dataclass(frozen=True, slots=True)
class Route:
    """One operation; `scopes` empty means no token is needed."""

    method: str
    path: str
    operation: str
    summary: str
    handler: Handler | WebHandler
    scopes: tuple[str, ...] = ()
    body: tuple[Field, ...] | None = None
    body_required: bool = False
    status: int = 200
    answer: str = "Change"  # schema name of the success answer
    query: tuple[str, ...] = ()
    errors: tuple[int, ...] = WRITES

    def web_handler(self) -> WebHandler:
        """The aiohttp handler: guarded by the scopes unless public."""
        if not self.scopes:
            return self.handler  # type: ignore[return-value]
        return guarded(self.scopes, self.handler)  # type: ignore[arg-type]


C = "/changes/{id}"
ROUTES = (
    Route("POST", "/changes", "createChange", "Propose a change (optionally with its dry-run "
          "and submitted)", changes.create_change, (SUBMIT,), bodies.CREATE, True, 201),
    Route("GET", "/changes", "listChanges", "List changes, newest first",
          changes.list_changes, (READ,), answer="ChangePage", query=changes.LIST_PARAMS,
          errors=READS),
    Route("GET", C, "getChange", "Read one change", changes.get_change, (READ,), errors=READS),
    Route("PATCH", C, "editChange", "Edit fields; content makes a new revision",
          changes.edit_change, (SUBMIT,), bodies.PATCH, True),
    Route("GET", f"{C}/history", "changeHistory", "The change's audit events",
          changes.change_history, (READ,), answer="History", errors=READS),
    Route("GET", f"{C}/wait", "waitForChange", "Long-poll until decided or terminal",
          waiting.wait_for_change, (READ,), answer="WaitResult", query=("until", "timeout"),
          errors=READS),
    Route("POST", f"{C}/dry-run", "dryRun", "Record dry-run output, or run the executor",
          actions.dry_run, (SUBMIT,), bodies.DRY_RUN, errors=(*WRITES, 502)),
    Route("POST", f"{C}/submit", "submitChange", "Send a draft for review", actions.submit,
          (SUBMIT,), bodies.EMPTY),
    Route("POST", f"{C}/review", "reviewChange", "Approve or reject", actions.review,
          (REVIEW,), bodies.REVIEW, True),
    Route("POST", "/reviews", "reviewChanges", "Approve or reject several changes, each "
          "decided on its own; 207 with one result per item", bulk.reviews, (REVIEW,),
          bodies.REVIEWS, True, 207, answer="ReviewResults",
          errors=(400, 401, 403, 413, 415, 503)),
    Route("POST", f"{C}/comments", "commentOnChange", "Add a note that never counts",
          actions.comment, (SUBMIT, REVIEW), bodies.COMMENT, True, 201),
    Route("POST", f"{C}/withdraw", "withdraw", "Withdraw the request (requester) or your "
          "approval", actions.withdraw, (SUBMIT, REVIEW), bodies.WITHDRAW),
    Route("POST", f"{C}/apply", "applyChange", "Start the apply of an approved change",
          actions.apply, (APPLY,), bodies.EMPTY, errors=(*WRITES, 502)),
    Route("POST", f"{C}/result", "reportResult", "Report the outcome of an apply you ran",
          actions.result, (APPLY,), bodies.RESULT, True),
    Route("POST", f"{C}/resolve", "resolveApply", "Settle an apply whose outcome is unknown",
          actions.resolve, (APPLY,), bodies.RESOLVE, True),
    Route("POST", f"{C}/abort", "abortApply", "Stop the running apply (an operator, with a "
          "reason)", abort_apply, (APPLY,), ABORT, True),
    Route("POST", f"{C}/post-review", "postReview", "The requester records how an applied or "
          "failed change went", post_reviews.post_review, (SUBMIT,), bodies.POST_REVIEW, True),
    Route("POST", f"{C}/copy", "copyChange", "Copy a failed, withdrawn, rejected or expired "
          "change as a new draft of yours", copies.copy_change, (SUBMIT,), bodies.EMPTY,
          status=201),
    Route("GET", "/audit", "exportAudit", "Audit events oldest first, paged", ops.audit, (READ,),
          answer="AuditPage", query=ops.AUDIT_PARAMS, errors=(400, 401, 403)),
    Route("GET", "/audit/verify", "verifyAudit", "Walk the audit hash chain", ops.audit_verify,
          (READ,), answer="VerifyResult", errors=(400, 401, 403)),
    Route("GET", "/readyz", "readyz", "Readiness: database reachable, schema at head",
          ops.readyz, answer="Ready", errors=(503,)),
    Route("POST", "/admin/reload-policy", "reloadPolicy", "Reload this replica's policy file; "
          "an invalid one is refused and the old policy stays", admin.reload_policy, (ADMIN,),
          bodies.EMPTY, answer="PolicyReload", errors=(*WRITES, 422)),
    Route("GET", "/metrics", "metrics", "Prometheus metrics", ops.metrics, (READ,),
          answer="text/plain", errors=(400, 401, 403)),
)
