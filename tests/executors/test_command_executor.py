"""The command executor against real programs: exit codes, timeouts, output limits, no shell."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.executors import (
    CommandExecutor,
    DryRunFailed,
    ExecutorError,
    ExecutorTimeout,
    ExecutorUnavailable,
    summarise,
)
from tests.executors.processes import gone
from tests.support.builders import content, pending
from workflow.executor_spec import CommandSpec
from workflow.model import ApplyStatus, ChangeRequest

PY = sys.executable
KEY = "CHG-1:1:abc"


def python(code: str, **keys: object) -> CommandExecutor:
    spec = CommandSpec("script", (PY, "-c", code))
    return CommandExecutor(replace(spec, **keys), environ={"PATH": "/usr/bin:/bin"})


@pytest.fixture
def change() -> ChangeRequest:
    return pending()


ECHO = """
import json, os, sys
request = json.load(sys.stdin)
print(json.dumps({"request": request, "env": {k: v for k, v in os.environ.items()
                                               if k.startswith("CHANGEGATE_")}}))
"""


async def test_dry_run_gets_the_change_as_json_on_stdin(change: ChangeRequest) -> None:
    seen = json.loads(await python(ECHO).dry_run(change))
    request = seen["request"]
    assert request["change"] == "CHG-1" and request["mode"] == "dry_run"
    assert request["revision"] == 1 and request["idempotency_key"] is None
    assert change.dry_run is not None and request["digest"] == change.dry_run.digest
    assert request["content"]["payload"] == "set x" and request["content"]["family"] == "bgp"
    assert seen["env"] == {"CHANGEGATE_CHANGE": "CHG-1", "CHANGEGATE_REVISION": "1",
                           "CHANGEGATE_MODE": "dry_run"}


async def test_apply_exit_zero_is_applied_with_the_key(change: ChangeRequest) -> None:
    result = await python(ECHO).apply(change, KEY)
    assert result.status is ApplyStatus.APPLIED
    seen = json.loads(result.output)
    assert seen["request"]["mode"] == "apply" and seen["request"]["idempotency_key"] == KEY
    assert seen["env"]["CHANGEGATE_IDEMPOTENCY_KEY"] == KEY


async def test_apply_non_zero_exit_is_failed_with_stderr(change: ChangeRequest) -> None:
    code = ("import sys; print('pushed 1 of 2'); sys.stderr.write('edge-1: auth failed'); "
            "sys.exit(3)")
    result = await python(code).apply(change, KEY)
    assert result.status is ApplyStatus.FAILED
    assert result.output.startswith("pushed 1 of 2")
    assert "exited with code 3" in result.output and "edge-1: auth failed" in result.output


async def test_a_failing_dry_run_is_refused_not_recorded(change: ChangeRequest) -> None:
    code = "import sys; sys.stderr.write('no route to edge-1'); sys.exit(2)"
    with pytest.raises(DryRunFailed, match=r"exited with code 2[\s\S]*no route to edge-1"):
        await python(code).dry_run(change)


async def test_a_program_killed_by_a_signal_leaves_the_outcome_unknown(
    change: ChangeRequest,
) -> None:
    code = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    with pytest.raises(ExecutorError, match="terminated by signal 15: the outcome is unknown"):
        await python(code).apply(change, KEY)


async def test_a_hanging_program_is_killed_with_its_children(
    change: ChangeRequest, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    code = f"""
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
time.sleep(600)
"""
    executor = python(code, timeout=timedelta(seconds=2))
    with pytest.raises(ExecutorTimeout, match="did not finish within 2s and was killed"):
        await executor.apply(change, KEY)
    for pid in map(int, pids.read_text().split()):
        assert gone(pid), f"process {pid} survived the timeout"


async def test_output_beyond_the_limit_is_cut_with_the_hash_of_all_of_it(
    change: ChangeRequest,
) -> None:
    code = "import sys; sys.stdout.write('+ x\\n' * (10 * 1024 * 1024 // 4))"
    output = await python(code, max_output=1024 * 1024).dry_run(change)
    whole = b"+ x\n" * (10 * 1024 * 1024 // 4)
    assert output.startswith("+ x\n+ x\n")
    assert output.endswith(
        f"[output truncated: {len(whole)} bytes in all, the first 1048576 shown; "
        f"sha256 of the whole output {hashlib.sha256(whole).hexdigest()}]"
    )
    assert len(output) < 1024 * 1024 + 200


async def test_ten_megabytes_are_stored_whole_and_summarised_for_the_card(
    change: ChangeRequest,
) -> None:
    code = "import sys; sys.stdout.write('+ neighbor 192.0.2.1\\n' * 500_000)"
    output = await python(code).dry_run(change)
    assert len(output) == len("+ neighbor 192.0.2.1\n") * 500_000
    card = summarise(output, 2500)
    assert len(card) <= 2500
    assert card.endswith("+500000 -0 lines in all; the whole output is stored")


async def test_arguments_are_passed_literally_never_through_a_shell(
    change: ChangeRequest, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    tricky = ["a; touch " + str(marker), "$(touch " + str(marker) + ")", "`id`", "*", "|| true"]
    code = "import json, sys; sys.stdin.read(); print(json.dumps(sys.argv[1:]))"
    executor = CommandExecutor(CommandSpec("script", (PY, "-c", code, *tricky)))
    assert json.loads(await executor.dry_run(change)) == tricky
    assert not marker.exists()


async def test_only_listed_environment_variables_reach_the_program(
    change: ChangeRequest,
) -> None:
    code = "import json, os; print(json.dumps(sorted(os.environ)))"
    environ = {"PATH": "/usr/bin:/bin", "SLACK_BOT_TOKEN": "xoxb-secret", "DEVICE_TOKEN": "t"}
    spec = CommandSpec("script", (PY, "-c", code), pass_env=("DEVICE_TOKEN",))
    names = json.loads(await CommandExecutor(spec, environ).dry_run(change))
    assert "DEVICE_TOKEN" in names and "PATH" in names
    assert "SLACK_BOT_TOKEN" not in names


async def test_a_program_that_never_reads_stdin_does_not_hang(change: ChangeRequest) -> None:
    big = replace(change, revisions=(replace(change.revisions[0],
                                             content=content(payload="x" * 4_000_000)),))
    result = await python("print('done')").apply(big, KEY)
    assert result.status is ApplyStatus.APPLIED and result.output == "done\n"


async def test_a_missing_program_runs_nothing(change: ChangeRequest, tmp_path: Path) -> None:
    executor = CommandExecutor(CommandSpec("script", (str(tmp_path / "no-such-program"),)))
    with pytest.raises(ExecutorUnavailable, match="could not be started"):
        await executor.dry_run(change)
    result = await executor.apply(change, KEY)
    assert result.status is ApplyStatus.FAILED
    assert result.output.startswith("not applied: executor script")


def failing_script(directory: Path) -> CommandExecutor:
    """An installed script that fails the way shells do: its absolute path starts its stderr."""
    script = directory / "opt" / "changegate" / "bin" / "push"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/bash\ncat > /dev/null\nno-such-tool --commit\n")
    script.chmod(0o755)
    return CommandExecutor(CommandSpec("push", (str(script), "--site", "ams")),
                           environ={"PATH": "/usr/bin:/bin"})


async def test_what_a_failed_program_shows_names_it_without_its_path(
        change: ChangeRequest, tmp_path: Path) -> None:
    executor = failing_script(tmp_path)

    with pytest.raises(DryRunFailed) as refused:
        await executor.dry_run(change)
    applied = await executor.apply(change, KEY)

    for shown in (refused.value.message, applied.output):
        assert "push: line 3: no-such-tool: command not found" in shown, shown
        assert str(tmp_path) not in shown
    assert refused.value.message.startswith(f"the dry-run of {change.id} by executor push (push) ")
