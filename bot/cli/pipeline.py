"""`changegate submit`, `wait`, `dry-run`, `apply`, `abort` and `result`: a pipeline's side of
the API.

They read CHANGEGATE_URL and CHANGEGATE_TOKEN; the token's Slack user is the actor, so the
four-eyes rules hold for pipelines exactly as in Slack.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from bot.cli.api_client import ApiClient, ClientError, Endpoint, Problem
from bot.cli.fail import fail
from bot.cli.wait import EXIT_ERROR, EXIT_OF_STATE, describe, wait_and_report
from bot.settings import Settings

Use = Callable[[ApiClient, argparse.Namespace], Awaitable[int]]

OUTPUT_MAX = 1_000_000  # characters of a result's output the API takes (docs/api.md, limits)
CHANGE_ID = re.compile(r"CHG-[1-9][0-9]{0,17}")
EXECUTOR_WAIT_S = 3600.0  # an executor's dry-run may take long; its policy timeout ends it first
_RECORD_IT = ("{id} has no dry-run yet, and approvals wait for one: record it with "
              "`changegate dry-run {id} --file out.txt`")
NO_EXECUTOR_DRY_RUN = {  # why the executor's dry-run did not run, and what works instead
    "no_executor": _RECORD_IT + " (no executor is bound to its family)",
    "dry_run_source": _RECORD_IT + " (its workflow takes only reported output, not an "
                                   "executor's)",
    "dry_run_failed": "{detail}; {id} has no dry-run yet, and approvals wait for one: run it "
                      "again with `changegate dry-run {id}`",
}


class ClientParser(argparse.ArgumentParser):
    """Usage errors exit 1, because to `wait` exit 2 means "rejected"."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Refuse leftovers here: the top-level parser would exit 2 for them."""
        parsed, rest = super().parse_known_args(args, namespace)
        if rest:
            self.error(f"unrecognized arguments: {' '.join(rest)}")
        return parsed, rest


def add_client_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the pipeline commands to the top-level parser."""
    submit = _add(commands, "submit", _run(submit_change),
                  "propose a change from a JSON file, submit it, print its id")
    submit.add_argument("--file", required=True, metavar="change.json",
                        help="the change: the JSON body of POST /api/v1/changes (- for stdin)")
    submit.add_argument("--dry-run-file", metavar="out.txt",
                        help="dry-run output to record with revision 1 (- for stdin); without "
                             "it, the executor bound to the family runs the dry-run first")
    submit.add_argument("--idempotency-key", metavar="KEY",
                        help="a retry with the same key returns the change already proposed")
    submit.add_argument("--wait", action="store_true",
                        help="then wait like `changegate wait` and exit with its code")
    _add_wait_options(submit)

    wait = _add(commands, "wait", _run(wait_for_change),
                "wait until a change is decided or ended; the exit code tells the outcome")
    wait.add_argument("change", type=change_id, metavar="CHG-n")
    _add_wait_options(wait)

    dry = _add(commands, "dry-run", _run(record_dry_run),
               "run the dry-run through the change's executor, or record output with --file; "
               "unchanged output keeps the approvals")
    dry.add_argument("change", type=change_id, metavar="CHG-n")
    dry.add_argument("--file", metavar="out.txt",
                     help="what your own dry-run printed (- for stdin); without it, the "
                          "executor bound to the change's family runs it")
    dry.add_argument("--json", action="store_true", help="print the change as JSON")

    apply = _add(commands, "apply", _run(apply_change),
                 "start the apply of an approved change (re-checks the dry-run first)")
    apply.add_argument("change", type=change_id, metavar="CHG-n")
    apply.add_argument("--json", action="store_true", help="print the change as JSON")

    abort = _add(commands, "abort", _run(abort_apply),
                 "stop a running apply; its outcome (failed, aborted) is recorded when it ends")
    abort.add_argument("change", type=change_id, metavar="CHG-n")
    abort.add_argument("--reason", required=True, help="why it must be stopped")
    abort.add_argument("--json", action="store_true", help="print the change as JSON")

    result = _add(commands, "result", _run(report_result),
                  "report the outcome of an apply the pipeline ran")
    result.add_argument("change", type=change_id, metavar="CHG-n")
    result.add_argument("--status", required=True, choices=("applied", "failed"))
    result.add_argument("--output-file", metavar="FILE", help="the apply's output (- for stdin)")
    result.add_argument("--key", help="the running apply's key (CHG-n:revision:digest); "
                                      "default: the change's current apply")
    result.add_argument("--json", action="store_true", help="print the change as JSON")


def _add(commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
         command: Callable[[Settings, argparse.Namespace], int], help_text: str
         ) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=help_text, description=help_text,
                                 epilog="Needs CHANGEGATE_URL and CHANGEGATE_TOKEN.")
    parser.__class__ = ClientParser
    parser.set_defaults(command=command, policy=None)
    return parser


def _add_wait_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--until", choices=("decided", "terminal", "abort"), default="decided",
                        help="decided (default): approved, scheduled, executing or ended; "
                             "terminal: applied, failed, apply_unknown, rejected, cancelled, "
                             "expired; abort: an abort of the running apply was asked for "
                             "(an outside pipeline then stops it and reports), or ended")
    parser.add_argument("--timeout", type=seconds, metavar="S",
                        help="give up after S seconds with exit code 4 (default: no limit)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def change_id(text: str) -> str:
    """A change id argument such as CHG-42."""
    if not CHANGE_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a change id such as CHG-42")
    return text


def seconds(text: str) -> float:
    """A --timeout: seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 10**9:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def _run(use: Use) -> Callable[[Settings, argparse.Namespace], int]:
    """A command over an API session; every error is one `changegate: …` message and exit 1."""

    def run(_: Settings, args: argparse.Namespace) -> int:
        async def session(endpoint: Endpoint) -> int:
            async with ApiClient(endpoint) as client:
                return await use(client, args)

        try:
            return asyncio.run(session(Endpoint.from_environment(os.environ)))
        except ClientError as exc:
            return fail(*exc.lines)
        except KeyboardInterrupt:
            return 130

    return run


