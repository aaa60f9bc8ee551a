"""One field table per Cloudflare resource: where each setting is declared, what it is called in
Pulumi and in the API, how the plan and the diff word it, what the API assumes when it is left out,
whether changing it replaces the resource, and whether it holds a credential.

Everything that maps one of these names to another is derived from the table: the `Gateway`
component's inputs (aigw/components/gateway.py), the live mapping and its normalisation
(aigw/live/mapping.py), `aigw import` (aigw/live/importer.py), the drift hints
(aigw/live/drift.py), the gateway field table of docs/configuration.md (:func:`markdown_table`)
and the schema-fidelity tests' rename tables (tests/helpers/schema.py); for the Workers and the API
tokens (WORKERS_SCRIPT, WORKERS_SCRIPT_SUBDOMAIN, ACCOUNT_TOKEN): the components' inputs (each a row,
:func:`inputs`), the token's replace_on_changes, the reviewers' replace-on-change lists, a Worker's
diff words, and the tables of docs/workers.md and docs/tokens.md. A transform that is more
than a rename is a small named function in the module that applies it, referenced here by name.
Checked against the table, not yet derived from it (tests/test_field_table.py): the reviewers'
replace-on-change list (aigw/review/diff.py `REPLACED_BY`), the diff's setting words
(aigw/review/words.py), the LogpushJob resource's field names, replace list and secret outputs
(aigw/components/logpush_job.py), and the `input` column of docs/configuration.md's settings tables.

Sources:
- Pulumi inputs: pulumi-cloudflare `pulumi_cloudflare/ai_gateway.py` (`AiGatewayArgs`; camelCase as
  the engine and `aigw plan --format json` show them).
- API keys: cloudflare-python `cloudflare/types/ai_gateway/ai_gateway_create_params.py`
  (`AIGatewayCreateParams`), the body of "Create a new Gateway"
  (https://developers.cloudflare.com/api/resources/ai_gateway/methods/create/).
- Replacement and defaults: terraform-provider-cloudflare `internal/services/ai_gateway/schema.go`
  (pulumi-cloudflare is bridged from it): `id` and `account_id` are `RequiresReplace`;
  `workers_ai_billing_mode` defaults to "postpaid".

tests/test_field_table.py fails when the installed provider or SDK has a field that is neither a
row nor an explicit :class:`Unsupported` entry, so an upgrade cannot bring a field (above all one
that stores or exports data) without a decision, and when the docs table differs from this one.
This module imports nothing from the rest of the project (the policy pack never imports it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ITEM = "[]"  # a path step into a list item (nested API paths)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # no value: nothing may be assumed


@dataclass(frozen=True)
class Field:
    """One top-level input of a resource."""

    prop: str  # Pulumi input, camelCase (the plan's props)
    api: str  # API JSON key
    spec: str | None  # key path in the stack file's gateway entry (None: not set there)
    label: str  # the setting's words in the plan and the diff
    api_default: Any = UNSET  # what the API means when the field is left out (compared as equal to absent)
    replaces: bool = False  # a change forces the resource to be replaced
    credential: bool = False  # holds a credential (secret in state, never compared or written by value)
    case: str | None = None  # "lower" / "upper": an enum the API returns in any case
    values: Mapping[str, str] = field(default_factory=dict)  # spec value -> input/API value, where they differ
    when_absent: Any = UNSET  # the input sent when the spec's enclosing setting is absent (rateLimit: 0)
    import_default: Any = UNSET  # what `aigw import` writes when the API leaves it out (default: api_default)
    import_unset: str = "null"  # "null": written as null when unset; "omit": left out of the entry
    absent_unknown: bool = False  # left out by the API says nothing (never compared when absent)
    also: str | None = None  # where else the stack file can set it (for the drift hint)
    to_input: str | None = None  # name of the component's transform (spec value -> input), if not plain
    to_config: str | None = None  # name of the importer's transform (API value -> stack file), if not plain
    nested: tuple[str, ...] = ()  # API paths below this key the project knows ("a[].b"; "*" a map value)
    program_replaces: bool = False  # the program replaces it on a change (replace_on_changes) that the
    # provider would make in place


@dataclass(frozen=True)
class Unsupported:
    """A provider input or API field deliberately not supported, and why."""

    name: str  # Pulumi input (camelCase) or API path
    reason: str


@dataclass(frozen=True)
class Rename:
    """A nested key whose Pulumi name is not the camelCase of its API key (a bridge rename or a
    JSON tag of the provider's model)."""

    parent: tuple[str, ...]  # API path of the enclosing object (ITEM for a list item)
    api: str
    prop: str


_SNAKE = re.compile(r"_([a-z0-9])")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def camel(key: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), key)


