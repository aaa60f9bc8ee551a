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

from pydantic import BaseModel

from . import base, errors, gateway, logpush, merge, routing, secrets, stack, tokens, wording, workers
from .base import (
    ACCOUNT_ID_PATTERN,
    DEFAULT_PRODUCTION_ENVIRONMENTS,
    ENVIRONMENT_PATTERN,
    NAMESPACE,
    Action,
)
from .errors import (
    Problem,
    SpecError,
)
from .gateway import (
    AUTHENTICATION_ALLOWED,
    AUTHENTICATION_FALSE,
    AUTHENTICATION_IMPORTED_OFF,
    AUTHENTICATION_NOT_A_DEFAULT,
    CACHE_TTL_MAX,
    GATEWAY_ID_MAX_LENGTH,
    GATEWAY_ID_PATTERN,
    LOG_MANAGEMENT_MAX,
    LOG_MANAGEMENT_MIN,
    RETRY_DELAY_MS,
    RETRY_MAX_ATTEMPTS,
    SPEND_LIMIT_RULES_MAX,
    CacheSpec,
    DlpPoliciesSpec,
    DlpPolicySpec,
    DlpProfilesSpec,
    DlpSpec,
    GatewaySettings,
    GatewaySpec,
    GuardrailCategories,
    GuardrailsSpec,
    LoggingSpec,
    OtelSpec,
    RateLimitSpec,
    RetrySpec,
    SpendLimitsSpec,
    SpendRuleSpec,
    StripeSpec,
    StripeUsageEventSpec,
    gateway_id_problem,
    spend_rule_id,
)
from .logpush import (
    LOGPUSH_JOBS_PER_ACCOUNT,
    LOGPUSH_PUBLIC_KEY_LENGTH,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_INTERVAL_SECONDS,
    MAX_UPLOAD_RECORDS,
    R2_BUCKET_PATTERN,
    LogpushDestinationSpec,
    LogpushSpec,
    R2DestinationSpec,
    check_logpush_public_key,
)
from .merge import (
    deep_merge,
)
from .secrets import (
    Secret,
    is_credential_header,
    is_plaintext_credential,
)
from .stack import (
    PROJECT_KEYS,
    PROJECT_ONLY_KEYS,
    PROVIDER_CREDENTIAL_KEYS,
    PROVIDER_KEYS,
    PROVIDER_NAMESPACE,
    RawConfig,
    StackSpec,
    build_stack_spec,
    provider_key_problems,
)
from .tokens import (
    DEFAULT_MAX_TOKEN_DAYS,
    TokenSpec,
)
from .workers import (
    BINDING_NAME_PATTERN,
    EDGE_COMPATIBILITY_DATE,
    EDGE_MODULE,
    RESERVED_BINDINGS,
    SCRIPT_NAME_PATTERN,
    EdgeSpec,
    WorkerSpec,
    edge_module,
)

# Error wording names the model a pydantic union member stands for (wording._MODEL_NAMES): every model of
# the package, registered once all are defined.
for _module in (base, secrets, errors, workers, logpush, routing, gateway, tokens, merge, wording, stack):
    for _cls in list(vars(_module).values()):
        if isinstance(_cls, type) and issubclass(_cls, BaseModel):
            wording._MODEL_NAMES[_cls.__name__] = _cls

__all__ = [
    "ACCOUNT_ID_PATTERN",
    "AUTHENTICATION_ALLOWED",
    "AUTHENTICATION_FALSE",
    "AUTHENTICATION_IMPORTED_OFF",
    "AUTHENTICATION_NOT_A_DEFAULT",
    "Action",
    "BINDING_NAME_PATTERN",
    "CACHE_TTL_MAX",
    "CacheSpec",
    "DEFAULT_MAX_TOKEN_DAYS",
    "DEFAULT_PRODUCTION_ENVIRONMENTS",
    "DlpPoliciesSpec",
    "DlpPolicySpec",
    "DlpProfilesSpec",
    "DlpSpec",
    "EDGE_COMPATIBILITY_DATE",
    "EDGE_MODULE",
    "edge_module",
    "ENVIRONMENT_PATTERN",
    "EdgeSpec",
    "GATEWAY_ID_MAX_LENGTH",
    "GATEWAY_ID_PATTERN",
    "GatewaySettings",
    "GatewaySpec",
    "GuardrailCategories",
    "GuardrailsSpec",
    "LOGPUSH_JOBS_PER_ACCOUNT",
    "LOGPUSH_PUBLIC_KEY_LENGTH",
    "LOG_MANAGEMENT_MAX",
    "LOG_MANAGEMENT_MIN",
    "LoggingSpec",
    "LogpushDestinationSpec",
    "LogpushSpec",
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_INTERVAL_SECONDS",
    "MAX_UPLOAD_RECORDS",
    "NAMESPACE",
    "OtelSpec",
    "PROJECT_KEYS",
    "PROJECT_ONLY_KEYS",
    "PROVIDER_CREDENTIAL_KEYS",
    "PROVIDER_KEYS",
    "PROVIDER_NAMESPACE",
    "Problem",
    "R2DestinationSpec",
    "R2_BUCKET_PATTERN",
    "RESERVED_BINDINGS",
    "RETRY_DELAY_MS",
    "RETRY_MAX_ATTEMPTS",
    "RateLimitSpec",
    "RawConfig",
    "RetrySpec",
    "SCRIPT_NAME_PATTERN",
    "SPEND_LIMIT_RULES_MAX",
    "Secret",
    "SpecError",
    "SpendLimitsSpec",
    "SpendRuleSpec",
    "StackSpec",
    "StripeSpec",
    "StripeUsageEventSpec",
    "TokenSpec",
    "WorkerSpec",
    "build_stack_spec",
    "check_logpush_public_key",
    "deep_merge",
    "gateway_id_problem",
    "is_credential_header",
    "is_plaintext_credential",
    "provider_key_problems",
    "spend_rule_id",
]
