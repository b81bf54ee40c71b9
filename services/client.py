"""What we note about the device behind a request: a truncated IP and the user agent.

Policy P5: browser data is collected — we keep the network prefix, never the full address,
and the browser's family, never the User-Agent string.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import ua_parser

from models.interactions import FAMILY_LENGTH


def truncate_ip(raw: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) network of an address, or None if it is not one."""
    if not raw:
        return None
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    # The browser sends Global Privacy Control (``Sec-GPC: 1``): an opt-out of sale and sharing.
    gpc: bool = False

    @property
    def ip_prefix(self) -> str | None:
        return truncate_ip(self.ip)


@dataclass(frozen=True)
class Browser:
    family: str | None = None
    os_family: str | None = None


def browser_of(user_agent: str | None) -> Browser:
    """The browser and operating system families a User-Agent names (None where ua-parser
    recognises neither); the string itself is never kept."""
    if not user_agent:
        return Browser()
    parsed = ua_parser.parser(user_agent, ua_parser.Domain.USER_AGENT | ua_parser.Domain.OS)
    agent, system = parsed.user_agent, parsed.os
    return Browser(
        family=agent.family[:FAMILY_LENGTH] if agent else None,
        os_family=system.family[:FAMILY_LENGTH] if system else None,
    )