def snake(name: str) -> str:
    return _CAMEL_BOUNDARY.sub("_", name).lower()


# --- AiGateway ------------------------------------------------------------------------------------

GUARDRAIL_CATEGORIES = ("P1", *(f"S{i}" for i in range(1, 14)))  # the API's keys (`GuardrailsPrompt`)
LOG_STRATEGY = {"deleteOldest": "DELETE_OLDEST", "stopInserting": "STOP_INSERTING"}

_DLP = ("action", "enabled", "profiles", "policies", "policies[].id", "policies[].action", "policies[].check",
        "policies[].enabled", "policies[].profiles")
_GUARDRAILS = ("prompt", *(f"prompt.{c}" for c in GUARDRAIL_CATEGORIES),
               "response", *(f"response.{c}" for c in GUARDRAIL_CATEGORIES))
_OTEL = ("[].url", "[].headers", "[].authorization", "[].content_type")
_SPEND = ("enabled", "rules", *(f"rules[].{k}" for k in (
    "limit", "limitType", "window", "id", "enabled", "technique", "model", "model.mode", "model.values",
    "provider", "provider.mode", "provider.values", "metadata", "metadata.*.mode", "metadata.*.values")))
_STRIPE = ("authorization", "usage_events", "usage_events[].payload")

# In the order of a gateway entry as `aigw import` writes it (and as docs/configuration.md lists it).
AI_GATEWAY: tuple[Field, ...] = (
    Field("accountId", "account_id", None, "account", replaces=True),
    Field("aiGatewayId", "id", "id", "id", replaces=True, to_config="id"),
    Field("cacheTtl", "cache_ttl", "cache.ttl", "cache", api_default=0),
    Field("cacheInvalidateOnUpdate", "cache_invalidate_on_update", "cache.invalidateOnUpdate", "cache",
          api_default=False),
    Field("rateLimitingLimit", "rate_limiting_limit", "rateLimit.limit", "rate limit", when_absent=0),
    Field("rateLimitingInterval", "rate_limiting_interval", "rateLimit.interval", "rate limit", when_absent=0),
    Field("rateLimitingTechnique", "rate_limiting_technique", "rateLimit.technique", "rate limit", case="lower",
          import_default="fixed"),
    Field("collectLogs", "collect_logs", "logging.collect", "logs", import_default=False),
    Field("logClassification", "log_classification", "logging.classification", "log classification",
          api_default=False),
    Field("logpush", "logpush", "logging.logpush", "logpush", api_default=False),
    Field("logManagement", "log_management", "logging.maxLogs", "logs"),
    Field("logManagementStrategy", "log_management_strategy", "logging.onFull", "logs", case="upper",
          values=LOG_STRATEGY),
    Field("logpushPublicKey", "logpush_public_key", "logging.logpushPublicKey", "logpush public key",
          import_unset="omit", also="aigw:logpush.publicKey", to_config="pem"),
    Field("authentication", "authentication", "authentication", "authentication", absent_unknown=True,
          to_config="authentication"),
    Field("retryMaxAttempts", "retry_max_attempts", "retry.maxAttempts", "retry"),
    Field("retryDelay", "retry_delay", "retry.delayMs", "retry"),
    Field("retryBackoff", "retry_backoff", "retry.backoff", "retry", case="lower"),
    Field("dlp", "dlp", "dlp", "DLP", to_input="dlp", to_config="dlp", nested=_DLP),
    Field("guardrails", "guardrails", "guardrails", "guardrails", to_input="guardrails", to_config="guardrails",
          nested=_GUARDRAILS),
    Field("otels", "otel", "otel", "otel", credential=True, to_input="otel", to_config="otel", nested=_OTEL),
    Field("spendLimits", "spend_limits", "spendLimits", "spend limits", to_input="spend_limits",
          to_config="spend_limits", nested=_SPEND),
    Field("stripe", "stripe", "stripe", "stripe", credential=True, to_input="stripe", to_config="stripe",
          nested=_STRIPE),
    Field("zdr", "zdr", "zdr", "zdr", api_default=False),
    Field("byokOnly", "byok_only", "byokOnly", "byokOnly", api_default=False),
    Field("workersAiBillingMode", "workers_ai_billing_mode", "workersAiBillingMode", "workersAiBillingMode",
          api_default="postpaid", case="lower"),
    Field("storeId", "store_id", "storeId", "storeId", import_unset="omit"),
)

