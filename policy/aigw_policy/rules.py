"""The org's rules, each with a stable id. docs/policy.md explains each one; tests/policy/ tests each one.

Rules read the resources Cloudflare gets (AiGateway, LogpushJob, WorkersScript, AccountToken)
and two components of this project that carry what the Cloudflare resources cannot show:
`aigw:index:ApiToken` (a token's purpose and permission names; the AccountToken only has
permission group ids) and `aigw:index:EdgeWorker` (which token an edge Worker holds).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .engine import Context, Rule, Violation, each, guarded, known
from .values import Resource, need, reveal, secret_at
from .vocabulary import (
    ACCOUNT_TOKEN,
    AI_GATEWAY,
    API_TOKEN,
    DEFAULT_MAX_TOKEN_DAYS,
    EDGE_WORKER,
    LOGPUSH_JOBS,
    PROVIDER_CONFIG,
    ROUTE_TYPES,
    SECRETS_STORE_SECRET,
    WORKERS_SCRIPT,
)
from .vocabulary import CLOUDFLARE_LOGPUSH_JOB as CLOUDFLARE_LOGPUSH_JOB  # re-exported
from .vocabulary import LOGPUSH_JOB as LOGPUSH_JOB  # re-exported
from .waivers import DEFAULT_MAX_WAIVER_DAYS
from .waivers import RULE_ID as RELAXATIONS_WAIVED
from .waivers import judge as judge_waivers

# The type strings live in .vocabulary (shared with aigw); the names here stay for the rules and
# for readers importing them from aigw_policy.rules. The stack's Logpush job is a dynamic resource
# whose props carry pulumi-cloudflare's LogpushJob names, so the rules read a job of either type.
GATEWAY = AI_GATEWAY

# The Logpush dataset of AI Gateway events (Cloudflare Logs docs, Datasets > Account > AI Gateway events:
# developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/ai_gateway_events/).
AI_GATEWAY_LOGPUSH_DATASET = "ai_gateway_events"
# The edge Worker's main module (aigw/workers/edge.mjs) as deployed.
EDGE_MAIN_MODULE = "edge.mjs"
RUN_PERMISSION = "AI Gateway Run"
DEFAULT_GATEWAY_ID = "default"
ANY_ACCOUNT = object()  # a Logpush job whose account is unknown, outside production

_CREDENTIAL_NAME = re.compile(r"(authorization|api[-_]?key|token|secret|password|credential|signature|cookie)", re.I)
_CREDENTIAL_PARAM = re.compile(
    r"(secret|password|token|signature|^sig$|access[-_]key|api[-_]?key|authorization|credential)", re.I)


def is_credential_name(name: str) -> bool:
    """A header, binding or parameter name that carries a credential (Authorization, X-Api-Key, ...)."""
    return bool(_CREDENTIAL_NAME.search(name))


def url_credentials(url: str) -> list[str]:
    """What in a URL is a credential: a password in its userinfo (``https://user:pass@host``; RFC 3986
    sections 3.2.1 and 7.5 deprecate it) and credential-like query parameters (``api_key=``,
    ``token=``, ``sig=``, ``X-Amz-Signature=``). Names only, never the values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = ["userinfo"] if parts.username is not None or parts.password is not None else []
    return found + sorted({k for k, _ in parse_qsl(parts.query) if _CREDENTIAL_PARAM.search(k)})


def _gw(res: Resource) -> str:
    gid = reveal(res.props.get("aiGatewayId"))
    return f"gateway {res.name!r}" + (f" (id {gid})" if isinstance(gid, str) and gid != res.name else "")


def _of_type(resources: Sequence[Resource], type_: str | tuple[str, ...]) -> list[Resource]:
    types = (type_,) if isinstance(type_, str) else type_
    return [r for r in resources if r.type in types]


def _binding_index(script: Resource, name: str) -> int | None:
    for i in range(len(need(script.props, "bindings", []) or [])):
        if need(script.props, f"bindings[{i}].name") == name:
            return i
    return None


def _binding_text(script: Resource, name: str) -> Any:
    """The text of a binding (None when absent). Only asked for bindings whose text is a literal."""
    i = _binding_index(script, name)
    return None if i is None else need(script.props, f"bindings[{i}].text")


def _edge_scripts(resources: Sequence[Resource], ctx: Context) -> list[Resource]:
    """The edge Workers: scripts declared by an aigw:index:EdgeWorker component (by script name),
    running the edge module with a Run token. A team Worker whose module is also called edge.mjs
    is not one. (A script whose name or bindings are unknown counts as one outside production only.)"""
    components = _of_type(resources, EDGE_WORKER)
    declared = {known(ctx, lambda e=e: need(e.props, "scriptName"), None, None) for e in components}

    def is_edge(s: Resource) -> bool:
        return (need(s.props, "scriptName") in declared and need(s.props, "mainModule") == EDGE_MAIN_MODULE
                and _binding_index(s, "AIG_TOKEN") is not None)

    return [s for s in _of_type(resources, WORKERS_SCRIPT) if known(ctx, lambda s=s: is_edge(s), False, True)]


