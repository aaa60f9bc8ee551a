"""The words every part of aigw shares: resource type strings, markers and defaults.

One place for each: the CrossGuard pack (this package), `aigw plan`, `aigw check`, `aigw diff`,
`aigw compare`, the live commands and the components read them from here. Pure Python, no
imports beyond the standard library, and no import of the project's `aigw` package: the pack
folder must stay publishable alone (`pulumi policy publish policy`).
"""

from __future__ import annotations

# --- Resource type strings (Pulumi type tokens) -------------------------------------------------
# pulumi-cloudflare's resources (the provider schema: pulumi/pulumi-cloudflare
# `provider/cmd/pulumi-resource-cloudflare/schema.json`).
AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"
WORKERS_SCRIPT = "cloudflare:index/workersScript:WorkersScript"
ACCOUNT_TOKEN = "cloudflare:index/accountToken:AccountToken"
CLOUDFLARE_LOGPUSH_JOB = "cloudflare:index/logpushJob:LogpushJob"
WORKERS_SCRIPT_SUBDOMAIN = "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain"
R2_BUCKET = "cloudflare:index/r2Bucket:R2Bucket"
R2_BUCKET_LIFECYCLE = "cloudflare:index/r2BucketLifecycle:R2BucketLifecycle"
SECRETS_STORE = "cloudflare:index/secretsStore:SecretsStore"
SECRETS_STORE_SECRET = "cloudflare:index/secretsStoreSecret:SecretsStoreSecret"
AI_GATEWAY_DYNAMIC_ROUTING = "cloudflare:index/aiGatewayDynamicRouting:AiGatewayDynamicRouting"
# The stack's Logpush job is a Pulumi dynamic resource of this project (aigw/components/logpush_job.py):
# pulumi-cloudflare 6.23.1's LogpushJob rejects the ai_gateway_events dataset (its `dataset` enum).
# A dynamic resource's type is `pulumi-python:dynamic/<module>:<name>` (Pulumi docs, Dynamic
# Resource Providers: https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/).
LOGPUSH_JOB_MODULE = "aigw"
LOGPUSH_JOB_NAME = "LogpushJob"
LOGPUSH_JOB = f"pulumi-python:dynamic/{LOGPUSH_JOB_MODULE}:{LOGPUSH_JOB_NAME}"
# Its props carry pulumi-cloudflare's LogpushJob names, so readers accept a job of either type.
LOGPUSH_JOBS = (LOGPUSH_JOB, CLOUDFLARE_LOGPUSH_JOB)
# A gateway's BYOK provider config (aigw/components/provider_config.py): pulumi-cloudflare 6.23.1 has no
# resource for `/ai-gateway/gateways/{gateway_id}/provider_configs`.
PROVIDER_CONFIG_NAME = "ProviderConfig"
PROVIDER_CONFIG = f"pulumi-python:dynamic/{LOGPUSH_JOB_MODULE}:{PROVIDER_CONFIG_NAME}"
# A route with a percentage split (aigw/components/route.py): pulumi-cloudflare 6.23.1's
# `AiGatewayDynamicRoutingElementOutputsArgs` has no named outputs ("70%"), so such a route is a dynamic
# resource over the SDK. Its props have AiGatewayDynamicRouting's shape (accountId, gatewayId, name,
# elements with the same camelCase keys): readers of routes take both types.
DYNAMIC_ROUTE_NAME = "DynamicRoute"
DYNAMIC_ROUTE = f"pulumi-python:dynamic/{LOGPUSH_JOB_MODULE}:{DYNAMIC_ROUTE_NAME}"
ROUTE_TYPES = (AI_GATEWAY_DYNAMIC_ROUTING, DYNAMIC_ROUTE)

# This project's component resources.
GATEWAY_COMPONENT = "aigw:index:Gateway"
EDGE_WORKER = "aigw:index:EdgeWorker"
TEAM_WORKER = "aigw:index:TeamWorker"
API_TOKEN = "aigw:index:ApiToken"
LOG_EXPORT = "aigw:index:LogExport"
COMPONENT_PREFIX = "aigw:index:"

# The root resource of every Pulumi stack.
STACK_TYPE = "pulumi:pulumi:Stack"

# --- Markers ------------------------------------------------------------------------------------
# What aigw prints (plan, check, diff, compare) in place of a secret value; also the value an
# offline plan gives a secret it cannot decrypt (it only ever travels inside a Pulumi secret).
SECRET_MARK = "[secret]"

# --- Defaults -----------------------------------------------------------------------------------
# The gateway's rate limit technique when the spec names none (Cloudflare does not document a
# default; an audit-log sample shows "fixed").
DEFAULT_RATE_LIMIT_TECHNIQUE = "fixed"
# A spend rule's technique when the spec names none (terraform-provider-cloudflare
# `internal/services/ai_gateway/schema.go`: rule `technique` defaults to "sliding").
DEFAULT_SPEND_TECHNIQUE = "sliding"
RATE_LIMIT_TECHNIQUES = ("fixed", "sliding")
# An OpenTelemetry exporter's content type when the spec names none.
DEFAULT_OTEL_CONTENT_TYPE = "json"
OTEL_CONTENT_TYPES = ("json", "protobuf")
# The gateway's Workers AI billing mode when the spec names none (the API's default).
DEFAULT_WORKERS_AI_BILLING_MODE = "postpaid"
WORKERS_AI_BILLING_MODES = ("postpaid", "unified")

# Environments (aigw:environment) that are production unless aigw:productionEnvironments or a
# rule's productionEnvironments says otherwise.
DEFAULT_PRODUCTION_ENVIRONMENTS = ("prod", "production")
# The longest lifetime of an API token in days unless aigw:maxTokenDays says otherwise.
DEFAULT_MAX_TOKEN_DAYS = 90

# --- Names derived from others ------------------------------------------------------------------
EDGE_SCRIPT_SUFFIX = "-edge"


def gateway_id(environment: str, name: str) -> str:
    """A gateway's id when its spec declares none: `<environment>-<name>`."""
    return f"{environment}-{name}"


def edge_script_name(gateway_id: str) -> str:
    """The Workers script name of a gateway's edge Worker: `<gateway id>-edge`."""
    return f"{gateway_id}{EDGE_SCRIPT_SUFFIX}"