# Every input of the installed provider and every create param of the SDK is a row above: none is
# left out today. A field added by an upgrade goes into the table, or here with the reason.
AI_GATEWAY_UNSUPPORTED: tuple[Unsupported, ...] = ()

# Settings of the gateway entry the API turns off as a whole: present only when these API keys are
# all set (non-zero); otherwise `aigw import` writes the setting as null.
AI_GATEWAY_GROUPS: dict[str, tuple[str, ...]] = {
    "rateLimit": ("rate_limiting_limit", "rate_limiting_interval"),  # the API's 0/0 is off
    "retry": ("retry_max_attempts",),
}

# Nested keys renamed by the bridge (pulumi-cloudflare `AiGatewayDlpPolicyArgs.checks`,
# `AiGatewaySpendLimitsRuleArgs.ai_gateway_provider`) or by the model's JSON tags (guardrail
# categories `P1`.., `limitType`, in terraform-provider-cloudflare `internal/services/ai_gateway/model.go`).
AI_GATEWAY_RENAMES: tuple[Rename, ...] = (
    Rename(("dlp", "policies", ITEM), "check", "checks"),
    Rename(("spend_limits", "rules", ITEM), "provider", "aiGatewayProvider"),
    Rename(("spend_limits", "rules", ITEM), "limitType", "limitType"),
    *(Rename(("guardrails", side), c, c.lower()) for side in ("prompt", "response") for c in GUARDRAIL_CATEGORIES),
)
# Maps whose keys are data (header names, metadata keys), never renamed: API paths.
AI_GATEWAY_FREE_FORM = (("otel", ITEM, "headers"), ("spend_limits", "rules", ITEM, "metadata"))


# --- LogpushJob -----------------------------------------------------------------------------------
# The job is a dynamic resource over the SDK (aigw/components/logpush_job.py) with the props of
# pulumi-cloudflare's `LogpushJob` (`pulumi_cloudflare/logpush_job.py` `LogpushJobArgs`); API keys:
# cloudflare-python `cloudflare/types/logpush/job_create_params.py` (`JobCreateParams`), "Create
# Logpush job" (https://developers.cloudflare.com/api/resources/logpush/subresources/jobs/methods/create/).
# Spec paths are keys of the stack's `aigw:logpush` entry; `aigw diff` words a job's settings by their
# prop names.

LOGPUSH_JOB: tuple[Field, ...] = (
    Field("accountId", "account_id", None, "account", replaces=True),
    # The update endpoint takes no dataset: a new dataset is a new job.
    Field("dataset", "dataset", None, "dataset", replaces=True),
    Field("destinationConf", "destination_conf", "destination", "destinationConf", credential=True),
    Field("enabled", "enabled", None, "enabled"),
    Field("name", "name", "name", "name"),
    Field("filter", "filter", "filter", "filter"),
    Field("ownershipChallenge", "ownership_challenge", "ownershipChallenge", "ownershipChallenge"),
    Field("maxUploadBytes", "max_upload_bytes", "maxUploadBytes", "maxUploadBytes"),
    Field("maxUploadIntervalSeconds", "max_upload_interval_seconds", "maxUploadIntervalSeconds",
          "maxUploadIntervalSeconds"),
    Field("maxUploadRecords", "max_upload_records", "maxUploadRecords", "maxUploadRecords"),
)
LOGPUSH_JOB_UNSUPPORTED: tuple[Unsupported, ...] = (
    Unsupported("zoneId", "the job exports an account dataset (ai_gateway_events); zone jobs are out of scope "
                          "(the provider: mutually exclusive with the account id)"),
    Unsupported("filterAttackTraffic", "only for the http_requests, firewall_events and network_analytics_logs "
                                       "datasets (the provider's description)"),
    Unsupported("frequency", "deprecated: the max upload bounds replace it (the provider's description)"),
    Unsupported("kind", "Edge Log Delivery jobs are not used: the default kind (a Logpush job)"),
    Unsupported("logpullOptions", "deprecated: output options replace it (the provider's description)"),
    Unsupported("outputOptions", "not exposed by aigw: the dataset's default fields and format are exported"),
)