# --- production-payloads-not-stored -------------------------------------------------------------

def _payloads_not_stored(resources: Sequence[Resource], ctx: Context) -> Iterator[Violation]:
    rule = "production-payloads-not-stored"
    edges = _edge_scripts(resources, ctx)

    def gateway(gw: Resource) -> Iterator[Violation]:
        if need(gw.props, "collectLogs") is False:
            # Logging can still be turned on per request (cf-aig-collect-log: true), payloads included:
            # only authentication keeps that to the holders of a Run token.
            if need(gw.props, "authentication") is not True:
                yield Violation(gw, (
                    f"{_gw(gw)} does not collect logs but is not authenticated: any caller can send "
                    "cf-aig-collect-log: true and have that request, payloads included, stored. Set "
                    "authentication: true."))
            return
        if need(gw.props, "authentication") is not True:
            yield Violation(gw, (
                f"{_gw(gw)} collects logs but is not authenticated: any caller that knows the account id can "
                "send cf-aig-collect-log-payload: true and have prompts and responses stored. Set "
                "authentication: true and front it with an edge Worker (edge: {token: <run token>})."))
        gid = need(gw.props, "aiGatewayId")
        # An edge Worker whose GATEWAY_ID is unknown fronts nothing in production (fail closed).
        fronting = [s for s in edges if known(ctx, lambda s=s: _binding_text(s, "GATEWAY_ID") == gid, False, True)]
        if not fronting:
            yield Violation(gw, (
                f"{_gw(gw)} collects logs and no edge Worker of this stack fronts it, so nothing forces "
                "cf-aig-collect-log-payload: false on its requests (payloads are stored by default). Add "
                "edge: {token: <run token>} to the gateway (or to aigw:defaults)."))
        for script in fronting:
            yield from guarded(rule, script, ctx, lambda s=script: payloads_off(s, gw))

    def payloads_off(script: Resource, gw: Resource) -> Iterator[Violation]:
        payloads = _binding_text(script, "PAYLOADS")
        if payloads != "false":
            yield Violation(script, (
                f"edge Worker {script.name!r} fronts {_gw(gw)} but does not force payloads off (binding "
                f"PAYLOADS is {payloads!r}, not 'false'). Set logging.payloads: false on the gateway."))

    def team_worker(script: Resource) -> Iterator[Violation]:
        count = len(need(script.props, "bindings", []) or [])
        if "ai" in [need(script.props, f"bindings[{i}].type") for i in range(count)]:
            yield Violation(script, (
                f"Worker {script.name!r} has a Workers AI binding in production: the binding reaches every "
                "gateway of the account and cannot force payloads off, so it bypasses the edge Workers. "
                "Call the gateway through its edge Worker's URL instead, or keep this Worker out of production."))

    def run_token(token: Resource) -> Iterator[Violation]:
        if RUN_PERMISSION in (need(token.props, "permissionGroups", []) or []) and token.name not in held:
            yield Violation(token, (
                f"token {token.name!r} has {RUN_PERMISSION} and no edge Worker holds it: a Run token is "
                "account-wide, so whoever holds it can call any gateway directly and choose to store payloads. "
                "Give Run tokens only to edge Workers (edge: {token: " + token.name + "}) or remove it."))

    yield from each(rule, _of_type(resources, GATEWAY), ctx, gateway)
    yield from each(rule, [s for s in _of_type(resources, WORKERS_SCRIPT) if s not in edges], ctx, team_worker)
    held = {known(ctx, lambda e=e: need(e.props, "token"), None, None) for e in _of_type(resources, EDGE_WORKER)}
    yield from each(rule, _of_type(resources, API_TOKEN), ctx, run_token)


# --- gateway settings in production -------------------------------------------------------------

def _no_payload_export(gw: Resource, ctx: Context) -> Iterator[Violation]:
    if need(gw.props, "logClassification") is True:
        yield Violation(gw, (
            f"{_gw(gw)} has log classification on: it analyses stored prompts and responses. Set "
            "logging.classification: false."))
    allowed = [str(h).lower() for h in ctx.config.get("allowedOtelHosts", [])]
    for i in range(len(need(gw.props, "otels", []) or [])):
        url = need(gw.props, f"otels[{i}].url")
        host = urlsplit(url).hostname if isinstance(url, str) else None
        if host not in allowed:
            yield Violation(gw, (
                f"{_gw(gw)} exports OpenTelemetry spans, which carry prompts and completions, to {host or url!r}, "
                f"which is not in allowedOtelHosts ({', '.join(allowed) or 'none'}). Remove otel[{i}] or add "
                "the host to allowedOtelHosts in the policy config."))


