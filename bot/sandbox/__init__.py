"""The sandbox workspace: the real bot against the fake Slack, with a web page to act as anyone.

`changegate serve` without Slack credentials (or with `--sandbox`) runs it; see docs/sandbox.md.
"""
