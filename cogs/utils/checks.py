"""Who may do what: the admin check (the second layer behind ``default_permissions``) and the cooldown."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import discord
from discord import app_commands

from rag.core.settings import Settings


class NotAdmin(app_commands.CheckFailure):
    """The user is neither a server manager nor a configured admin."""


class OnCooldown(app_commands.CheckFailure):
    """The user asked too recently."""

    def __init__(self, retry_after: float, now: datetime | None = None) -> None:
        super().__init__(f"on cooldown for {retry_after:.0f}s")
        self.retry_after = retry_after
        # When the user may ask again, in wall-clock time: Discord shows it as a live countdown.
        self.until = (now or discord.utils.utcnow()) + timedelta(seconds=math.ceil(retry_after))


def is_admin(settings: Settings, user_id: int, role_ids: Iterable[int],
             permissions: discord.Permissions | None) -> bool:
    """Manage Server (or Administrator) in this server, or an id listed in ADMIN_USER_IDS / ADMIN_ROLE_IDS."""
    if permissions is not None and (permissions.manage_guild or permissions.administrator):
        return True
    if user_id in settings.admin_user_ids:
        return True
    return bool(set(role_ids) & set(settings.admin_role_ids))


def member_is_admin(settings: Settings, user: discord.abc.User, permissions: discord.Permissions | None) -> bool:
    """``is_admin`` for a user or member as discord.py gives it (a member has roles)."""
    return is_admin(settings, user.id, [r.id for r in getattr(user, "roles", ())], permissions)


def admin_only() -> Callable:
    """An app-command check that raises NotAdmin unless ``is_admin`` holds for the invoking member."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if member_is_admin(interaction.client.settings, interaction.user, interaction.permissions):
            return True
        raise NotAdmin("only server managers and the bot's configured admins may do this")

    return app_commands.check(predicate)


class Cooldown:
    """At most one request per user every ``seconds``."""

    def __init__(self, seconds: float, clock: Callable[[], float] | None = None) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[int, float] = {}

    def _now(self) -> float:
        # time.monotonic is looked up on every call (not bound once) so test clocks apply.
        return self._clock() if self._clock else time.monotonic()

    def hit(self, user_id: int) -> float:
        """Count a request: 0 when allowed, else the seconds until the user may ask again."""
        if self.seconds <= 0:
            return 0.0
        now = self._now()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[user_id] = now
        if len(self._last) > 10_000:  # forget users whose cooldown is long over
            self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}
        return 0.0

    def enforce(self, user_id: int) -> None:
        """Count a request, or raise OnCooldown. Called once a request is valid, just before the
        slow step, so a mistyped question does not cost the user their turn."""
        retry_after = self.hit(user_id)
        if retry_after:
            raise OnCooldown(retry_after)
