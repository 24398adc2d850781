"""Rendering of Slack messages and views: pure, no Bolt app, no HTTP, no storage adapter."""
