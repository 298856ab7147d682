"""Entry point: load settings, build the answering service, start the bot or the terminal chat."""

from __future__ import annotations

import logging
import os
import sys

from rag.cli import chat
from rag.errors import RagError
from rag.service import RagService
from rag.settings import Settings, SettingsError, load_dotenv_once
from rag.types import Filters

log = logging.getLogger("bot")


def main() -> int:
    load_dotenv_once()
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    service = RagService(settings)
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        print("DISCORD_TOKEN is not set: starting the terminal chat on the same answering code "
              "(set it in .env to run the Discord bot).", file=sys.stderr)
        try:
            chat(service, Filters())
        except RagError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    print("The Discord bot is not built yet in this version; use `python -m rag chat`.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