def _authentication(gw: Resource, ctx: Context) -> Iterator[Violation]:
    if need(gw.props, "authentication") is not True:
        yield Violation(gw, (
            f"{_gw(gw)} is not authenticated: anyone who knows the account id and gateway id can send "
            "traffic through it (and set its logging headers). Set authentication: true."))


def _rate_limited(gw: Resource, ctx: Context) -> Iterator[Violation]:
    limit, interval = need(gw.props, "rateLimitingLimit"), need(gw.props, "rateLimitingInterval")
    if not (isinstance(limit, (int, float)) and limit > 0 and isinstance(interval, (int, float)) and interval > 0):
        yield Violation(gw, (
            f"{_gw(gw)} has no rate limit (limit {limit}, interval {interval}). Set rateLimit: "
            "{limit: <requests>, interval: <seconds>, technique: sliding}."))


# --- secrets --------------------------------------------------------------------------------

def _plaintext(res: Resource, what: str, fix: str) -> Violation:
    return Violation(res, f"{res.type.rsplit(':', 1)[-1]} {res.name!r}: {what} is in plain text and would be "
                          f"stored unencrypted in the Pulumi state. {fix}")


def _secrets(res: Resource, ctx: Context) -> Iterator[Violation]:
    props = res.props
    if res.type == GATEWAY:
        for i in range(len(need(props, "otels", []) or [])):
            otel = need(props, f"otels[{i}]")
            if "authorization" in otel and _plain_text_at(props, f"otels[{i}].authorization"):
                yield _plaintext(res, f"otel[{i}].authorization", _set_secret(res, f"otel[{i}].authorization"))
            url = need(props, f"otels[{i}].url")
            if isinstance(url, str) and url_credentials(url) and not secret_at(props, f"otels[{i}].url"):
                yield _plaintext(res, f"otel[{i}].url (with {', '.join(url_credentials(url))})",
                                 "Send the credential in otel[].authorization or a header, as a `secure:` value.")
            for header in need(props, f"otels[{i}].headers", {}) or {}:
                if is_credential_name(header) and _plain_text_at(props, ("otels", i, "headers", header)):
                    where = f"otel[{i}].headers.{header}"
                    yield _plaintext(res, where, _set_secret(res, where))
        stripe = need(props, "stripe")
        if isinstance(stripe, dict) and "authorization" in stripe and _plain_text_at(props, "stripe.authorization"):
            yield _plaintext(res, "stripe.authorization", _set_secret(res, "stripe.authorization"))
    elif res.type in LOGPUSH_JOBS:
        if "destinationConf" in props and not secret_at(props, "destinationConf"):
            leaked = url_credentials(str(need(props, "destinationConf")))
            if leaked:
                yield _plaintext(res, f"destinationConf (with {', '.join(leaked)})",
                                 "Pass destination_conf as a secret, as aigw:logpush does.")
    elif res.type == WORKERS_SCRIPT:
        for i in range(len(need(props, "bindings", []) or [])):
            name, kind = need(props, f"bindings[{i}].name"), need(props, f"bindings[{i}].type")
            if kind == "secret_text" and _plain_text_at(props, f"bindings[{i}].text"):
                yield _plaintext(res, f"secret_text binding {name}", "Pass its text as a secret (a `secure:` value).")
            elif kind == "plain_text" and isinstance(name, str) and is_credential_name(name):
                yield _plaintext(res, f"binding {name} (plain_text)", f"Make {name} a secret_text binding "
                                 "(aigw:workers.<name>.secrets) with a `secure:` value.")


def _plain_text_at(props: Any, path: str | tuple[str | int, ...]) -> bool:
    """Whether the value at ``path`` is plain text. An unknown value that is not marked secret
    cannot be judged yet: need() raises, so the rule fails closed in production only."""
    if secret_at(props, path):
        return False
    need(props, path)
    return True


def _set_secret(res: Resource, path: str) -> str:
    return f"Set it with `pulumi config set --secret --path 'aigw:gateways.{res.name}.{path}' <value>`."


# --- resource shape everywhere ------------------------------------------------------------------

def _no_default_gateway(gw: Resource, ctx: Context) -> Iterator[Violation]:
    if need(gw.props, "aiGatewayId") == DEFAULT_GATEWAY_ID:
        yield Violation(gw, (
            f"{_gw(gw)} uses the id 'default': Cloudflare creates that gateway by itself (logs on) and "
            "re-creates it after a delete, so declaring it fights the platform. Give the gateway its own id."))


