"""The one SSRF guard (DESIGN.md §8): every user-supplied URL is checked and fetched only through here.

- https only (plain http only when `allow_http`, local mode);
- the host is resolved once (`getaddrinfo`); EVERY address must be globally routable: no loopback, private,
  link-local (169.254.169.254, fd00:ec2::254), site-local (fec0::/10), CGNAT (100.64/10), IETF protocol
  assignments (192.0.0.0/24), multicast, reserved, unspecified, and no
  IPv6 address embedding such an IPv4 one (IPv4-mapped/compatible, 6to4, NAT64; Teredo is refused outright).
  `allow_loopback` (local mode) additionally allows 127.0.0.0/8 and ::1 — never private or metadata ranges;
- numeric hosts must be canonical IP literals: decimal/octal/hex spellings (`2130706433`, `0x7f000001`,
  `017700000001`, `127.1`) are refused;
- the connection goes to the checked address (no second DNS lookup), with TLS SNI and certificate checking
  for the hostname, the Host header set, no redirects (3xx is a refusal for fetches, returned as is by
  `guarded_request`), connect/read timeouts and a streamed size cap.

Refusals raise `sdapi.errors.UrlRefused(field, reason)` (a 400 naming the field); network failures while
talking to an allowed address raise `UrlUnreachable` (callers decide: a fetch refuses, a webhook retries).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sdapi.errors import UrlRefused

if TYPE_CHECKING:
    import urllib3

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_V4_COMPAT = ipaddress.ip_network("::/96")
_TEREDO = ipaddress.ip_network("2001::/32")
_NOT_GLOBAL = (
    # Not globally reachable per the IANA registries, but not refused by every Python's `is_global`
    # (3.11 treats them as global): IETF protocol assignments, IPv6 site-local, IPv6 documentation.
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("fec0::/10"),
    ipaddress.ip_network("3fff::/20"),
)
_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.ip_address("::1")
_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)
_HOST_CHARS = re.compile(r"^[a-z0-9.-]+$")
_CHUNK = 64 * 1024


class UrlUnreachable(Exception):
    """An allowed address could not be talked to (connection refused, timeout, TLS failure, …)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class UrlPolicy:
    """What the guard allows; built from `Settings` with `UrlPolicy.from_settings`."""

    allow_http: bool = False
    allow_loopback: bool = False
    timeout_s: float = 10.0
    max_bytes: int = 8 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Any) -> UrlPolicy:
        return cls(
            allow_http=settings.allow_http_urls,
            allow_loopback=settings.allow_loopback_urls,
            timeout_s=settings.url_fetch_timeout_s,
            max_bytes=settings.limits.max_image_bytes,
        )


