"""The stack configuration (namespace ``aigw``) as typed, validated models.

Config is parsed once, here, at the edge: the program, the plan and (later) the policy
checks only ever see a :class:`StackSpec`. Two loaders produce it:

* :func:`load_stack_file` reads ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml`` straight from
  disk (offline: ``aigw plan``, tests). ``secure:`` values cannot be decrypted without the
  Pulumi CLI, so they become redacted :class:`Secret` placeholders.
* :func:`load_pulumi_config` reads the same keys through the Pulumi runtime's config
  (under ``pulumi up``), where secure values arrive decrypted and become :class:`Secret`
  holding the value.

Both feed :func:`build_stack_spec`, so the same files give the same spec. Field types and
enums follow the installed ``cloudflare`` SDK 5.9.0 (``types/ai_gateway/ai_gateway_create_params.py``)
and pulumi-cloudflare 6.23.1 (``pulumi_cloudflare/ai_gateway.py``); ranges follow Cloudflare's API
reference (AI Gateway, "Create a new Gateway", which shows each minimum and maximum) and
terraform-provider-cloudflare v5.22.0 (``internal/services/ai_gateway/schema.go``). Where those
disagree, the comment at the constant says which one this module follows and why.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

from aigw_policy.rules import is_credential_name, url_credentials

NAMESPACE = "aigw"

# Gateway id: 1-64 chars (API reference, "Create a new Gateway", `id`: minLength 1, maxLength 64; AI Gateway
# docs, Getting started: "Gateway name has a 64 character limit"), lowercase alphanumerics and underscores in
# hyphen-separated runs (no leading/trailing/double hyphen). The character pattern is not documented by
# Cloudflare for gateway ids; it is seen in third-party clients generated from Cloudflare's OpenAPI document.
GATEWAY_ID_PATTERN = r"^[a-z0-9_]+(?:-[a-z0-9_]+)*$"
GATEWAY_ID_MAX_LENGTH = 64
_GATEWAY_ID_RE = re.compile(GATEWAY_ID_PATTERN)
ACCOUNT_ID_PATTERN = r"^[0-9a-f]{32}$"
ENVIRONMENT_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

# The retry-delay ceiling is also the per-request one: "How long before retrying (in milliseconds,
# maximum of 5 seconds)" for `cf-aig-retry-delay` (AI Gateway docs, Configuration > Request handling).

# Authentication is mandatory for new gateways (AI Gateway changelog 2026-11-03, "New AI Gateways require
# authentication"): the API answers HTTP 400 to a create with authentication false and to turning it off;
# "existing gateways with authentication turned off can continue without it". So a gateway declares
# `authentication: true`, or, only when it was imported already off, this explicit value.
AUTHENTICATION_IMPORTED_OFF = "imported-off"
AUTHENTICATION_FALSE = (
    "new AI Gateways require authentication (Cloudflare AI Gateway changelog, 2026-11-03): the API refuses "
    "to create a gateway with authentication false, or to turn it off, with HTTP 400. Write authentication: "
    f"true; only a gateway imported with authentication already off may say authentication: "
    f"{AUTHENTICATION_IMPORTED_OFF} (on that gateway, not in aigw:defaults)"
)
AUTHENTICATION_ALLOWED = (
    f"allowed: true, or {AUTHENTICATION_IMPORTED_OFF} for an imported gateway whose authentication is already off"
)
AUTHENTICATION_NOT_A_DEFAULT = (
    f"{AUTHENTICATION_IMPORTED_OFF} describes one imported gateway: set it on that gateway under aigw:gateways, "
    "not in aigw:defaults"
)

# The limits page says "Cache TTL: 1 month"; the API schema itself has no maximum.
# 30 days is our reading of "1 month" (unverified against the live API).
CACHE_TTL_MAX = 30 * 24 * 3600
LOG_MANAGEMENT_MIN = 10_000
LOG_MANAGEMENT_MAX = 10_000_000
RETRY_MAX_ATTEMPTS = (1, 5)
# Retry delay in ms: terraform-provider-cloudflare v5.22.0 `internal/services/ai_gateway/schema.go` validates
# `retry_delay` with `Between(0, 5000)`, and the AI Gateway changelog 2026-04-02 ("Automatically retry on
# upstream provider failures") offers 100 ms to 5 seconds. The SDK 5.9.0 / pulumi-cloudflare 6.23.1
# docstring's 0-60000 is not what the product accepts.
RETRY_DELAY_MS = (0, 5_000)
LOGPUSH_PUBLIC_KEY_LENGTH = (16, 1024)
SPEND_LIMIT_RULES_MAX = 20
DEFAULT_PRODUCTION_ENVIRONMENTS = ("prod", "production")

Action = Literal["FLAG", "BLOCK"]


class SpecError(Exception):
    """Invalid configuration: one or more problems, each naming file, key path, value, allowed."""

    def __init__(self, problems: list[Problem]):
        self.problems = _merge_alternatives(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    value: Any
    allowed: str
    line: int | None = None

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {_show(self.value)}: {self.allowed}"


def _merge_alternatives(problems: list[Problem]) -> list[Problem]:
    """One line per key path, in file order: alternatives of a union are joined with 'or'."""
    merged: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        key = (problem.file, problem.path)
        if key in merged:
            first = merged[key]
            if problem.allowed not in first.allowed:
                merged[key] = Problem(first.file, first.path, first.value,
                                      f"{first.allowed}; or {problem.allowed}", first.line)
        else:
            merged[key] = problem
    return sorted(merged.values(), key=lambda p: (p.file, p.line or 0))


def _show(value: Any) -> str:
    if value is _MISSING:
        return "missing"
    if isinstance(value, Secret):
        return "[secret]"
    if isinstance(value, (dict, list)):
        text = json.dumps(_plain(value), sort_keys=True)
        return text if len(text) <= 80 else text[:77] + "..."
    if isinstance(value, str) and len(value) > 80:
        return repr(value[:40] + "...") + f" ({len(value):,} characters)"
    if value is None or isinstance(value, bool):
        return json.dumps(value)  # as written in YAML: true, false, null
    return repr(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Secret):
        return "[secret]"
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_MISSING = object()


class Secret:
    """A credential from a ``secure:`` config value.

    ``value`` is the plaintext under the Pulumi CLI; ``None`` offline, where the ciphertext
    cannot be decrypted. Never printed or serialised: ``repr``/``str`` are redacted and, not
    being a dataclass or model, pydantic's ``model_dump`` keeps the object instead of its fields.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | None = None):
        object.__setattr__(self, "_value", value)

    @property
    def value(self) -> str | None:
        return self._value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Secret is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __repr__(self) -> str:
        return "Secret([secret])"

    __str__ = __repr__


def _credentials_in(title: str, value: Any, info: ValidationInfo, is_credential: Callable[[Any], bool]) -> Any:
    """A mapping whose credential entries must be secrets (OTel headers, Worker secrets).

    Each problem is reported at <mapping>.<name>, so the key path, the line and the
    `pulumi config set --path` of the fix are the entry's own.
    """
    if not isinstance(value, Mapping):
        return value
    out: dict[Any, Any] = {}
    errors: list[InitErrorDetails] = []
    for name, entry in value.items():
        if not is_credential(name):
            out[name] = entry
            continue
        try:
            out[name] = _credential(entry, info)
        except ValueError as exc:
            errors.append(InitErrorDetails(
                type=PydanticCustomError("value_error", "{error}", {"error": str(exc)}),
                loc=(name,), input=entry))
    if errors:
        raise ValidationError.from_exception_data(title, errors)
    return out


