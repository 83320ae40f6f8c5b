"""Fetch a feed or API address like a good citizen: conditional, capped, timed, explained.

`fetch` never raises for network or HTTP trouble: it returns a FetchResult that is either ok
(the body and cache validators), not modified (304), or failed with a FetchError saying in a
few words what went wrong and whether trying again later may help.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
JSON_ACCEPT = "application/json"
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 6 * 3600.0
CHUNK = 64 * 1024
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
# Content that can never be a feed or JSON, whatever the server claims to have meant.
BINARY_PREFIXES = ("image/", "audio/", "video/", "font/")
BINARY_TYPES = frozenset({"application/pdf", "application/zip", "application/x-gzip"})
# Statuses worth trying again later; other 4xx are the feed's address or access being wrong.
RETRYABLE_4XX = frozenset({408, 425, 429})
PERMANENT_5XX = frozenset({501, 505})
EMPTY_HEADERS: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())


class Outcome(StrEnum):
    """How a fetch ended."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    FAILED = "failed"


class FailureKind(StrEnum):
    """Why a fetch failed."""

    TIMEOUT = "timeout"
    CONNECTION_REFUSED = "connection_refused"
    DNS = "dns"
    CONNECTION = "connection"
    TLS = "tls"
    INVALID_URL = "invalid_url"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    HTTP_STATUS = "http_status"
    TOO_LARGE = "too_large"
    WRONG_CONTENT_TYPE = "wrong_content_type"


@dataclass(frozen=True, slots=True)
class FetchError:
    """A failed fetch: a short reason an operator can read, and whether to simply retry."""

    kind: FailureKind
    reason: str
    retryable: bool
    http_status: int | None = None
    retry_after: float | None = None  # seconds the site asked us to wait, capped

    @property
    def permanent(self) -> bool:
        """Tell whether retrying is unlikely to help until someone fixes something."""
        return not self.retryable


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one fetch got: a body, "not modified", or an error."""

    outcome: Outcome
    url: str
    final_url: str
    body: bytes = b""
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    charset: str | None = None
    headers: CIMultiDictProxy[str] = field(default_factory=lambda: EMPTY_HEADERS)
    moved_permanently_to: str | None = None  # set when every redirect hop was 301/308
    error: FetchError | None = None

    @property
    def ok(self) -> bool:
        """Tell whether a body was fetched."""
        return self.outcome is Outcome.OK

    @property
    def not_modified(self) -> bool:
        """Tell whether the server said our copy is current (304)."""
        return self.outcome is Outcome.NOT_MODIFIED

    @property
    def failed(self) -> bool:
        """Tell whether the fetch failed (see `error`)."""
        return self.outcome is Outcome.FAILED


def parse_retry_after(
    value: str | None, *, now: datetime, cap: float = MAX_RETRY_AFTER
) -> float | None:
    """Read Retry-After (delta-seconds or an HTTP date) as seconds from `now`, capped."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - now).total_seconds(), 0.0), cap)


def describe_size(size: int) -> str:
    """Write a byte count the way people say it (5 MB, 300 KB, 12 bytes)."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:g} MB"
    if size >= 1_000:
        return f"{size / 1_000:g} KB"
    return f"{size} bytes"


def is_retryable_status(status: int) -> bool:
    """Tell whether an HTTP error status is likely temporary (5xx, 429, 408)."""
    if status >= 500:
        return status not in PERMANENT_5XX
    return status in RETRYABLE_4XX


def _type_refused(content_type: str, allowed_types: Collection[str] | None) -> bool:
    """Tell whether a response's media type rules it out."""
    if allowed_types is not None:
        return not any(content_type.startswith(allowed) for allowed in allowed_types)
    return content_type.startswith(BINARY_PREFIXES) or content_type in BINARY_TYPES


def _server_now(response: aiohttp.ClientResponse) -> datetime:
    """Return the server's clock (its Date header) for reading Retry-After dates; ours if none."""
    try:
        when = parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError, IndexError):
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
    timeout: float,  # noqa: ASYNC109 - one deadline for every hop and the body, by design
    accept: str,
    allowed_types: Collection[str] | None = None,
    max_redirects: int = MAX_REDIRECTS,
) -> FetchResult:
    """GET `url` conditionally over the shared session, within `timeout` s and `max_bytes`.

    `allowed_types` lists acceptable media types (prefixes); by default only types that
    cannot be text (images, audio, video, fonts, PDF, archives) are refused.
    """
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    attempt = _Attempt(url, headers, etag, last_modified, max_bytes, allowed_types)
    try:
        async with asyncio.timeout(timeout):
            return await attempt.follow(session, max_redirects, timeout)
    except TimeoutError:
        error = FetchError(FailureKind.TIMEOUT, f"no answer within {timeout:g} s", True)
    except aiohttp.ClientConnectorDNSError:
        host = URL(attempt.current).host
        error = FetchError(FailureKind.DNS, f"could not resolve the host name {host}", True)
    except aiohttp.ClientSSLError as exc:
        error = FetchError(FailureKind.TLS, f"secure connection failed ({exc})", False)
    except aiohttp.ClientConnectorError as exc:
        where = f"{exc.host}:{exc.port}"
        if exc.os_error.errno == errno.ECONNREFUSED:
            error = FetchError(
                FailureKind.CONNECTION_REFUSED, f"connection refused by {where}", True
            )
        else:
            problem = exc.os_error.strerror or type(exc.os_error).__name__
            error = FetchError(
                FailureKind.CONNECTION, f"could not connect to {where}: {problem}", True
            )
    except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as exc:
        error = FetchError(FailureKind.INVALID_URL, f"not a usable web address ({exc})", False)
    except aiohttp.ClientError as exc:
        error = FetchError(
            FailureKind.CONNECTION, f"the connection failed ({type(exc).__name__})", True
        )
    return attempt.failed(error)


