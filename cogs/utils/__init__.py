"""Helpers shared by the cogs: checks, formatting, replies and the one error path."""