@dataclass(frozen=True)
class GuardedResponse:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    """Response headers, names lower-cased."""
    body: bytes = b""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`) and what to say (`host`, `path`)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


# -- checks --------------------------------------------------------------------------------------------------


def address_refusal(ip: IPAddress, policy: UrlPolicy) -> str | None:
    """Why `ip` may not be contacted under `policy`, or None when it may."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        if ip in _TEREDO:
            return f"{ip} is a Teredo address"
        embedded = _embedded_v4(ip)
        if embedded is not None:
            inner = address_refusal(embedded, UrlPolicy(allow_loopback=False))
            return f"{ip} embeds {embedded}: {inner}" if inner else None
        if ip == _LOOPBACK_V6:
            return None if policy.allow_loopback else f"{ip} is a loopback address"
    elif ip in _LOOPBACK_V4:
        return None if policy.allow_loopback else f"{ip} is a loopback address"
    if ip.is_unspecified:
        return f"{ip} is the unspecified address"
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local or str(ip) == "fd00:ec2::254":
        return f"{ip} is a link-local address (cloud metadata lives there)"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return f"{ip} is a carrier-grade NAT address"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_private:
        return f"{ip} is a private address"
    if ip.is_reserved:
        return f"{ip} is a reserved address"
    if any(ip in net for net in _NOT_GLOBAL if net.version == ip.version):
        return f"{ip} is not globally routable"
    if not ip.is_global:
        return f"{ip} is not globally routable"
    return None


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in _NAT64) or (ip in _V4_COMPAT and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def resolve(url: str, field_name: str, *, policy: UrlPolicy) -> Target:
    """Parse, resolve and check `url`; the returned target names the one address to connect to."""
    if not isinstance(url, str) or not url.strip():
        raise UrlRefused(field_name, "URL is empty")
    if len(url) > 2048:
        raise UrlRefused(field_name, "URL is longer than 2048 characters")
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise UrlRefused(field_name, "URL contains whitespace or control characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UrlRefused(field_name, f"URL is malformed ({error})") from error
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if policy.allow_http else ("https",)
    if scheme not in allowed:
        raise UrlRefused(field_name, "only https URLs are allowed" if scheme != "https" else "bad scheme")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused(field_name, "URLs with credentials are not allowed")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UrlRefused(field_name, "URL has no host")
    port = port or (443 if scheme == "https" else 80)
    literal = _ip_literal(host)
    if literal is None:
        if _NUMERIC_HOST.match(host) and not re.search(r"[g-wyz]", host, re.IGNORECASE) and (
            host.replace(".", "").isdigit() or "0x" in host.lower() or host.split(".")[-1].isdigit()
        ):
            raise UrlRefused(field_name, f"{host} is not a canonical IP address or host name")
        try:
            ascii_host = host.encode("idna").decode("ascii").lower()
        except UnicodeError as error:
            raise UrlRefused(field_name, "host name is not valid") from error
        if not _HOST_CHARS.match(ascii_host):
            raise UrlRefused(field_name, "host name is not valid")
        host = ascii_host
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as error:
            raise UrlRefused(field_name, f"host {host} could not be resolved") from error
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos))
        if not addresses:
            raise UrlRefused(field_name, f"host {host} could not be resolved")
    else:
        addresses = [literal]
    for ip in addresses:
        reason = address_refusal(ip, policy)
        if reason:
            raise UrlRefused(field_name, f"{host} resolves to a forbidden address: {reason}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def check_url(url: str, field: str, *, policy: UrlPolicy) -> None:
    """Refuse (UrlRefused) a URL that may not be called, e.g. a webhook URL at submit time."""
    resolve(url, field, policy=policy)


# -- requests ------------------------------------------------------------------------------------------------


def guarded_request(
    method: str,
    url: str,
    field: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    policy: UrlPolicy,
    timeout_s: float | None = None,
    max_bytes: int | None = None,
) -> GuardedResponse:
    """One request to a checked URL; redirects are not followed (a 3xx comes back as the response).
    Raises UrlRefused when the URL is not allowed or the response exceeds `max_bytes`, UrlUnreachable on
    network errors and timeouts."""
    import urllib3  # imported on first use (botocore depends on it; keeps cold imports small)
    from urllib3.exceptions import HTTPError as Urllib3Error

    target = resolve(url, field, policy=policy)
    timeout = timeout_s or policy.timeout_s
    limit = max_bytes or policy.max_bytes
    pool = _pool(target, timeout)
    send = {k: v for k, v in (headers or {}).items() if k.lower() != "host"}
    send["Host"] = target.host_header
    try:
        response = pool.urlopen(
            method.upper(),
            target.path,
            body=body,
            headers=send,
            redirect=False,
            retries=False,
            assert_same_host=False,
            preload_content=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
        )
    except (Urllib3Error, OSError) as error:
        pool.close()
        raise UrlUnreachable(f"could not connect to {target.host}: {type(error).__name__}") from error
    try:
        length = response.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            raise UrlRefused(field, f"response is larger than {limit} bytes")
        chunks, size = [], 0
        for chunk in response.stream(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise UrlRefused(field, f"response is larger than {limit} bytes")
            chunks.append(chunk)
        return GuardedResponse(
            status=response.status,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=b"".join(chunks),
        )
    except (Urllib3Error, OSError) as error:
        raise UrlUnreachable(f"reading from {target.host} failed: {type(error).__name__}") from error
    finally:
        response.release_conn()
        pool.close()


def _pool(target: Target, timeout: float) -> urllib3.HTTPConnectionPool:
    import urllib3

    common = {"host": target.address, "port": target.port, "maxsize": 1, "retries": False,
              "timeout": urllib3.Timeout(connect=timeout, read=timeout)}
    if target.scheme == "http":
        return urllib3.HTTPConnectionPool(**common)
    context = ssl.create_default_context()
    return urllib3.HTTPSConnectionPool(
        **common,
        cert_reqs="CERT_REQUIRED",
        ssl_context=context,
        server_hostname=target.host,
        assert_hostname=target.host,
    )


def fetch_image(url: str, field: str, *, policy: UrlPolicy) -> bytes:
    """GET an image through the guard: 2xx with `Content-Type: image/*` only, at most `policy.max_bytes`.
    Any refusal or failure is UrlRefused naming `field` (a 400: nothing is enqueued)."""
    try:
        response = guarded_request("GET", url, field, headers={"Accept": "image/*"}, policy=policy)
    except UrlUnreachable as error:
        raise UrlRefused(field, f"could not be fetched ({error.reason})") from error
    if 300 <= response.status < 400:
        raise UrlRefused(field, f"redirects are not followed (the server answered {response.status})")
    if response.status != 200:
        raise UrlRefused(field, f"could not be fetched (the server answered {response.status})")
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type.startswith("image/"):
        raise UrlRefused(field, f"is not an image (Content-Type {content_type or 'missing'})")
    return response.body
