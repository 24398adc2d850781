"""A stateful, Slack-compatible Web API server and a driver that plays the Slack client.

Used by the end-to-end tests and by anyone who wants to run the bot without a workspace.
"""

from bot.sandbox.fakeslack.driver import SlackDriver
from bot.sandbox.fakeslack.server import FakeSlack
from bot.sandbox.fakeslack.workspace import Channel, User, Usergroup, Workspace

__all__ = ["Channel", "FakeSlack", "SlackDriver", "User", "Usergroup", "Workspace"]