class _Attempt:
    """One fetch in progress: the request to repeat and the redirect chain so far."""

    def __init__(
        self,
        url: str,
        headers: dict[str, str],
        etag: str | None,
        last_modified: str | None,
        max_bytes: int,
        allowed_types: Collection[str] | None,
    ) -> None:
        self.url = url
        self.headers = headers
        self.etag = etag
        self.last_modified = last_modified
        self.max_bytes = max_bytes
        self.allowed_types = allowed_types
        self.chain = [url]
        self.all_permanent = True

    @property
    def current(self) -> str:
        """Return the address being fetched now (the last redirect target)."""
        return self.chain[-1]

    def failed(self, error: FetchError) -> FetchResult:
        """Log and return a failed result."""
        log.info("Fetching %s failed: %s", self.url, error.reason)
        return FetchResult(
            Outcome.FAILED, self.url, self.current, http_status=error.http_status, error=error
        )

    async def follow(
        self, session: aiohttp.ClientSession, max_redirects: int, seconds: float
    ) -> FetchResult:
        """Follow redirects ourselves (to name loops and notice permanent moves), then read."""
        client_timeout = aiohttp.ClientTimeout(total=seconds)
        for _ in range(max_redirects + 1):
            async with session.get(
                self.current, headers=self.headers, allow_redirects=False, timeout=client_timeout
            ) as response:
                if response.status not in REDIRECTS or "Location" not in response.headers:
                    return await self.read(response)
                target = str(response.url.join(URL(response.headers["Location"])))
                error = self._refuse_redirect(target)
                if error is not None:
                    return self.failed(error)
                self.all_permanent = self.all_permanent and response.status in PERMANENT_REDIRECTS
                self.chain.append(target)
        return self.failed(
            FetchError(
                FailureKind.TOO_MANY_REDIRECTS, f"more than {max_redirects} redirects", False
            )
        )

    def _refuse_redirect(self, target: str) -> FetchError | None:
        """Return why a redirect target must not be followed, if it must not."""
        if URL(target).scheme not in ("http", "https"):
            return FetchError(
                FailureKind.INVALID_URL, f"redirected to a non-web address {target}", False
            )
        if target in self.chain:
            loop = " → ".join([*self.chain[self.chain.index(target) :], target])
            return FetchError(FailureKind.TOO_MANY_REDIRECTS, f"redirect loop: {loop}", False)
        return None

    async def read(self, response: aiohttp.ClientResponse) -> FetchResult:
        """Turn the final response into a result, reading at most `max_bytes` of its body."""
        moved = self.current if len(self.chain) > 1 and self.all_permanent else None
        headers = CIMultiDictProxy(CIMultiDict(response.headers))
        status = response.status
        if status == 304:
            return FetchResult(
                Outcome.NOT_MODIFIED,
                self.url,
                self.current,
                http_status=status,
                etag=headers.get("ETag") or self.etag,
                last_modified=headers.get("Last-Modified") or self.last_modified,
                headers=headers,
                moved_permanently_to=moved,
            )
        if not 200 <= status < 300:
            return self.failed(_status_error(response, headers))
        content_type = response.content_type.lower() if "Content-Type" in headers else None
        if content_type and _type_refused(content_type, self.allowed_types):
            return self.failed(
                FetchError(
                    FailureKind.WRONG_CONTENT_TYPE,
                    f"unexpected content type {content_type}",
                    False,
                    status,
                )
            )
        body = await self._read_capped(response)
        if body is None:
            size = describe_size(self.max_bytes)
            return self.failed(
                FetchError(
                    FailureKind.TOO_LARGE, f"the response is larger than {size}", False, status
                )
            )
        log.debug("Fetched %s (%d bytes, final %s)", self.url, len(body), self.current)
        return FetchResult(
            Outcome.OK,
            self.url,
            self.current,
            body=body,
            http_status=status,
            etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
            content_type=content_type,
            charset=response.charset.lower() if response.charset else None,
            headers=headers,
            moved_permanently_to=moved,
        )

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes | None:
        """Read the body, or return None (dropping the connection) once it passes the cap."""
        if response.content_length is not None and response.content_length > self.max_bytes:
            response.close()
            return None
        body = bytearray()
        async for chunk in response.content.iter_chunked(CHUNK):
            body.extend(chunk)
            if len(body) > self.max_bytes:
                response.close()  # hang up rather than drain the rest
                return None
        return bytes(body)


def _status_error(response: aiohttp.ClientResponse, headers: CIMultiDictProxy[str]) -> FetchError:
    """Describe an HTTP error status, with the Retry-After the site asked for."""
    status = response.status
    retry_after = parse_retry_after(headers.get("Retry-After"), now=_server_now(response))
    reason = f"HTTP {status} {response.reason or ''}".rstrip()
    if retry_after is not None:
        reason += f" (retry after {retry_after:g} s)"
    return FetchError(
        FailureKind.HTTP_STATUS, reason, is_retryable_status(status), status, retry_after
    )
