"""PURE: client addresses — parsed, keyed for rate limits, cut down for privacy, blocked by range.

IPv4-mapped IPv6 always counts as the IPv4 address it carries, whichever way it arrives.
"""

from __future__ import annotations

import ipaddress

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def client_ip(address: str | None) -> IPAddress | None:
    """Parse a client address; IPv4-mapped IPv6 becomes the IPv4 address it carries."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def anonymize_ip(address: str | None) -> str:
    """Cut an address down to its network: /24 for IPv4, /48 for IPv6."""
    ip = client_ip(address)
    if ip is None:
        return "unknown/0"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def parse_network(text: str) -> IPNetwork:
    """An address or CIDR range to block; IPv4-mapped IPv6 ranges become IPv4. ValueError if bad."""
    network = ipaddress.ip_network(text.strip(), strict=False)
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(MAPPED) and network.prefixlen >= 96:
        base = network.network_address.ipv4_mapped
        return ipaddress.IPv4Network(f"{base}/{network.prefixlen - 96}")
    return network


def client_key(address: str | None) -> str:
    """The rate-limit key of a client address: IPv4, or an IPv6 /64 (which one subscriber usually
    holds whole); "unknown" for no address, or a proxy passing on garbage: one bucket for them all."""
    ip = client_ip(address)
    if ip is None:
        return "unknown"
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