_PLAINTEXT_CREDENTIAL = "a credential must be stored as a secret"
_REDACTED = Secret(None)


def is_plaintext_credential(problem: Problem) -> bool:
    """Whether a problem is a credential written in plain text (`aigw check` reports it as a finding)."""
    return _PLAINTEXT_CREDENTIAL in problem.allowed


def _credential(value: Any, info: ValidationInfo) -> Secret:
    if isinstance(value, Secret):
        return value
    if isinstance(value, str) and (info.context or {}).get("plaintext_credentials_are_secret"):
        # Under the CLI a nested secure value only marks its whole top-level key as
        # secret; the plaintext check is then done offline (aigw plan/check).
        return Secret(value)
    if isinstance(value, str) and (info.context or {}).get("plaintext_credentials_as_findings"):
        # `aigw check` reports it from the config's own key path (config.load_stack_file_for_check), with
        # its file:line; the offline plan then carries a redacted secret, never the text.
        return _REDACTED
    if isinstance(value, str):
        raise ValueError(
            f"{_PLAINTEXT_CREDENTIAL}, not in plain text; set it with "
            "`pulumi config set --secret --path '{path}' <value>`"
        )
    # Still a credential in the wrong form (a YAML number, say): the value is never echoed.
    raise ValueError(f"{_PLAINTEXT_CREDENTIAL} (a `secure:` string value)")


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=False,
        arbitrary_types_allowed=True,
        strict=False,
    )


# --------------------------------------------------------------------------- settings


class CacheSpec(_Model):
    ttl: Annotated[int, Field(ge=0, le=CACHE_TTL_MAX, strict=True)] = Field(
        0, description="Default response cache TTL in seconds; 0 turns caching off (cache_ttl)."
    )
    invalidate_on_update: Annotated[bool, Field(strict=True)] = Field(
        False, description="cache_invalidate_on_update (meaning not documented by Cloudflare)."
    )


class RateLimitSpec(_Model):
    limit: Annotated[int, Field(ge=1, strict=True)] = Field(description="Requests per window.")
    interval: Annotated[int, Field(ge=1, strict=True)] = Field(description="Window length in seconds.")
    # Cloudflare's default is not documented (an audit-log sample shows "fixed").
    technique: Literal["fixed", "sliding"] = "fixed"


class LoggingSpec(_Model):
    collect: Annotated[bool, Field(strict=True)] = Field(True, description="collect_logs.")
    payloads: Annotated[bool, Field(strict=True)] = Field(
        False,
        description=(
            "Whether request/response bodies may be stored. The gateway has no such setting: "
            "false becomes `cf-aig-collect-log-payload: false` in the client contract."
        ),
    )
    max_logs: Annotated[int, Field(ge=LOG_MANAGEMENT_MIN, le=LOG_MANAGEMENT_MAX, strict=True)] | None = None
    on_full: Literal["deleteOldest", "stopInserting"] | None = None
    classification: Annotated[bool, Field(strict=True)] = False
    logpush: Annotated[bool, Field(strict=True)] = False
    logpush_public_key: str | None = None

    @model_validator(mode="after")
    def _needs_collected_logs(self) -> LoggingSpec:
        # Both work on stored logs, and Cloudflare requires collect_logs for them: "Collect logs must also be
        # turned on for the gateway" (AI Gateway docs, Observability > Log classification); "To export logs
        # using Workers Logpush, you must have logs turned on for the gateway" (Logging > Workers Logpush).
        needing = [name for name, on in (("classification", self.classification), ("logpush", self.logpush)) if on]
        if needing and not self.collect:
            verb = "needs" if len(needing) == 1 else "need"
            raise ValueError(f"{' and '.join(needing)} {verb} collect: true (Cloudflare works on collected logs)")
        return self

    @field_validator("logpush_public_key")
    @classmethod
    def _pem_public_key(cls, value: str | None) -> str | None:
        return None if value is None else check_logpush_public_key(value)


def check_logpush_public_key(value: str) -> str:
    """The API takes an RSA public key in SPKI PEM of 16..1024 characters (4096 bits at most)."""
    low, high = LOGPUSH_PUBLIC_KEY_LENGTH
    if not low <= len(value) <= high:
        raise ValueError(
            f"must be {low}..{high} characters (an RSA public key in SPKI PEM of at most 4096 bits); "
            f"got {len(value)}"
        )
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if not value.lstrip().startswith("-----BEGIN PUBLIC KEY-----"):
        raise ValueError("must be an RSA public key in SPKI PEM ('-----BEGIN PUBLIC KEY-----')")
    try:
        key = load_pem_public_key(value.encode())
    except ValueError:
        raise ValueError("must be a PEM public key ('-----BEGIN PUBLIC KEY-----')") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("must be an RSA public key")
    return value


class RetrySpec(_Model):
    max_attempts: Annotated[int, Field(ge=RETRY_MAX_ATTEMPTS[0], le=RETRY_MAX_ATTEMPTS[1], strict=True)] | None = None
    delay_ms: Annotated[int, Field(ge=RETRY_DELAY_MS[0], le=RETRY_DELAY_MS[1], strict=True)] | None = None
    backoff: Literal["constant", "linear", "exponential"] | None = None


class DlpProfilesSpec(_Model):
    """Legacy DLP shape: one action for a list of DLP profile ids."""

    enabled: Annotated[bool, Field(strict=True)] = True
    action: Action
    profiles: list[str] = Field(min_length=1)


class DlpPolicySpec(_Model):
    id: str = Field(min_length=1)
    action: Action
    check: list[Literal["REQUEST", "RESPONSE"]] = Field(min_length=1)
    enabled: Annotated[bool, Field(strict=True)] = True
    profiles: list[str] = Field(min_length=1)


class DlpPoliciesSpec(_Model):
    """Policy DLP shape: per-policy checks of requests and/or responses."""

    enabled: Annotated[bool, Field(strict=True)] = True
    policies: list[DlpPolicySpec] = Field(min_length=1)




def _dlp_shape(value: Any) -> str:
    if isinstance(value, BaseModel):
        return type(value).__name__
    return "DlpPoliciesSpec" if isinstance(value, Mapping) and "policies" in value else "DlpProfilesSpec"


# The API shape is picked by its keys, so errors talk about the shape the user wrote; the
# tag (the class name) stays in error locations, so messages list that shape's keys.
DlpSpec = Annotated[
    Annotated[DlpPoliciesSpec, Tag("DlpPoliciesSpec")] | Annotated[DlpProfilesSpec, Tag("DlpProfilesSpec")],
    Discriminator(_dlp_shape),
]


