"""Canonical article addresses, so the same article is recognised however it was linked."""

from __future__ import annotations

from urllib.parse import unquote_plus, urlsplit, urlunsplit

# Query parameters that only track where a click came from.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "igshid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    """Tell whether a query parameter name only tracks the click."""
    name = name.lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS


def canonicalize_url(url: str) -> str:
    """Normalise an http(s) address so that links to the same article compare equal."""
    # Lower-case scheme and host, no default port, no fragment, no tracking parameters, the
    # other parameters sorted (as written), no trailing slash except the root "/". Anything
    # that is not an http(s) address with a host comes back trimmed but otherwise as is.
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        return url
    if ":" in host:
        host = f"[{host}]"  # IPv6
    netloc = host.rstrip(".")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    if parts.username is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{netloc}"
    path = parts.path.rstrip("/") or "/"
    pairs = [pair for pair in parts.query.split("&") if pair]
    kept = sorted(
        (unquote_plus(pair.partition("=")[0]), pair)
        for pair in pairs
        if not _is_tracking(unquote_plus(pair.partition("=")[0]))
    )
    query = "&".join(pair for _, pair in kept)
    return urlunsplit((scheme, netloc, path, query, ""))
