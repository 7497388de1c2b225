"""The address a request came from, behind the reverse proxies the portal trusts.

Devices' uploads (the relay check against the VPN address) and login throttling (by
address) both need the client's real address, never one a client wrote into a header.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# TRUSTED_PROXIES parsed into networks once per process ("10.0.0.0/8", "::1"):
# source_address runs on every upload and login. The cache is keyed on the setting's list object, so
# an override (tests, override_settings) is parsed anew and the request path stays one
# identity comparison.
_proxy_networks: tuple[object, tuple] = (None, ())


def _trusted_networks() -> tuple:
    global _proxy_networks
    configured = settings.TRUSTED_PROXIES
    source, networks = _proxy_networks
    if source is not configured:
        parsed = []
        for entry in configured:
            try:
                parsed.append(ipaddress.ip_network(entry.strip()))
            except ValueError as exc:
                raise ImproperlyConfigured(
                    f"TRUSTED_PROXIES: {entry!r} is neither an address nor a CIDR range ({exc})"
                ) from None
        networks = tuple(parsed)
        _proxy_networks = (configured, networks)
    return networks


def _trusted(address: str) -> bool:
    networks = _trusted_networks()
    if not networks:
        return False
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    parsed = getattr(parsed, "ipv4_mapped", None) or parsed
    return any(parsed in network for network in networks)


def source_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For when set by a trusted proxy.

    The forwarded list is read from the right, skipping trusted proxies, so an address a
    client wrote into the header itself is never believed.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if remote is None or not forwarded or not _trusted(remote):
        return _valid_ip(remote)
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            return _valid_ip(hop)
    return _valid_ip(hops[0]) if hops else _valid_ip(remote)


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; the VPN tunnel address it
    # is compared with is plain IPv4, so the mapped form would look like a relay.
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)