def _logpush_complete(resources: Sequence[Resource], ctx: Context) -> Iterator[Violation]:
    rule = "logpush-complete"

    def usable(job: Resource) -> bool:
        return (need(job.props, "dataset") == AI_GATEWAY_LOGPUSH_DATASET
                and need(job.props, "enabled", True) is not False)

    jobs = [j for j in resources if j.type in LOGPUSH_JOBS and known(ctx, lambda j=j: usable(j), False, True)]
    accounts = {known(ctx, lambda j=j: need(j.props, "accountId"), None, ANY_ACCOUNT) for j in jobs}

    def gateway(gw: Resource) -> Iterator[Violation]:
        if need(gw.props, "logpush") is not True:
            return
        if need(gw.props, "collectLogs") is not True:
            yield Violation(gw, f"{_gw(gw)} has logpush on but collects no logs, so nothing is exported. "
                                "Set logging.collect: true or logging.logpush: false.")
        key = need(gw.props, "logpushPublicKey")
        if not (isinstance(key, str) and "BEGIN PUBLIC KEY" in key):
            yield Violation(gw, f"{_gw(gw)} has logpush on without a public key: Cloudflare encrypts exported "
                                "logs with it. Run `aigw logpush keygen <stack>` or set aigw:logpush.publicKey.")
        account = need(gw.props, "accountId")
        if account not in accounts and ANY_ACCOUNT not in accounts:
            yield Violation(gw, (
                f"{_gw(gw)} has logpush on but the stack has no enabled Logpush job with dataset "
                f"{AI_GATEWAY_LOGPUSH_DATASET} in account {account}: its logs go nowhere. Add aigw:logpush "
                "(destination and retention) to the stack."))

    yield from each(rule, _of_type(resources, GATEWAY), ctx, gateway)


_WRITE = re.compile(r"\b(Write|Edit)\b")


def _days(date_text: Any) -> dt.date | None:
    if not isinstance(date_text, str):
        return None
    try:
        return dt.date.fromisoformat(date_text[:10])
    except ValueError:
        return None


def _lifetime(res: Resource, ctx: Context) -> Iterator[Violation]:
    max_days = int(ctx.config.get("maxTokenDays", DEFAULT_MAX_TOKEN_DAYS))
    expires = _days(need(res.props, "expiresOn"))
    # A token lives from notBefore (from now when it has none) until expiresOn.
    starts = _days(need(res.props, "notBefore")) or ctx.today
    if expires is None:
        yield Violation(res, f"token {res.name!r} never expires. Set expiresInDays (at most {max_days}).")
    elif (expires - starts).days > max_days:
        yield Violation(res, (
            f"token {res.name!r} is valid for {(expires - starts).days} days ({starts} to {expires}), more "
            f"than maxTokenDays ({max_days}). Shorten expiresInDays and rotate by moving validFrom."))


def _least_privilege(res: Resource, ctx: Context) -> Iterator[Violation]:
    account = ctx.account_id
    if res.type == API_TOKEN:
        if account and need(res.props, "accountId") != account:
            yield Violation(res, f"token {res.name!r} is for account {need(res.props, 'accountId')}, not the "
                                 f"stack's account {account}. Declare it in that account's stack.")
        purpose = need(res.props, "purpose")
        writes = [p for p in need(res.props, "permissionGroups", []) or [] if _WRITE.search(str(p))]
        if writes and purpose != "deploy":
            yield Violation(res, (
                f"token {res.name!r} (purpose {purpose}) has write permissions ({', '.join(writes)}): only "
                "purpose deploy may write. Use purpose run or read."))
        yield from _lifetime(res, ctx)
    elif res.type == ACCOUNT_TOKEN:
        for i in range(len(need(res.props, "policies", []) or [])):
            raw = need(res.props, f"policies[{i}].resources")
            try:
                scopes = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
            except ValueError:
                scopes = {raw: "?"}
            wanted = f"com.cloudflare.api.account.{account}" if account else None
            extra = sorted(str(k) for k in scopes if k != wanted) if wanted else []
            if extra:
                yield Violation(res, (
                    f"account token {res.name!r} reaches {', '.join(extra)} beyond the stack's account "
                    f"(com.cloudflare.api.account.{account}). Scope its policies to that account only."))
        yield from _lifetime(res, ctx)


# --- advisories ------------------------------------------------------------------------------

DEFAULT_EXPIRY_WARNING_DAYS = 14


