"""A gateway's settings (``aigw:gateways.<name>`` and ``aigw:defaults``): caching, rate limit, logging,
retries, DLP, guardrails, OTel, spend limits, Stripe, authentication."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

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
from pydantic_core import InitErrorDetails, PydanticCustomError

from aigw_policy.rules import url_credentials
from aigw_policy.vocabulary import (
    DEFAULT_OTEL_CONTENT_TYPE,
    DEFAULT_RATE_LIMIT_TECHNIQUE,
    DEFAULT_SPEND_TECHNIQUE,
    DEFAULT_WORKERS_AI_BILLING_MODE,
)

from .base import Action, _Model
from .logpush import check_logpush_public_key
from .routing import ProviderKeySpec, RouteSpec, check_provider_keys, check_routes
from .secrets import (
    _PLAINTEXT_CREDENTIAL,
    Secret,
    _credential,
    _credentials_in,
    _without_credentials,
    is_credential_header,
)
from .workers import EdgeSpec

# Gateway id: 1-64 chars (API reference, "Create a new Gateway", `id`: minLength 1, maxLength 64; AI Gateway
# docs, Getting started: "Gateway name has a 64 character limit"), lowercase alphanumerics and underscores in
# hyphen-separated runs (no leading/trailing/double hyphen). The character pattern is not documented by
# Cloudflare for gateway ids; it is seen in third-party clients generated from Cloudflare's OpenAPI document.
GATEWAY_ID_PATTERN = r"^[a-z0-9_]+(?:-[a-z0-9_]+)*$"
GATEWAY_ID_MAX_LENGTH = 64
_GATEWAY_ID_RE = re.compile(GATEWAY_ID_PATTERN)

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
SPEND_LIMIT_RULES_MAX = 20


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
    technique: Literal["fixed", "sliding"] = DEFAULT_RATE_LIMIT_TECHNIQUE


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
    content_type: Literal["json", "protobuf"] = DEFAULT_OTEL_CONTENT_TYPE

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


class SpendRuleSpec(_Model):
    limit: Annotated[float, Field(ge=0)] = Field(description="Budget in USD per window.")
    # The API schema has `window` >= 0 and no maximum (terraform-provider-cloudflare
    # `internal/services/ai_gateway/schema.go`: `AtLeast(0)`; SDK 5.9.0 `ai_gateway_create_params.py`: no bound).
    # A 0-second window has no documented meaning, so aigw asks for at least one second.
    window: Annotated[int, Field(ge=1, strict=True)] = Field(description="Window in seconds (86400 = a day).")
    technique: Literal["fixed", "sliding"] = DEFAULT_SPEND_TECHNIQUE
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
    workers_ai_billing_mode: Literal["postpaid", "unified"] = DEFAULT_WORKERS_AI_BILLING_MODE
    store_id: str | None = None
    provider_keys: list[ProviderKeySpec] = Field(
        default_factory=list, description="BYOK keys: a Secrets Store secret and a provider config each.")
    routes: dict[str, RouteSpec] = Field(default_factory=dict, description="Dynamic routes by name.")
    edge: EdgeSpec | None = Field(None, description="Front the gateway with the edge Worker (null: none).")
    protect: Annotated[bool, Field(strict=True)] | None = Field(
        None,
        description=(
            "Protect the gateway from deletion (deleting a gateway deletes its stored logs). "
            "Default: true in production environments."
        ),
    )


    @field_validator("provider_keys")
    @classmethod
    def _provider_keys(cls, value: list[ProviderKeySpec]) -> list[ProviderKeySpec]:
        return check_provider_keys(value)

    @field_validator("routes")
    @classmethod
    def _routes(cls, value: dict[str, RouteSpec]) -> dict[str, RouteSpec]:
        return check_routes(value)

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
