"""`changegate review` and `post-review`: a person's reviews from a terminal.

`review` sends POST /api/v1/reviews; each change is decided on its own by the same rules as a
Slack click, and one line per change says what happened to it. `post-review` records how an
applied or failed change went.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.cli.api_client import ApiClient
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
    """One line per change; exit 1 if any was refused."""
    if args.reject and not args.comment.strip():
        print("changegate: --reject needs --comment: the reason reviewers and the requester "
              "read", file=sys.stderr)
        return EXIT_ERROR
    items = [{"id": cid, "approved": bool(args.approve), "comment": args.comment}
             for cid in args.changes]
    answer = await client.call("POST", "/reviews", body={"reviews": items})
    results: list[dict[str, Any]] = answer.body["results"]
    if args.json:
        print(json.dumps(answer.body))
    else:
        verdict = "approved" if args.approve else "rejected"
        for result in results:
            print(line(result, verdict))
    return EXIT_ERROR if answer.body["refused"] else 0


def line(result: dict[str, Any], verdict: str) -> str:
    """`CHG-7 approved, now pending_review, …` or `CHG-8 refused (self_approval): …`."""
    change = result["change"]
    if change is None:
        return f"{result['id']} refused ({result['reason']}): {result['detail']}"
    now = describe(change).removeprefix(f"{change['id']} ")
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
