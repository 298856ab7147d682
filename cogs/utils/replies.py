"""Deferring, finishing and ephemeral replies, with the state the error path needs to stay private, and
the private notes a mention gets (Discord has no ephemeral reply to a message)."""

from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)

NEUTRAL_FAILURE = "This request failed."
# A note about a mention goes to its author alone, by direct message; when their direct messages are
# closed it is a reply that deletes itself after this many seconds, so no channel keeps a note meant for
# one member (nor a "you can ask again in 10 seconds" that has gone stale).
NOTE_SECONDS = 30


async def defer(interaction: discord.Interaction, *, ephemeral: bool) -> None:
    """Acknowledge now ("thinking…"), before any slow step; the reply comes with ``finish``."""
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    interaction.extras["deferred"] = "ephemeral" if ephemeral else "public"


async def finish(interaction: discord.Interaction, **fields) -> None:
    """Replace the deferred placeholder with the reply (``content``, ``embed``, ``view``...)."""
    await interaction.edit_original_response(**fields)
    interaction.extras["answered"] = True


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Show ``text`` to the invoking user only, whatever state the interaction is in."""
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True)
        return
    deferred = interaction.extras.get("deferred")
    if deferred and not interaction.extras.get("answered"):
        if deferred == "ephemeral":
            await interaction.edit_original_response(content=text, embeds=[], view=None)
            return
        # A followup to a public "thinking…" placeholder would replace it, publicly. So the
        # placeholder is completed with a neutral line, the text follows privately, and the
        # placeholder is removed.
        await interaction.edit_original_response(content=NEUTRAL_FAILURE, embeds=[], view=None)
        await interaction.followup.send(text, ephemeral=True)
        try:
            await interaction.delete_original_response()
        except discord.HTTPException as exc:
            log.warning("could not remove the placeholder of a failed request: %s", exc)
        return
    await interaction.followup.send(text, ephemeral=True)


async def tell_privately(message: discord.Message, text: str) -> str:
    """Show ``text`` to the author of ``message`` only, as far as Discord allows: by direct message, else as
    a reply that deletes itself after NOTE_SECONDS. Returns how: "dm", "reply" or "" (neither was accepted)."""
    where = message.channel.mention if message.guild is not None else "our conversation"
    try:
        await message.author.send(f"About your message in {where}: {text}")
        return "dm"
    except discord.HTTPException as exc:  # direct messages closed (403, code 50007), or refused
        log.info("cannot send user %s a direct message (%s); replying for %d s instead",
                 message.author.id, exc, NOTE_SECONDS)
    try:
        await message.reply(f"{text}\n-# This note disappears in {NOTE_SECONDS} seconds; allow direct messages "
                            "from this server's members to get such notes privately.",
                            mention_author=False, delete_after=NOTE_SECONDS)
        return "reply"
    except discord.HTTPException as exc:
        log.warning("could not tell user %s %r: %s", message.author.id, text, exc)
        return ""
