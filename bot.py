"""Entry point: load settings, build the answering service, start the bot or the terminal chat."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from rag.app import App
from rag.cli import chat
from rag.core.errors import RagError
from rag.core.settings import Settings, SettingsError, load_dotenv_once
from rag.core.types import Filters
from rag.index.embeddings import use_model_environment

log = logging.getLogger("bot")


async def run_bot(app: App, force_sync: bool = False) -> None:
    import discord  # the Discord side is imported only when it runs

    from newsbot import build_bot

    async with build_bot(app, force_sync=force_sync) as bot:
        try:
            await bot.start(app.settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            raise SystemExit("error: Discord rejected DISCORD_TOKEN; copy the bot token again from the "
                             "developer portal (Bot > Reset Token)") from None
        except discord.PrivilegedIntentsRequired:
            raise SystemExit("error: THREAD_FOLLOWUPS_WITHOUT_MENTION needs the Message Content intent: "
                             "enable it in the developer portal (Bot > Privileged Gateway Intents) or "
                             "set THREAD_FOLLOWUPS_WITHOUT_MENTION=false") from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Start the Discord bot, or the terminal chat without DISCORD_TOKEN.")
    parser.add_argument("--sync", action="store_true",
                        help="register the slash commands with Discord even if they did not change "
                             "(they are synced by themselves when they do)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_dotenv_once()
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    use_model_environment(settings.embedding_runtime)
    app = App(settings)
    if not settings.discord_token.get_secret_value():
        if "LOG_LEVEL" not in os.environ:  # the chat's own output, without the bot's progress log
            logging.getLogger().setLevel(logging.WARNING)
        print("DISCORD_TOKEN is not set: starting the terminal chat on the same answering code "
              "(set it in .env to run the Discord bot; see 'Run it in your server' in the README).", file=sys.stderr)
        try:
            chat(app.service, Filters())
        except RagError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    try:
        asyncio.run(run_bot(app, args.sync))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
