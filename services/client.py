"""What we note about the device behind a request: a truncated IP and the user agent.

Policy P5: browser data is collected — we keep the network prefix, never the full address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


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
