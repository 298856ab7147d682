"""What users are told about each kind of failure: one short line, nothing from the server's insides."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import discord
import pytest
from discord import app_commands

from cogs.utils.checks import NotAdmin, OnCooldown
from cogs.utils.errors import SOMETHING_WENT_WRONG, BadOption, user_message
from rag.core.errors import ConfigError, IndexMismatch, IndexMissing, NotFound, QuestionError, RagError, ReindexBusy


def http_error(status: int) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="Error")
    cls = discord.Forbidden if status == 403 else discord.HTTPException
    return cls(response, {"code": 0, "message": "boom"})


@pytest.mark.parametrize("error,message,expected", [
    (OnCooldown(9.2, now=datetime(2026, 1, 1, tzinfo=UTC)), "Slow down: you can ask again <t:1767225610:R>.",
     True),
    (NotAdmin("no"), "Only server managers and the bot's configured admins can do that.", True),
    (app_commands.NoPrivateMessage(), "This command only works in a server.", True),
    (BadOption("give either an article or a topic"), "Give either an article or a topic.", True),
    (QuestionError("the question is 250 tokens long; the limit is 200"),
     "The question is 250 tokens long; the limit is 200.", True),
    (NotFound("no indexed article has that title"), "No indexed article has that title.", True),
    (ReindexBusy("x"), "A reindex is already running; answers keep coming from the current index. "
                       "Try again when it has finished.", True),
    (IndexMissing("no index in /srv/news/data: build it"), "Nothing is indexed yet: an admin can run /reindex.",
     True),
    (IndexMismatch("/srv/x"), "The index was built with other settings: an admin needs to run /reindex "
                              "with full set to True.", True),
    (ConfigError("cannot reach the Chroma server at 10.0.0.5:8000: refused"),
     "The bot is not set up correctly; the operator will find the details in the log.", False),
    (RagError("/srv/news/corpus has no readable articles"), "…/corpus has no readable articles.", False),
    (http_error(403), "The bot lacks a permission in this channel (see the invite permissions in its "
                      "documentation); an admin can fix its role.", False),
    (http_error(500), "Discord did not accept the reply; please try again.", False),
    (KeyError("settings.discord_token"), SOMETHING_WENT_WRONG, False),
])
def test_user_message(error, message, expected):
    assert user_message(error) == (message, expected)


def test_wrapped_errors_are_unwrapped():
    command = SimpleNamespace(name="ask", qualified_name="ask")
    wrapped = app_commands.CommandInvokeError(command, QuestionError("the question is empty"))
    assert user_message(wrapped) == ("The question is empty.", True)
