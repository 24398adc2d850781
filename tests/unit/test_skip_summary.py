"""A test run ends with one line counting the skipped tests by reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.served import clean_environment

TESTS = '''
import pytest
def test_one(): pytest.skip("Chromium is not installed")
def test_two(): pytest.skip("Chromium is not installed")
@pytest.mark.skip(reason="TEST_DATABASE_URL is not set")
def test_three(): pass
def test_four(): pass
'''


def run_pytest(tmp_path: Path, source: str) -> str:
    (tmp_path / "test_some.py").write_text(source)
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.support.skip_summary",
         "-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function",
         "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env=clean_environment(), capture_output=True, text=True, timeout=60,
        check=False)
    return ran.stdout.splitlines()[-1]


def test_the_last_line_counts_skips_by_reason(tmp_path: Path) -> None:
    assert run_pytest(tmp_path, TESTS) == (
        "3 tests skipped: 2 because Chromium is not installed; "
        "1 because TEST_DATABASE_URL is not set")


def test_a_run_without_skips_says_so(tmp_path: Path) -> None:
    assert run_pytest(tmp_path, "def test_one(): pass\n") == "no test skipped"
