"""Discord features of the bot, one cog per feature; each module ends with ``async def setup(bot)``."""
