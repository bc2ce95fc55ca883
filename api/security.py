"""Where a request comes from (scheme, own origin, client address, loopback) and the security headers every
response carries. docs/security.md explains each choice."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_NAMES = ("localhost",)
# The console loads only its own scripts, styles and images (charts are SVG from /v1); nothing may frame it (the
# browser extension has its own side panel and calls the API, it does not embed the console).
CONSOLE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from jsDelivr with an inline bootstrap script.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com; "
            "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
# An eval report is a file of results (buyer messages among them): its inline styles and data: plots, no scripts.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; sandbox"
_DOCS = ("/docs", "/redoc")
_EXTENSIONS = ("chrome-extension://", "moz-extension://", "safari-web-extension://")
_FIXED = ((b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
          (b"referrer-policy", b"same-origin"))


def is_loopback(host: str) -> bool:
    """`127.0.0.1`, `::1`, `localhost` and the like; False for `0.0.0.0`, `::` and any other address or name."""
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool((mapped or address).is_loopback)


def arrived_on_network(scope: Scope) -> bool:
    """Whether the connection came in on a network interface (the socket's own address is a non-loopback IP).
    A Unix socket or an in-process test client names no IP address: not a network."""
    server = scope.get("server")
    host = str(server[0]) if server else ""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not is_loopback(host)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def scheme(scope: Scope, trust_proxy: bool) -> str:
    """`https` or `http`: the connection's, or with `trust_proxy` the proxy's X-Forwarded-Proto."""
    forwarded = _header(scope, b"x-forwarded-proto").split(",")[0].strip().lower() if trust_proxy else ""
    return forwarded if forwarded in ("http", "https") else str(scope.get("scheme", "http"))


def own_origin(scope: Scope, trust_proxy: bool) -> str:
    """The origin the browser sees this server at: scheme and the Host header."""
    return f"{scheme(scope, trust_proxy)}://{_header(scope, b'host').lower()}"


def same_origin(scope: Scope, trust_proxy: bool) -> bool:
    """The request's Origin (or, without one, its Referer's origin) is this server's own. Neither: False."""
    claimed = _header(scope, b"origin").strip().lower()
    if not claimed:
        referer = urlsplit(_header(scope, b"referer"))
        claimed = f"{referer.scheme}://{referer.netloc}".lower() if referer.scheme and referer.netloc else ""
    return bool(claimed) and claimed == own_origin(scope, trust_proxy)


def cross_origin(scope: Scope, trust_proxy: bool) -> bool:
    """The request names an origin and it is neither ours nor a browser extension's (which a web page cannot
    claim; the draftdesk extension calls the API from one). Without Origin or Referer it is not cross-origin."""
    named = (_header(scope, b"origin") or _header(scope, b"referer")).strip().lower()
    return bool(named) and not named.startswith(_EXTENSIONS) and not same_origin(scope, trust_proxy)


def client_source(scope: Scope, trust_proxy: bool) -> str:
    """The client's address: the connection's, or with `trust_proxy` the last X-Forwarded-For hop (the one the
    proxy itself appended; earlier ones are whatever the client sent)."""
    forwarded = _header(scope, b"x-forwarded-for").split(",")[-1].strip() if trust_proxy else ""
    client = scope.get("client")
    return (forwarded or (str(client[0]) if client else "") or "unknown")[:64]


class SecurityHeadersMiddleware:
    """X-Frame-Options, nosniff, Referrer-Policy and a Content-Security-Policy on every response; a route that sets
    its own CSP (an eval report) keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        csp = (DOCS_CSP if scope["path"].startswith(_DOCS) else CONSOLE_CSP).encode()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {bytes(k).lower() for k, _ in headers}
                headers += [(k, v) for k, v in _FIXED if k not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", csp))
                message["headers"] = headers
            await send(message)

        await self._app(scope, receive, with_headers)
