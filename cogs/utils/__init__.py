"""Helpers shared by the cogs: checks, options, replies, views, progress, the reindex run and the one error path.
How replies look is in cogs/render/."""
