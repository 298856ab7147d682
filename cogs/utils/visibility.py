"""The admin visibility trap: the bot's admins by ADMIN_ROLE_IDS or ADMIN_USER_IDS who cannot see the
admin commands.

Discord shows /reindex, /ingest and /feeds only to members with Manage Server (their default
permission) or to whom a server admin allowed them under Server Settings > Integrations. The
bot's own check would let a configured admin run them, but a member who cannot see a command
cannot run it: this finds who is in that position, for /status and the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import discord

log = logging.getLogger(__name__)

ADMIN_COMMANDS = ("reindex", "ingest", "feeds")


@dataclass(frozen=True)
class Overrides:
    """One command's permission overrides in one server, by target id: allowed (True) or denied."""

    users: dict[int, bool]
    roles: dict[int, bool]

    def allows(self, user_id: int, role_ids: Iterable[int], everyone_id: int) -> bool:
        """Whether the overrides show the command to this member (Discord: user, then roles, then @everyone)."""
        if user_id in self.users:
            return self.users[user_id]
        roles = [self.roles[r] for r in role_ids if r in self.roles and r != everyone_id]
        if roles:
            return any(roles)
        return self.roles.get(everyone_id, False)


def _overrides(entries: list[dict]) -> Overrides:
    """Overrides from Discord's permission entries (type 1: role, 2: user; channels are not checked)."""
    return Overrides({int(e["id"]): bool(e["permission"]) for e in entries if e["type"] == 2},
                     {int(e["id"]): bool(e["permission"]) for e in entries if e["type"] == 1})


async def _fetch(bot: discord.Client, guild: discord.Guild, command_id: int) -> Overrides | None:
    """The overrides set on one command (or, with the application's id, on the whole bot); None: none set."""
    try:
        found = await bot.http.get_application_command_permissions(bot.application_id, guild.id, command_id)
    except discord.NotFound:  # never customised
        return None
    return _overrides(found.get("permissions", []))


async def admin_command_overrides(bot: discord.Client, guild: discord.Guild) -> dict[str, Overrides]:
    """The overrides that decide who sees each admin command in ``guild``: the command's own, else
    those set for the whole bot under Integrations, else none (only Manage Server sees it)."""
    synced_to_guild = bot.settings.discord_guild_id == guild.id
    registered = await bot.tree.fetch_commands(guild=guild if synced_to_guild else None)
    whole_bot: Overrides | None = None
    out: dict[str, Overrides] = {}
    for command in registered:
        if command.name not in ADMIN_COMMANDS:
            continue
        own = await _fetch(bot, guild, command.id)
        if own is None and whole_bot is None:
            whole_bot = await _fetch(bot, guild, bot.application_id) or Overrides({}, {})
        out[command.name] = own if own is not None else whole_bot
    return out


def hidden_from_member(overrides: dict[str, Overrides], member: discord.Member) -> list[str]:
    """The admin commands Discord hides from ``member`` (who lacks Manage Server)."""
    roles = [r.id for r in member.roles]
    return [f"/{name}" for name, o in overrides.items() if not o.allows(member.id, roles, member.guild.id)]


def hidden_from_roles(overrides: dict[str, Overrides], guild: discord.Guild,
                      role_ids: Iterable[int]) -> dict[discord.Role, list[str]]:
    """For each configured admin role of ``guild`` without Manage Server, the admin commands it cannot see."""
    out: dict[discord.Role, list[str]] = {}
    for role_id in role_ids:
        role = guild.get_role(role_id)
        if role is None or role.permissions.manage_guild or role.permissions.administrator:
            continue
        hidden = [f"/{name}" for name, o in overrides.items() if not o.allows(0, [role.id], guild.id)]
        if hidden:
            out[role] = hidden
    return out


def integrations_path(bot_name: str) -> str:
    return f"Server Settings > Integrations > {bot_name}"


async def trap_notes(bot: discord.Client, guild: discord.Guild, member: discord.Member | None,
                     permissions: discord.Permissions | None) -> list[str]:
    """What /status tells an admin about the trap: their own hidden commands, or (for a server
    manager) the configured admin roles that cannot see the commands. Empty when all is well."""
    settings = bot.settings
    manager = permissions is not None and (permissions.manage_guild or permissions.administrator)
    configured = member is not None and (
        member.id in settings.admin_user_ids or {r.id for r in member.roles} & set(settings.admin_role_ids))
    if not (manager and settings.admin_role_ids) and not (configured and not manager):
        return []
    try:
        overrides = await admin_command_overrides(bot, guild)
    except discord.HTTPException as exc:
        log.warning("cannot read the admin commands' permissions in server %s: %s", guild.id, exc)
        return []
    where = integrations_path(bot.user.display_name if bot.user else "the bot")
    if not manager:
        hidden = hidden_from_member(overrides, member)
        if not hidden:
            return []
        return [f"You are one of the bot's admins, but Discord hides {', '.join(hidden)} from you: they are "
                f"shown to members with Manage Server only, until a server admin allows your role (or you) "
                f"for them under {where}."]
    return [f"Members of the admin role {discord.utils.escape_markdown(role.name)} cannot see "
            f"{', '.join(hidden)} (shown to members with Manage Server only): allow the role for them under "
            f"{where}." for role, hidden in hidden_from_roles(overrides, guild, settings.admin_role_ids).items()]


async def log_trap(bot: discord.Client) -> None:
    """Warn in the log, once per server, about configured admin roles that cannot see the admin commands."""
    if not bot.settings.admin_role_ids:
        return
    for guild in bot.guilds:
        if not any(guild.get_role(r) for r in bot.settings.admin_role_ids):
            continue  # none of the roles is in this server: nothing to ask Discord
        try:
            hidden = hidden_from_roles(await admin_command_overrides(bot, guild), guild, bot.settings.admin_role_ids)
        except discord.HTTPException as exc:
            log.warning("cannot read the admin commands' permissions in server %s: %s", guild.id, exc)
            continue
        for role, commands in hidden.items():
            log.warning("in server %s, the role %r (ADMIN_ROLE_IDS) cannot see %s: Discord shows them to "
                        "members with Manage Server only until a server admin allows the role under %s",
                        guild.id, role.name, ", ".join(commands),
                        integrations_path(bot.user.display_name if bot.user else "the bot"))
