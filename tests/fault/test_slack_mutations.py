"""Every payload kind the app handles (each card button, the App Home and dry-run buttons, each
modal's submission, `/change`, the events), built as Slack sends it, with one member deleted or
replaced by a value of the wrong type, correctly signed and sent to a live bot on SQLite. None
gets a 5xx, none leaves a traceback in the log, and one whose actor is spoiled is always refused.
A refused one (4xx) changes nothing; one that is still a valid action (the spoiled member is one
the app never reads, such as `token`) may act, as the person who sent it."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox.fakeslack import payloads
from bot.sandbox.fakeslack.driver import FORM, _find_button
from bot.sandbox.fakeslack.state import Message, ViewRecord
from bot.slack.rendering import ids
from bot.slack.rendering.dryrun_modal import NEXT
from bot.slack.rendering.home import AWAITING
from bot.slack.rendering.modals import resolve_modal, withdraw_modal
from storage.database import open_database
from storage.sql.engines import Database
from tests.fault.conftest import Snapshot, delivered, snapshot
from tests.slack.harness import (
    CHANNEL,
    CONTRACTOR,
    REQUESTER,
    SENIOR1,
    SENIOR2,
    Harness,
    proposal_values,
    running_bot,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")]
EXAMPLES = settings(max_examples=250, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


class Deleted:
    """Stands for a member taken out of the payload."""

    def __repr__(self) -> str:
        return "<deleted>"


DELETE = Deleted()
WRONG = [DELETE, {}, [], "", "system", 10**12, None, True]  # for a member of a JSON payload
WRONG_FIELD = [DELETE, "", "system", "{}", "[]", "1000000000000", "null"]  # a form's fields
ACTORS = {("user",), ("user", "id"), ("user_id",), ("event", "user")}
NOBODY_ACTS = ("event:members", "event:message", "challenge")  # kinds no one acts through
LEAVES = frozenset({"blocks"})  # rendered blocks the app never reads back: spoiled whole
Path = tuple[str | int, ...]


class Records(logging.Handler):
    """Every log record of the process, to look for tracebacks."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Target:
    """The bot, its database, and the card and views a person would click in or submit."""

    bot: Harness
    db: Database
    card: Message
    forms: dict[str, tuple[str, ViewRecord]] = field(default_factory=dict)
    log: Records = field(default_factory=Records)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def target(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Target]:
    directory = tmp_path_factory.mktemp("mutations")
    async with running_bot(directory, storage="sqlite") as bot:
        bot.executor.dry_run_output = "+ neighbor 192.0.2.1\n" * 2000  # two pages long
        await bot.seed()
        card = await bot.card("CHG-1")
        db = await open_database(f"sqlite+aiosqlite:///{directory / 'changegate.db'}",
                                 migrate=False)
        found = Target(bot, db, copy.deepcopy(card))  # as first seen: the same members each time
        for who, button, shows in ((CONTRACTOR, ids.REJECT, "Reject CHG-1"),
                                   (SENIOR2, ids.COMMENT, "Comment on CHG-1"),
                                   (SENIOR2, ids.APPROVE, "Approve CHG-1"),
                                   (SENIOR1, ids.VIEW_DRY_RUN, "Dry-run CHG-1")):
            await bot.driver.click(who, card, button)
            found.forms[button] = (who, copy.deepcopy(await bot.modal_for(who, shows)))
        cr = await bot.engine.get("CHG-1")
        assert cr is not None  # never in doubt, so no Resolve button: its form, as it would be
        resolve = ViewRecord("V0RESOLVE", SENIOR1, resolve_modal(cr, CHANNEL), "h0", "V0RESOLVE")
        found.forms[ids.RESOLVE] = (SENIOR1, resolve)
        withdraw = ViewRecord("V0WITHDRAW", SENIOR1, withdraw_modal(cr, CHANNEL), "h0",
                              "V0WITHDRAW")  # refused before it opens: SENIOR1 approved nothing
        found.forms[ids.WITHDRAW_APPROVAL] = (SENIOR1, withdraw)
        await bot.driver.slash(REQUESTER, "new")
        form = await bot.modal_for(REQUESTER, "Propose")
        found.forms[ids.PROPOSE_VIEW] = (REQUESTER, copy.deepcopy(form))
        await bot.driver.open_home(SENIOR1)
        home = await bot.fake.wait_for(lambda: bot.fake.home(SENIOR1))
        found.forms["home"] = (SENIOR1, copy.deepcopy(home))
        await quiet(found)
        logging.getLogger().addHandler(found.log)
        try:
            yield found
        finally:
            logging.getLogger().removeHandler(found.log)
            await db.dispose()


