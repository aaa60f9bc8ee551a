"""Resources in the words of their settings: what a reviewer reads in a diff or a comparison.

`settings(resource)` turns one plan resource (type, name, camelCase props) into an ordered
mapping of setting -> words, e.g. {"rate limit": "600/60s sliding", "cache": "ttl 600s"}.
A diff compares these mappings, so one change to `rateLimitingLimit` reads
"rate limit: 100/60s fixed -> 600/60s sliding", not three property lines. Secret values are
never words: they read "[secret]" (and a diff says "changed" when their ciphertext changed).
The words of each setting are aigw/wording.py's, the same the plan's table shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aigw_policy.vocabulary import (
    ACCOUNT_TOKEN,
    AI_GATEWAY,
    AI_GATEWAY_DYNAMIC_ROUTING,
    API_TOKEN,
    DYNAMIC_ROUTE,
    LOGPUSH_JOB,
    PROVIDER_CONFIG,
    R2_BUCKET,
    SECRETS_STORE,
    SECRETS_STORE_SECRET,
    WORKERS_SCRIPT,
)
from aigw_policy.vocabulary import R2_BUCKET_LIFECYCLE as R2_LIFECYCLE
from aigw_policy.vocabulary import WORKERS_SCRIPT_SUBDOMAIN as SUBDOMAIN

from .. import fields
from .. import wording as w

GATEWAY = AI_GATEWAY

# Short names for reviewers.
KIND = {
    GATEWAY: "gateway",
    LOGPUSH_JOB: "Logpush job",
    WORKERS_SCRIPT: "Worker",
    ACCOUNT_TOKEN: "API token",
    API_TOKEN: "token",
    R2_BUCKET: "R2 bucket",
    R2_LIFECYCLE: "R2 lifecycle",
    SUBDOMAIN: "workers.dev route",
    SECRETS_STORE: "secrets store",
    SECRETS_STORE_SECRET: "provider key secret",
    PROVIDER_CONFIG: "provider key",
    AI_GATEWAY_DYNAMIC_ROUTING: "route",
    DYNAMIC_ROUTE: "route",  # a route with a percentage split: same props, same words
}


def kind(type_: str) -> str:
    return KIND.get(type_, type_.rsplit(":", 1)[-1])


_compact = w.compact


def _otel(p: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, otel in enumerate(p.get("otels") or []):
        if not isinstance(otel, Mapping):
            out[f"otel[{i}]"] = _compact(otel)
            continue
        out[f"otel[{i}]"] = w.otel(otel)
        if "authorization" in otel:
            out[f"otel[{i}] authorization"] = w.secret_or_set(otel["authorization"])
        for header, value in sorted((otel.get("headers") or {}).items()):
            out[f"otel[{i}] header {header}"] = w.SECRET_MARK if value == w.SECRET_MARK else _compact(value)
    return out


_GATEWAY_PROPS = {
    "accountId", "aiGatewayId", "authentication", "rateLimitingLimit", "rateLimitingInterval",
    "rateLimitingTechnique", "cacheTtl", "cacheInvalidateOnUpdate", "collectLogs", "logManagement",
    "logManagementStrategy", "logpush", "logpushPublicKey", "logClassification", "retryMaxAttempts", "retryDelay",
    "retryBackoff", "dlp", "guardrails", "spendLimits", "otels",
}


def _gateway(p: Mapping[str, Any]) -> dict[str, str]:
    out = {
        "id": _compact(p.get("aiGatewayId")),
        "account": _compact(p.get("accountId")),
        "authentication": w.authentication(p),
        "rate limit": w.rate_limit(p),
        "cache": w.cache(p),
        "logs": w.logs(p),
        "logpush": w.on_off(p.get("logpush")),
        # A key is long: reviewers see whether it changed, by the fingerprint keygen prints.
        "logpush public key": w.public_key(p.get("logpushPublicKey")),
        "log classification": w.on_off(p.get("logClassification")),
        "retry": w.retry(p),
        "DLP": w.dlp(p),
        "guardrails": w.guardrails(p),
        "spend limits": w.spend_limits(p),
    }
    out.update(_otel(p))
    for prop in sorted(set(p) - _GATEWAY_PROPS):
        out[prop] = _compact(p[prop])
    return out


# A Worker's settings by the field table's labels (aigw/fields.py); the props whose label is not their
# own name have words of their own, the rest read by prop name.
_SCRIPT_LABEL = {f.prop: f.label for f in fields.WORKERS_SCRIPT}
_SCRIPT_WORDED = frozenset(prop for prop, label in _SCRIPT_LABEL.items() if label != prop)


def _script(p: Mapping[str, Any]) -> dict[str, str]:
    label = _SCRIPT_LABEL
    out = {
        label["scriptName"]: _compact(p.get("scriptName")),
        label["mainModule"]: w.module(p),  # mainModule, contentFile, contentSha256
        label["compatibilityDate"]: _compact(p.get("compatibilityDate")),
    }
    for b in p.get("bindings") or []:
        if isinstance(b, Mapping):
            out[f"{label['bindings']} {b.get('name')}"] = w.binding(b)
    for prop in sorted(set(p) - _SCRIPT_WORDED):
        out[prop] = _compact(p[prop])
    out[label["accountId"]] = _compact(p.get("accountId"))
    return out


def _flat(value: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, Mapping) and value:
        for k, v in sorted(value.items()):
            _flat(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list) and value and not all(isinstance(v, (str, int, float)) for v in value):
        for i, v in enumerate(value):
            _flat(v, f"{prefix}[{i}]", out)
    else:
        out[prefix] = _compact(value)


def flat_words(value: Any, prefix: str) -> dict[str, str]:
    """A value flattened to dotted paths under ``prefix`` (absent: nothing)."""
    if value is None:
        return {}
    out: dict[str, str] = {}
    _flat(value, prefix, out)
    return out


def _generic(p: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    _flat(dict(p), "", out)
    return out


def _route(p: Mapping[str, Any]) -> dict[str, str]:
    """A route by where a request goes (aigw/wording.py `route`): "fallback: openai/gpt-4o -> anthropic/...",
    never the elements' JSON."""
    return {"route": f"dynamic/{p.get('name')}", "gateway": _compact(p.get("gatewayId")), **w.route(p),
            "account": _compact(p.get("accountId"))}


def _provider_config(p: Mapping[str, Any]) -> dict[str, str]:
    return {"provider key": w.provider_key(p), "gateway": _compact(p.get("gatewayId")),
            "secret": _compact(p.get("secretId")), "account": _compact(p.get("accountId"))}


def _secret(p: Mapping[str, Any]) -> dict[str, str]:
    # The key reads [secret]; a changed ciphertext reads as a change of it (aigw/review/secrets.py).
    return {"name": _compact(p.get("name")), "scopes": _compact(p.get("scopes")), "store": _compact(p.get("storeId")),
            "key": w.secret_or_set(p.get("value")), "account": _compact(p.get("accountId"))}


_DESCRIBE: dict[str, Callable[[Mapping[str, Any]], dict[str, str]]] = {
    GATEWAY: _gateway,
    WORKERS_SCRIPT: _script,
    AI_GATEWAY_DYNAMIC_ROUTING: _route,
    DYNAMIC_ROUTE: _route,
    PROVIDER_CONFIG: _provider_config,
    SECRETS_STORE_SECRET: _secret,
}


def settings(type_: str, props: Mapping[str, Any]) -> dict[str, str]:
    return _DESCRIBE.get(type_, _generic)(props)
