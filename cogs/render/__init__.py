"""How the bot's replies look, one module per command (answer, passages, summary, timeline, reindex,
ingest, status, feeds), the pieces they share in shared.py (dates in one style, sources, footers), and
Discord's limits and inert text in limits.py. Pure functions: values in, embeds or text out."""