def click(t: Target, user: str, action_id: str, view: ViewRecord | None = None,
          value: str | None = None) -> dict[str, Any]:
    """A click on a card button (its value as the card carries it), or on a button in a view."""
    w, fake = t.bot.fake.workspace, t.bot.fake
    if view is not None:
        action = {"type": "button", "action_id": action_id, "block_id": "b", "value": value}
        return payloads.block_actions(w, user=user, action=action,
                                      trigger_id=fake.issue_trigger(user), view=view)
    approve = _find_button(t.card.blocks, ids.APPROVE)
    return payloads.block_actions(
        w, user=user, action={**approve, "action_id": action_id},
        trigger_id=fake.issue_trigger(user),
        response_url=fake.issue_response_url(CHANNEL, user, t.card.ts), message=t.card)


def submission(t: Target, form: str, values: dict[str, Any]) -> dict[str, Any]:
    user, view = t.forms[form]
    return payloads.view_submission(t.bot.fake.workspace, user=user, view=view, values=values,
                                    trigger_id=t.bot.fake.issue_trigger(user))


def slash(t: Target, text: str) -> dict[str, str]:
    fake = t.bot.fake
    return payloads.slash_command(fake.workspace, user=SENIOR2, channel=CHANNEL,
                                  command="/change", text=text,
                                  trigger_id=fake.issue_trigger(SENIOR2),
                                  response_url=fake.issue_response_url(CHANNEL, SENIOR2))


def event(t: Target, inner: dict[str, Any]) -> dict[str, Any]:
    return payloads.event_callback(t.bot.fake.workspace, inner, event_id="Ev1")


def text(value: str) -> dict[str, Any]:
    return payloads.text_value(value)


Build = Callable[[Target], dict[str, Any]]


def on_card(action_id: str, user: str) -> Build:
    return lambda t: click(t, user, action_id)


def typing(text: str) -> Build:
    return lambda t: slash(t, text)