async def submit_change(client: ApiClient, args: argparse.Namespace) -> int:
    """Print the id; with --wait, wait and exit like `wait`.

    Without dry-run output the change is proposed as a draft, its executor's dry-run is run,
    and then it is submitted, as the Slack form does: approvers never see it without one when
    an executor can produce it, and a workflow that applies by itself gets it before submit.
    """
    body = _change_body(args.file, args.dry_run_file)
    headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else None
    then_submit = body.get("submit") is True and "dry_run" not in body
    if then_submit:
        body["submit"] = False
    answer = await client.call("POST", "/changes", body=body, headers=headers)
    change = answer.body
    replayed = answer.headers.get("Idempotent-Replayed") == "true"
    print(("already proposed " if replayed else "proposed ") + describe(change), file=sys.stderr)
    if then_submit and change["state"] == "draft":
        change = await dry_run_then_submit(client, change)
    elif change["state"] == "draft":
        print(f"{change['id']} is a draft: `changegate edit {change['id']} --submit` sends it "
              "for review (running its executor's dry-run first if it has none)",
              file=sys.stderr)
    if not args.wait:
        print(json.dumps(change) if args.json else change["id"])
        return 0
    if not args.json:
        print(change["id"], flush=True)
    return await wait_and_report(client, change["id"], args, print_state=False)


def _change_body(path: str, dry_run_path: str | None) -> dict[str, Any]:
    if path == "-" and dry_run_path == "-":
        raise ClientError("--file and --dry-run-file cannot both read standard input")
    body = json_object(path, "change file")
    missing = missing_fields(body)
    if missing:
        raise ClientError(f"change file {path} lacks {', '.join(missing)}: a change needs every "
                          "one of them")
    if dry_run_path is not None:
        if "dry_run" in body:
            raise ClientError(f"change file {path} has a dry_run already; drop it or "
                              "--dry-run-file")
        body["dry_run"] = {"output": read_text(dry_run_path, "dry-run file")}
    body.setdefault("submit", True)
    return body


def json_object(path: str, what: str) -> dict[str, Any]:
    """A file (or standard input for `-`) holding one JSON object of a change's fields."""
    text = read_text(path, what)
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise ClientError(f"{what} {path} is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ClientError(f"{what} {path} must hold a JSON object with the fields of a "
                          f"change (title, family, action, target, risk, payload, …)")
    return body


def missing_fields(body: dict[str, Any]) -> list[str]:
    """Every field the API requires that the change file leaves out, to name them all at once."""
    from bot.api.bodies import CREATE  # the API's own list, loaded only by `submit`

    return [field.name for field in CREATE if field.required and field.name not in body]


def read_text(path: str, what: str) -> str:
    """A UTF-8 file, or standard input for `-`."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ClientError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ClientError(f"{what} {path} is not UTF-8 text (byte {exc.start})") from None


async def wait_for_change(client: ApiClient, args: argparse.Namespace) -> int:
    """Print the state the change reached (or is still in) and exit with its code."""
    return await wait_and_report(client, args.change, args, print_state=True)


async def record_dry_run(client: ApiClient, args: argparse.Namespace) -> int:
    """Print the state afterwards: still approved, or back in review if the output changed.
    Without --file the change's executor runs the dry-run."""
    if args.file is None:
        change = await executor_dry_run(client, args.change)
        print(json.dumps(change) if args.json else change["state"])
        print(f"now {describe(change)}", file=sys.stderr)
        return 0
    output = read_text(args.file, "dry-run file")
    change = (await client.call("POST", f"/changes/{args.change}/dry-run",
                                body={"output": output})).body
    print(json.dumps(change) if args.json else change["state"])
    print(f"recorded a dry-run of {describe(change)}", file=sys.stderr)
    return 0


