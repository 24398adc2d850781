"""`changegate edit`, `list` and `copy`: a person's own changes from a terminal.

`edit` lays the given fields over the change with PATCH /api/v1/changes/{id} (a content change
makes a new revision, a fresh draft), optionally records its dry-run and submits it; `list`
reads GET /api/v1/changes with the same filters as the API; `copy` starts a change that ended
without being applied again as a new draft (POST /api/v1/changes/{id}/copy).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.cli.api_client import ApiClient, ClientError
from bot.cli.pipeline import _add, _run, change_id, dry_run_then_submit, json_object, read_text
from bot.cli.wait import describe

LIST_MAX = 1000  # changes `list` prints at most, a page of the API at a time
PAGE = 200  # the API's largest page


def add_change_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `edit`, `list` and `copy` to the top-level parser."""
    edit = _add(commands, "edit", _run(edit_change),
                "change fields of a change (content makes a new revision), then optionally "
                "record its dry-run and submit it")
    edit.add_argument("change", type=change_id, metavar="CHG-n")
    edit.add_argument("--file", metavar="change.json",
                      help="a JSON object of the fields to change, as PATCH /api/v1/changes/{id} "
                           "takes them (- for stdin)")
    edit.add_argument("--set", action="append", default=[], type=assignment, dest="fields",
                      metavar="FIELD=VALUE",
                      help="one field to change (repeat for several); FIELD=@path reads the "
                           "value from a file; labels=a,b sets the labels; scheduled_for= "
                           "clears the schedule")
    edit.add_argument("--dry-run-file", metavar="out.txt",
                      help="dry-run output to record for the revision afterwards (- for stdin)")
    edit.add_argument("--submit", action="store_true",
                      help="then send the draft for review, its executor's dry-run first "
                           "when it has none")
    edit.add_argument("--json", action="store_true", help="print the change as JSON")

    listing = _add(commands, "list", _run(list_changes),
                   "list changes, newest first: one line each")
    who = listing.add_mutually_exclusive_group()
    who.add_argument("--awaiting-me", action="store_true",
                     help="changes waiting for your review (your review queue)")
    who.add_argument("--mine", action="store_true", help="changes you requested")
    who.add_argument("--needs-action", action="store_true",
                     help="your changes that wait for you: rejected or expired lately, apply "
                          "outcome unknown, post-implementation review owed")
    who.add_argument("--approved-by-me", action="store_true",
                     help="changes still open whose current revision you approved")
    listing.add_argument("--state", action="append", default=[], metavar="S",
                         help="only changes in state S (repeat, or S1,S2, for several)")
    listing.add_argument("--limit", type=count, default=50, metavar="N",
                         help=f"print at most N changes (default 50, at most {LIST_MAX})")
    listing.add_argument("--json", action="store_true",
                         help="print a JSON array of the API's list entries")

    copying = _add(commands, "copy", _run(copy_change),
                   "start a failed, withdrawn, rejected or expired change again: a new draft "
                   "of yours with its content")
    copying.add_argument("change", type=change_id, metavar="CHG-n")
    copying.add_argument("--json", action="store_true", help="print the new change as JSON")


def assignment(text: str) -> tuple[str, str]:
    """A --set argument: FIELD=VALUE."""
    field, equals, value = text.partition("=")
    if not equals or not field.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not FIELD=VALUE, e.g. target=edge-2")
    return field.strip(), value


def count(text: str) -> int:
    """A --limit: a whole number from 1 to LIST_MAX."""
    if not text.isdigit() or not 1 <= int(text) <= LIST_MAX:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number from 1 to {LIST_MAX}")
    return int(text)


def edit_body(file: str | None, fields: list[tuple[str, str]]) -> dict[str, Any]:
    """The PATCH body: the file's fields, then each --set over them; unknown fields are named."""
    from bot.api.bodies import PATCH  # the API's own list, loaded only by `edit`

    known = {f.name: f for f in PATCH}
    body = json_object(file, "change file") if file is not None else {}
    for name, raw in fields:
        field = known.get(name)
        if field is None:
            raise ClientError(f"--set {name}: not a field of a change; one of "
                              f"{', '.join(known)}")
        value: Any = read_text(raw[1:], f"--set {name} file") if raw.startswith("@") else raw
        if field.kind == "labels":
            value = [label.strip() for label in value.split(",") if label.strip()]
        elif field.nullable and value == "":
            value = None
        body[name] = value
    return body


