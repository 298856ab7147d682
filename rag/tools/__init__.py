"""Tools beside the bot: a local OpenAI-compatible server for the small packaged LLM."""
