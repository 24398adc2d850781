"""`changegate audit checkpoint` and `audit verify --checkpoint`: the chain's head written where
the database's users cannot reach it, so that a cut or rewritten tail is found."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.fail import fail
from bot.cli.operator_database import with_database
from bot.settings import SLACK_API, Settings

if TYPE_CHECKING:
    from storage.audit_checkpoint import Checkpoint
    from storage.sql.audit_trail import AuditTrail
    from storage.sql.engines import Database


def add_checkpoint_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the checkpoint goes: a file, a Slack channel, or both."""
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="write the checkpoint to FILE (replaced whole)")
    parser.add_argument("--slack-channel", metavar="C…",
                        help="also post it to this Slack channel (needs SLACK_BOT_TOKEN)")


def audit_checkpoint(settings: Settings, args: argparse.Namespace) -> int:
    """Write (and post) the head of the chain as it is now."""
    from storage.audit_checkpoint import checkpoint_of
    from storage.sql.audit_trail import AuditTrail

    if args.out is None and args.slack_channel is None:
        return fail("say where the checkpoint goes: --out FILE and/or --slack-channel C…")
    if args.slack_channel is not None and not settings.slack_bot_token:
        return fail("--slack-channel needs SLACK_BOT_TOKEN")

    async def take(db: Database) -> int:
        head = await AuditTrail(db).head()
        if head is None:
            return fail("the audit log is empty: nothing to checkpoint yet")
        checkpoint = checkpoint_of(head, datetime.now(UTC))
        if args.out is not None:
            _write(args.out, checkpoint.to_json() + "\n")
        if args.slack_channel is not None:
            refused = await _post(settings, args.slack_channel, checkpoint)
            if refused is not None:
                return fail(f"cannot post the checkpoint to {args.slack_channel}: {refused}")
        print(f"audit checkpoint: {checkpoint.describe()}"
              + (f", written to {args.out}" if args.out is not None else ""))
        return 0

    return with_database(settings, take, refusals=(OSError,))


async def tail_problem_against(trail: AuditTrail, path: Path) -> str | None:
    """Why the stored chain does not hold the head checkpointed in `path`, if it does not;
    ValueError when the file cannot be read or is not a checkpoint."""
    from storage.audit_checkpoint import read_checkpoint, tail_problem

    try:
        checkpoint = read_checkpoint(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read checkpoint {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ValueError(f"checkpoint {path} {exc}") from None
    return tail_problem(checkpoint, await trail.head(), await trail.row(checkpoint.seq))


def _write(path: Path, text: str) -> None:
    """Replace the file whole, so a reader never sees half a checkpoint."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


async def _post(settings: Settings, channel: str, checkpoint: Checkpoint) -> str | None:
    """Post the checkpoint to a Slack channel, whose history the database's users cannot edit;
    why it was not posted, if it was not."""
    from aiohttp import ClientError
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=settings.slack_bot_token,
                            base_url=settings.slack_api_url or SLACK_API)
    try:
        await client.chat_postMessage(channel=channel, text=f"ChangeGate audit checkpoint: "
                                      f"```{checkpoint.to_json()}```")
    except SlackApiError as exc:
        return str(exc.response.get("error") or "Slack refused it")
    except (ClientError, TimeoutError) as exc:
        return f"Slack could not be reached ({type(exc).__name__})"
    return None