# --- WorkersScript, WorkersScriptSubdomain ---------------------------------------------------------
# Both Workers of aigw/components/workers.py (the edge Worker in front of a gateway, a team's own
# Worker) are a pulumi-cloudflare `WorkersScript` (`pulumi_cloudflare/workers_script.py`
# `WorkersScriptArgs`); the edge Worker's workers.dev route is a `WorkersScriptSubdomain`
# (`pulumi_cloudflare/workers_script_subdomain.py`). API keys: cloudflare-python
# `cloudflare/types/workers/script_update_params.py` (`ScriptUpdateParams` and its `Metadata`, the
# body of "Upload Worker Module", https://developers.cloudflare.com/api/resources/workers/subresources/scripts/methods/update/)
# and `cloudflare/types/workers/scripts/subdomain_create_params.py` (`SubdomainCreateParams`); the
# script name is the URL's `{script_name}`. Replacement: terraform-provider-cloudflare
# `internal/services/workers_script/schema.go` and `internal/services/workers_script_subdomain/schema.go`
# (`account_id`, `script_name`: `RequiresReplace`). Spec paths: a team Worker's keys under
# `aigw:workers.<name>`, the edge Worker's under its gateway's `edge` (the rest of the edge Worker
# is set by aigw, docs/workers.md "Binding contract"). Labels: the diff's words (aigw/review/words.py).
NO_API = ""  # a provider input the API never receives (the provider's own bookkeeping)

WORKERS_SCRIPT: tuple[Field, ...] = (
    Field("accountId", "account_id", None, "account", replaces=True),
    Field("scriptName", "script_name", "aigw:workers.<name>.scriptName", "script", replaces=True),
    # The module goes as a file part of the upload, read by the provider: the plan and the state show
    # its path and hash, never the source text.
    Field("mainModule", "main_module", "aigw:workers.<name>.module", "module"),
    Field("contentFile", "files", "aigw:workers.<name>.module", "module"),
    Field("contentSha256", NO_API, "aigw:workers.<name>.module", "module"),
    Field("compatibilityDate", "compatibility_date",
          "aigw:workers.<name>.compatibilityDate, aigw:gateways.<name>.edge.compatibilityDate", "compatibility date"),
    Field("compatibilityFlags", "compatibility_flags", "aigw:workers.<name>.compatibilityFlags", "compatibilityFlags"),
    # secret_text bindings hold credentials (the edge Worker's Run token, a team Worker's secrets).
    Field("bindings", "bindings", "aigw:workers.<name>.vars, aigw:workers.<name>.secrets", "binding",
          credential=True),
)
WORKERS_SCRIPT_UNSUPPORTED: tuple[Unsupported, ...] = (
    Unsupported("annotations", "version annotations are not set: a change is described by its pull request"),
    Unsupported("assets", "no static assets: the Workers are request handlers"),
    Unsupported("bindingsInherit", "every binding is declared: none is inherited from an earlier version"),
    Unsupported("bodyPart", "service-worker syntax: aigw uploads ES modules (mainModule)"),
    Unsupported("cacheOptions", "not exposed by aigw: it would provision a zone for the Worker (the provider's "
                                "description)"),
    Unsupported("content", "the source text would be in the plan and the state: aigw sends contentFile and "
                           "contentSha256"),
    Unsupported("contentType", "service-worker syntax: aigw uploads ES modules (mainModule)"),
    Unsupported("exports", "not exposed by aigw: one default entrypoint"),
    Unsupported("files", "one module per Worker, sent as contentFile"),
    Unsupported("force", "a deletion that would break other Workers' references fails instead"),
    Unsupported("keepAssets", "no static assets"),
    Unsupported("keepBindings", "every binding is declared: none is kept from an earlier version"),
    Unsupported("limits", "not exposed by aigw"),
    Unsupported("logpush", "not exposed by aigw: Workers Trace Events would export request data outside the "
                           "gateway's log policy"),
    Unsupported("migrations", "no Durable Objects"),
    Unsupported("observability", "not exposed by aigw: Workers Logs would store request data outside the "
                                 "gateway's log policy"),
    Unsupported("packageDependencies", "not exposed by aigw: the module is uploaded as written, not built"),
    Unsupported("placement", "not exposed by aigw"),
    Unsupported("tags", "not exposed by aigw (the SDK's metadata; not a provider input)"),
    Unsupported("tailConsumers", "not exposed by aigw: a Tail Worker would receive the Worker's events"),
    Unsupported("usageModel", "not exposed by aigw"),
)

