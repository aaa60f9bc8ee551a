"""Live gateways (the API's snake_case JSON) in the plan's words (pulumi-cloudflare camelCase props),
and the normalisation that makes "declared" and "live" comparable.

The same props the policy pack sees, so the rules run unchanged on live settings. The API's
quirks are normalised away before comparing: 0 and null both mean off (rate limit, cache),
omitted optional fields equal their documented defaults, enums compare without case, a
spend-limit rule's server-generated id is ignored when the declaration has none. Credentials
(OTel authorization and credential headers, Stripe authorization) are never compared by value:
declared ones are secrets the plan cannot read; only their presence is compared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from aigw_policy.rules import is_credential_name
from aigw_policy.values import SECRET_MARK, Secret
from aigw_policy.vocabulary import DEFAULT_OTEL_CONTENT_TYPE, DEFAULT_SPEND_TECHNIQUE

from .. import fields

# API key -> prop name, where it is not simply the camelCase (pulumi-cloudflare renames): from the
# field table (aigw/fields.py).
_TOP_RENAMES = fields.top_renames()
_NESTED_RENAMES = fields.nested_props()  # under dlp.policies[], spendLimits.rules[]
_LOWER_KEYS = fields.lower_case_parents()  # guardrail categories: P1 -> p1
READ_ONLY = {"created_at", "modified_at", "is_default", "account_tag", "internal_id", "account_id"}
_FREE_FORM = {path[-1] for path in fields.AI_GATEWAY_FREE_FORM}  # maps whose keys are data, not field names
_camel = fields.camel


# Query parameter names that carry a credential in an OTLP endpoint URL (`api_key`, `token`, `sig`,
# `X-Amz-Signature`, `dd-api-key`, `access_key`, `password`, `secret`, any `...key` ...): those the
# secrets-not-plaintext rule names, and more. Broad on purpose: a parameter wrongly taken for one is
# only compared by presence, and left out by `aigw import` with a note.
_CREDENTIAL_QUERY = re.compile(
    r"(secret|passw(or)?d|^pwd$|^pass$|token|^auth|signature|^sig$|credential|session|access_?key|api_?key"
    r"|key$|^key|^code$)", re.I)
_URL_SECRET = SECRET_MARK  # a URL credential in the comparison form: compared by presence, never shown


def url_credentials(url: str, replacement: str | None = None) -> tuple[str, list[str]]:
    """``url`` with its credentials replaced by ``replacement`` (None: left out), and what they
    were: "userinfo" (user and password before the host, RFC 3986 section 3.2.1) and each
    credential-like query parameter by name. Everything else stays byte for byte. A credential in
    the path cannot be told from a path and stays (docs/live.md says so)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url, []
    parts: list[str] = []
    end = len(rest)
    for stop in "/?#":
        at = rest.find(stop)
        if at != -1:
            end = min(end, at)
    authority, tail = rest[:end], rest[end:]
    if "@" in authority:
        userinfo, host = authority.rsplit("@", 1)
        authority = host if replacement is None else ":".join([replacement] * len(userinfo.split(":", 1))) + "@" + host
        parts.append("userinfo")
    path, qmark, query = tail.partition("?")
    query, hash_, fragment = query.partition("#")
    if qmark:
        pairs = []
        for pair in query.split("&"):
            key, eq, value = pair.partition("=")
            if eq and value and _CREDENTIAL_QUERY.search(unquote_plus(key).replace("-", "_")):
                parts.append(unquote_plus(key))
                if replacement is not None:
                    pairs.append(f"{key}={replacement}")
            else:
                pairs.append(pair)
        query = "&".join(pairs)
        qmark = qmark if query else ""
    return f"{scheme}://{authority}{path}{qmark}{query}{hash_}{fragment}", parts


def _props(value: Any, parent: str = "") -> Any:
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if parent in _FREE_FORM:
                out[k] = v
                continue
            key = _NESTED_RENAMES.get(parent, {}).get(k, k)
            key = key.lower() if parent in _LOWER_KEYS else _camel(key)
            out[key] = _props(v, k)
        return out
    if isinstance(value, list):
        return [_props(v, parent) for v in value]
    return value


def live_props(gateway: Mapping[str, Any], account_id: str) -> dict[str, Any]:
    """One gateway from the API -> AiGateway props (camelCase), read-only fields dropped."""
    props: dict[str, Any] = {"accountId": account_id}
    for key, value in gateway.items():
        if key in READ_ONLY:
            continue
        props[_TOP_RENAMES.get(key, _camel(key))] = _props(value, key)
    return props


def mark_credentials(props: Mapping[str, Any]) -> dict[str, Any]:
    """Credentials read from the API marked as secrets (for the rules: a live value is not a
    Pulumi plaintext problem, and it must never be shown)."""
    out = dict(props)
    otels = []
    for otel in props.get("otels") or []:
        otel = dict(otel)
        if otel.get("authorization") is not None:
            otel["authorization"] = Secret()
        otel["headers"] = {k: Secret() if is_credential_name(k) else v for k, v in (otel.get("headers") or {}).items()}
        otels.append(otel)
    if "otels" in props:
        out["otels"] = otels
    if isinstance(props.get("stripe"), Mapping) and "authorization" in props["stripe"]:
        out["stripe"] = {**props["stripe"], "authorization": Secret()}
    return out


# --- normalisation ------------------------------------------------------------------------------