async def edit_change(client: ApiClient, args: argparse.Namespace) -> int:
    """Print the id (or the change as JSON); say on stderr what each step did."""
    if args.file == "-" and args.dry_run_file == "-":
        raise ClientError("--file and --dry-run-file cannot both read standard input")
    body = edit_body(args.file, args.fields)
    if not (body or args.dry_run_file is not None or args.submit):
        raise ClientError("nothing to do: give --file or --set to change fields, "
                          "--dry-run-file to record a dry-run, or --submit")
    path = f"/changes/{args.change}"
    if body:
        before = (await client.call("GET", path)).body
        change = (await client.call("PATCH", path, body=body)).body
        if change["revision"] != before["revision"]:
            print(f"{args.change} is now revision {change['revision']}, a draft: it needs its "
                  "dry-run and to be submitted again", file=sys.stderr)
        elif change["version"] == before["version"]:
            print(f"{args.change} is unchanged: the fields given are its current ones",
                  file=sys.stderr)
        else:
            print(f"{args.change} keeps revision {change['revision']}: only its title, "
                  "description, ticket or labels changed", file=sys.stderr)
    else:
        change = (await client.call("GET", path)).body
    if args.dry_run_file is not None:
        output = read_text(args.dry_run_file, "dry-run file")
        change = (await client.call("POST", f"{path}/dry-run", body={
            "output": output, "revision": change["revision"]})).body
        print(f"recorded the dry-run of revision {change['revision']}", file=sys.stderr)
    if args.submit and change["state"] == "draft":
        change = await dry_run_then_submit(client, change)
    elif args.submit:
        change = (await client.call("POST", f"{path}/submit")).body  # refused with the reason
        print(f"submitted {describe(change)}", file=sys.stderr)
    print(json.dumps(change) if args.json else change["id"])
    return 0


async def list_changes(client: ApiClient, args: argparse.Namespace) -> int:
    """One line per change: id, state, risk, revision, requester and title."""
    params: dict[str, str] = {}
    if args.awaiting_me:
        params["awaiting"] = "me"
    if args.mine:
        params["mine"] = "true"
    if args.needs_action:
        params["needs_action"] = "me"
    if args.approved_by_me:
        params["approved_by"] = "me"
    if args.state:
        params["state"] = ",".join(args.state)
    changes: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(changes) < args.limit:
        page = {**params, "limit": str(min(PAGE, args.limit - len(changes)))}
        if cursor:
            page["cursor"] = cursor
        answer = (await client.call("GET", "/changes", params=page)).body
        changes += answer["changes"]
        cursor = answer.get("next_cursor")
        if not cursor:
            break
    if args.json:
        print(json.dumps(changes))
        return 0
    for change in changes:
        print(row(change))
    if cursor:
        print(f"(more than {len(changes)}: raise --limit to see more)", file=sys.stderr)
    elif not changes:
        print("no changes", file=sys.stderr)
    return 0


async def copy_change(client: ApiClient, args: argparse.Namespace) -> int:
    """Copy as new through POST /api/v1/changes/{id}/copy: print the new draft's id (or the
    draft as JSON), and on stderr what it is and what to do next."""
    copy = (await client.call("POST", f"/changes/{args.change}/copy")).body
    print(f"{copy['id']} is a copy of {args.change}, a draft of yours: record its dry-run and "
          f"submit it with `changegate edit {copy['id']} --dry-run-file out.txt --submit` "
          "(change fields with --set)", file=sys.stderr)
    print(json.dumps(copy) if args.json else copy["id"])
    return 0


def row(change: dict[str, Any]) -> str:
    """`CHG-7  pending_review  high  r2  U01AAA  Add BGP session` (tab-separated)."""
    return "\t".join((change["id"], change["state"], change["risk"], f"r{change['revision']}",
                      change["requester"], change["title"]))