WORKERS_SCRIPT_SUBDOMAIN: tuple[Field, ...] = (
    Field("accountId", "account_id", None, "accountId", replaces=True),
    Field("scriptName", "script_name", None, "scriptName", replaces=True),  # the edge Worker's
    Field("enabled", "enabled", None, "enabled"),  # true: the edge Worker is reached at its workers.dev URL
)
WORKERS_SCRIPT_SUBDOMAIN_UNSUPPORTED: tuple[Unsupported, ...] = (
    Unsupported("previewsEnabled", "not set by aigw: no preview versions are uploaded"),
)


# --- AccountToken ---------------------------------------------------------------------------------
# `ApiToken` (aigw/components/tokens.py) is a pulumi-cloudflare `AccountToken`
# (`pulumi_cloudflare/account_token.py` `AccountTokenArgs`). API keys: cloudflare-python
# `cloudflare/types/accounts/token_create_params.py` (`TokenCreateParams`) and
# `token_update_params.py` (`TokenUpdateParams`), "Create Token"
# (https://developers.cloudflare.com/api/resources/accounts/subresources/tokens/methods/create/).
# Replacement: terraform-provider-cloudflare `internal/services/account_token/schema.go`
# (`account_id`: `RequiresReplace`); the validity window is updated in place by the provider, and
# the program replaces the token on it (`program_replaces`: rotation, docs/tokens.md). The token's
# value is an output, a secret (never an input).

ACCOUNT_TOKEN: tuple[Field, ...] = (
    Field("accountId", "account_id", None, "accountId", replaces=True),
    Field("name", "name", None, "name"),  # aigw-<stack>-<name>
    Field("policies", "policies", "aigw:tokens.<name>.purpose", "policies"),
    Field("condition", "condition", "aigw:tokens.<name>.allowIps, aigw:tokens.<name>.denyIps", "condition"),
    Field("notBefore", "not_before", "aigw:tokens.<name>.validFrom", "notBefore", program_replaces=True),
    Field("expiresOn", "expires_on", "aigw:tokens.<name>.validFrom, aigw:tokens.<name>.expiresInDays", "expiresOn",
          program_replaces=True),
)
ACCOUNT_TOKEN_UNSUPPORTED: tuple[Unsupported, ...] = (
    Unsupported("status", "not set by aigw: a token is retired by expiry or by rotation, not by disabling it"),
)


# --- SecretsStore, SecretsStoreSecret, ProviderConfig, AiGatewayDynamicRouting (BYOK and routes) -------
# A gateway's provider keys (aigw/components/gateway.py, aigw/program.py): the stack's pulumi-cloudflare
# `SecretsStore` (`pulumi_cloudflare/secrets_store.py` `SecretsStoreArgs`), one `SecretsStoreSecret` per key
# (`secrets_store_secret.py`; its `value` is a secret input and output), and the gateway's provider config,
# a Pulumi dynamic resource over the SDK (aigw/components/provider_config.py; pulumi-cloudflare 6.23.1 has no
# resource for it). API keys: cloudflare-python `cloudflare/types/secrets_store/store_create_params.py`,
# `types/secrets_store/stores/secret_create_params.py` (`Body`), `types/ai_gateway/provider_config_create_params.py`
# ("Create a new Provider Configs": POST /accounts/{account_id}/ai-gateway/gateways/{gateway_id}/provider_configs).
# Routes: pulumi-cloudflare `ai_gateway_dynamic_routing.py` (`AiGatewayDynamicRoutingArgs`), the API's
# `types/ai_gateway/dynamic_routing_create_params.py`. Replacement: the store's and the secret's names are
# their identity (terraform-provider-cloudflare `internal/services/secrets_store*/schema.go`:
# `account_id`, `store_id`, `name` `RequiresReplace`); a provider config has no update in the SDK, so
# every change replaces it (delete first: one config per provider and alias).

_GW = "aigw:gateways.<name>."
_KEYS = _GW + "providerKeys[]."

