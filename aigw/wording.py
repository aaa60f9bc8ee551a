"""Settings in words: the one wording of every setting that `aigw plan`, `aigw diff` and `aigw compare` show.

Each function reads planned props (camelCase, as the engine and the policy pack see them) and
returns the words a person reads: `rate_limit({"rateLimitingLimit": 1200, ...})` is
"1,200/60s fixed" in the plan's table, a diff's `old -> new` and a comparison's cells alike.
Secret values are never words: they read "[secret]".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aigw_policy.vocabulary import (
    DEFAULT_OTEL_CONTENT_TYPE,
    DEFAULT_RATE_LIMIT_TECHNIQUE,
    DEFAULT_SPEND_TECHNIQUE,
    SECRET_MARK,
)

from .keyprint import shown as fingerprint_shown

OFF = "off"
ON = "on"


def number(value: Any) -> str:
    """An integer with thousands separators (1,200); a float as short as it reads (0.5); else as is."""
    if isinstance(value, bool):
        return ON if value else OFF
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{int(value):,}" if value.is_integer() and abs(value) >= 1000 else f"{value:g}"
    return str(value)


def compact(value: Any) -> str:
    """Any value in one short line: none, on/off, numbers, a list joined by commas, else JSON."""
    if value is None:
        return "none"
    if isinstance(value, (bool, int, float)):
        return number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(compact(v) for v in value) or "none"
    return json.dumps(value, sort_keys=True, separators=(", ", ": "))


def on_off(value: Any) -> str:
    return ON if value is True else OFF


def rate_limit(p: Mapping[str, Any]) -> str:
    limit, interval = p.get("rateLimitingLimit") or 0, p.get("rateLimitingInterval") or 0
    if not limit or not interval:
        return OFF
    return f"{number(limit)}/{number(interval)}s {p.get('rateLimitingTechnique') or DEFAULT_RATE_LIMIT_TECHNIQUE}"


def cache(p: Mapping[str, Any]) -> str:
    ttl = p.get("cacheTtl") or 0
    if not ttl:
        return OFF
    return f"ttl {number(ttl)}s" + (", invalidate on update" if p.get("cacheInvalidateOnUpdate") else "")


_STRATEGY = {"DELETE_OLDEST": "delete oldest", "STOP_INSERTING": "stop inserting"}


def log_retention(p: Mapping[str, Any]) -> str:
    """Legacy Logs storage (logManagement, logManagementStrategy): "" when neither is set."""
    parts = []
    if p.get("logManagement"):
        parts.append(f"keep {number(p['logManagement'])}")
    strategy = p.get("logManagementStrategy")
    if strategy:
        parts.append(f"when full {_STRATEGY.get(strategy, str(strategy).lower().replace('_', ' '))}")
    return ", ".join(parts)


def logs(p: Mapping[str, Any]) -> str:
    if not p.get("collectLogs"):
        return OFF
    retention = log_retention(p)
    return "collected" + (f", {retention}" if retention else "")


def authentication(p: Mapping[str, Any]) -> str:
    return on_off(p.get("authentication"))


def retry(p: Mapping[str, Any]) -> str:
    attempts = p.get("retryMaxAttempts")
    if not attempts:
        return OFF
    return f"{number(attempts)} attempts, {number(p.get('retryDelay') or 0)} ms, {p.get('retryBackoff') or 'constant'}"


def dlp(p: Mapping[str, Any]) -> str:
    d = p.get("dlp") or {}
    if not isinstance(d, Mapping) or not d.get("enabled"):
        return OFF
    policies = d.get("policies") or []
    if policies:
        return "; ".join(f"{q.get('id')}: {q.get('action')} {'+'.join(q.get('checks') or [])} "
                         f"({len(q.get('profiles') or [])} profile(s)){'' if q.get('enabled', True) else ' disabled'}"
                         for q in policies)
    return f"{d.get('action')} ({len(d.get('profiles') or [])} profile(s))"


def _category(key: str) -> tuple[str, int, str]:
    key = key.upper()
    digits = key[1:]
    return (key[:1], int(digits) if digits.isdigit() else 0, key)


def guardrails(p: Mapping[str, Any]) -> str:
    g = p.get("guardrails") or {}
    if not isinstance(g, Mapping):
        return compact(g)
    parts = []
    for side in ("prompt", "response"):
        categories = g.get(side) or {}
        if categories:
            parts.append(f"{side} " + ", ".join(f"{k.upper()} {v}" for k, v in
                                                sorted(categories.items(), key=lambda kv: _category(kv[0]))))
    return "; ".join(parts) or OFF


def spend_rule(rule: Mapping[str, Any]) -> str:
    limit = rule.get("limit")
    words = f"${number(limit)}/{number(rule.get('window'))}s {rule.get('technique') or DEFAULT_SPEND_TECHNIQUE}"
    models = (rule.get("model") or {}).get("values") if isinstance(rule.get("model"), Mapping) else None
    if models:
        words += " " + ",".join(str(m) for m in models)
    if rule.get("id"):
        words += f" id {rule['id']}"
    if rule.get("enabled") is False:
        words += " disabled"
    return words


def spend_limits(p: Mapping[str, Any]) -> str:
    s = p.get("spendLimits") or {}
    if not isinstance(s, Mapping):
        return compact(s)
    rules = s.get("rules") or []
    if not rules or not s.get("enabled", True):
        return OFF
    return "; ".join(spend_rule(r) for r in rules if isinstance(r, Mapping))


def otel(o: Mapping[str, Any]) -> str:
    return f"{o.get('url')} ({o.get('contentType') or DEFAULT_OTEL_CONTENT_TYPE})"


def secret_or_set(value: Any) -> str:
    """A credential's value: "[secret]" as the plan shows it, else only that it is set."""
    return SECRET_MARK if value == SECRET_MARK else "set"