def token_expiry_words(name: str, purpose: Any, expires_on: Any, today: dt.date,
                       warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS) -> str | None:
    """What to say about a token that has expired or expires within ``warning_days`` of ``today``
    (None otherwise). The same words in `aigw check` (tokens-not-expiring) and `aigw diff`.

    Cloudflare does not accept a token on or after its expires_on (pulumi_cloudflare/account_token.py:
    "The expiration time on or after which the JWT MUST NOT be accepted for processing"); the program
    sets it to midnight UTC of the date, so a token whose date is today has expired already.
    """
    expires = _days(expires_on)
    if expires is None:
        return None
    left = (expires - today).days
    if left > warning_days:
        return None
    held = (" The edge Workers hold it (AIG_TOKEN): once it has expired, every request through them fails."
            if purpose == "run" else "")
    rotate = "Rotate it: move validFrom forward in aigw:tokens (`pulumi up` then mints a new value)."
    if left <= 0:
        when = "today" if left == 0 else f"{-left} day{'s' if left != -1 else ''} ago"
        return f"token {name!r} expired on {expires} ({when}): Cloudflare no longer accepts it.{held} {rotate}"
    return (f"token {name!r} expires on {expires}, in {left} day{'s' if left != 1 else ''} (within "
            f"{warning_days}).{held} {rotate}")


def _not_expiring(res: Resource, ctx: Context) -> Iterator[Violation]:
    days = int(ctx.config.get("expiryWarningDays", DEFAULT_EXPIRY_WARNING_DAYS))
    words = token_expiry_words(res.name, need(res.props, "purpose"), need(res.props, "expiresOn"), ctx.today, days)
    if words:
        yield Violation(res, words)


def _keeps_newest(gw: Resource, ctx: Context) -> Iterator[Violation]:
    if need(gw.props, "collectLogs") is not True or need(gw.props, "logpush") is True:
        return
    if need(gw.props, "logManagementStrategy") == "STOP_INSERTING":
        yield Violation(gw, (
            f"{_gw(gw)} stops inserting logs once {need(gw.props, 'logManagement')} are stored: new requests "
            "then go unlogged without any error. Set logging.onFull: deleteOldest, or export with logpush."))


def _id_naming(gw: Resource, ctx: Context) -> Iterator[Violation]:
    pattern = str(ctx.config.get("gatewayIdPattern", DEFAULT_ID_PATTERN))
    pattern = pattern.replace("{environment}", re.escape(ctx.environment))
    gid = need(gw.props, "aiGatewayId")
    try:
        matched = re.fullmatch(pattern, str(gid))
    except re.error as exc:
        yield Violation(gw, f"gatewayIdPattern {pattern!r} is not a regular expression ({exc}): fix the policy "
                            "config.")
        return
    if not matched:
        yield Violation(gw, f"{_gw(gw)}: id {gid!r} does not match gatewayIdPattern {pattern!r}. Rename the "
                            "gateway or change its id: (the default id is <environment>-<name>).")


def _cache_bounded(gw: Resource, ctx: Context) -> Iterator[Violation]:
    ttl, max_ttl = need(gw.props, "cacheTtl"), int(ctx.config.get("maxCacheTtl", DEFAULT_MAX_CACHE_TTL))
    if isinstance(ttl, (int, float)) and ttl > max_ttl:
        yield Violation(gw, f"{_gw(gw)} caches responses for {ttl} s, more than maxCacheTtl ({max_ttl} s): "
                            f"stale answers are served that long. Set cache.ttl to at most {max_ttl}.")


def _dlp(gw: Resource, ctx: Context) -> Iterator[Violation]:
    configured = need(gw.props, "dlp.policies", []) or need(gw.props, "dlp.profiles", [])
    if need(gw.props, "dlp.enabled") is not True or not configured:
        yield Violation(gw, f"{_gw(gw)} has no DLP: personal data in prompts and responses goes unchecked. "
                            "Set dlp: {policies: [{id, action: BLOCK, check: [REQUEST, RESPONSE], profiles: [...]}]}.")


def _spend(gw: Resource, ctx: Context) -> Iterator[Violation]:
    if need(gw.props, "spendLimits.enabled") is not True or not need(gw.props, "spendLimits.rules", []):
        yield Violation(gw, f"{_gw(gw)} has no spend limit: a runaway client is only stopped by the bill. "
                            "Set spendLimits: {rules: [{limit, window, technique}]}.")


def _guardrails(gw: Resource, ctx: Context) -> Iterator[Violation]:
    missing = [side for side in ("prompt", "response") if not need(gw.props, f"guardrails.{side}", {})]
    if missing:
        yield Violation(gw, f"{_gw(gw)} has no guardrails on {' and '.join(m + 's' for m in missing)}. Set guardrails: "
                            "{prompt: {P1: BLOCK, ...}, response: {S1: BLOCK, ...}}.")


# <environment>-<name> in Cloudflare's id alphabet (lowercase, digits, underscores, single hyphens).
DEFAULT_ID_PATTERN = "{environment}-[a-z0-9_]+(-[a-z0-9_]+)*"
DEFAULT_MAX_CACHE_TTL = 86400