SECRETS_STORE: tuple[Field, ...] = (
    Field("accountId", "account_id", None, "account", replaces=True),
    Field("name", "name", None, "name", replaces=True),  # aigw-<stack>
)
SECRETS_STORE_UNSUPPORTED: tuple[Unsupported, ...] = (
    Unsupported("force", "never set: deleting the store must not cascade-delete secrets it still holds"),
)

SECRETS_STORE_SECRET: tuple[Field, ...] = (
    Field("accountId", "account_id", None, "account", replaces=True),
    Field("storeId", "store_id", _GW + "storeId", "store", replaces=True),
    Field("name", "name", _KEYS + "provider, aigw:gateways.<name>.providerKeys[].alias", "name", replaces=True),
    Field("scopes", "scopes", None, "scopes"),  # ["ai_gateway"]
    Field("value", "value", _KEYS + "key", "key", credential=True),
    Field("comment", "comment", None, "comment"),
)
SECRETS_STORE_SECRET_UNSUPPORTED: tuple[Unsupported, ...] = ()

PROVIDER_CONFIG: tuple[Field, ...] = (
    Field("accountId", "account_id", None, "account", replaces=True),
    Field("gatewayId", "gateway_id", _GW + "id", "gateway", replaces=True),
    Field("providerSlug", "provider_slug", _KEYS + "provider", "provider", replaces=True),
    Field("alias", "alias", _KEYS + "alias", "alias", replaces=True),
    Field("defaultConfig", "default_config", _KEYS + "default", "default", replaces=True),
    Field("secretId", "secret_id", None, "secret", replaces=True),  # the SecretsStoreSecret's id, never the key
    Field("rateLimit", "rate_limit", _KEYS + "rateLimit.limit", "rate limit", replaces=True),
    Field("rateLimitPeriod", "rate_limit_period", _KEYS + "rateLimit.period", "rate limit",
          replaces=True),
)
PROVIDER_CONFIG_UNSUPPORTED: tuple[Unsupported, ...] = (
    Unsupported("secret", "the key is never sent to the provider config (it would sit in its state): it is a "
                          "Secrets Store secret of the stack, referenced by secret_id"),
)

AI_GATEWAY_DYNAMIC_ROUTING: tuple[Field, ...] = (
    Field("accountId", "account_id", None, "account", replaces=True),
    Field("gatewayId", "gateway_id", _GW + "id", "gateway", replaces=True),
    Field("name", "name", _GW + "routes.<route>", "route"),
    Field("elements", "elements", _GW + "routes.<route>.elements", "elements"),
)
AI_GATEWAY_DYNAMIC_ROUTING_UNSUPPORTED: tuple[Unsupported, ...] = ()

# A route with a percentage split: aigw/components/route.py, a dynamic resource over the SDK (pulumi-cloudflare
# 6.23.1's element outputs have no named percentage outputs). Its calls: cloudflare-python
# `resources/ai_gateway/dynamic_routing.py` create (`DynamicRoutingCreateParams`), update (the name only,
# `DynamicRoutingUpdateParams`), create_version (the elements, `DynamicRoutingCreateVersionParams`) and
# create_deployment (`DynamicRoutingCreateDeploymentParams`). Same props as AI_GATEWAY_DYNAMIC_ROUTING's.
DYNAMIC_ROUTE: tuple[Field, ...] = (
    Field("accountId", "account_id", None, "account", replaces=True),
    Field("gatewayId", "gateway_id", _GW + "id", "gateway", replaces=True),
    Field("name", "name", _GW + "routes.<route>", "route"),  # renamed in place (PATCH .../routes/{id})
    Field("elements", "elements", _GW + "routes.<route>.elements", "elements"),  # a new version, deployed
)
DYNAMIC_ROUTE_UNSUPPORTED: tuple[Unsupported, ...] = (
    Unsupported("version_id", "not a setting: when the elements change, aigw creates a version and deploys "
                              "that one (create_deployment); earlier versions are not managed"),
)


def by_prop(table: Iterable[Field] = AI_GATEWAY) -> dict[str, Field]:
    return {f.prop: f for f in table}


def props(table: Iterable[Field] = AI_GATEWAY) -> frozenset[str]:
    return frozenset(f.prop for f in table)


def top_renames(table: Iterable[Field] = AI_GATEWAY) -> dict[str, str]:
    """API key -> Pulumi input, where the input is not the camelCase of the key."""
    return {f.api: f.prop for f in table if camel(f.api) != f.prop}