_LOWER_ENUMS = {f.prop for f in fields.AI_GATEWAY if f.case == "lower"}
_UPPER_ENUMS = {f.prop for f in fields.AI_GATEWAY if f.case == "upper"}
# Omitted == this value (documented defaults, or the API's "off").
_DEFAULTS: dict[str, Any] = fields.api_defaults()
# Omitted on a live gateway == unknown, never compared. `authentication` has no safe default to
# assume: new gateways are on by default and cannot be turned off, older ones may be off
# (changelog 2026-11-03, "New AI Gateways require authentication"), so an absent value says nothing.
UNKNOWN_WHEN_ABSENT = tuple(f.prop for f in fields.AI_GATEWAY if f.absent_unknown)
# The gateway props this mapping knows (the field table's rows). A live field outside them is one
# Cloudflare added since: ignored, never drift.
KNOWN_PROPS = fields.props()
SECRET_FIELD = "(secret, not compared)"


def normalise(props: Mapping[str, Any]) -> dict[str, Any]:
    """Props in a canonical form for comparison (see the module docstring)."""
    p = {k: v for k, v in props.items() if v is not None}
    for key in _LOWER_ENUMS & set(p):
        p[key] = str(p[key]).lower()
    for key in _UPPER_ENUMS & set(p):
        p[key] = str(p[key]).upper()
    if not p.get("rateLimitingLimit") or not p.get("rateLimitingInterval"):
        for key in ("rateLimitingLimit", "rateLimitingInterval", "rateLimitingTechnique"):
            p.pop(key, None)
    if not p.get("retryMaxAttempts"):
        # 0 or absent attempts: not compared, but the delay and backoff still are (a live delay or
        # backoff set without attempts is a difference to see, not to hide).
        p.pop("retryMaxAttempts", None)
    for key, default in _DEFAULTS.items():
        if p.get(key) == default:
            p.pop(key)
    if isinstance(p.get("logpushPublicKey"), str):
        p["logpushPublicKey"] = p["logpushPublicKey"].strip()
    if isinstance(p.get("dlp"), Mapping):
        dlp = dict(p["dlp"])
        if not dlp.get("enabled"):
            p.pop("dlp")
        else:
            dlp["policies"] = [{**q, "action": str(q.get("action")).upper(),
                                "checks": sorted(str(c).upper() for c in q.get("checks") or []),
                                "enabled": q.get("enabled", True)} for q in dlp.get("policies") or []]
            if not dlp["policies"]:
                dlp.pop("policies")
            p["dlp"] = dlp
    if isinstance(p.get("guardrails"), Mapping):
        g = {side: {k.lower(): str(v).upper() for k, v in (p["guardrails"].get(side) or {}).items() if v}
             for side in ("prompt", "response")}
        if any(g.values()):
            p["guardrails"] = g
        else:
            p.pop("guardrails")
    if isinstance(p.get("spendLimits"), Mapping):
        s = p["spendLimits"]
        # A rule's defaults: enabled, sliding window (terraform-provider-cloudflare v5.22.0
        # `internal/services/ai_gateway/schema.go`: rule `enabled` StaticBool(true), `technique` "sliding").
        rules = [{k: v for k, v in {**r, "enabled": r.get("enabled", True),
                                    "technique": r.get("technique") or DEFAULT_SPEND_TECHNIQUE}.items()
                  if v is not None}
                 for r in s.get("rules") or []]
        if not rules:  # no rule limits nothing, whatever `enabled` says
            p.pop("spendLimits")
        else:
            p["spendLimits"] = {"enabled": bool(s.get("enabled")), "rules": rules}
    if "otels" in p:
        otels = []
        for otel in p["otels"] or []:
            o = {k: v for k, v in dict(otel).items() if v is not None}
            o["contentType"] = str(o.get("contentType") or DEFAULT_OTEL_CONTENT_TYPE).lower()
            if isinstance(o.get("url"), str):  # a URL's credentials: by presence, never shown
                o["url"] = url_credentials(o["url"], _URL_SECRET)[0]
            if "authorization" in o:
                o["authorization"] = SECRET_FIELD
            headers = o.get("headers") or {}
            # A header declared as a secret (`aigw import` declares every one so) is compared by presence.
            o["headers"] = {k: SECRET_FIELD if is_credential_name(k) or _is_secret(v) else v
                            for k, v in headers.items()}
            otels.append(o)
        if otels:
            p["otels"] = otels
        else:
            p.pop("otels")
    if isinstance(p.get("stripe"), Mapping):
        p["stripe"] = {**p["stripe"], "authorization": SECRET_FIELD}
    return p


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": [1]}} -> {"a.b[0]": 1}; empty maps and lists kept as leaves."""
    if isinstance(value, Mapping) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def differences(declared: Mapping[str, Any], live: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field path, declared, live) for every field that differs after normalisation.

    Spend-limit rule ids the API generated are ignored where the declaration gives none; a field
    absent on the live side that says nothing by its absence (UNKNOWN_WHEN_ABSENT) is not compared;
    a live field this mapping does not know (KNOWN_PROPS) and the declaration lacks is ignored."""
    unknown = {k for k in UNKNOWN_WHEN_ABSENT if live.get(k) is None}
    live = {k: v for k, v in live.items() if k in KNOWN_PROPS or k in declared}
    d, l_ = flatten(normalise(declared)), flatten(normalise(live))
    out = []
    for key in sorted(set(d) | set(l_)):
        if key.split(".", 1)[0].split("[", 1)[0] in unknown:
            continue
        if key.startswith("spendLimits.rules[") and key.endswith("].id") and key not in d:
            continue
        if key == "accountId":
            continue
        if d.get(key) == SECRET_FIELD and key in l_:
            continue  # a declared secret: compared by presence, whatever the live value is
        if d.get(key, _MISSING) != l_.get(key, _MISSING):
            out.append((key, d.get(key), l_.get(key)))
    return out


def _is_secret(value: Any) -> bool:
    return isinstance(value, Secret) or value == SECRET_MARK  # how the plan shows a secret


_MISSING = object()