def _relaxations(resources: Sequence[Resource], ctx: Context) -> Iterator[Violation]:
    """Every waiver of the policy config that does not hold (malformed, expired, too long), and, in a
    production stack, every mandatory rule the policy config disables or lowers by level."""
    settings = ctx.settings
    _, problems = judge_waivers(settings, ctx.today, ctx.config.get("maxWaiverDays", DEFAULT_MAX_WAIVER_DAYS))
    for problem in problems:
        yield Violation(None, f"{problem}.")
    # Production for any rule (or by the stack's own list): narrowing one rule's productionEnvironments
    # must not hide the levels of the others.
    production = ctx.production or any(
        ctx.environment in (config.get("productionEnvironments") or []) for _, config in settings.values())
    if not production:
        return
    for rule in RULES:
        level = settings.get(rule.id, (rule.level, {}))[0]
        if rule.id != RELAXATIONS_WAIVED and rule.level in ("mandatory", "remediate") \
                and level in ("advisory", "disabled"):
            yield Violation(None, (
                f"the policy config sets {rule.id} to {level} (default {rule.level}) for production stack "
                f"{ctx.stack!r}: in production a mandatory rule is relaxed only by a waiver. Keep {rule.id} "
                f"mandatory and add {rule.id}.waivers: [{{resources, owner, reason, expires}}] for the "
                "resources it must not judge until then."))


# --- provider keys and routes -------------------------------------------------------------------
# BYOK keys live in the gateway's Secrets Store as secrets scoped ai_gateway, named
# {gatewayId}_{providerSlug}_{alias} (AI Gateway docs, "BYOK (Store Keys)"; Secrets Store docs, "AI Gateway
# integration"); `byokOnly` ("Require provider credentials") refuses requests without provider credentials
# and keeps Workers AI allowed (AI Gateway changelog 2026-09-14).
BYOK_SCOPE = "ai_gateway"
WORKERS_AI = "workers-ai"
DEFAULT_ALLOWED_PROVIDERS = ["anthropic", "openai", "workers-ai"]


def _configs_by_gateway(resources: Sequence[Resource]) -> dict[Any, list[Resource]]:
    out: dict[Any, list[Resource]] = {}
    for config in _of_type(resources, PROVIDER_CONFIG):
        out.setdefault(need(config.props, "gatewayId"), []).append(config)
    return out


def _route_providers(route: Resource) -> list[str]:
    providers: list[str] = []
    for i in range(len(need(route.props, "elements", []) or [])):
        if need(route.props, f"elements[{i}].type") == "model":
            provider = need(route.props, f"elements[{i}].properties.aiGatewayDynamicRoutingProvider")
            if provider not in providers:
                providers.append(provider)
    return providers


def _keys_stored(resources: Sequence[Resource], ctx: Context) -> Iterator[Violation]:
    rule = "production-provider-keys-stored"
    configs = known(ctx, lambda: _configs_by_gateway(resources), {}, {})
    secrets = {known(ctx, lambda s=s: need(s.props, "name"), None, None): s
               for s in _of_type(resources, SECRETS_STORE_SECRET)}
    routes = _of_type(resources, ROUTE_TYPES)  # a split route is a DynamicRoute, with the same props

    def gateway(gw: Resource) -> Iterator[Violation]:
        gateway_id = need(gw.props, "aiGatewayId")
        own = configs.get(gateway_id, [])
        routed = [r for r in routes if need(r.props, "gatewayId") == gateway_id]
        if not own and not routed:
            return
        if need(gw.props, "byokOnly") is not True:
            yield Violation(gw, (
                f"{_gw(gw)} has provider keys or routes but does not require provider credentials: requests may "
                "carry provider keys in their own headers or fall back to Unified Billing. Set byokOnly: true."))
        # The store's id is unknown until the store exists (a first deploy's preview): present is enough.
        if own and gw.props.get("storeId") in (None, ""):
            yield Violation(gw, f"{_gw(gw)} has provider keys but no Secrets Store (storeId): Cloudflare cannot "
                                "find them. Let aigw create the stack's store (leave storeId out) or set storeId.")
        for config in own:
            slug, alias = need(config.props, "providerSlug"), need(config.props, "alias")
            name = f"{gateway_id}_{slug}_{alias}"
            secret = secrets.get(name)
            if secret is None:
                yield Violation(config, (
                    f"provider key {slug} alias {alias} of {_gw(gw)} has no Secrets Store secret named {name}: "
                    "the key must be a secret of the gateway's store. Declare it under providerKeys."))
                continue
            if BYOK_SCOPE not in (need(secret.props, "scopes", []) or []):
                yield Violation(secret, f"secret {name} is not scoped {BYOK_SCOPE}: AI Gateway cannot use it. "
                                        f"Give it the scope {BYOK_SCOPE}.")
            if "value" in secret.props and _plain_text_at(secret.props, "value"):
                yield _plaintext(secret, "the provider key", "Set providerKeys[].key as a `secure:` value.")
            store, own_store = secret.props.get("storeId"), gw.props.get("storeId")
            if isinstance(store, str) and isinstance(own_store, str) and store != own_store:
                yield Violation(secret, f"secret {name} is in store {store}, not in the store of {_gw(gw)} "
                                        f"({own_store}): Cloudflare looks keys up in the gateway's store. Keep "
                                        "the key in the gateway's store.")

    yield from each(rule, _of_type(resources, GATEWAY), ctx, gateway)