def replaced_by(table: Iterable[Field] = AI_GATEWAY) -> tuple[str, ...]:
    """The inputs whose change replaces the resource."""
    return tuple(f.prop for f in table if f.replaces)


def program_replaced(table: Iterable[Field]) -> list[str]:
    """The inputs the program replaces the resource on (its `replace_on_changes`)."""
    return [f.prop for f in table if f.program_replaces]


def inputs(table: Iterable[Field], **values: Any) -> dict[str, Any]:
    """A component's keyword arguments for the resource (snake_case names), each a row of the table:
    an input the table does not know is refused, so a component cannot set a field without a row."""
    known = {snake(f.prop) for f in table}
    unknown = sorted(set(values) - known)
    if unknown:
        raise KeyError(f"not a row of the field table (aigw/fields.py): {', '.join(unknown)}")
    return values


def credential_props(table: Iterable[Field] = AI_GATEWAY) -> list[str]:
    return [f.prop for f in table if f.credential]


def config_keys(table: Iterable[Field] = AI_GATEWAY) -> dict[str, str]:
    """Pulumi input -> where the stack file sets it (for the drift hint)."""
    return {f.prop: f.spec + (f" (or {f.also})" if f.also else "") for f in table if f.spec is not None}


def api_defaults(table: Iterable[Field] = AI_GATEWAY) -> dict[str, Any]:
    return {f.prop: f.api_default for f in table if f.api_default is not UNSET}


def pulumi_renames(table: Iterable[Field] = AI_GATEWAY,
                   renames: Iterable[Rename] = AI_GATEWAY_RENAMES) -> dict[tuple[str, ...], dict[str, str]]:
    """(API path of the parent) -> {snake_case of the Pulumi name: API key}, where they differ: the
    props -> API body direction (tests/helpers/schema.py)."""
    out: dict[tuple[str, ...], dict[str, str]] = {(): {snake(f.prop): f.api for f in table if snake(f.prop) != f.api}}
    for r in renames:
        if snake(r.prop) != r.api:
            out.setdefault(r.parent, {})[snake(r.prop)] = r.api
    return out


def nested_props(renames: Iterable[Rename] = AI_GATEWAY_RENAMES) -> dict[str, dict[str, str]]:
    """(API key of the enclosing object or list) -> {API key: Pulumi name}, where the name is not the
    camelCase of the key and not merely its lower case: the API -> props direction (live/mapping.py)."""
    out: dict[str, dict[str, str]] = {}
    for r in renames:
        if r.prop not in (camel(r.api), r.api.lower()):
            parent = [step for step in r.parent if step != ITEM][-1]
            out.setdefault(parent, {})[r.api] = r.prop
    return out


def lower_case_parents(renames: Iterable[Rename] = AI_GATEWAY_RENAMES) -> frozenset[str]:
    """Objects whose keys the Pulumi names carry in lower case (guardrail categories)."""
    return frozenset(r.parent[-1] for r in renames if r.prop == r.api.lower() and r.prop != r.api)


# --- the docs table -------------------------------------------------------------------------------

def docs_markers(resource: str) -> tuple[str, str]:
    """The lines around a resource's generated table in docs/configuration.md."""
    return (f"<!-- field table: {resource} (generated from aigw/fields.py; tests/test_field_table.py) -->",
            f"<!-- end of field table: {resource} -->")


DOCS_BEGIN, DOCS_END = docs_markers("AiGateway")


def _cell(value: Any) -> str:
    if value is UNSET:
        return ""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def markdown_table(table: Iterable[Field] = AI_GATEWAY,
                   unsupported: Iterable[Unsupported] = AI_GATEWAY_UNSUPPORTED) -> str:
    """A field table as docs/configuration.md shows it (between its docs_markers)."""
    lines = ["| key | input | API key | words in plan and diff | API default | change replaces | credential |",
             "|---|---|---|---|---|---|---|"]
    for f in table:
        spec = (", ".join(f"`{s}`" for s in f.spec.split(", ")) if f.spec else
                "`aigw:accountId` (stack)" if f.prop == "accountId" else "(set by aigw)")
        default = "unknown (never compared when absent)" if f.absent_unknown else _cell(f.api_default)
        api = f"`{f.api}`" if f.api != NO_API else "(not sent: the provider's)"
        replaces = "yes" if f.replaces else "yes (by aigw)" if f.program_replaces else ""
        lines.append(f"| {spec} | `{f.prop}` | {api} | {f.label} | {default} | "
                     f"{replaces} | {'yes' if f.credential else ''} |")
    rows = list(unsupported)
    if rows:
        lines += ["", "Not supported:", ""]
        lines += [f"- `{u.name}`: {u.reason}" for u in rows]
    return "\n".join(lines)


