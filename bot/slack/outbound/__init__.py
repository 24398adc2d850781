"""Calls to Slack: cards and notices, App Home publishing, pacing within Slack's rate limits."""
