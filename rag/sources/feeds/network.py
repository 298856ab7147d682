"""Where feeds and pages may be fetched from, and the HTTP client that holds every request to it."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from .errors import FetchError

USER_AGENT = "newsbot-feeds/1.0 (RSS/Atom reader)"


class AddressPolicy:
    """Where feeds and pages may be fetched from: public addresses, and the networks the settings allow.

    Every request (the feed, each article link, each redirect) is checked before it is sent:
    its host is resolved, and if any address it resolves to is loopback, link-local, private,
    multicast or otherwise not public, the request is refused, unless that address is in
    ``FEED_ALLOWED_NETWORKS``. A feed from the internet cannot make the bot read
    ``http://127.0.0.1:...``, a cloud metadata service (169.254.169.254) or a host on the
    local network and index the reply for anyone to ask about.

    The connection itself is made to an address the policy has just checked (see
    :class:`_CheckedBackend`), so a host whose DNS answers a public address for the check and
    a private one a moment later (DNS rebinding) is still refused.
    """

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self._allowed = tuple(ipaddress.ip_network(n, strict=False) for n in allowed)

    def check(self, host: str, port: int) -> list[str]:
        """The addresses of ``host``, in the resolver's order; FetchError unless each is public or allowed."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as e:
            raise FetchError(f"cannot resolve {host}: {getattr(e, 'strerror', None) or e}") from None
        addresses: list[str] = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if address.version == 6 and address.ipv4_mapped is not None:
                address = address.ipv4_mapped
            kind = _non_public(address)
            if kind and not any(address in net for net in self._allowed):
                shown = host if host == str(address) else f"{host} ({address})"
                raise FetchError(f"refused: {shown} is {kind}; to fetch from it, add it to "
                                 "FEED_ALLOWED_NETWORKS in the settings")
            if str(info[4][0]) not in addresses:
                addresses.append(str(info[4][0]))
        return addresses

    def __call__(self, request: httpx.Request) -> None:
        """httpx request hook: runs before the first request and before each redirect is followed."""
        url = request.url
        self.check(url.host, url.port or (443 if url.scheme == "https" else 80))


def _non_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """What kind of non-public address this is, or "" for a public one."""
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:  # shared (100.64.0.0/10), documentation and other special ranges
        return "a reserved address"
    return ""


class _CheckedBackend(httpcore.SyncBackend):
    """Opens each connection to an address the policy checked in the same step.

    httpx would resolve the host again when it connects, after the request hook's check, and
    a second DNS answer could point somewhere else. Here the host is resolved once, every
    address checked, and the socket connected to one of those addresses. TLS still verifies
    and names (SNI) the URL's host, and the Host header stays the URL's: httpcore takes both
    from the request's origin, not from the address connected to.
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        error: Exception | None = None
        for address in self._policy.check(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        assert error is not None  # check() resolves to one address at least, or raises
        raise error


def _checked_transport(policy: AddressPolicy) -> httpx.HTTPTransport:
    """httpx's own transport, its connection pool opening connections through :class:`_CheckedBackend`.

    HTTPTransport takes no network backend, so its pool is replaced by the same pool with one
    (httpx 0.28 builds it with these arguments from its defaults; the tests fetch through it).
    """
    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), max_connections=100, max_keepalive_connections=20,
        keepalive_expiry=5.0, network_backend=_CheckedBackend(policy))
    return transport


def outbound_client(timeout: float, allowed_networks: Iterable[str] = ()) -> httpx.Client:
    """The HTTP client every feed and page is fetched with, under the :class:`AddressPolicy`.

    The request hook refuses a request before it is sent; the transport connects only to the
    addresses it checks again. Proxies from the environment (HTTP_PROXY and the like) are not
    used: through a proxy, the address checked would not be the one fetched from.
    """
    policy = AddressPolicy(allowed_networks)
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True, max_redirects=5,
                        headers={"User-Agent": USER_AGENT}, transport=_checked_transport(policy),
                        event_hooks={"request": [policy]})