# The resources with a generated table in docs/configuration.md.
DOCS_TABLES = {"AiGateway": (AI_GATEWAY, AI_GATEWAY_UNSUPPORTED), "LogpushJob": (LOGPUSH_JOB, LOGPUSH_JOB_UNSUPPORTED),
               "ProviderConfig": (PROVIDER_CONFIG, PROVIDER_CONFIG_UNSUPPORTED),
               "DynamicRoute": (DYNAMIC_ROUTE, DYNAMIC_ROUTE_UNSUPPORTED)}


# --- the resources, for the checks ----------------------------------------------------------------

@dataclass(frozen=True)
class Resource:
    """A resource with a field table, and where tests/test_field_table.py checks it: the installed
    provider's Args class and the SDK's params (each "module:Class"; a key in `containers` is an
    object whose keys are the fields, as the script upload's `metadata`), the API's fields that are
    URL path parameters, and the docs file that shows the generated table (between docs_markers)."""

    name: str  # the Pulumi type's name (cloudflare:index/<name>:<name>)
    rows: tuple[Field, ...]
    unsupported: tuple[Unsupported, ...]
    provider: str  # e.g. "pulumi_cloudflare.workers_script:WorkersScriptArgs"
    sdk: tuple[str, ...]  # e.g. ("cloudflare.types.workers.script_update_params:ScriptUpdateParams",)
    docs: str  # a path from the repository root
    path_params: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()


RESOURCES: tuple[Resource, ...] = (
    Resource("WorkersScript", WORKERS_SCRIPT, WORKERS_SCRIPT_UNSUPPORTED,
             "pulumi_cloudflare.workers_script:WorkersScriptArgs",
             ("cloudflare.types.workers.script_update_params:ScriptUpdateParams",
              "cloudflare.types.workers.script_update_params:Metadata"),
             "docs/workers.md", path_params=("script_name",), containers=("metadata",)),
    Resource("WorkersScriptSubdomain", WORKERS_SCRIPT_SUBDOMAIN, WORKERS_SCRIPT_SUBDOMAIN_UNSUPPORTED,
             "pulumi_cloudflare.workers_script_subdomain:WorkersScriptSubdomainArgs",
             ("cloudflare.types.workers.scripts.subdomain_create_params:SubdomainCreateParams",),
             "docs/workers.md", path_params=("script_name",)),
    Resource("AccountToken", ACCOUNT_TOKEN, ACCOUNT_TOKEN_UNSUPPORTED,
             "pulumi_cloudflare.account_token:AccountTokenArgs",
             ("cloudflare.types.accounts.token_create_params:TokenCreateParams",
              "cloudflare.types.accounts.token_update_params:TokenUpdateParams"),
             "docs/tokens.md"),
    Resource("SecretsStore", SECRETS_STORE, SECRETS_STORE_UNSUPPORTED,
             "pulumi_cloudflare.secrets_store:SecretsStoreArgs",
             ("cloudflare.types.secrets_store.store_create_params:StoreCreateParams",),
             "docs/configuration.md"),
    Resource("SecretsStoreSecret", SECRETS_STORE_SECRET, SECRETS_STORE_SECRET_UNSUPPORTED,
             "pulumi_cloudflare.secrets_store_secret:SecretsStoreSecretArgs",
             ("cloudflare.types.secrets_store.stores.secret_create_params:Body",),
             "docs/configuration.md", path_params=("account_id", "store_id")),
    Resource("AiGatewayDynamicRouting", AI_GATEWAY_DYNAMIC_ROUTING, AI_GATEWAY_DYNAMIC_ROUTING_UNSUPPORTED,
             "pulumi_cloudflare.ai_gateway_dynamic_routing:AiGatewayDynamicRoutingArgs",
             ("cloudflare.types.ai_gateway.dynamic_routing_create_params:DynamicRoutingCreateParams",),
             "docs/configuration.md", path_params=("gateway_id",)),
)
