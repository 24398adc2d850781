"""`changegate review` and `post-review`: a person's reviews from a terminal.

`review` reads each change, shows what it will approve or reject (revision, target, dry-run
digest), asks unless `--yes`, and sends POST /api/v1/reviews bound to exactly what it showed: each
change is decided on its own by the same rules as a Slack click (a change that moved on since is
refused `revision_changed` or `digest_changed`), and one line per change says what happened.
`post-review` records how an applied or failed change went.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.cli.api_client import ApiClient, Problem
from bot.cli.pipeline import _add, _run, change_id
from bot.cli.wait import EXIT_ERROR, describe
from workflow.post_review import ReviewOutcome


def add_review_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `review` to the top-level parser."""
    review = _add(commands, "review", _run(review_changes),
                  "approve or reject one or more changes, each decided on its own")
    review.add_argument("changes", nargs="+", type=change_id, metavar="CHG-n")
    verdict = review.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--approve", action="store_true", help="approve every change named")
    verdict.add_argument("--reject", action="store_true",
                         help="reject every change named (needs --comment: the one reason)")
    review.add_argument("--comment", default="", metavar="TEXT",
                        help="optional when approving; the reason, required, when rejecting")
    review.add_argument("--yes", action="store_true",
                        help="do not ask: review what was read and shown (for scripts)")
    review.add_argument("--json", action="store_true", help="print the API's answer as JSON")

    post = _add(commands, "post-review", _run(record_post_review),
                "the requester records how an applied or failed change went")
    post.add_argument("change", type=change_id, metavar="CHG-n")
    post.add_argument("--outcome", required=True, choices=[o.value for o in ReviewOutcome])
    post.add_argument("--note", required=True, metavar="TEXT", help="what happened")
    post.add_argument("--link", action="append", default=[], metavar="URL", dest="links",
                      help="evidence: an incident, a dashboard (repeat for several)")
    post.add_argument("--json", action="store_true", help="print the change as JSON")


async def review_changes(client: ApiClient, args: argparse.Namespace) -> int:
    """Show what each change is now, confirm, then review it bound to that; one line per
    change; exit 1 if any was refused or could not be read."""
    if args.reject and not args.comment.strip():
        print("changegate: --reject needs --comment: the reason reviewers and the requester "
              "read", file=sys.stderr)
        return EXIT_ERROR
    verdict = "approve" if args.approve else "reject"
    shown, unread = await _read(client, args.changes)
    for change in shown:
        print(shown_line(change), file=sys.stderr)
    if shown and not args.yes and not _confirmed(verdict, len(shown)):
        print("changegate: nothing reviewed", file=sys.stderr)
        return EXIT_ERROR
    items = [{"id": c["id"], "approved": bool(args.approve), "comment": args.comment,
              "revision": c["revision"], "digest": _digest(c)} for c in shown]
    body: dict[str, Any] = {"results": [], "reviewed": 0, "refused": 0}
    if items:
        body = (await client.call("POST", "/reviews", body={"reviews": items})).body
    body["results"] = unread + body["results"]
    body["refused"] += len(unread)
    if args.json:
        print(json.dumps(body))
    else:
        for result in body["results"]:
            print(line(result, "approved" if args.approve else "rejected"))
    return EXIT_ERROR if body["refused"] else 0


async def _read(client: ApiClient, change_ids: list[str]
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each change as it is now, and a refused result for each that cannot be read."""
    shown, unread = [], []
    for named in change_ids:
        try:
            shown.append((await client.call("GET", f"/changes/{named}")).body)
        except Problem as problem:
            unread.append({"id": named, "status": problem.status, "reason": problem.reason,
                           "detail": problem.detail, "change": None})
    return shown, unread


def _digest(change: dict[str, Any]) -> str:
    """The binding's digest of what was shown: the dry-run's, or `none`."""
    dry_run = change.get("dry_run")
    return f"sha256:{dry_run['digest']}" if dry_run else "none"


def shown_line(change: dict[str, Any]) -> str:
    """`CHG-7 revision 2 · bgp update on edge-1 · high · dry-run sha256:… · "title"`."""
    content = change["content"]
    dry_run = change.get("dry_run")
    output = (f"dry-run sha256:{dry_run['digest'][:12]} ({len(dry_run['output'].splitlines())} "
              "line(s))" if dry_run else "no dry-run")
    return (f"{change['id']} revision {change['revision']} · {content['family']} "
            f"{content['action']} on {content['target']} · {content['risk']} · {output} · "
            f"{json.dumps(change['metadata']['title'])} ({change['state']})")


def _confirmed(verdict: str, count: int) -> bool:
    """Ask on the terminal (or read the answer from standard input)."""
    print(f"{verdict.capitalize()} the {count} change(s) shown above? [y/N] ", end="",
          file=sys.stderr, flush=True)
    answer = sys.stdin.readline() if sys.stdin else ""
    return answer.strip().lower() in ("y", "yes")


def line(result: dict[str, Any], verdict: str) -> str:
    """`CHG-7 approved, now pending_review, …`, `CHG-9 approved: the last approval it needed,
    now approved, …` or `CHG-8 refused (self_approval): …`."""
    change = result["change"]
    if change is None:
        return f"{result['id']} refused ({result['reason']}): {result['detail']}"
    now = describe(change).removeprefix(f"{change['id']} ")
    if change["state"] == verdict == "approved":
        return f"{result['id']} approved: the last approval it needed, now {now}"
    if change["state"] == verdict:  # a rejection rejects: said once
        return f"{result['id']} {now}"
    return f"{result['id']} {verdict}, now {now}"


async def record_post_review(client: ApiClient, args: argparse.Namespace) -> int:
    """Print the outcome recorded."""
    body = {"outcome": args.outcome, "note": args.note, "links": args.links}
    answer = await client.call("POST", f"/changes/{args.change}/post-review", body=body)
    change = answer.body
    if args.json:
        print(json.dumps(change))
    else:
        print(f"{change['id']} {change['state']}, reviewed {change['post_review']['outcome']}")
    return 0