async def executor_dry_run(client: ApiClient, change: str) -> dict[str, Any]:
    """POST /changes/{id}/dry-run with no output: the executor bound to the change's family
    runs the dry-run and it is recorded; stderr says so before and after."""
    print(f"running the dry-run of {change} through its executor…", file=sys.stderr, flush=True)
    answer = await client.call("POST", f"/changes/{change}/dry-run", wait_s=EXECUTOR_WAIT_S)
    ran = answer.body
    print(f"its executor ran the dry-run of {change} revision {ran['revision']}: "
          f"{dry_run_summary(ran)}", file=sys.stderr)
    return ran


def dry_run_summary(change: dict[str, Any]) -> str:
    """`sha256:3f1c0a9e2b7d (4 line(s))`, or `none`."""
    dry_run = change.get("dry_run")
    if not dry_run:
        return "none"
    return f"sha256:{dry_run['digest'][:12]} ({len(dry_run['output'].splitlines())} line(s))"


async def dry_run_then_submit(client: ApiClient, draft: dict[str, Any]) -> dict[str, Any]:
    """Send a draft for review, its executor's dry-run first when it has none (`submit`,
    `edit --submit`). A dry-run that cannot run is said, with what works instead, and the
    draft is submitted all the same (approvals wait for a dry-run; a workflow that applies by
    itself refuses the submit, which ends the command with its reason)."""
    cid = draft["id"]
    if draft.get("dry_run") is None:
        try:
            draft = await executor_dry_run(client, cid)
        except Problem as problem:
            if problem.reason not in NO_EXECUTOR_DRY_RUN:
                raise
            print(NO_EXECUTOR_DRY_RUN[problem.reason].format(id=cid, detail=problem.detail),
                  file=sys.stderr)
    change = (await client.call("POST", f"/changes/{cid}/submit")).body
    print(f"submitted {describe(change)}", file=sys.stderr)
    return change


async def apply_change(client: ApiClient, args: argparse.Namespace) -> int:
    """Print the state: executing (run it, then `result`) or the executor's outcome."""
    change = (await client.call("POST", f"/changes/{args.change}/apply")).body
    state = change["state"]
    print(json.dumps(change) if args.json else state)
    if state == "executing" and change.get("apply"):
        print(f"{args.change} is executing (apply key {change['apply']['key']}): apply it, then "
              f"report with `changegate result {args.change} --status applied|failed`",
              file=sys.stderr)
    return EXIT_OF_STATE.get(state, 0)


async def abort_apply(client: ApiClient, args: argparse.Namespace) -> int:
    """Ask to stop the apply; print the state (executing while the executor stops it)."""
    body = {"reason": args.reason}
    change = (await client.call("POST", f"/changes/{args.change}/abort", body=body)).body
    print(json.dumps(change) if args.json else change["state"])
    if change["state"] == "executing":
        print(f"abort requested: {args.change} ends when its executor stops; "
              f"`changegate wait {args.change} --until terminal` waits for it", file=sys.stderr)
    return EXIT_OF_STATE.get(change["state"], 0)


async def report_result(client: ApiClient, args: argparse.Namespace) -> int:
    """Record the outcome; exit 0 once it is recorded, whichever outcome it is."""
    body: dict[str, Any] = {"status": args.status}
    if args.output_file is not None:
        body["output"] = clip(read_text(args.output_file, "output file"))
    if args.key:
        body["key"] = args.key
    change = (await client.call("POST", f"/changes/{args.change}/result", body=body)).body
    print(json.dumps(change) if args.json else change["state"])
    print(f"recorded: {args.change} {change['state']}", file=sys.stderr)
    return 0


def clip(output: str, limit: int = OUTPUT_MAX) -> str:
    """Keep an apply's output within the API's limit: its start and its end, marked."""
    if len(output) <= limit:
        return output
    marker = f"\n[… {len(output) - limit} characters cut by changegate result …]\n"
    keep = limit - len(marker)
    head = keep // 2
    print(f"the output has {len(output)} characters; its middle is cut to fit the API's "
          f"{limit}", file=sys.stderr)
    return output[:head] + marker + output[len(output) - (keep - head):]