def public_key(pem: Any) -> str:
    """A Logpush public key, by the fingerprint `aigw logpush keygen` prints (SHA256:<hex of DER>)."""
    if not pem:
        return "none"
    if pem == SECRET_MARK:
        return SECRET_MARK
    try:
        return f"set ({fingerprint_shown(str(pem))})"
    except ValueError:
        return "set (not a PEM public key)"


def workers_ai_billing(p: Mapping[str, Any]) -> str:
    return compact(p.get("workersAiBillingMode"))


def module(p: Mapping[str, Any]) -> str:
    return f"{p.get('contentFile') or p.get('mainModule')} (sha256 {str(p.get('contentSha256') or '')[:12]})"


def binding(b: Mapping[str, Any]) -> str:
    """A Worker binding's value: `secret [secret]`, `"text"` for plain text, else its kind (ai, ...)."""
    kind = b.get("type")
    if kind == "secret_text":
        return f"secret {secret_or_set(b.get('text'))}"
    if kind == "plain_text":
        return f"\"{b.get('text')}\""
    return str(kind)


def validity(not_before: Any, expires_on: Any) -> str:
    """A token's validity window, by day."""
    return f"{str(not_before)[:10]} to {str(expires_on)[:10]}"


def permissions(groups: Any) -> str:
    return ", ".join(str(g) for g in groups or [])


# --- provider keys and routes ----------------------------------------------------------------------

def provider_key(p: Mapping[str, Any]) -> str:
    """A provider config: "openai alias default (default), 100 per 60 s"."""
    words = f"{p.get('providerSlug')} alias {p.get('alias')}"
    if p.get("defaultConfig"):
        words += " (default)"
    if p.get("rateLimit"):
        words += f", {number(p.get('rateLimit'))} per {number(p.get('rateLimitPeriod'))} s"
    return words


def _conditions(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, Mapping):
        parts = []
        for key, test in value.items():
            if isinstance(test, Mapping) and len(test) == 1:
                ((op, operand),) = test.items()
                parts.append(f"{key} {op} {compact(operand)}")
            else:
                parts.append(f"{key} {compact(test)}")
        return " and ".join(parts)
    return compact(value)


def _model(e: Mapping[str, Any]) -> str:
    props = e.get("properties") or {}
    provider = props.get("aiGatewayDynamicRoutingProvider", props.get("provider"))
    return f"{provider}/{props.get('model')}"


def _rate(e: Mapping[str, Any]) -> str:
    props = e.get("properties") or {}
    unit = "USD" if props.get("limitType") == "cost" else "requests"
    return f"{number(props.get('limit'))} {unit}/{number(props.get('window'))}s per {props.get('key')}"


def _target(e: Mapping[str, Any], name: str) -> Any:
    out = (e.get("outputs") or {}).get(name)
    return out.get("elementId") if isinstance(out, Mapping) else None


