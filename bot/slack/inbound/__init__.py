"""Requests from Slack: signature and shape checks, listeners of buttons, commands and forms."""
