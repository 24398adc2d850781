"""A form's private_metadata is signed by the bot: a submission whose hidden data was changed
(another change, another revision, unsigned, signed with another key, or lifted from another
form) is refused in the form, logged, and decides nothing; an untouched one works."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.sandbox.fakeslack.payloads import text_value
from bot.sandbox.fakeslack.state import ViewRecord
from bot.settings import Settings, SettingsError
from bot.slack.inbound.forged_forms import REFUSED
from bot.slack.rendering import ids
from bot.slack.sealing import MetadataSeal, metadata_key
from tests.slack.harness import CHANNEL, SECRET, SENIOR1, Harness, blocks_text, running_bot

Forge = Callable[[str, str, dict[str, object]], str]
# (the Approve form's metadata, another form's, what a forger would write) -> forged


def _data(sealed: str) -> dict[str, object]:
    found: dict[str, object] = json.loads(json.loads(sealed)["data"])
    return found


def _resealed(sealed: str, **changes: object) -> str:
    """The same signature over other data."""
    return json.dumps({**json.loads(sealed), "data": json.dumps({**_data(sealed), **changes})})


FORGERIES: dict[str, Forge] = {
    "another change": lambda mine, _other, _forged: _resealed(mine, change="CHG-2"),
    "another revision": lambda mine, _other, _forged: _resealed(mine, revision=2),
    "unsigned": lambda _mine, _other, forged: json.dumps(forged),
    "signed with another key": lambda _mine, _other, forged: MetadataSeal(
        metadata_key("not the signing secret")).sealed({
            "callback_id": ids.APPROVE_VIEW, "private_metadata": json.dumps(forged)})[
                "private_metadata"],
    "another form's": lambda _mine, other, _forged: other,  # the Reject form of CHG-2, signed
}


async def _forms(bot: Harness) -> tuple[ViewRecord, str]:
    """SENIOR1's Approve form of CHG-1, and the signed metadata of their Reject form of
    CHG-2."""
    await bot.driver.click(SENIOR1, await bot.card("CHG-2"), ids.REJECT)
    reject = await bot.modal_for(SENIOR1, "Reject CHG-2")
    bot.fake.close_view(reject)
    await bot.driver.click(SENIOR1, await bot.card("CHG-1"), ids.APPROVE)
    return await bot.modal_for(SENIOR1, "Approve CHG-1"), reject.view["private_metadata"]


async def _nothing_decided(bot: Harness) -> None:
    await bot.settled()
    for change_id in ("CHG-1", "CHG-2"):
        cr = await bot.engine.get(change_id)
        assert cr is not None and cr.live_responses() == ()


async def _refused(bot: Harness, caplog: pytest.LogCaptureFixture, forge: Forge) -> None:
    """Submit SENIOR1's Approve form of CHG-1 with forged metadata; it is refused."""
    await bot.seed()
    await bot.seed(title="Another change")
    form, other = await _forms(bot)
    target = await bot.engine.get("CHG-2")
    assert target is not None and target.dry_run is not None
    forged = {"change": "CHG-2", "revision": 1, "origin": CHANNEL, "digest": target.dry_run.digest}
    form.view["private_metadata"] = forge(form.view["private_metadata"], other, forged)
    caplog.clear()

    reply = await bot.driver.submit(SENIOR1, form, {ids.COMMENT_BLOCK: text_value("ok")})

    assert reply.status == 200
    assert REFUSED in blocks_text(form)
    logged = [r for r in caplog.records if "is not signed by ChangeGate" in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.WARNING
    await _nothing_decided(bot)


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_a_form_with_forged_metadata_is_refused_and_decides_nothing(
    bot: Harness, caplog: pytest.LogCaptureFixture, forgery: str
) -> None:
    await _refused(bot, caplog, FORGERIES[forgery])


async def test_in_socket_mode_too(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with running_bot(tmp_path, socket=True) as bot:
        await _refused(bot, caplog, FORGERIES["unsigned"])


async def test_the_form_as_the_bot_signed_it_is_decided(bot: Harness) -> None:
    await bot.seed()
    await bot.driver.click(SENIOR1, await bot.card("CHG-1"), ids.APPROVE)
    form = await bot.modal_for(SENIOR1, "Approve CHG-1")
    signed = _data(form.view["private_metadata"])

    await bot.driver.submit(SENIOR1, form, {ids.COMMENT_BLOCK: text_value("looks right")})

    assert (signed["change"], signed["revision"]) == ("CHG-1", 1)
    await bot.modal_for(SENIOR1, "You approved revision 1 of *CHG-1*")
    await bot.card("CHG-1", shows="1 of 2: <@USEN1>")


def test_replicas_sharing_the_signing_secret_verify_each_others_forms() -> None:
    view = {"callback_id": ids.APPROVE_VIEW, "private_metadata": '{"change": "CHG-1"}'}
    sealed = MetadataSeal(metadata_key(None, SECRET)).sealed(view)

    assert MetadataSeal(metadata_key(None, SECRET, "xapp-1")).opened(sealed) == \
        '{"change": "CHG-1"}'
    assert MetadataSeal(metadata_key("k" * 32, SECRET)).opened(sealed) is None
    assert SECRET not in sealed["private_metadata"]
    assert sealed["private_metadata"] != view["private_metadata"]


def test_an_explicit_key_must_be_long_enough(tmp_path: Path) -> None:
    base = {"CHANGEGATE_POLICY": str(tmp_path / "p.yaml")}

    assert Settings.load({**base, "CHANGEGATE_METADATA_KEY": "k" * 32}).metadata_key == "k" * 32
    with pytest.raises(SettingsError, match="CHANGEGATE_METADATA_KEY must be at least 32"):
        Settings.load({**base, "CHANGEGATE_METADATA_KEY": "short"})
    assert "k" * 32 not in repr(Settings.load({**base, "CHANGEGATE_METADATA_KEY": "k" * 32}))
