"""The one way `aigw` talks to Cloudflare: the official `cloudflare` SDK, frugally.

- Token from CLOUDFLARE_API_TOKEN (never printed); base URL from --api-url or CLOUDFLARE_BASE_URL
  (tests point it at a local stand-in); a timeout on every call; every request counted.
- The API allows 1,200 requests per 5 minutes per token, and a 429 blocks the token for 5 minutes
  (reference section 8), sending `Retry-After` only on the 429. So: list pages of 100, never one
  GET per gateway; the SDK's own retries are off (it would retry a 429 twice within seconds and
  make the block no shorter); a 429 is waited out once, with a visible message, for as long as
  `Retry-After` says, or fails at once with --no-wait.
- Every failure becomes a LiveError (exit 3) naming the call and the reason: a rejected token, a
  missing permission (with the permission group to add), the network.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

EXIT_API = 3
PER_PAGE = 100  # the API's maximum (reference section 2)
DEFAULT_TIMEOUT = 30.0
# The permission group each call needs (reference section 5).
NEEDS = {
    "list gateways": "AI Gateway Read",
    "get gateway": "AI Gateway Read",
    "list Logpush jobs": "Logs Read",
    "verify token": "none (any valid token)",
}

T = TypeVar("T")


class LiveError(Exception):
    """A Cloudflare API call failed; ``str()`` names the call and why (exit 3)."""

    exit_code = EXIT_API


class TokenMissing(Exception):
    """No API token given (exit 2: usage)."""


def _reason(exc: Any) -> str:
    body = getattr(exc, "body", None)
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors and isinstance(errors, list) and isinstance(errors[0], dict):
        return "; ".join(f"{e.get('message', '')} (code {e.get('code')})" for e in errors if isinstance(e, dict))
    return str(getattr(exc, "message", exc))


BLOCK_SECONDS = 300.0  # how long a 429 blocks a token (reference section 8): the wait when Retry-After is unusable


def retry_after_seconds(value: str | None, now: float | None = None) -> float:
    """Seconds to wait for a `Retry-After` header: delay-seconds, or an HTTP date (RFC 9110);
    missing or unreadable: the 5-minute block."""
    if not value:
        return BLOCK_SECONDS
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return BLOCK_SECONDS
    return max(0.0, when - (time.time() if now is None else now))


class Client:
    """The SDK with counting, timeouts and the rate-limit policy."""

    def __init__(self, token: str | None = None, base_url: str | None = None, *, wait: bool = True,
                 timeout: float = DEFAULT_TIMEOUT, out: TextIO | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        import cloudflare
        import httpx

        token = token or os.environ.get("CLOUDFLARE_API_TOKEN")
        if not token:
            raise TokenMissing("CLOUDFLARE_API_TOKEN is not set: export a read-only API token (AI Gateway Read, "
                               "plus Logs Read for Logpush jobs)")
        self.requests = 0
        self.wait = wait
        self.waited = False  # a 429 is waited out once per command, not once per call (one page of many)
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

    def call(self, name: str, fn: Callable[[], T]) -> T:
        """Run one API call; a 429 is waited out once per client (Retry-After) unless wait is off: after one
        wait the token has had its block, so another 429 (on this call or a later page) fails."""
        import cloudflare

        while True:
            try:
                return fn()
            except cloudflare.RateLimitError as exc:
                retry_after = exc.response.headers.get("retry-after")
                seconds = retry_after_seconds(retry_after)
                if not self.wait or self.waited:
                    why = "--no-wait" if not self.wait else "still limited after waiting once"
                    raise LiveError(f"{name}: rate limited by Cloudflare (HTTP 429, Retry-After {retry_after or '-'}"
                                    f" s; {why}). The token is blocked for up to 5 minutes: run again later") from None
                self.out.write(f"aigw: {name}: rate limited by Cloudflare (HTTP 429); waiting {seconds:g} s "
                               "(Retry-After) before trying once more\n")
                self.out.flush()
                self.waited = True
                self.sleep(seconds)
            except cloudflare.AuthenticationError as exc:
                raise LiveError(f"{name}: the API token was rejected (HTTP 401: {_reason(exc)}); check "
                                "CLOUDFLARE_API_TOKEN") from None
            except cloudflare.PermissionDeniedError as exc:
                raise LiveError(f"{name}: permission denied (HTTP 403: {_reason(exc)}); the token needs the "
                                f"permission group '{NEEDS.get(name, '?')}' on this account: add it, or use a token "
                                "scoped to this account") from None
            except cloudflare.APITimeoutError:
                raise LiveError(f"{name}: no answer from the Cloudflare API within the timeout (network)") from None
            except cloudflare.APIConnectionError as exc:
                raise LiveError(f"{name}: cannot reach the Cloudflare API ({exc.__cause__ or exc}) (network)") from None
            except cloudflare.APIStatusError as exc:
                raise LiveError(f"{name}: HTTP {exc.status_code}: {_reason(exc)}") from None

    def gateways(self, account_id: str) -> list[dict[str, Any]]:
        """Every gateway of the account, as the API returns them (snake_case), in pages of 100.

        Stops at a short page (or when result_info says there is no more), so N gateways cost
        ceil(N/100) requests, plus one only when N is a multiple of 100 without a total count.
        """
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            # One page per request: the page object is read, never iterated (iterating would fetch on).
            result = self.call("list gateways", lambda p=page: self.sdk.ai_gateway.list(
                account_id=account_id, page=p, per_page=PER_PAGE))
            items = [item.to_dict(mode="json") for item in result.result or []]
            out += items
            info = result.result_info
            total = getattr(info, "total_count", None) if info else None
            if len(items) < PER_PAGE or (total is not None and len(out) >= total):
                return out
            page += 1

    def logpush_jobs(self, account_id: str) -> list[dict[str, Any]]:
        jobs = self.call("list Logpush jobs", lambda: list(self.sdk.logpush.jobs.list(account_id=account_id)))
        return [job.to_dict(mode="json") for job in jobs if job is not None]