def _allowed_providers(route: Resource, ctx: Context) -> Iterator[Violation]:
    allowed = list(ctx.config.get("allowedProviders", DEFAULT_ALLOWED_PROVIDERS))
    refused = [p for p in _route_providers(route) if p not in allowed]
    if refused:
        yield Violation(route, (
            f"route dynamic/{need(route.props, 'name')} of gateway {need(route.props, 'gatewayId')} calls "
            f"{', '.join(refused)}, not in allowedProviders ({', '.join(allowed) or 'none'}): production traffic "
            "would reach a provider the org has not approved. Route to an allowed provider or add it to "
            "allowedProviders in the policy config."))


def _keys_cover_routes(resources: Sequence[Resource], ctx: Context) -> Iterator[Violation]:
    rule = "byok-keys-cover-routes"
    configs = known(ctx, lambda: _configs_by_gateway(resources), {}, {})
    gateways = {known(ctx, lambda g=g: need(g.props, "aiGatewayId"), None, None): g
                for g in _of_type(resources, GATEWAY)}

    def route(r: Resource) -> Iterator[Violation]:
        gw = gateways.get(need(r.props, "gatewayId"))
        if gw is None or need(gw.props, "byokOnly") is not True:
            return
        stored = {need(c.props, "providerSlug") for c in configs.get(need(gw.props, "aiGatewayId"), [])}
        missing = [p for p in _route_providers(r) if p != WORKERS_AI and p not in stored]
        if missing:
            yield Violation(r, (
                f"route dynamic/{need(r.props, 'name')} of {_gw(gw)} calls {', '.join(missing)}, but the gateway "
                f"requires provider credentials (byokOnly) and stores no key for {', '.join(missing)}: those "
                "requests fail with HTTP 400. Add a providerKeys entry for each, or route elsewhere."))

    yield from each(rule, _of_type(resources, ROUTE_TYPES), ctx, route)