class GuardrailCategories(BaseModel):
    """Llama Guard categories S1..S13 and prompt injection P1, each FLAG or BLOCK (absent = ignore)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    P1: Action | None = None
    S1: Action | None = None
    S2: Action | None = None
    S3: Action | None = None
    S4: Action | None = None
    S5: Action | None = None
    S6: Action | None = None
    S7: Action | None = None
    S8: Action | None = None
    S9: Action | None = None
    S10: Action | None = None
    S11: Action | None = None
    S12: Action | None = None
    S13: Action | None = None

    def set_categories(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class GuardrailsSpec(_Model):
    prompt: GuardrailCategories = GuardrailCategories()
    response: GuardrailCategories = GuardrailCategories()


class OtelSpec(_Model):
    url: str = Field(pattern=r"^https?://[^\s/]+(/\S*)?$", description="OTLP/HTTP traces endpoint.")
    headers: dict[str, str | Secret] = Field(default_factory=dict)
    authorization: Secret | None = None
    content_type: Literal["json", "protobuf"] = "json"

    @field_validator("authorization", mode="before")
    @classmethod
    def _authorization_is_secret(cls, value: Any, info: ValidationInfo) -> Any:
        return None if value is None else _credential(value, info)

    @field_validator("url", mode="before")
    @classmethod
    def _no_credential_in_url(cls, value: Any, info: ValidationInfo) -> Any:
        # The url is plain config and a plain AiGateway input: a password or key in it would sit
        # unencrypted in the stack file and the Pulumi state.
        leaked = url_credentials(value) if isinstance(value, str) else []
        if not leaked:
            return value
        if (info.context or {}).get("plaintext_credentials_as_findings"):
            return _without_credentials(value)  # reported from the config by `aigw check`
        raise ValueError(
            f"{_PLAINTEXT_CREDENTIAL}, not in the URL ({', '.join(leaked)}); send it in this exporter's "
            "`authorization` or a credential header, as a `secure:` value")

    @field_validator("headers", mode="before")
    @classmethod
    def _credential_headers_are_secret(cls, value: Any, info: ValidationInfo) -> Any:
        return _credentials_in(cls.__name__, value, info,
                               lambda name: isinstance(name, str) and is_credential_header(name))


def _without_credentials(url: str) -> str:
    """``url`` without its userinfo and credential-like query parameters."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not url_credentials(f"?{k}=x")])
    return urlunsplit((parts.scheme, host, parts.path, query, parts.fragment))


def is_credential_header(name: str) -> bool:
    """Headers whose values are credentials and so must be secrets (matched by name, with the
    same test as the secrets-not-plaintext rule)."""
    return is_credential_name(name)


class SpendRuleSpec(_Model):
    limit: Annotated[float, Field(ge=0)] = Field(description="Budget in USD per window.")
    # The API schema has `window` >= 0 and no maximum (terraform-provider-cloudflare
    # `internal/services/ai_gateway/schema.go`: `AtLeast(0)`; SDK 5.9.0 `ai_gateway_create_params.py`: no bound).
    # A 0-second window has no documented meaning, so aigw asks for at least one second.
    window: Annotated[int, Field(ge=1, strict=True)] = Field(description="Window in seconds (86400 = a day).")
    technique: Literal["fixed", "sliding"] = "sliding"
    # Declared, or derived by the spec (spend_rule_id): never left to the provider, whose Terraform
    # schema defaults every rule's id to one constant (`stringdefault.StaticString("6fb25042")`).
    id: Annotated[str, Field(min_length=1)] | None = None
    enabled: Annotated[bool, Field(strict=True)] = True
    models: list[str] | None = Field(None, min_length=1, description="Only these models count.")
    providers: list[str] | None = Field(None, min_length=1, description="Only these providers count.")
    metadata: dict[str, Literal["partition"] | list[str]] | None = Field(
        None, description="Per metadata key: 'partition' (a budget per value) or a list of values to count."
    )


class SpendLimitsSpec(_Model):
    enabled: Annotated[bool, Field(strict=True)] = True
    rules: list[SpendRuleSpec] = Field(min_length=1, max_length=SPEND_LIMIT_RULES_MAX)

    @model_validator(mode="after")
    def _declared_ids_are_unique(self) -> SpendLimitsSpec:
        first: dict[str, int] = {}
        errors: list[InitErrorDetails] = []
        for i, rule in enumerate(self.rules):
            if rule.id is None:
                continue
            if rule.id in first:
                message = (f"already the id of spendLimits.rules[{first[rule.id]}]; "
                           "rule ids are unique within a gateway")
                errors.append(InitErrorDetails(type=PydanticCustomError("value_error", "{error}", {"error": message}),
                                               loc=("rules", i, "id"), input=rule.id))
            else:
                first[rule.id] = i
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self


def spend_rule_id(gateway_id: str, rule: SpendRuleSpec, taken: set[str]) -> str:
    """A rule's id when none is declared: 8 hex digits (the form of Terraform's default id), stable.

    Derived from what the rule counts (gateway id, window, technique, model/provider/metadata scope),
    not from its position: inserting or removing another rule leaves it alone, and so does a new amount
    or enabled state. Rules that count the same thing are told apart by their order among themselves.
    Unique within the gateway (``taken`` holds the ids already used, declared ones included).
    """
    scope = {"gateway": gateway_id, "window": rule.window, "technique": rule.technique,
             "models": sorted(rule.models or []), "providers": sorted(rule.providers or []),
             "metadata": {k: v if v == "partition" else sorted(v) for k, v in (rule.metadata or {}).items()}}
    seed = json.dumps(scope, sort_keys=True, separators=(",", ":"))
    n = 0
    while True:
        candidate = hashlib.sha256(f"{seed}#{n}".encode()).hexdigest()[:8]
        if candidate not in taken:
            return candidate
        n += 1


def _with_spend_rule_ids(gateway: GatewaySpec) -> GatewaySpec:
    spend = gateway.spend_limits
    if spend is None or all(rule.id is not None for rule in spend.rules):
        return gateway
    taken = {rule.id for rule in spend.rules if rule.id is not None}
    rules = []
    for rule in spend.rules:
        if rule.id is None:
            rule = rule.model_copy(update={"id": spend_rule_id(gateway.id, rule, taken)})
            taken.add(rule.id)
        rules.append(rule)
    return gateway.model_copy(update={"spend_limits": spend.model_copy(update={"rules": rules})})


class StripeUsageEventSpec(_Model):
    payload: str


class StripeSpec(_Model):
    authorization: Secret
    usage_events: list[StripeUsageEventSpec] = Field(default_factory=list)

    @field_validator("authorization", mode="before")
    @classmethod
    def _authorization_is_secret(cls, value: Any, info: ValidationInfo) -> Any:
        return _credential(value, info)


# The edge Worker's module, from the project root: it ships with this project (infra/workers/).
EDGE_MODULE = "infra/workers/edge.mjs"
# Default compatibility date of the edge Worker (infra/workers/edge.mjs is tested in workerd with it).
EDGE_COMPATIBILITY_DATE = date(2026, 11, 1)
SCRIPT_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
BINDING_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
# Binding names the project sets itself on a team Worker.
RESERVED_BINDINGS = frozenset({"AI", "GATEWAY_ID"})