# Each kind of payload the app handles, as a real person would send it.
KINDS: dict[str, Build] = {
    **{f"card:{a}": on_card(a, who) for a, who in (
        (ids.APPROVE, SENIOR1), (ids.WITHDRAW_APPROVAL, SENIOR1), (ids.REJECT, SENIOR2),
        (ids.WITHDRAW_REQUEST, SENIOR2), (ids.RERUN_DRY_RUN, SENIOR1),
        (ids.VIEW_DRY_RUN, SENIOR1), (ids.COMMENT, SENIOR2), (ids.APPLY, SENIOR1),
        (ids.RESOLVE, SENIOR1), (ids.VIEW_CHANGE, SENIOR2))},
    "home:more": lambda t: click(t, SENIOR1, ids.HOME_MORE, t.forms["home"][1], AWAITING),
    "home:open": lambda t: click(t, SENIOR1, ids.OPEN_CARD, t.forms["home"][1], "CHG-1"),
    "dry-run:next": lambda t: click(t, SENIOR1, NEXT, t.forms[ids.VIEW_DRY_RUN][1], "CHG-1:2"),
    "change:next": lambda t: click(t, SENIOR1, f"{ids.CHANGE_PAGE}_next",
                                   t.forms[ids.VIEW_DRY_RUN][1], "CHG-1:2"),
    "submit:propose": lambda t: submission(t, ids.PROPOSE_VIEW, proposal_values(
        schedule=int(t.bot.clock.now().timestamp()) + 86400)),
    "submit:reject": lambda t: submission(t, ids.REJECT, {ids.REASON_BLOCK: text("freeze")}),
    "submit:comment": lambda t: submission(t, ids.COMMENT, {ids.COMMENT_BLOCK: text("hm")}),
    "submit:approve": lambda t: submission(t, ids.APPROVE, {ids.COMMENT_BLOCK: text("ok")}),
    "submit:withdraw": lambda t: submission(t, ids.WITHDRAW_APPROVAL, {
        ids.COMMENT_BLOCK: text("window moved")}),
    "submit:resolve": lambda t: submission(t, ids.RESOLVE, {
        ids.OUTCOME_BLOCK: payloads.choice_value("applied"), ids.NOTE_BLOCK: text("checked")}),
    **{f"slash:{verb}": typing(verb) for verb in (
        "new", "list", "show CHG-1", "apply CHG-1", "withdraw CHG-1", "dry-run CHG-1", "help")},
    "event:home": lambda t: event(t, {"type": "app_home_opened", "user": SENIOR1,
                                      "tab": "home", "channel": "D0SEN1"}),
    "event:members": lambda t: event(t, {"type": "subteam_members_changed",
                                         "subteam_id": "S01NETENG", "added_users": [SENIOR2]}),
    "event:message": lambda t: event(t, {"type": "message", "user": SENIOR1, "text": "hi",
                                         "channel": CHANNEL}),
    "challenge": lambda t: {"type": "url_verification", "token": "legacy",
                            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"},
}


def paths(value: Any, at: Path = ()) -> Iterator[Path]:
    """Every member of a payload, nested ones too (rendered blocks as a whole)."""
    children: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    for key, child in children:
        yield (*at, key)
        if key not in LEAVES:
            yield from paths(child, (*at, key))


def spoiled(payload: dict[str, Any], path: Path, wrong: object) -> dict[str, Any]:
    copy = json.loads(json.dumps(payload))
    holder = copy
    for key in path[:-1]:
        holder = holder[key]
    if wrong is DELETE:
        del holder[path[-1]]
    else:
        holder[path[-1]] = wrong
    return copy


def encoded(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
    if kind.startswith("slash"):
        return urlencode(payload), FORM
    if kind.startswith(("event", "challenge")):
        return json.dumps(payload), "application/json"
    return "payload=" + quote(json.dumps(payload)), FORM


def listeners() -> list[asyncio.Task[Any]]:
    """Listeners Bolt still runs after it answered (it acknowledges first, then carries on)."""
    return [t for t in asyncio.all_tasks() if not t.done()
            and "run_ack_function_asynchronously" in t.get_coro().__qualname__]  # type: ignore[union-attr]


async def quiet(t: Target) -> None:
    """Every listener has finished and everything it committed is delivered."""
    for _ in range(10):
        running = listeners()
        if running:
            await asyncio.wait(running, timeout=30)
        await t.bot.settled()
        await delivered(t.db)  # the relay's own task may still be delivering a batch
        if not listeners():
            return
    raise AssertionError("listeners kept running")


async def state(t: Target) -> Snapshot:
    return await snapshot(t.db, t.bot.fake)


@EXAMPLES
@given(kind=st.sampled_from(sorted(KINDS)), data=st.data())
async def test_a_spoiled_member_is_never_a_5xx_a_traceback_or_a_change(
    target: Target, kind: str, data: st.DataObject
) -> None:
    payload = KINDS[kind](target)
    path = data.draw(st.sampled_from(list(paths(payload))), label="member")
    wrong = data.draw(st.sampled_from(WRONG_FIELD if kind.startswith("slash") else WRONG),
                      label="value")
    body, content_type = encoded(kind, spoiled(payload, path, wrong))
    before = await state(target)
    target.log.records.clear()

    reply = await target.bot.driver.post(body, content_type)
    await quiet(target)

    assert reply.status < 500, reply.text
    tracebacks = [r.getMessage() for r in target.log.records if r.exc_info]
    assert not tracebacks
    if 400 <= reply.status < 500:
        assert await state(target) == before
    if path in ACTORS and not kind.startswith(NOBODY_ACTS):
        assert reply.status == 400, reply.text