RULES: list[Rule] = [
    Rule("production-payloads-not-stored",
         "In production, every gateway that collects logs is authenticated and fronted by an edge Worker of "
         "this stack that forces payloads off, and no other holder of a Run token or Workers AI binding can "
         "reach it.",
         "critical", "mandatory", "stack", _payloads_not_stored,
         "Set authentication: true and edge: {token: <run token>} on the gateway; keep team Workers and extra "
         "Run tokens out of production.", production_only=True),
    Rule("production-no-payload-export",
         "In production, no gateway classifies logs or exports OpenTelemetry spans outside allowedOtelHosts.",
         "critical", "mandatory", "resource", _no_payload_export,
         "Set logging.classification: false; remove otel exporters or allow their host in the policy config.",
         types=(GATEWAY,), production_only=True,
         properties={"allowedOtelHosts": {"type": "array", "items": {"type": "string", "minLength": 1},
                                          "default": [],
                                          "description": "Hosts OTel exporters may send spans to in production."}}),
    Rule("production-authentication-required",
         "In production, every gateway requires authentication.",
         "high", "mandatory", "resource", _authentication,
         "Set authentication: true.", types=(GATEWAY,), production_only=True),
    Rule("production-rate-limited",
         "In production, every gateway has a non-zero rate limit and interval.",
         "high", "mandatory", "resource", _rate_limited,
         "Set rateLimit: {limit, interval, technique}.", types=(GATEWAY,), production_only=True),
    Rule("secrets-not-plaintext",
         "OTel authorization and credential headers, Stripe authorization, Logpush destination credentials "
         "and Worker secret bindings are Pulumi secrets.",
         "critical", "mandatory", "resource", _secrets,
         "Store the value with `pulumi config set --secret`.",
         types=(GATEWAY, *LOGPUSH_JOBS, WORKERS_SCRIPT)),
    Rule("no-default-gateway",
         "No gateway is declared with the id 'default', which Cloudflare creates and re-creates by itself.",
         "high", "mandatory", "resource", _no_default_gateway,
         "Give the gateway its own id.", types=(GATEWAY,)),
    Rule("logpush-complete",
         "A gateway with logpush on collects logs, has a public key, and has a Logpush job in the stack for "
         "its account.",
         "high", "mandatory", "stack", _logpush_complete,
         "Set logging.collect: true, aigw:logpush with a destination, and a public key (aigw logpush keygen)."),
    Rule("tokens-least-privilege",
         "API tokens are scoped to the stack's account, only deploy tokens have write permissions, and no "
         "token lives longer than maxTokenDays.",
         "high", "mandatory", "resource", _least_privilege,
         "Use purpose run or read; scope to the stack's account; shorten expiresInDays.",
         types=(API_TOKEN, ACCOUNT_TOKEN),
         properties={"maxTokenDays": {"type": "integer", "minimum": 1, "default": DEFAULT_MAX_TOKEN_DAYS,
                                      "description": "Longest token lifetime, in days."}}),
    Rule("log-retention-keeps-newest",
         "A gateway that collects logs deletes the oldest when full or exports them, rather than silently "
         "dropping new ones.",
         "medium", "advisory", "resource", _keeps_newest,
         "Set logging.onFull: deleteOldest, or export with logpush.", types=(GATEWAY,)),
    Rule("gateway-id-naming",
         "Gateway ids follow gatewayIdPattern.",
         "low", "advisory", "resource", _id_naming,
         "Use the default id <environment>-<name>.", types=(GATEWAY,),
         properties={"gatewayIdPattern": {
             "type": "string", "minLength": 1, "default": DEFAULT_ID_PATTERN,
             "description": "Regular expression a gateway id must match in full; {environment} is replaced "
                            "by the stack's environment."}}),
    Rule("cache-ttl-bounded",
         "Gateway response caching lasts at most maxCacheTtl seconds.",
         "low", "advisory", "resource", _cache_bounded,
         "Lower cache.ttl.", types=(GATEWAY,),
         properties={"maxCacheTtl": {"type": "integer", "minimum": 0, "default": DEFAULT_MAX_CACHE_TTL,
                                     "description": "Longest cache TTL, in seconds."}}),
    Rule("production-dlp-enabled",
         "In production, every gateway has DLP enabled with at least one policy or profile.",
         "medium", "advisory", "resource", _dlp,
         "Set dlp with BLOCK policies.", types=(GATEWAY,), production_only=True),
    Rule("production-spend-limits",
         "In production, every gateway has an enabled spend limit.",
         "medium", "advisory", "resource", _spend,
         "Set spendLimits.rules.", types=(GATEWAY,), production_only=True),
    Rule("production-guardrails",
         "In production, every gateway has guardrails on prompts and responses.",
         "medium", "advisory", "resource", _guardrails,
         "Set guardrails.prompt and guardrails.response.", types=(GATEWAY,), production_only=True),
    Rule("tokens-not-expiring",
         "No API token has expired or expires within expiryWarningDays of today.",
         "medium", "advisory", "resource", _not_expiring,
         "Rotate the token by moving validFrom forward in aigw:tokens.", types=(API_TOKEN,),
         properties={"expiryWarningDays": {"type": "integer", "minimum": 0, "default": DEFAULT_EXPIRY_WARNING_DAYS,
                                           "description": "Days before its expiry from which a token is "
                                                          "reported."}}),
    Rule("production-provider-keys-stored",
         "In production, a gateway with provider keys or routes requires provider credentials (byokOnly) and "
         "keeps each key as a secret of its Secrets Store, scoped ai_gateway and named as Cloudflare looks it up.",
         "high", "mandatory", "stack", _keys_stored,
         "Set byokOnly: true and declare the keys under providerKeys (a `secure:` key each).", production_only=True),
    Rule("production-routes-allowed-providers",
         "In production, every model a route calls is from a provider in allowedProviders.",
         "high", "mandatory", "resource", _allowed_providers,
         "Route to an allowed provider, or add the provider to allowedProviders in the policy config.",
         types=ROUTE_TYPES, production_only=True,
         properties={"allowedProviders": {"type": "array", "items": {"type": "string", "minLength": 1},
                                          "default": DEFAULT_ALLOWED_PROVIDERS,
                                          "description": "Provider slugs production routes may call."}}),
    Rule("byok-keys-cover-routes",
         "A gateway that requires provider credentials (byokOnly) stores a provider key for every provider its "
         "routes call, Workers AI aside.",
         "high", "mandatory", "stack", _keys_cover_routes,
         "Add a providerKeys entry for the provider, or route to a provider the gateway has a key for."),
    Rule(RELAXATIONS_WAIVED,
         "In production no mandatory rule is disabled or lowered by the policy config (a waiver, per resource "
         "and with an expiry, is the only relaxation), and every waiver is well-formed and unexpired.",
         "high", "mandatory", "stack", _relaxations,
         "Set the rule back to mandatory; waive named resources under <rule>.waivers with owner, reason and "
         "expires; renew or remove expired waivers.",
         properties={"maxWaiverDays": {"type": "integer", "minimum": 1, "default": DEFAULT_MAX_WAIVER_DAYS,
                                       "description": "Longest a waiver may run, in days from today."}}),
]

RULES_BY_ID = {rule.id: rule for rule in RULES}