def route(p: Mapping[str, Any]) -> dict[str, str]:
    """A route's settings in words, keyed by where a request is on the route.

    Walking from the start: the first model a request reaches is "model", the model its fallback reaches is
    "fallback", the next "fallback 2", and so on; a conditional prefixes its branches ("if metadata.plan $eq
    paid: model", "else: model"), a rate element its two sides ("within 100 requests/3600s per ...:",
    "over ...:"), a percentage split a line of where each share goes first ("split": "70% openai/gpt-4o, 30%
    anthropic/claude-sonnet-4-5", the largest first), then each share's path under the element it goes to
    ("split to a: model", "split to a: fallback"). A model's retries and
    timeout are a setting of their own. So a changed fallback reads
    "fallback: openai/gpt-4o -> anthropic/claude-sonnet-4-5", and a changed share
    "split: 70% openai/gpt-4o, 30% ... -> 50% openai/gpt-4o, 50% ...".
    """
    elements = {e.get("id"): e for e in p.get("elements") or [] if isinstance(e, Mapping)}
    out: dict[str, str] = {}
    start = next((e for e in elements.values() if e.get("type") == "start"), None)
    if start is None:
        return {"elements": compact(p.get("elements"))}

    def put(key: str, value: str) -> None:
        out[key] = value if key not in out or out[key] == value else f"{out[key]}; {value}"

    def walk(element_id: Any, prefix: str, fallbacks: int, seen: tuple[Any, ...]) -> None:
        e = elements.get(element_id)
        if e is None or element_id in seen:
            put(f"{prefix}{'model' if fallbacks < 0 else _nth(fallbacks)}", compact(element_id))
            return
        seen = (*seen, element_id)
        kind = e.get("type")
        slot = "model" if fallbacks < 0 else _nth(fallbacks)
        if kind == "end":
            put(f"{prefix}{slot}", "none (end)")
        elif kind == "start":
            walk(_target(e, "next"), prefix, fallbacks, seen)
        elif kind == "conditional":
            cond = _conditions((e.get("properties") or {}).get("conditions"))
            walk(_target(e, "true"), f"{prefix}if {cond}: ", fallbacks, seen)
            walk(_target(e, "false"), f"{prefix}else: ", fallbacks, seen)
        elif kind == "rate":
            rate = _rate(e)
            walk(_target(e, "success"), f"{prefix}within {rate}: ", fallbacks, seen)
            walk(_target(e, "fallback"), f"{prefix}over {rate}: ", fallbacks, seen)
        elif kind == "percentage":
            # The largest share first, whatever order the outputs come in (the plan's JSON sorts keys).
            shares = sorted(((share, out.get("elementId") if isinstance(out, Mapping) else None)
                             for share, out in (e.get("outputs") or {}).items()), key=_share_order)
            put(f"{prefix}split", ", ".join(f"{share} {first(target)}" for share, target in shares))
            # Each share's path under the element it goes to, not under its share: a new share then reads as
            # one change of "split", not as paths removed and added.
            for target in dict.fromkeys(target for _share, target in shares):
                walk(target, f"{prefix}split to {compact(target)}: ", fallbacks, seen)
        elif kind == "model":
            label = _model(e)
            put(f"{prefix}{slot}", label)
            props = e.get("properties") or {}
            put(f"{prefix}{slot} retries/timeout",
                f"{number(props.get('retries'))} retries, {number(props.get('timeout'))} ms")
            success = elements.get(_target(e, "success"))
            if success is not None and success.get("type") != "end":
                walk(_target(e, "success"), f"{prefix}after {label}: ", -1, seen)
            walk(_target(e, "fallback"), prefix, fallbacks + 1, seen)
        else:
            put(f"{prefix}{slot}", f"{kind} {compact(element_id)}")

    def first(element_id: Any) -> str:
        """Where a share of a split goes first: a model, the end, or the element that decides next."""
        e = elements.get(element_id)
        kind = e.get("type") if e is not None else None
        return _model(e) if kind == "model" else "none (end)" if kind == "end" else f"{kind} {compact(element_id)}"

    walk(start.get("id"), "", -1, ())
    return out


_SPLIT_MODEL = re.compile(r"split to [^:]+: model$")


def _share_order(item: tuple[Any, Any]) -> tuple[float, str]:
    share = str(item[0])
    try:
        return (-float(share.rstrip("%")), share)
    except ValueError:
        return (0.0, share)


def _nth(fallbacks: int) -> str:
    return "fallback" if fallbacks == 0 else f"fallback {fallbacks + 1}"


def route_summary(p: Mapping[str, Any]) -> str:
    """A route in one line (the plan's table): its settings but retries and timeouts, and but the first model
    of each share of a split (its "split" setting names them)."""
    return "; ".join(f"{k} {v}" for k, v in route(p).items()
                     if not k.endswith("retries/timeout") and not _SPLIT_MODEL.search(k))