def _compatibility_date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    # Anything else must be the written date: pydantic would read a number as a Unix timestamp
    # (0 is 1970-01-01) and word an impossible date in its own terms.
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"must be a date as YYYY-MM-DD ({exc})") from None


class EdgeSpec(_Model):
    """The edge Worker in front of a gateway: the only route in, enforcing the logging policy."""

    token: str = Field(description="Name of an aigw:tokens entry with purpose run: the Worker's Run token.")
    app: str | None = Field(None, description="`app` in cf-aig-metadata (default: the gateway's name).")
    compatibility_date: date = EDGE_COMPATIBILITY_DATE

    @field_validator("compatibility_date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return _compatibility_date(value)


class GatewaySettings(_Model):
    """Every setting a gateway (or a defaults block) may carry."""

    cache: CacheSpec = CacheSpec()
    rate_limit: RateLimitSpec | None = Field(None, description="Absent or null = off (API 0/0).")
    logging: LoggingSpec = LoggingSpec()
    # The key is `authentication`; the property of that name is the effective bool.
    authentication_setting: bool | str = Field(
        True, alias="authentication",
        description=(f"true, or {AUTHENTICATION_IMPORTED_OFF!r} for an imported gateway already off "
                     "(changelog 2026-11-03: new gateways require authentication)."),
    )
    retry: RetrySpec | None = None
    dlp: DlpSpec | None = None
    guardrails: GuardrailsSpec | None = None
    otel: list[OtelSpec] = Field(default_factory=list)
    spend_limits: SpendLimitsSpec | None = None
    stripe: StripeSpec | None = None
    zdr: Annotated[bool, Field(strict=True)] = False
    byok_only: Annotated[bool, Field(strict=True)] = False
    workers_ai_billing_mode: Literal["postpaid", "unified"] = "postpaid"
    store_id: str | None = None
    edge: EdgeSpec | None = Field(None, description="Front the gateway with the edge Worker (null: none).")
    protect: Annotated[bool, Field(strict=True)] | None = Field(
        None,
        description=(
            "Protect the gateway from deletion (deleting a gateway deletes its stored logs). "
            "Default: true in production environments."
        ),
    )


    @field_validator("authentication_setting", mode="before")
    @classmethod
    def _authentication(cls, value: Any, info: ValidationInfo) -> Any:
        if value is True:
            return value
        if value is False:
            raise ValueError(AUTHENTICATION_FALSE)
        if isinstance(value, str) and value == AUTHENTICATION_IMPORTED_OFF:
            if (info.context or {}).get("in_defaults"):
                raise ValueError(AUTHENTICATION_NOT_A_DEFAULT)
            return value
        raise ValueError(AUTHENTICATION_ALLOWED)

    @property
    def authentication(self) -> bool:
        """Whether the gateway requires a Cloudflare API token (the `authentication` input)."""
        return self.authentication_setting is True

    @property
    def imported_without_authentication(self) -> bool:
        return self.authentication_setting == AUTHENTICATION_IMPORTED_OFF


class GatewaySpec(GatewaySettings):
    """One declared gateway, after defaults are merged and the id is resolved."""

    name: str
    id: str




# --------------------------------------------------------------------------- log export

# Logpush job options (SDK 5.9.0 `logpush/job_create_params.py`): each is 0 (off) or in range.
# "5 MB" and "1 GB" are read as decimal units (unverified whether Cloudflare means MiB/GiB).
MAX_UPLOAD_BYTES = (5_000_000, 1_000_000_000)
MAX_UPLOAD_INTERVAL_SECONDS = (30, 300)
MAX_UPLOAD_RECORDS = (1_000, 1_000_000)
LOGPUSH_JOBS_PER_ACCOUNT = 4
R2_BUCKET_PATTERN = r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"


def _zero_or_range(value: int | None, bounds: tuple[int, int]) -> int | None:
    if value is None or value == 0 or bounds[0] <= value <= bounds[1]:
        return value
    raise ValueError(f"allowed: 0 (off) or {bounds[0]:,}..{bounds[1]:,}")


class R2DestinationSpec(_Model):
    """An R2 bucket this stack creates, with a lifecycle rule deleting objects after the retention."""

    bucket: str = Field(pattern=R2_BUCKET_PATTERN, description="Bucket name (3..63 of a-z, 0-9, -).")
    retention_days: Annotated[int, Field(ge=1, le=3650, strict=True)] = Field(
        description="Objects older than this are deleted by the bucket's lifecycle rule.")
    path: str = Field("ai-gateway", pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
                      description="Object key prefix; the job appends /{DATE}.")
    jurisdiction: Literal["default", "eu", "fedramp"] | None = None
    location: Literal["apac", "eeur", "enam", "weur", "wnam", "oc"] | None = None
    access_key_id: Secret = Field(description="R2 S3 access key id Logpush writes with (secret).")
    secret_access_key: Secret = Field(description="R2 S3 secret access key (secret).")

    @field_validator("access_key_id", "secret_access_key", mode="before")
    @classmethod
    def _credentials_are_secret(cls, value: Any, info: ValidationInfo) -> Any:
        return _credential(value, info)


class LogpushDestinationSpec(_Model):
    r2: R2DestinationSpec | None = None
    conf: Secret | None = Field(None, description="Any Logpush destination_conf (S3, GCS, Azure, HTTP, ...).")

    @field_validator("conf", mode="before")
    @classmethod
    def _conf_is_secret(cls, value: Any, info: ValidationInfo) -> Any:
        # A destination_conf usually carries credentials (keys, SAS tokens, auth headers).
        return None if value is None else _credential(value, info)

    @model_validator(mode="after")
    def _exactly_one(self) -> LogpushDestinationSpec:
        if (self.r2 is None) == (self.conf is None):
            raise ValueError("give exactly one of r2 (a bucket this stack creates) or conf (a destination_conf secret)")
        return self


class LogpushSpec(_Model):
    """The stack's Logpush export of AI Gateway logs (`aigw:logpush`)."""

    public_key: str | None = Field(None, description="Written by `aigw logpush keygen STACK`.")
    destination: LogpushDestinationSpec | None = None
    name: str | None = Field(None, max_length=512)
    filter: str | None = None
    ownership_challenge: str | None = None
    max_upload_bytes: Annotated[int, Field(strict=True)] | None = None
    max_upload_interval_seconds: Annotated[int, Field(strict=True)] | None = None
    max_upload_records: Annotated[int, Field(strict=True)] | None = None

    @field_validator("public_key")
    @classmethod
    def _pem(cls, value: str | None) -> str | None:
        return None if value is None else check_logpush_public_key(value)

    @field_validator("max_upload_bytes")
    @classmethod
    def _bytes(cls, value: int | None) -> int | None:
        return _zero_or_range(value, MAX_UPLOAD_BYTES)

    @field_validator("max_upload_interval_seconds")
    @classmethod
    def _interval(cls, value: int | None) -> int | None:
        return _zero_or_range(value, MAX_UPLOAD_INTERVAL_SECONDS)

    @field_validator("max_upload_records")
    @classmethod
    def _records(cls, value: int | None) -> int | None:
        return _zero_or_range(value, MAX_UPLOAD_RECORDS)


# --------------------------------------------------------------------------- tokens

DEFAULT_MAX_TOKEN_DAYS = 90


def _ip_network(value: str) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address or CIDR range") from None


class TokenSpec(_Model):
    """One API token of the stack (`aigw:tokens.<name>`), scoped to the stack's account."""

    # The key under aigw:tokens; not a setting (the alias cannot be written in config).
    name: str = Field("", alias="_name")
    purpose: Literal["run", "read", "deploy"]
    expires_in_days: Annotated[int, Field(ge=1, strict=True)]
    valid_from: date = Field(description="Issue date (YYYY-MM-DD): the token expires expiresInDays later. "
                                         "Rotate by moving it forward: the token is replaced, with a new value.")
    allow_ips: list[str] | None = Field(None, min_length=1)
    deny_ips: list[str] | None = Field(None, min_length=1)

    @field_validator("allow_ips", "deny_ips")
    @classmethod
    def _networks(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [_ip_network(v) for v in value]

    @field_validator("valid_from", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        # YAML may hand over an unquoted date as a date or as a midnight timestamp.
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value
        # Anything else (a number would be read as a Unix timestamp) must be the written date.
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T00:00:00(Z|[+-]00:00)?)?", value):
            raise ValueError("must be a date as YYYY-MM-DD")
        try:
            return date.fromisoformat(value[:10])
        except ValueError as exc:
            raise ValueError(f"must be a date as YYYY-MM-DD ({exc})") from None

    @property
    def expires_on(self) -> date:
        return self.valid_from + timedelta(days=self.expires_in_days)


# --------------------------------------------------------------------------- workers

class WorkerSpec(_Model):
    """A team's own Worker (`aigw:workers.<name>`): an ES module using Workers AI via a gateway."""

    # The key under aigw:workers; not a setting (the alias cannot be written in config).
    name: str = Field("", alias="_name")
    module: str = Field(pattern=r"^[^/].*\.(mjs|js)$", description="ES module file, relative to the project root.")
    gateway: str = Field(description="Logical name of the stack gateway it uses (GATEWAY_ID binding).")
    compatibility_date: date
    compatibility_flags: list[str] = Field(default_factory=list)
    script_name: str | None = Field(None, pattern=SCRIPT_NAME_PATTERN,
                                    description="Default (resolved by the spec): <stack>-<name>.")
    vars: dict[Annotated[str, Field(pattern=BINDING_NAME_PATTERN)], str] = Field(default_factory=dict)
    secrets: dict[Annotated[str, Field(pattern=BINDING_NAME_PATTERN)], Secret] = Field(default_factory=dict)

    @field_validator("compatibility_date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return _compatibility_date(value)

    @field_validator("secrets", mode="before")
    @classmethod
    def _secrets_are_secret(cls, value: Any, info: ValidationInfo) -> Any:
        return _credentials_in(cls.__name__, value, info, lambda name: True)


@dataclass(frozen=True)
class StackSpec:
    """Everything the program needs for one stack."""

    project: str
    stack: str
    environment: str
    account_id: str
    production: bool
    gateways: tuple[GatewaySpec, ...]
    source: str = ""
    logpush: LogpushSpec | None = None
    tokens: tuple[TokenSpec, ...] = ()
    workers: tuple[WorkerSpec, ...] = ()
    workers_dev_subdomain: str | None = None
    project_dir: str = "."

    def gateway(self, name: str) -> GatewaySpec:
        for gw in self.gateways:
            if gw.name == name:
                return gw
        raise KeyError(name)


class _StackConfig(_Model):
    """The stack's `aigw:*` keys as written (before defaults are merged)."""

    account_id: str = Field(pattern=ACCOUNT_ID_PATTERN)
    environment: str = Field(pattern=ENVIRONMENT_PATTERN, max_length=32)
    defaults: dict[str, Any] = Field(default_factory=dict)
    gateways: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    logpush: LogpushSpec | None = None
    tokens: dict[str, TokenSpec] = Field(default_factory=dict)
    workers: dict[str, WorkerSpec] = Field(default_factory=dict)
    workers_dev_subdomain: str | None = Field(None, pattern=SCRIPT_NAME_PATTERN,
                                              description="The account's workers.dev subdomain (for URLs).")


PROJECT_KEYS = ("defaults", "productionEnvironments", "maxTokenDays")
# Keys only Pulumi.yaml may set: a stack could otherwise exempt itself from the org's policy.
PROJECT_ONLY_KEYS = ("productionEnvironments", "maxTokenDays")


class _ProjectConfig(_Model):
    """Pulumi.yaml's `aigw:*` keys. Which environments are production is the org's call,
    so a stack file cannot set it (a stack could otherwise declare itself non-production)."""

    defaults: dict[str, Any] = Field(default_factory=dict)
    production_environments: list[Annotated[str, Field(pattern=ENVIRONMENT_PATTERN)]] = Field(
        default_factory=lambda: list(DEFAULT_PRODUCTION_ENVIRONMENTS))
    max_token_days: Annotated[int, Field(ge=1, le=3650, strict=True)] = DEFAULT_MAX_TOKEN_DAYS


# --------------------------------------------------------------------------- merging


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else (lists, scalars, null) in ``override`` replaces.

    Returns new dicts along merged paths; leaves are shared, never mutated (validation copies).
    """
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = value
    return out


def _merge_settings(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """deep_merge of gateway settings, except that a DLP block of the other API shape replaces."""
    merged = deep_merge(base, override)
    dlp, base_dlp = override.get("dlp"), base.get("dlp")
    if isinstance(dlp, Mapping) and isinstance(base_dlp, Mapping):
        shape, base_shape = _dlp_keys(dlp), _dlp_keys(base_dlp)
        if shape and base_shape and shape != base_shape:
            merged["dlp"] = dlp  # mixing {action, profiles} with {policies} is neither shape
    return merged


def _dlp_keys(dlp: Mapping[str, Any]) -> str | None:
    """The DLP shape a (possibly partial) block is written in; None when it does not say."""
    if "policies" in dlp:
        return "policies"
    if "action" in dlp or "profiles" in dlp:
        return "profiles"
    return None


# --------------------------------------------------------------------------- building


@dataclass
class RawConfig:
    """Config values as read from one source, before validation.

    ``project_config`` holds Pulumi.yaml's ``aigw:*`` values, ``stack_config`` the stack
    file's (or the runtime's). ``positions`` maps (file, key path) to a line number when known.
    """

    project: str
    stack: str
    project_file: str
    stack_file: str
    project_config: dict[str, Any]
    stack_config: dict[str, Any]
    positions: dict[tuple[str, str], int] = field(default_factory=dict)
    plaintext_credentials_are_secret: bool = False
    # `aigw check`: a credential in plain text is a policy finding, not an input error.
    plaintext_credentials_as_findings: bool = False
    project_dir: str = "."
    # The Cloudflare provider's own keys (`cloudflare:*`, prefix dropped), per file: offline only.
    provider_config: dict[str, dict[str, Any]] = field(default_factory=dict)


# The Cloudflare provider's config keys, from pulumi-cloudflare 6.23.1 (`pulumi_cloudflare/config/vars.py`:
# apiKey, apiToken, apiUserServiceKey, baseUrl, email, userAgentOperatorSuffix). The three API credentials
# must be `secure:`: the provider reads them with `pulumi.Config('cloudflare').get(...)`.
PROVIDER_NAMESPACE = "cloudflare"
PROVIDER_KEYS = ("apiKey", "apiToken", "apiUserServiceKey", "baseUrl", "email", "userAgentOperatorSuffix")
# Each credential's environment variable, from the same file's docstrings.
PROVIDER_CREDENTIAL_KEYS = {"apiKey": "CLOUDFLARE_API_KEY", "apiToken": "CLOUDFLARE_API_TOKEN",
                            "apiUserServiceKey": "CLOUDFLARE_API_USER_SERVICE_KEY"}


def provider_key_problems(raw: RawConfig) -> list[Problem]:
    """Unknown `cloudflare:*` keys (a typo is otherwise silently ignored) and provider credentials in plain
    text. A value under such a key is never shown: it may well be a token."""
    problems: list[Problem] = []
    for file, values in raw.provider_config.items():
        for key, value in values.items():
            path = f"{PROVIDER_NAMESPACE}:{key}"
            line = raw.positions.get((file, path))
            if key not in PROVIDER_KEYS:
                problems.append(Problem(file, path, _REDACTED, (
                    "unknown key of the Cloudflare provider (pulumi-cloudflare 6.23.1); allowed: "
                    + ", ".join(f"{PROVIDER_NAMESPACE}:{k}" for k in PROVIDER_KEYS)), line))
            elif (key in PROVIDER_CREDENTIAL_KEYS and not isinstance(value, Secret)
                  and not raw.plaintext_credentials_as_findings):
                problems.append(Problem(file, path, _REDACTED, (
                    f"{_PLAINTEXT_CREDENTIAL}, not in plain text; set it with "
                    f"`pulumi config set --secret {path} <value>` (or export {PROVIDER_CREDENTIAL_KEYS[key]})"),
                    line))
    return problems


def build_stack_spec(raw: RawConfig) -> StackSpec:
    """Validate, merge defaults (org < stack < gateway) and resolve gateway ids."""
    problems: list[Problem] = []
    ctx = {"plaintext_credentials_are_secret": raw.plaintext_credentials_are_secret,
           "plaintext_credentials_as_findings": raw.plaintext_credentials_as_findings}

    def report(file: str, prefix: str, exc: ValidationError, model: type[BaseModel] | None) -> None:
        for err in exc.errors(include_url=False):
            tagged = [str(p) for p in err["loc"]]
            loc = [p for p in tagged if not _is_union_tag(p)]
            path = _join_path(prefix, loc)
            value = err.get("input", _MISSING)
            if err["type"] == "missing":
                value = _MISSING
            allowed = _allowed(err, model, tagged).replace("{path}", path)
            if _PLAINTEXT_CREDENTIAL in allowed:
                value = _REDACTED  # never echo a credential, even a misplaced one
            problems.append(Problem(file, path, value, allowed, _nearest_line(raw.positions, file, path)))

    problems.extend(provider_key_problems(raw))
    provider_problems = len(problems)  # not about gateways: reported with theirs, never alone
    for key in raw.project_config:
        if key not in PROJECT_KEYS:
            problems.append(
                Problem(raw.project_file, f"{NAMESPACE}:{key}", raw.project_config[key],
                        "unknown project key; allowed: " + ", ".join(f"{NAMESPACE}:{k}" for k in PROJECT_KEYS),
                        raw.positions.get((raw.project_file, f"{NAMESPACE}:{key}")))
            )
    org_defaults = raw.project_config.get("defaults") or {}
    stack_defaults = raw.stack_config.get("defaults") or {}
    for file, defaults in ((raw.project_file, org_defaults), (raw.stack_file, stack_defaults)):
        if not isinstance(defaults, Mapping):
            problems.append(Problem(file, f"{NAMESPACE}:defaults", defaults, "must be a mapping of gateway settings",
                                    raw.positions.get((file, f"{NAMESPACE}:defaults"))))
            continue
        try:
            GatewaySettings.model_validate(defaults, context={**ctx, "in_defaults": True})
        except ValidationError as exc:
            report(file, f"{NAMESPACE}:defaults", exc, GatewaySettings)

    # Bad defaults would fail every gateway again: report them alone.
    defaults_invalid = len(problems) > provider_problems
    project_cfg = _ProjectConfig()
    try:
        project_cfg = _ProjectConfig.model_validate(
            {k: v for k, v in raw.project_config.items() if k in PROJECT_ONLY_KEYS}, context=ctx)
    except ValidationError as exc:
        report(raw.project_file, NAMESPACE, exc, _ProjectConfig)
    for key in PROJECT_ONLY_KEYS:
        if key in raw.stack_config:
            problems.append(Problem(
                raw.stack_file, f"{NAMESPACE}:{key}", raw.stack_config[key],
                "set only in Pulumi.yaml: it is the org's policy, not a stack's choice",
                raw.positions.get((raw.stack_file, f"{NAMESPACE}:{key}"))))
    production_environments = project_cfg.production_environments

    stack_values = {k: v for k, v in raw.stack_config.items() if k not in PROJECT_ONLY_KEYS}
    failed: set[str] = set()
    try:
        cfg = _StackConfig.model_validate(stack_values, context=ctx)
    except ValidationError as exc:
        report(raw.stack_file, NAMESPACE, exc, _StackConfig)
        # Go on without the keys in error, so the gateways' problems are reported too;
        # without a valid environment the gateway ids are unknown, so stop there.
        failed = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        usable = {k: v for k, v in stack_values.items() if k not in failed}
        usable.setdefault("accountId", "0" * 32)  # a stand-in: its problem is already reported
        try:
            cfg = _StackConfig.model_validate(usable, context=ctx)
        except ValidationError:
            raise SpecError(problems) from None

    if defaults_invalid:
        raise SpecError(problems)

    merged_defaults = _merge_settings(org_defaults, stack_defaults)
    production = cfg.environment in production_environments
    gateways: list[GatewaySpec] = []
    seen_ids: dict[str, str] = {}
    for name, own in cfg.gateways.items():
        prefix = f"{NAMESPACE}:gateways.{name}"
        own = own or {}
        if not isinstance(own, Mapping):
            problems.append(Problem(raw.stack_file, prefix, own, "must be a mapping of gateway settings"))
            continue
        gateway_id = own.get("id", f"{cfg.environment}-{name}")
        id_problem = gateway_id_problem(gateway_id)
        if id_problem:
            where = f"{prefix}.id" if "id" in own else prefix
            shown = gateway_id if "id" in own else name
            if "id" not in own:
                id_problem = f"the gateway id {gateway_id!r} (<environment>-<name>) is invalid: {id_problem}"
            problems.append(Problem(raw.stack_file, where, shown, id_problem,
                                    raw.positions.get((raw.stack_file, where))))
            continue
        if gateway_id in seen_ids:
            other = seen_ids[gateway_id]
            where = f"{prefix}.id" if "id" in own else prefix
            problems.append(Problem(raw.stack_file, where, gateway_id,
                                    f"gateway id already used by aigw:gateways.{other}; ids are unique per account",
                                    raw.positions.get((raw.stack_file, where))))
            continue
        seen_ids[gateway_id] = name
        if "name" in own:
            where = f"{prefix}.name"
            problems.append(Problem(raw.stack_file, where, own["name"],
                                    "unknown key: the gateway's name is its key under aigw:gateways",
                                    raw.positions.get((raw.stack_file, where))))
            continue
        settings = {k: v for k, v in own.items() if k != "id"}
        effective = _merge_settings(merged_defaults, settings)
        effective.setdefault("protect", production)
        if effective["protect"] is None:
            effective["protect"] = production
        try:
            gateway = GatewaySpec.model_validate({**effective, "name": name, "id": gateway_id}, context=ctx)
        except ValidationError as exc:
            report(raw.stack_file, prefix, exc, GatewaySpec)
            continue
        gateway = _with_spend_rule_ids(gateway)
        if "logpush" in failed:
            # aigw:logpush itself is reported: not again as "missing" for every exporting gateway.
            gateways.append(gateway)
            continue
        gateways.append(_with_stack_logpush_key(gateway, cfg.logpush, raw, problems))

    tokens: list[TokenSpec] = []
    for token_name, token in cfg.tokens.items():
        if token.expires_in_days > project_cfg.max_token_days:
            where = f"{NAMESPACE}:tokens.{token_name}.expiresInDays"
            problems.append(Problem(raw.stack_file, where, token.expires_in_days,
                                    f"allowed: 1..{project_cfg.max_token_days} (aigw:maxTokenDays in Pulumi.yaml)",
                                    raw.positions.get((raw.stack_file, where))))
            continue
        tokens.append(token.model_copy(update={"name": token_name}))
    # Keys already reported (aigw:tokens, a gateway's settings) are not reported again as "not declared".
    _check_edges(gateways, None if "tokens" in failed else cfg.tokens, raw, problems)
    workers = _checked_workers(cfg.workers, set(cfg.gateways), gateways, raw, problems)
    if problems:
        raise SpecError(problems)
    return StackSpec(
        project=raw.project,
        stack=raw.stack,
        environment=cfg.environment,
        account_id=cfg.account_id,
        production=production,
        gateways=tuple(sorted(gateways, key=lambda g: g.id)),
        source=raw.stack_file,
        logpush=cfg.logpush,
        tokens=tuple(sorted(tokens, key=lambda t: t.name)),
        workers=tuple(sorted(workers, key=lambda w: w.name)),
        workers_dev_subdomain=cfg.workers_dev_subdomain,
        project_dir=raw.project_dir,
    )


def _check_edges(gateways: list[GatewaySpec], tokens: Mapping[str, TokenSpec] | None, raw: RawConfig,
                 problems: list[Problem]) -> None:
    """An edge Worker holds a Run token of this stack, and its script name must fit (63 chars).
    ``tokens`` is None when aigw:tokens is itself invalid (and reported)."""
    edge_module = Path(raw.project_dir) / EDGE_MODULE
    for gw in gateways:
        if gw.edge is None:
            continue
        if not edge_module.is_file():
            where = f"{NAMESPACE}:gateways.{gw.name}.edge"
            problems.append(Problem(raw.stack_file, where, gw.edge.token,
                                    f"the edge Worker's module {EDGE_MODULE} is not in this stack's project "
                                    f"({raw.project_dir}): plan and deploy the stack from the aigw project",
                                    _nearest_line(raw.positions, raw.stack_file, where)))
        if not gw.authentication:
            where = f"{NAMESPACE}:gateways.{gw.name}.authentication"
            problems.append(Problem(raw.stack_file, where, gw.authentication_setting,
                                    "an edge Worker needs authentication: true (otherwise any caller can bypass it)",
                                    _nearest_line(raw.positions, raw.stack_file, where)))
        where = f"{NAMESPACE}:gateways.{gw.name}.edge.token"
        token = tokens.get(gw.edge.token) if tokens is not None else None
        if tokens is not None and getattr(token, "purpose", None) != "run":
            runs = ", ".join(sorted(n for n, t in tokens.items() if t.purpose == "run")) or "none declared"
            problems.append(Problem(raw.stack_file, where, gw.edge.token,
                                    f"must name an aigw:tokens entry with purpose run (run tokens: {runs})",
                                    _nearest_line(raw.positions, raw.stack_file, where)))
        script = f"{gw.id}-edge"
        if not re.fullmatch(SCRIPT_NAME_PATTERN, script):
            where = f"{NAMESPACE}:gateways.{gw.name}.edge"
            problems.append(Problem(raw.stack_file, where, script,
                                    "the edge Worker's script name (<gateway id>-edge) must be at most 63 characters "
                                    "of a-z, 0-9 and hyphens: give the gateway an id of at most 58 characters "
                                    "without underscores",
                                    _nearest_line(raw.positions, raw.stack_file, where)))


def _checked_workers(workers: Mapping[str, WorkerSpec], gateway_names: set[str], gateways: list[GatewaySpec],
                     raw: RawConfig, problems: list[Problem]) -> list[WorkerSpec]:
    """``gateway_names``: every gateway name of the stack file, valid or not (an invalid one is reported
    at its own key, not again as undeclared here)."""
    root = Path(raw.project_dir).resolve()
    out: list[WorkerSpec] = []
    # Script names are unique per account: a second script of the same name replaces the first.
    scripts = {f"{gw.id}-edge": f"{NAMESPACE}:gateways.{gw.name}.edge" for gw in gateways if gw.edge is not None}
    for name, worker in workers.items():
        prefix = f"{NAMESPACE}:workers.{name}"
        bad = False
        script = worker.script_name or f"{raw.stack}-{name}"
        where = f"{prefix}.scriptName" if worker.script_name else prefix
        if not re.fullmatch(SCRIPT_NAME_PATTERN, script):
            problems.append(Problem(raw.stack_file, where, script,
                                    "the Worker's script name (<stack>-<name>) must be at most 63 characters of "
                                    "a-z, 0-9 and hyphens: set scriptName or rename the Worker",
                                    _nearest_line(raw.positions, raw.stack_file, where)))
            bad = True
        elif script in scripts:
            problems.append(Problem(raw.stack_file, where, script,
                                    f"script name already used by {scripts[script]}; script names are unique "
                                    "per account (set another scriptName)",
                                    _nearest_line(raw.positions, raw.stack_file, where)))
            bad = True
        else:
            scripts[script] = prefix
        if worker.gateway not in gateway_names:
            known = ", ".join(sorted(gateway_names)) or "none"
            problems.append(Problem(raw.stack_file, f"{prefix}.gateway", worker.gateway,
                                    f"must name a gateway of this stack: {known}",
                                    _nearest_line(raw.positions, raw.stack_file, f"{prefix}.gateway")))
            bad = True
        module = (root / worker.module).resolve()
        if not module.is_relative_to(root) or not module.is_file():
            problems.append(Problem(raw.stack_file, f"{prefix}.module", worker.module,
                                    "must be an existing ES module file inside the project (a path from its root)",
                                    _nearest_line(raw.positions, raw.stack_file, f"{prefix}.module")))
            bad = True
        declared = set(worker.vars) | set(worker.secrets)
        clash = sorted((RESERVED_BINDINGS & declared) | (set(worker.vars) & set(worker.secrets)))
        if clash:
            problems.append(Problem(raw.stack_file, prefix, ", ".join(clash),
                                    "binding names must be unique; AI and GATEWAY_ID are set by this project",
                                    _nearest_line(raw.positions, raw.stack_file, prefix)))
            bad = True
        if not bad:
            out.append(worker.model_copy(update={"name": name, "script_name": script}))
    return out


def _with_stack_logpush_key(gateway: GatewaySpec, logpush: LogpushSpec | None, raw: RawConfig,
                            problems: list[Problem]) -> GatewaySpec:
    """A gateway exporting logs encrypts them with the stack's key (aigw:logpush.publicKey)."""
    logging = gateway.logging
    if not logging.logpush or logging.logpush_public_key is not None:
        return gateway
    where = f"{NAMESPACE}:gateways.{gateway.name}.logging.logpush"
    if logpush is None or logpush.destination is None:
        problems.append(Problem(raw.stack_file, where, True,
                                "logpush: true needs aigw:logpush with a destination (the stack's Logpush job)",
                                _nearest_line(raw.positions, raw.stack_file, where)))
        return gateway
    if logpush.public_key is None:
        problems.append(Problem(raw.stack_file, where, True,
                                "logpush: true needs aigw:logpush.publicKey: run `aigw logpush keygen "
                                f"{raw.stack}`", _nearest_line(raw.positions, raw.stack_file, where)))
        return gateway
    return gateway.model_copy(update={"logging": logging.model_copy(update={"logpush_public_key": logpush.public_key})})


_LAST_PATH_PART = re.compile(r"(\.[^.\[]*|\[\d+\])$")


def _nearest_line(positions: Mapping[tuple[str, str], int], file: str, path: str) -> int | None:
    """The line of ``path``, or of the closest enclosing key (a missing key has no line)."""
    while path:
        if (file, path) in positions:
            return positions[(file, path)]
        parent = _LAST_PATH_PART.sub("", path)
        if parent == path:
            return None
        path = parent
    return None


def gateway_id_problem(gateway_id: Any) -> str | None:
    allowed = (
        f"a gateway id is 1..{GATEWAY_ID_MAX_LENGTH} characters of lowercase letters, digits and "
        "underscores, in runs joined by single hyphens (pattern " + GATEWAY_ID_PATTERN + ")"
    )
    if not isinstance(gateway_id, str):
        return allowed
    if not 1 <= len(gateway_id) <= GATEWAY_ID_MAX_LENGTH:
        return f"{allowed}; it is {len(gateway_id)} characters"
    if not _GATEWAY_ID_RE.match(gateway_id):
        return allowed
    return None


_TYPE_TAGS = {"str", "int", "float", "bool", "none"}


def _is_union_tag(part: Any) -> bool:
    # pydantic puts the union member (class name or type tag) into error locations.
    return isinstance(part, str) and (part in _MODEL_NAMES or part in _TYPE_TAGS or "[" in part)


_MODEL_NAMES: dict[str, type[BaseModel]] = {}


def _join_path(prefix: str, loc: Iterable[str]) -> str:
    path = prefix
    for part in loc:
        if part.isdigit():
            path += f"[{part}]"
        elif path.endswith(":") or not path:
            path += part
        else:
            sep = "." if path != NAMESPACE else ":"
            path += sep + part
    return path


def _allowed(err: Mapping[str, Any], model: type[BaseModel] | None, loc: list[str]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if isinstance(err.get("input"), Secret) and kind != "value_error":
        return (
            "a secret is accepted only for credentials (OTel authorization and credential headers, "
            "Stripe authorization, Logpush destination and R2 keys, Worker secrets); this value is not one, "
            "set it in plain text"
        )
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        if owner is not None:
            keys = _aliases(GatewaySettings) + ["id"] if owner is GatewaySpec else _aliases(owner)
            return "unknown key; allowed keys: " + ", ".join(keys)
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return "allowed: " + ctx.get("expected", "").replace("'", "")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        field_range = _range_of(model, loc)
        if field_range:
            return field_range
        op = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}[kind]
        return f"must be {op} {list(ctx.values())[0]}"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}"
    if kind == "too_long" and "max_length" in ctx:
        return f"at most {ctx['max_length']} items; got {ctx.get('actual_length')}"
    if kind == "too_short" and "min_length" in ctx:
        return f"at least {ctx['min_length']} item{'s' if ctx['min_length'] != 1 else ''}"
    if kind == "string_too_short" and "min_length" in ctx:
        return f"at least {ctx['min_length']} character{'s' if ctx['min_length'] != 1 else ''}"
    if kind in ("too_short", "too_long"):
        return err["msg"][0].lower() + err["msg"][1:]
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("string_type",):
        return "must be a string"
    if kind in ("float_type", "float_parsing"):
        return "must be a number"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a mapping"
    if kind == "list_type":
        return "must be a list"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return err["msg"]


def _aliases(model: type[BaseModel]) -> list[str]:
    """The keys a user may write (internal fields have aliases starting with `_`)."""
    keys = [f.alias or name for name, f in model.model_fields.items()]
    return [k for k in keys if not k.startswith("_")]


def _model_at(model: type[BaseModel] | None, loc: list[str]) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        if part in _MODEL_NAMES:
            # a union member's tag in the error location: the member that was validated
            current = _MODEL_NAMES[part]
            continue
        if part.isdigit() or current is None:
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        by_alias = {(f.alias or n): f for n, f in current.model_fields.items()}
        info = by_alias.get(part)
        if info is None:
            # a dict key (gateway name, header name): stay on the value type
            continue
        current = _model_in(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _model_in(annotation: Any) -> Any:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _range_of(model: type[BaseModel] | None, loc: list[str]) -> str | None:
    owner = _model_at(model, loc[:-1])
    if owner is None or not loc:
        return None
    by_alias = {(f.alias or n): f for n, f in owner.model_fields.items()}
    info = by_alias.get(loc[-1])
    if info is None:
        return None
    low = high = None
    for meta in _constraints(info):
        low = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else low
        high = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else high
    if low is not None and high is not None:
        return f"allowed: {low:,}..{high:,}".replace(",", ",")
    if low is not None:
        return f"must be >= {low:,}"
    if high is not None:
        return f"must be <= {high:,}"
    return None


def _constraints(info: Any) -> list[Any]:
    import typing

    found = list(info.metadata)

    def walk(tp: Any) -> None:
        if typing.get_origin(tp) is Annotated:
            args = typing.get_args(tp)
            for meta in args[1:]:
                found.extend(getattr(meta, "metadata", []) or [meta])
            walk(args[0])
        else:
            for arg in typing.get_args(tp):
                walk(arg)

    walk(info.annotation)
    return found


for _cls in list(globals().values()):
    if isinstance(_cls, type) and issubclass(_cls, BaseModel):
        _MODEL_NAMES[_cls.__name__] = _cls
