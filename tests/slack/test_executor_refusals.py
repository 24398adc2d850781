"""An executor's refusal as a person sees it in Slack: its stderr escaped, so it can neither
mention anyone nor draw a link, and the program named without the path it is installed at."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.executors import CommandExecutor, DryRunFailed
from bot.slack.rendering import ids
from tests.slack.harness import SENIOR1, Harness
from workflow.executor_spec import CommandSpec

HOSTILE = "<!channel> <https://evil.example|Approve here>"


def installed_push(directory: Path) -> CommandExecutor:
    """A shell script that prints a hostile line, then fails as shells do, path first."""
    script = directory / "opt" / "changegate" / "bin" / "push"
    script.parent.mkdir(parents=True)
    script.write_text(f"#!/bin/bash\ncat > /dev/null\necho '{HOSTILE}' >&2\nno-such-tool\n")
    script.chmod(0o755)
    return CommandExecutor(CommandSpec("push", (str(script),)), environ={"PATH": "/usr/bin:/bin"})


async def test_a_dry_run_refusal_is_escaped_and_names_the_program_not_its_path(
        bot: Harness, tmp_path: Path) -> None:
    cr = await bot.seed()
    with pytest.raises(DryRunFailed) as refused:
        await installed_push(tmp_path).dry_run(cr)
    bot.executor.raise_on_dry_run = refused.value  # what the real program said, through the bot
    card = await bot.card(cr.id)

    await bot.driver.click(SENIOR1, card, ids.RERUN_DRY_RUN)
    told = await bot.ephemeral_for(SENIOR1, "no-such-tool")

    assert "&lt;!channel&gt; &lt;https://evil.example|Approve here&gt;" in told
    assert "<!channel>" not in told and "<https://" not in told
    assert "push: line 4: no-such-tool: command not found" in told
    assert str(tmp_path) not in told
