"""The one way `aigw` talks to Cloudflare: the official `cloudflare` SDK, frugally.

- Token from CLOUDFLARE_API_TOKEN (never printed); base URL from --api-url or CLOUDFLARE_BASE_URL
  (tests point it at a local stand-in); every request counted.
- One overall deadline per request (--timeout, connect and the whole answer together): httpx's
  timeouts are per socket operation, so a server trickling a byte a second would never trip them.
- The API allows 1,200 requests per 5 minutes per token, and a 429 blocks the token for 5 minutes
  (Cloudflare API docs, "Rate limits"), sending `Retry-After` only on the 429. So: list pages of 100,
  never one GET per gateway; the SDK's own retries are off (it would retry a 429 twice within
  seconds and make the block no shorter); a 429 is waited out once, with a visible message, for as
  long as `Retry-After` says if that is at most --max-wait seconds (default 60), else refused at
  once; --no-wait refuses every 429.
- A hard cap of MAX_REQUESTS requests per command, whatever the server says about its pages.
- Every failure becomes a LiveError (exit 3) naming the call and the reason: a rejected token, a
  missing permission (with the permission group to add), the network, an answer that is not the
  v4 JSON envelope the call expects (an HTML error page, malformed JSON, a `result` of the wrong type).
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

EXIT_API = 3
PER_PAGE = 100  # the API's maximum `per_page` (Cloudflare API reference, List Gateways); a server may apply less
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_WAIT = 60.0
# Requests one command may make. A command lists gateways (pages of 100) and at most one list of
# Logpush jobs; 100 requests cover 9,900 gateways at 100 a page (an account has 20, more on
# Enterprise; the stress ceiling is 1,000) or ~2,000 if a server applies 20 a page, and are 1/12 of
# the token's 1,200 per 5 minutes, so a runaway listing can never exhaust the budget that a deploy
# using the same token needs (exceeding it blocks the token for 5 minutes).
MAX_REQUESTS = 100
# The permission group each call needs. Logpush has no read-only permission: "all Logpush API
# operations require Logs: Write permission because Logpush jobs contain sensitive information"
# (Cloudflare Logs docs, Logpush, Permissions; API reference List/Get Logpush jobs, "Accepted
# Permissions: Logs Write"; pulumi-cloudflare `get_logpush_jobs.py`). Logs Read is Logpull/Instant Logs.
LOGS_WRITE = "Logs Write"
NEEDS = {
    "list gateways": "AI Gateway Read",
    "get gateway": "AI Gateway Read",
    "list Logpush jobs": LOGS_WRITE,
    # A gateway's provider configs and routes (aigw drift, aigw import). Routes: the API reference's "List all
    # AI Gateway Dynamic Routes" accepts AI Gateway Read or Write. Provider configs: its "List Provider
    # Configs" page names no accepted permission (unverified); AI Gateway Read, as the gateway itself.
    "list provider configs": "AI Gateway Read",
    "list routes": "AI Gateway Read",
    "verify token": "none (any valid token)",
    # aigw prove (docs/prove.md): the Logs API reads, and the account's tokens.
    "list logs": "AI Gateway Read",
    "get log": "AI Gateway Read",
    "get log request": "AI Gateway Read",
    "get log response": "AI Gateway Read",
    "list account tokens": "Account API Tokens Read",
}

T = TypeVar("T")


class LiveError(Exception):
    """A Cloudflare API call failed; ``str()`` names the call and why (exit 3)."""

    exit_code = EXIT_API


class PermissionMissing(LiveError):
    """HTTP 403 on a call: the token lacks ``group`` (a LiveError, so exit 3 unless a caller skips the check)."""

    def __init__(self, message: str, call: str, group: str):
        super().__init__(message)
        self.call = call
        self.group = group


class TokenMissing(Exception):
    """No API token given (exit 2: usage)."""


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def _reason(exc: Any) -> str:
    body = getattr(exc, "body", None)
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors and isinstance(errors, list) and isinstance(errors[0], dict):
        return "; ".join(f"{e.get('message', '')} (code {e.get('code')})" for e in errors if isinstance(e, dict))
    response = getattr(exc, "response", None)
    kind = response.headers.get("content-type", "") if response is not None else ""
    if isinstance(body, str) or "html" in kind:
        return f"not the API's JSON ({kind or 'no content type'}: {_short(str(body or ''), 80)!r})"
    return _short(str(getattr(exc, "message", exc)))


# How long a 429 blocks a token (Cloudflare API docs, Rate limits): the wait when Retry-After is unusable.
BLOCK_SECONDS = 300.0


def retry_after_seconds(value: str | None, now: float | None = None) -> float:
    """Seconds to wait for a `Retry-After` header: delay-seconds, or an HTTP date (RFC 9110 section
    10.2.3); missing or unreadable: the 5-minute block. Never raises: a huge number is `inf`."""
    if not value:
        return BLOCK_SECONDS
    value = value.strip()
    try:
        seconds = float(value)  # "10**400 digits" gives inf, not OverflowError
    except ValueError:
        pass
    else:
        return BLOCK_SECONDS if math.isnan(seconds) else max(0.0, seconds)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, OverflowError, IndexError):
        return BLOCK_SECONDS
    return max(0.0, when - (time.time() if now is None else now))


def _seconds(value: float) -> str:
    return f"{value:g}" if math.isfinite(value) else "an unbounded number of"


class Client:
    """The SDK with counting, one deadline per request, a request cap and the rate-limit policy."""

    def __init__(self, token: str | None = None, base_url: str | None = None, *, wait: bool = True,
                 timeout: float = DEFAULT_TIMEOUT, max_wait: float = DEFAULT_MAX_WAIT,
                 max_requests: int = MAX_REQUESTS, out: TextIO | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        import cloudflare
        import httpx

        token = token or os.environ.get("CLOUDFLARE_API_TOKEN")
        if not token:
            raise TokenMissing("CLOUDFLARE_API_TOKEN is not set: export an API token with AI Gateway Read (plus Logs "
                               "Write for the Logpush job check: Logpush has no read-only permission)")
        self.requests = 0
        self.wait = wait
        self.waited = False  # a 429 is waited out once per command, not once per call (one page of many)
        self.timeout = timeout
        self.max_wait = max_wait
        self.max_requests = max_requests
        self.out = out or sys.stderr
        self.sleep = sleep
        self._http = httpx.Client(timeout=timeout, event_hooks={"request": [self._count]})
        self.sdk = cloudflare.Cloudflare(api_token=token, base_url=base_url or os.environ.get("CLOUDFLARE_BASE_URL"),
                                         max_retries=0, timeout=timeout, http_client=self._http)

    def _count(self, request: Any) -> None:
        self.requests += 1

    def close(self) -> None:
        self.sdk.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _timed_out(self, name: str) -> LiveError:
        return LiveError(f"{name}: no answer from the Cloudflare API within the timeout ({self.timeout:g} s for the "
                         "whole request, --timeout) (network)")

    def _within_deadline(self, name: str, fn: Callable[[], T]) -> T:
        """fn() in a worker thread, given `timeout` seconds in all; past it the connections are closed
        (which ends the worker's read) and the call fails."""
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=run, name=f"aigw {name}", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            self._http.close()  # the worker's socket is closed under it; it ends with an error nobody reads
            raise self._timed_out(name)
        if "error" in box:
            raise box["error"]
        return box["value"]

    def call(self, name: str, fn: Callable[[], T]) -> T:
        """Run one API call; a 429 is waited out once per client (Retry-After, at most max_wait) unless wait
        is off: after one wait the token has had its block, so another 429 (on this call or a later page) fails."""
        import cloudflare

        while True:
            if self.requests >= self.max_requests:
                raise LiveError(f"{name}: stopped after {self.requests} API requests, the most one command makes "
                                f"({self.max_requests}: a share of the token's 1,200 per 5 minutes); the API kept "
                                "answering with more pages than its own counts allow")
            try:
                return self._within_deadline(name, fn)
            except cloudflare.RateLimitError as exc:
                retry_after = exc.response.headers.get("retry-after")
                seconds = retry_after_seconds(retry_after)
                shown = _short(retry_after, 40) if retry_after else "-"
                if not self.wait or self.waited:
                    why = "--no-wait" if not self.wait else "still limited after waiting once"
                    raise LiveError(f"{name}: rate limited by Cloudflare (HTTP 429, Retry-After {shown} s; {why}). "
                                    "The token is blocked for up to 5 minutes: run again later") from None
                if seconds > self.max_wait:
                    raise LiveError(f"{name}: rate limited by Cloudflare (HTTP 429, Retry-After {shown}): that is a "
                                    f"wait of {_seconds(seconds)} s, more than --max-wait {self.max_wait:g} s, so "
                                    "aigw does not wait. Run again later") from None
                self.out.write(f"aigw: {name}: rate limited by Cloudflare (HTTP 429); waiting {seconds:g} s "
                               "(Retry-After) before trying once more\n")
                self.out.flush()
                self.waited = True
                self.sleep(seconds)
            except cloudflare.AuthenticationError as exc:
                raise LiveError(f"{name}: the API token was rejected (HTTP 401: {_reason(exc)}); check "
                                "CLOUDFLARE_API_TOKEN") from None
            except cloudflare.PermissionDeniedError as exc:
                group = NEEDS.get(name, "?")
                raise PermissionMissing(f"{name}: permission denied (HTTP 403: {_reason(exc)}); the token needs the "
                                        f"permission group '{group}' on this account: add it, or use a token "
                                        "scoped to this account", name, group) from None
            except cloudflare.APITimeoutError:
                raise self._timed_out(name) from None
            except cloudflare.APIConnectionError as exc:
                raise LiveError(f"{name}: cannot reach the Cloudflare API ({exc.__cause__ or exc}) (network)") from None
            except cloudflare.APIStatusError as exc:
                raise LiveError(f"{name}: HTTP {exc.status_code}: {_reason(exc)}") from None

    def _envelope(self, name: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET one v4 envelope: a JSON object with success true, or a LiveError saying what came instead."""
        import httpx

        response = self.call(name, lambda: self.sdk.get(path, cast_to=httpx.Response,
                                                        options={"params": params or {}}))
        kind = response.headers.get("content-type", "")
        try:
            body = json.loads(response.content)
        except ValueError:
            kind = kind or "no content type"
            raise LiveError(f"{name}: HTTP {response.status_code} but the answer is not JSON ({kind}: "
                            f"{_short(response.text, 80)!r}); an HTML error page or a proxy in the way?") from None
        if not isinstance(body, dict) or body.get("success") is False:
            raise LiveError(f"{name}: HTTP {response.status_code} but the answer is not a v4 success envelope "
                            f"({_short(json.dumps(body), 80)})")
        return body

    def _list(self, name: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        result = body.get("result")
        if result is None:
            return []
        if not isinstance(result, list) or not all(isinstance(item, dict) for item in result):
            raise LiveError(f"{name}: the API's `result` is not a list of objects (got "
                            f"{_short(json.dumps(result), 80)})")
        return result

    def gateways(self, account_id: str) -> list[dict[str, Any]]:
        """Every gateway of the account, as the API returns them (snake_case JSON), asking 100 a page.

        Done when the page's `result_info` says so: its `page` reached `total_pages`, or the distinct
        gateways read reached `total_count` (the v4 result_info: page, per_page, count, total_count,
        total_pages; Cloudflare API schema). Without a result_info: an empty page, or one shorter
        than the fullest page so far (the page size the server applied may be less than asked).
        The SDK's own iterator (cloudflare `pagination.py`, V4PagePaginationArray) reads on until
        an empty page, one request more than needed. The request cap bounds a server that never
        says it is done; counts that do not add up (a server repeating pages) fail.
        """
        return self._paged("list gateways", f"/accounts/{account_id}/ai-gateway/gateways", "gateway")

    def provider_configs(self, account_id: str, gateway_id: str) -> list[dict[str, Any]]:
        """A gateway's BYOK provider configs (snake_case JSON: id, provider_slug, alias, default_config,
        secret_id, secret_preview, rate_limit, rate_limit_period), 100 a page (the API reference's maximum
        `per_page` for "List Provider Configs"; a v4 list with `result_info`, SDK V4PagePaginationArray),
        read as the gateways are. The caller must never write `secret_preview` anywhere."""
        return self._paged("list provider configs",
                           f"/accounts/{account_id}/ai-gateway/gateways/{gateway_id}/provider_configs",
                           "provider config")

    def routes(self, account_id: str, gateway_id: str) -> list[dict[str, Any]]:
        """A gateway's dynamic routes with their elements (API JSON: id, name, elements, ...).

        The answer is not the v4 list: the API reference ("List all AI Gateway Dynamic Routes"; cloudflare-
        python `types/ai_gateway/dynamic_routing_list_response.py`) gives `{data: {order_by,
        order_by_direction, page, per_page, routes: [...]}, success}`, without `result_info`. A `result`
        holding that `data`, or the routes themselves, is read too. No `per_page` is sent: its maximum is
        not documented (a value above it could be refused); pages are read until one holds fewer routes
        than the `per_page` it says it applied (or than the fullest page so far), or none.
        """
        name = "list routes"
        path = f"/accounts/{account_id}/ai-gateway/gateways/{gateway_id}/routes"
        out: dict[str, dict[str, Any]] = {}
        page, fullest = 1, 0
        while True:
            body = self._envelope(name, path, {"page": page})
            data = body.get("data")
            result = body.get("result")
            if data is None and isinstance(result, dict):
                data = result.get("data", result)
            if data is None and isinstance(result, list):
                data = {"routes": result}
            if not isinstance(data, dict):
                raise LiveError(f"{name}: the answer has no `data` object with the routes (got "
                                f"{_short(json.dumps(body), 80)})")
            items = self._list(name, {"result": data.get("routes")})
            before = len(out)
            for item in items:
                out.setdefault(str(item.get("id")), item)
            fullest = max(fullest, len(items))
            applied = data.get("per_page")
            applied = int(applied) if isinstance(applied, (int, float)) and not isinstance(applied, bool) else None
            if not items or len(items) < (applied or fullest) or len(out) == before:
                break  # the last page (or a server repeating one)
            page += 1
        return list(out.values())

    def _paged(self, name: str, path: str, noun: str) -> list[dict[str, Any]]:
        """Every item of a v4 paged list (`result` and `result_info`), asking PER_PAGE a page (see gateways)."""
        out: dict[str, dict[str, Any]] = {}
        page, fullest = 1, 0
        while True:
            body = self._envelope(name, path, {"page": page, "per_page": PER_PAGE})
            items = self._list(name, body)
            for item in items:
                out.setdefault(str(item.get("id")), item)
            fullest = max(fullest, len(items))
            info = body.get("result_info") if isinstance(body.get("result_info"), dict) else {}
            total_count, total_pages = _count(info, "total_count"), _count(info, "total_pages")
            at, applied = _count(info, "page") or page, _count(info, "per_page")
            if not items or (total_count is not None and len(out) >= total_count) or (
                    total_pages is not None and at >= total_pages):
                break
            if total_count is None and total_pages is None and len(items) < (applied or fullest):
                break  # a short page: the last one
            page += 1
        if total_count is not None and len(out) < total_count and items:
            raise LiveError(f"{name}: the API said {total_count} {noun}(s) but its {page} page(s) held "
                            f"{len(out)} distinct one(s) (pages repeated?)")
        return list(out.values())

    def logpush_jobs(self, account_id: str) -> list[dict[str, Any]]:
        """The account's Logpush jobs (one request: the list is not paginated, an SDK SinglePage)."""
        name = "list Logpush jobs"
        return self._list(name, self._envelope(name, f"/accounts/{account_id}/logpush/jobs"))


def _count(info: dict[str, Any], key: str) -> int | None:
    value = info.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
