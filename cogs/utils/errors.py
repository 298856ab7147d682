"""The one error path: every failure becomes a short private line; the log has the rest.

Known failures (a user's mistake, a cooldown, the index being rebuilt) are hints: a short
line saying what to do, logged as one line, with no error id (there is nothing to look up).
Anything else is a real failure: the user's line carries an error id, and the log has the
traceback under that id. Nothing from the exception itself (paths, settings, traces) reaches
Discord unless it is one of the messages written for users below.
"""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from rag.core.errors import (
    ConfigError,
    IndexMismatch,
    IndexMissing,
    NotFound,
    QuestionError,
    RagError,
    ReindexBusy,
)

from .checks import NotAdmin, OnCooldown
from ..render.limits import scrub, with_error_id
from .replies import send_ephemeral, tell_privately

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = "Something went wrong on our side; it has been logged."


class BadOption(app_commands.AppCommandError):
    """An option value the command cannot use; the message says what is expected."""


def new_error_id() -> str:
    return secrets.token_hex(4)


def unwrap(error: BaseException) -> BaseException:
    """The exception behind discord.py's wrappers."""
    while isinstance(error, app_commands.CommandInvokeError) and error.original is not None:
        error = error.original
    if isinstance(error, app_commands.TransformerError) and isinstance(error.__cause__, BadOption):
        error = error.__cause__
    return error


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def user_message(error: BaseException, lasting: bool = False) -> tuple[str, bool]:
    """What to tell the user, and whether the failure is expected (no traceback in the log).

    ``lasting``: the line stays where it is shown (a direct message), so it names no relative time, which
    would go stale there ("in 10 seconds" reads "10 minutes ago" later): a cooldown names the clock time.
    """
    error = unwrap(error)
    if isinstance(error, OnCooldown):
        when = (f"at {discord.utils.format_dt(error.until, 'T')}" if lasting
                else discord.utils.format_dt(error.until, "R"))
        return f"Slow down: you can ask again {when}.", True
    if isinstance(error, (NotAdmin, app_commands.MissingPermissions)):
        return "Only server managers and the bot's configured admins can do that.", True
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server.", True
    if isinstance(error, app_commands.CheckFailure):
        return "You cannot use this command here.", True
    if isinstance(error, BadOption):
        return _sentence(str(error)), True
    if isinstance(error, app_commands.TransformerError):
        return "One of the options has a value this command cannot use.", True
    if isinstance(error, (QuestionError, NotFound)):
        return _sentence(str(error)), True
    if isinstance(error, ReindexBusy):
        return ("A reindex is already running; answers keep coming from the current index. "
                "Try again when it has finished."), True
    if isinstance(error, IndexMissing):
        return "Nothing is indexed yet: an admin can run /reindex.", True
    if isinstance(error, IndexMismatch):
        return ("The index was built with other settings: an admin needs to run /reindex "
                "with full set to True."), True
    if isinstance(error, ConfigError):  # the operator's business, and may name hosts or files
        return "The bot is not set up correctly; the operator will find the details in the log.", False
    if isinstance(error, RagError):  # written for users by the core; paths are cut out anyway
        return _sentence(scrub(str(error))), False
    if isinstance(error, discord.Forbidden):
        return ("The bot lacks a permission in this channel (see the invite permissions in its "
                "documentation); an admin can fix its role."), False
    if isinstance(error, discord.HTTPException):
        return "Discord did not accept the reply; please try again.", False
    return SOMETHING_WENT_WRONG, False


def _explain(where: str, user_id: int | None, error: BaseException, lasting: bool = False) -> str:
    """Log the failure and return the line for the user: a hint, or a failure with an error id."""
    original = unwrap(error)
    message, expected = user_message(original, lasting)
    if expected:
        log.info("hint for %s (user %s): %s: %s", where, user_id, type(original).__name__, original)
        return message
    error_id = new_error_id()
    log.error("error %s: %s failed (user %s)", error_id, where, user_id,
              exc_info=(type(original), original, original.__traceback__))
    return with_error_id(message, error_id)


def _where(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    custom_id = (interaction.data or {}).get("custom_id")
    return f"component {custom_id}" if custom_id else f"interaction type {interaction.type}"


async def report_interaction_error(interaction: discord.Interaction, error: BaseException) -> str:
    """Tell the user privately what went wrong (a real failure with an id the log has the details under)."""
    line = _explain(_where(interaction), interaction.user.id if interaction.user else None, error)
    try:
        await send_ephemeral(interaction, line)
    except discord.HTTPException as exc:
        log.warning("could not tell the user %r: %s", line, exc)
    return line


async def report_message_error(message: discord.Message, error: BaseException) -> str:
    """Tell the author of a message whose question failed, privately (see ``tell_privately``)."""
    line = _explain(f"message {message.id}", message.author.id, error, lasting=True)
    await tell_privately(message, line)
    return line
