"""Deferring, finishing and ephemeral replies, with the state the error path needs to stay private."""

from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)

NEUTRAL_FAILURE = "This request failed."


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
