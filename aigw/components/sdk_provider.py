"""What the project's dynamic providers over the official `cloudflare` SDK share (the Logpush job,
aigw/components/logpush_job.py, and a gateway's provider config, aigw/components/provider_config.py):
the credential (the stack's `cloudflare:apiToken`, given in `configure`, or `CLOUDFLARE_API_TOKEN`; never
pickled into state) and the words for a failed API call (the API's own, never the request's body)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import ConfigureRequest, ResourceProvider


def unknown(value: Any) -> bool:
    """A value the preview does not know yet (Pulumi's unknown sentinel)."""
    from pulumi.runtime import rpc

    return value is rpc.UNKNOWN or value == rpc.UNKNOWN


def normal_number(value: Any) -> Any:
    """A whole float (Pulumi's wire has only doubles) as the int the API takes and answers."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def required_failures(news: Mapping[str, Any], required: Any) -> list[Any]:
    """A check failure for each of ``required`` that is neither unknown (a preview) nor a non-empty string."""
    from pulumi.dynamic import CheckFailure

    return [CheckFailure(key, f"{key} is required (a non-empty string)") for key in required
            if not unknown(news.get(key)) and not (isinstance(news.get(key), str) and news.get(key))]


def api_error_text(exc: Exception, permission: str) -> str:
    """The API's own words for a failed call, without the request (which may hold a credential); a 403
    names the token ``permission`` the call needs."""
    import cloudflare

    if isinstance(exc, cloudflare.APIStatusError):
        body = exc.body if isinstance(exc.body, Mapping) else {}
        errors = body.get("errors") if isinstance(body, Mapping) else None
        words = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors or [] if isinstance(e, Mapping))
        hint = f" (the token needs the \"{permission}\" permission)" if exc.status_code == 403 else ""
        return f"HTTP {exc.status_code}{hint}" + (f": {words}" if words else "")
    if isinstance(exc, cloudflare.APIConnectionError):
        return f"cannot reach the Cloudflare API: {type(exc).__name__}"
    return f"{type(exc).__name__}: {exc}"


class SdkProvider(ResourceProvider):
    """A dynamic provider that calls the Cloudflare API through the SDK. ``WHAT`` names the resource in
    the error when no token is set."""

    WHAT = "the resource"

    def __init__(self) -> None:
        # Set by configure() in the provider host; never serialized with a value.
        self._token: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        # The provider is pickled into state (`__provider`): never with a credential in it.
        return {"_token": None}

    def configure(self, req: ConfigureRequest) -> None:
        token = req.config.get("cloudflare:apiToken")
        self._token = token if isinstance(token, str) and token else None

    def _client(self):  # -> cloudflare.Cloudflare
        import cloudflare

        token = self._token or os.environ.get("CLOUDFLARE_API_TOKEN")
        if not token:
            raise RuntimeError(f"no Cloudflare API token for {self.WHAT}: set cloudflare:apiToken "
                               "(pulumi config set --secret cloudflare:apiToken) or CLOUDFLARE_API_TOKEN")
        # The SDK retries 429/5xx twice with its own backoff; these calls are rare, that is enough.
        return cloudflare.Cloudflare(api_token=token, timeout=60.0)
