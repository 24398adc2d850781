"""Slack delivery: Bolt app, Block Kit rendering, notifications and group membership."""
