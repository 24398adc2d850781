"""The sandbox workspace: the real bot against the fake Slack, with a web page to act as anyone.

`changegate serve --sandbox` runs it, and so does `serve` with no Slack setting and no
CHANGEGATE_DATABASE_URL (bot/serve_mode.py); see docs/sandbox.md.
"""
