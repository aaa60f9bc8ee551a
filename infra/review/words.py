"""Resources in the words of their settings: what a reviewer reads in a diff or a comparison.

`settings(resource)` turns one plan resource (type, name, camelCase props) into an ordered
mapping of setting -> words, e.g. {"rate limit": "600/60s sliding", "cache": "ttl 600s"}.
A diff compares these mappings, so one change to `rateLimitingLimit` reads
"rate limit: 100/60s fixed -> 600/60s sliding", not three property lines. Secret values are
never words: they read "[secret]" (and a diff says "changed" when their ciphertext changed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from aigw_policy.rules import (
    ACCOUNT_TOKEN,
    API_TOKEN,
    GATEWAY,
    LOGPUSH_JOB,
    WORKERS_SCRIPT,
)
from aigw_policy.values import SECRET_MARK

R2_BUCKET = "cloudflare:index/r2Bucket:R2Bucket"
R2_LIFECYCLE = "cloudflare:index/r2BucketLifecycle:R2BucketLifecycle"
SUBDOMAIN = "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain"

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
}


def kind(type_: str) -> str:
    return KIND.get(type_, type_.rsplit(":", 1)[-1])


def _compact(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(_compact(v) for v in value) or "none"
    return json.dumps(value, sort_keys=True, separators=(", ", ": "))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _onoff(value: Any) -> str:
    return "on" if value is True else "off"


def _rate(p: Mapping[str, Any]) -> str:
    limit, interval = p.get("rateLimitingLimit") or 0, p.get("rateLimitingInterval") or 0
    if not limit or not interval:
        return "off"
    return f"{limit}/{interval}s {p.get('rateLimitingTechnique') or 'fixed'}"


def _cache(p: Mapping[str, Any]) -> str:
    ttl = p.get("cacheTtl") or 0
    if not ttl:
        return "off"
    return f"ttl {ttl}s" + (", invalidate on update" if p.get("cacheInvalidateOnUpdate") else "")


_STRATEGY = {"DELETE_OLDEST": "delete oldest", "STOP_INSERTING": "stop inserting"}


def _logs(p: Mapping[str, Any]) -> str:
    if not p.get("collectLogs"):
        return "off"
    out = "collected"
    if p.get("logManagement"):
        out += f", keep {p['logManagement']:,}"
    if p.get("logManagementStrategy"):
        out += f", when full {_STRATEGY.get(p['logManagementStrategy'], p['logManagementStrategy'])}"
    return out


def _retry(p: Mapping[str, Any]) -> str:
    attempts = p.get("retryMaxAttempts")
    if not attempts:
        return "off"
    return f"{attempts} attempts, {p.get('retryDelay') or 0} ms, {p.get('retryBackoff') or 'constant'}"


def _dlp(p: Mapping[str, Any]) -> str:
    dlp = p.get("dlp") or {}
    if not dlp or not dlp.get("enabled"):
        return "off"
    policies = dlp.get("policies") or []
    if policies:
        return "; ".join(f"{q.get('id')}: {q.get('action')} {'+'.join(q.get('checks') or [])} "
                         f"({len(q.get('profiles') or [])} profile(s)){'' if q.get('enabled', True) else ' disabled'}"
                         for q in policies)
    return f"{dlp.get('action')} ({len(dlp.get('profiles') or [])} profile(s))"


def _guardrails(p: Mapping[str, Any]) -> str:
    g = p.get("guardrails") or {}
    parts = []
    for side in ("prompt", "response"):
        categories = g.get(side) or {}
        if categories:
            parts.append(f"{side} " + ", ".join(f"{k.upper()} {v}" for k, v in sorted(categories.items())))
    return "; ".join(parts) or "off"


def _spend(p: Mapping[str, Any]) -> str:
    s = p.get("spendLimits") or {}
    rules = s.get("rules") or []
    if not s.get("enabled") or not rules:
        return "off"
    return "; ".join(f"{_compact(r.get('limit'))}/{r.get('window')}s {r.get('technique')}" for r in rules)


def _otel(p: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, otel in enumerate(p.get("otels") or []):
        if not isinstance(otel, Mapping):
            out[f"otel[{i}]"] = _compact(otel)
            continue
        out[f"otel[{i}]"] = f"{otel.get('url')} ({otel.get('contentType') or 'json'})"
        if "authorization" in otel:
            out[f"otel[{i}] authorization"] = SECRET_MARK if otel["authorization"] == SECRET_MARK else "set"
        for header, value in sorted((otel.get("headers") or {}).items()):
            out[f"otel[{i}] header {header}"] = value if value == SECRET_MARK else _compact(value)
    return out


_GATEWAY_PROPS = {
    "accountId", "aiGatewayId", "authentication", "rateLimitingLimit", "rateLimitingInterval",
    "rateLimitingTechnique", "cacheTtl", "cacheInvalidateOnUpdate", "collectLogs", "logManagement",
    "logManagementStrategy", "logpush", "logpushPublicKey", "logClassification", "retryMaxAttempts", "retryDelay",
    "retryBackoff", "dlp", "guardrails", "spendLimits", "otels",
}


def _gateway(p: Mapping[str, Any]) -> dict[str, str]:
    key = p.get("logpushPublicKey")
    out = {
        "id": _compact(p.get("aiGatewayId")),
        "account": _compact(p.get("accountId")),
        "authentication": _onoff(p.get("authentication")),
        "rate limit": _rate(p),
        "cache": _cache(p),
        "logs": _logs(p),
        "logpush": _onoff(p.get("logpush")),
        # A key is long: reviewers see whether it changed, by a fingerprint.
        "logpush public key": "none" if not key else f"set (sha256 {_digest(str(key))})",
        "log classification": _onoff(p.get("logClassification")),
        "retry": _retry(p),
        "DLP": _dlp(p),
        "guardrails": _guardrails(p),
        "spend limits": _spend(p),
    }
    out.update(_otel(p))
    for prop in sorted(set(p) - _GATEWAY_PROPS):
        out[prop] = _compact(p[prop])
    return out


def _binding_words(b: Mapping[str, Any]) -> str:
    kind_ = b.get("type")
    if kind_ == "secret_text":
        return f"secret {b.get('text') if b.get('text') == SECRET_MARK else 'set'}"
    if kind_ == "plain_text":
        return f"\"{b.get('text')}\""
    return str(kind_)


def _script(p: Mapping[str, Any]) -> dict[str, str]:
    out = {
        "script": _compact(p.get("scriptName")),
        "module": f"{p.get('contentFile') or p.get('mainModule')} (sha256 {str(p.get('contentSha256') or '')[:12]})",
        "compatibility date": _compact(p.get("compatibilityDate")),
    }
    for b in p.get("bindings") or []:
        if isinstance(b, Mapping):
            out[f"binding {b.get('name')}"] = _binding_words(b)
    rest = set(p) - {"scriptName", "contentFile", "mainModule", "contentSha256", "compatibilityDate", "bindings",
                     "accountId"}
    for prop in sorted(rest):
        out[prop] = _compact(p[prop])
    out["account"] = _compact(p.get("accountId"))
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


_DESCRIBE: dict[str, Callable[[Mapping[str, Any]], dict[str, str]]] = {
    GATEWAY: _gateway,
    WORKERS_SCRIPT: _script,
}


def settings(type_: str, props: Mapping[str, Any]) -> dict[str, str]:
    return _DESCRIBE.get(type_, _generic)(props)
