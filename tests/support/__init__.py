"""Test doubles of the outside world (clock, executor, Slack user groups) and a scenario harness."""
