"""Who counts as an admin (the bot's own check behind default_permissions), and the per-user cooldown."""

from __future__ import annotations


import discord
import pytest

from cogs.utils.checks import Cooldown, OnCooldown, is_admin
from rag.core.settings import Settings


@pytest.mark.parametrize("user_id,roles,permissions,expected", [
    (1, [], discord.Permissions(manage_guild=True), True),
    (1, [], discord.Permissions(administrator=True), True),
    (7, [], discord.Permissions.none(), True),  # in ADMIN_USER_IDS
    (1, [8], discord.Permissions.none(), True),  # a role in ADMIN_ROLE_IDS
    (1, [9], discord.Permissions(manage_messages=True), False),
    (1, [], None, False),
])
def test_who_is_an_admin(user_id, roles, permissions, expected):
    settings = Settings().replace(admin_user_ids=(7,), admin_role_ids=(8,))
    assert is_admin(settings, user_id, roles, permissions) is expected


def test_cooldown_is_per_user():
    now = [100.0]
    cooldown = Cooldown(10, clock=lambda: now[0])
    assert cooldown.hit(1) == 0 and cooldown.hit(2) == 0
    now[0] += 4
    assert cooldown.hit(1) == pytest.approx(6)
    now[0] += 6
    assert cooldown.hit(1) == 0
    assert Cooldown(0).hit(1) == 0


def test_enforcing_the_cooldown_raises_with_the_wait():
    now = [0.0]
    cooldown = Cooldown(10, clock=lambda: now[0])
    cooldown.enforce(1)
    now[0] = 3
    with pytest.raises(OnCooldown) as raised:
        cooldown.enforce(1)
    assert raised.value.retry_after == pytest.approx(7)
