"""Spec layer (pure pydantic, no Pulumi): merging defaults and one test per class of bad input.

Every error test writes a small stack file, loads it as `aigw plan` does, and asserts the
exact rendered lines: file and line, key path, the value, and what is allowed.
"""

from __future__ import annotations

import textwrap

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from helpers.spec import spki_pem, stack

from aigw.spec import (
    DlpPoliciesSpec,
    DlpProfilesSpec,
    OtelSpec,
    RateLimitSpec,
    Secret,
    SpecError,
    deep_merge,
)

ID_RULE = (
    "a gateway id is 1..64 characters of lowercase letters, digits and underscores, "
    "in runs joined by single hyphens (pattern ^[a-z0-9_]+(?:-[a-z0-9_]+)*$)"
)
SECRET_ONLY_FOR_CREDENTIALS = (
    "a secret is accepted only for credentials (OTel authorization and credential headers, "
    "Stripe authorization, Logpush destination and R2 keys, Worker secrets, provider keys); this value is not one, "
    "set it in plain text"
)
GATEWAY_KEYS = (
    "cache, rateLimit, logging, authentication, retry, dlp, guardrails, otel, spendLimits, stripe, "
    "zdr, byokOnly, workersAiBillingMode, storeId, providerKeys, routes, edge, protect, id"
)


@pytest.fixture(scope="module")
def rsa_4096_pem() -> str:
    """A real RSA 4096 public key in SPKI PEM, as the Logpush docs generate (800 characters)."""
    return spki_pem(rsa.generate_private_key(public_exponent=65537, key_size=4096).public_key())


def with_public_key(pem: str) -> str:
    """One gateway whose logging.logpushPublicKey is ``pem`` as a YAML block scalar (key on line 7)."""
    return stack("a:\n  logging:\n    logpushPublicKey: |\n" + textwrap.indent(pem, "      "))


# --------------------------------------------------------------------------- deep_merge


def test_deep_merge_merges_nested_mappings_key_by_key():
    base = {"cache": {"ttl": 0, "invalidateOnUpdate": True}, "zdr": False}
    override = {"cache": {"ttl": 300}}
    assert deep_merge(base, override) == {"cache": {"ttl": 300, "invalidateOnUpdate": True}, "zdr": False}


def test_deep_merge_replaces_lists_instead_of_concatenating():
    base = {"spendLimits": {"rules": [{"limit": 250.0, "window": 86400}]}}
    override = {"spendLimits": {"rules": [{"limit": 500.0, "window": 3600}]}}
    assert deep_merge(base, override) == {"spendLimits": {"rules": [{"limit": 500.0, "window": 3600}]}}


def test_deep_merge_null_replaces_a_mapping_so_a_default_can_be_turned_off():
    base = {"rateLimit": {"limit": 120, "interval": 60}, "cache": {"ttl": 60}}
    assert deep_merge(base, {"rateLimit": None}) == {"rateLimit": None, "cache": {"ttl": 60}}


def test_deep_merge_scalar_and_mapping_replace_each_other():
    assert deep_merge({"retry": {"maxAttempts": 2}}, {"retry": 3}) == {"retry": 3}
    assert deep_merge({"retry": 3}, {"retry": {"maxAttempts": 2}}) == {"retry": {"maxAttempts": 2}}


def test_deep_merge_three_levels_and_leaves_its_inputs_alone():
    org = {"logging": {"collect": True, "maxLogs": 1_000_000, "onFull": "deleteOldest"}}
    stack_defaults = {"logging": {"maxLogs": 100_000, "payloads": True}}
    gateway = {"logging": {"maxLogs": 10_000}}
    merged = deep_merge(deep_merge(org, stack_defaults), gateway)
    assert merged == {"logging": {"collect": True, "maxLogs": 10_000, "onFull": "deleteOldest", "payloads": True}}
    assert org == {"logging": {"collect": True, "maxLogs": 1_000_000, "onFull": "deleteOldest"}}
    assert stack_defaults == {"logging": {"maxLogs": 100_000, "payloads": True}}


# --------------------------------------------------------------------------- effective values


def test_gateway_settings_override_stack_defaults_which_override_org_defaults(project):
    spec = project.load(stack(
        """\
        a:
          retry: {delayMs: 100}
        b: {}
        """,
        extra="""\
        aigw:defaults:
          retry: {maxAttempts: 4}
          rateLimit: {limit: 10, interval: 60}
        """,
    ))
    a, b = spec.gateway("a"), spec.gateway("b")
    # org (Pulumi.yaml): maxAttempts 2, delayMs 500, backoff exponential
    assert (a.retry.max_attempts, a.retry.delay_ms, a.retry.backoff) == (4, 100, "exponential")
    assert (b.retry.max_attempts, b.retry.delay_ms, b.retry.backoff) == (4, 500, "exponential")
    assert a.rate_limit == b.rate_limit == RateLimitSpec(limit=10, interval=60, technique="fixed")
    assert [g.id for g in spec.gateways] == ["dev-a", "dev-b"]


def test_protect_defaults_to_production_and_a_gateway_can_set_it(project):
    prod = project.load(stack("a: {}\nb:\n  protect: false\n", environment="prod"), stack="prod")
    assert prod.production is True
    assert (prod.gateway("a").protect, prod.gateway("b").protect) == (True, False)
    dev = project.load(stack("a: {}\nb:\n  protect: true\n"), stack="dev")
    assert dev.production is False
    assert (dev.gateway("a").protect, dev.gateway("b").protect) == (False, True)


def test_a_stack_cannot_set_which_environments_are_production(project):
    assert project.errors(stack("a: {}\n", environment="live", extra="aigw:productionEnvironments: [live]\n")) == [
        "Pulumi.test.yaml:4: aigw:productionEnvironments: [\"live\"]: set only in Pulumi.yaml: "
        "it is the org's policy, not a stack's choice",
    ]


def test_explicit_id_replaces_the_environment_prefix(project):
    spec = project.load(stack("support-bot:\n  id: legacy_support\n"))
    assert spec.gateway("support-bot").id == "legacy_support"


def test_a_gateway_may_switch_dlp_shape_from_the_defaults(project):
    # Merging {policies} with {action, profiles} key by key would be neither API shape.
    spec = project.load(stack(
        """\
        legacy:
          dlp: {action: FLAG, profiles: [p2]}
        paused:
          dlp: {enabled: false}
        """,
        extra="""\
        aigw:defaults:
          dlp: {policies: [{id: pii, action: BLOCK, check: [REQUEST], profiles: [p1]}]}
        """,
    ))
    assert spec.gateway("legacy").dlp == DlpProfilesSpec(enabled=True, action="FLAG", profiles=["p2"])
    paused = spec.gateway("paused").dlp
    assert isinstance(paused, DlpPoliciesSpec)
    assert paused.enabled is False and [p.id for p in paused.policies] == ["pii"]


# --------------------------------------------------------------------------- one test per error class


def test_bad_enum_names_the_allowed_values(project):
    assert project.errors(stack("a:\n  rateLimit: {limit: 60, interval: 60, technique: token-bucket}\n")) == [
        "Pulumi.test.yaml:6: aigw:gateways.a.rateLimit.technique: 'token-bucket': allowed: fixed or sliding",
    ]


@pytest.mark.parametrize(("setting", "shown", "allowed"), [
    ("logging: {maxLogs: 5000}", "logging.maxLogs: 5000", "allowed: 10,000..10,000,000"),
    ("logging: {maxLogs: 10000001}", "logging.maxLogs: 10000001", "allowed: 10,000..10,000,000"),
    ("retry: {maxAttempts: 9}", "retry.maxAttempts: 9", "allowed: 1..5"),
    ("retry: {maxAttempts: 0}", "retry.maxAttempts: 0", "allowed: 1..5"),
    ("retry: {delayMs: 5001}", "retry.delayMs: 5001", "allowed: 0..5,000"),
    ("cache: {ttl: -1}", "cache.ttl: -1", "allowed: 0..2,592,000"),
    ("rateLimit: {limit: 0, interval: 60}", "rateLimit.limit: 0", "must be >= 1"),
    ("spendLimits: {rules: [{limit: -1.0, window: 60}]}", "spendLimits.rules[0].limit: -1.0", "must be >= 0"),
])
def test_out_of_range_names_the_range(project, setting, shown, allowed):
    assert project.errors(stack(f"a:\n  {setting}\n")) == [f"Pulumi.test.yaml:6: aigw:gateways.a.{shown}: {allowed}"]


@pytest.mark.parametrize("setting", [
    "logging: {maxLogs: 10000}",
    "logging: {maxLogs: 10000000}",
    "retry: {maxAttempts: 1, delayMs: 0}",
    "retry: {maxAttempts: 5, delayMs: 5000}",
    "cache: {ttl: 0}",
    "cache: {ttl: 2592000}",
])
def test_range_bounds_are_accepted(project, setting):
    project.load(stack(f"a:\n  {setting}\n"))


def test_unknown_keys_list_the_allowed_keys_at_their_level(project):
    assert project.errors(stack("a:\n  cahce: {ttl: 5}\n  logging: {colect: true}\n")) == [
        f"Pulumi.test.yaml:6: aigw:gateways.a.cahce: {{\"ttl\": 5}}: unknown key; allowed keys: {GATEWAY_KEYS}",
        "Pulumi.test.yaml:7: aigw:gateways.a.logging.colect: true: unknown key; allowed keys: "
        "collect, payloads, maxLogs, onFull, classification, logpush, logpushPublicKey",
    ]


def test_unknown_stack_key_lists_the_namespace_keys(project):
    assert project.errors(stack(extra="aigw:gatways: {}\n")) == [
        "Pulumi.test.yaml:4: aigw:gatways: {}: unknown key; allowed keys: "
        "accountId, environment, defaults, gateways, logpush, tokens, workers, workersDevSubdomain",
    ]


@pytest.mark.parametrize(("setting", "shown", "allowed"), [
    ("cache: {ttl: '300'}", "cache.ttl: '300'", "must be a whole number"),
    ("logging: {maxLogs: 1.5e6}", "logging.maxLogs: 1500000.0", "must be a whole number"),
    # YAML 1.2, as Pulumi reads it: `yes` is a string, not a boolean.
    ("authentication: yes", "authentication: 'yes'",
     "allowed: true, or imported-off for an imported gateway whose authentication is already off"),
    ("rateLimit: 100", "rateLimit: 100", "must be a mapping"),
    ("otel: {url: 'https://otlp.example/v1/traces'}", "otel: {\"url\": \"https://otlp.example/v1/traces\"}",
     "must be a list"),
])
def test_wrong_type_says_what_type_is_expected(project, setting, shown, allowed):
    assert project.errors(stack(f"a:\n  {setting}\n")) == [f"Pulumi.test.yaml:6: aigw:gateways.a.{shown}: {allowed}"]


def test_gateway_name_that_makes_an_invalid_id(project):
    assert project.errors(stack("Support_Bot: {}\n")) == [
        "Pulumi.test.yaml:5: aigw:gateways.Support_Bot: 'Support_Bot': "
        f"the gateway id 'dev-Support_Bot' (<environment>-<name>) is invalid: {ID_RULE}",
    ]


@pytest.mark.parametrize("bad_id", ["-leading", "double--hyphen", "Upper", "dots.in.id"])
def test_explicit_invalid_id(project, bad_id):
    assert project.errors(stack(f"a:\n  id: {bad_id}\n")) == [
        f"Pulumi.test.yaml:6: aigw:gateways.a.id: {bad_id!r}: {ID_RULE}",
    ]


def test_id_longer_than_64_characters_after_templating(project):
    name = "x" * 61  # "dev-" + 61 = 65
    assert project.errors(stack(f"{name}: {{}}\n")) == [
        f"Pulumi.test.yaml:5: aigw:gateways.{name}: {name!r}: "
        f"the gateway id 'dev-{name}' (<environment>-<name>) is invalid: {ID_RULE}; it is 65 characters",
    ]
    longest = "x" * 60
    assert project.load(stack(f"{longest}: {{}}\n")).gateway(longest).id == f"dev-{longest}"


def test_duplicate_ids_name_both_gateways(project):
    assert project.errors(stack("a: {}\nb:\n  id: dev-a\n")) == [
        "Pulumi.test.yaml:7: aigw:gateways.b.id: 'dev-a': gateway id already used by aigw:gateways.a; "
        "ids are unique per account",
    ]


def test_missing_account_id(project):
    text = "config:\n  aigw:environment: dev\n"
    assert project.errors(text) == ["Pulumi.test.yaml: aigw:accountId: missing: required key is missing"]


@pytest.mark.parametrize("account_id", ["0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef", "not-an-account"])
def test_bad_account_id(project, account_id):
    assert project.errors(stack(account_id=account_id)) == [
        f"Pulumi.test.yaml:2: aigw:accountId: {account_id!r}: must match ^[0-9a-f]{{32}}$",
    ]


@pytest.mark.parametrize("environment", ["Prod", "prod_eu", "-dev"])
def test_bad_environment(project, environment):
    assert project.errors(stack(environment=environment)) == [
        f"Pulumi.test.yaml:3: aigw:environment: {environment!r}: must match ^[a-z0-9]+(?:-[a-z0-9]+)*$",
    ]


def test_guardrails_unknown_category(project):
    assert project.errors(stack("a:\n  guardrails: {prompt: {S14: BLOCK}}\n")) == [
        "Pulumi.test.yaml:6: aigw:gateways.a.guardrails.prompt.S14: 'BLOCK': unknown key; allowed keys: "
        "P1, S1, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, S12, S13",
    ]


def test_guardrails_bad_action(project):
    assert project.errors(stack("a:\n  guardrails: {response: {S10: ALLOW}}\n")) == [
        "Pulumi.test.yaml:6: aigw:gateways.a.guardrails.response.S10: 'ALLOW': allowed: FLAG or BLOCK",
    ]


def test_dlp_both_api_shapes_are_accepted(project):
    spec = project.load(stack(
        """\
        profiles:
          dlp: {action: BLOCK, profiles: [p1, p2]}
        policies:
          dlp:
            policies:
              - {id: pii, action: FLAG, check: [REQUEST, RESPONSE], profiles: [p1]}
        """
    ))
    assert spec.gateway("profiles").dlp == DlpProfilesSpec(enabled=True, action="BLOCK", profiles=["p1", "p2"])
    policies = spec.gateway("policies").dlp
    assert isinstance(policies, DlpPoliciesSpec)
    assert [(p.id, p.action, p.check) for p in policies.policies] == [("pii", "FLAG", ["REQUEST", "RESPONSE"])]


def test_dlp_errors_speak_of_the_shape_written(project):
    assert project.errors(stack(
        """\
        profiles:
          dlp: {action: WARN, profiles: [p], check: [REQUEST]}
        policies:
          dlp:
            policies:
              - {id: pii, action: BLOCK, check: [BOTH], profiles: [p]}
            action: BLOCK
        """
    )) == [
        "Pulumi.test.yaml:6: aigw:gateways.profiles.dlp.action: 'WARN': allowed: FLAG or BLOCK",
        "Pulumi.test.yaml:6: aigw:gateways.profiles.dlp.check: [\"REQUEST\"]: unknown key; allowed keys: "
        "enabled, action, profiles",
        "Pulumi.test.yaml:10: aigw:gateways.policies.dlp.policies[0].check[0]: 'BOTH': allowed: REQUEST or RESPONSE",
        "Pulumi.test.yaml:11: aigw:gateways.policies.dlp.action: 'BLOCK': unknown key; allowed keys: "
        "enabled, policies",
    ]


def test_otel_plaintext_credentials_are_refused_without_echoing_them(project):
    lines = project.errors(stack(
        """\
        a:
          otel:
            - url: https://otlp.example/v1/traces
              headers: {api-key: hunter2-plaintext, x-team: ai}
              authorization: Bearer sk-live-123
        """
    ))
    assert lines == [
        "Pulumi.test.yaml:8: aigw:gateways.a.otel[0].headers.api-key: [secret]: a credential must be stored as "
        "a secret, not in plain text; set it with "
        "`pulumi config set --secret --path 'aigw:gateways.a.otel[0].headers.api-key' <value>`",
        "Pulumi.test.yaml:9: aigw:gateways.a.otel[0].authorization: [secret]: a credential must be stored as "
        "a secret, not in plain text; set it with "
        "`pulumi config set --secret --path 'aigw:gateways.a.otel[0].authorization' <value>`",
    ]
    for plaintext in ("hunter2", "sk-live-123"):
        assert plaintext not in "\n".join(lines)


def test_a_credential_in_another_form_is_not_echoed_either(project):
    with pytest.raises(SpecError) as info:
        project.load(stack("a:\n  otel: [{url: 'https://otlp.example', headers: {x-api-key: 1234567890}}]\n"))
    assert str(info.value) == (
        "Pulumi.test.yaml:6: aigw:gateways.a.otel[0].headers.x-api-key: [secret]: "
        "a credential must be stored as a secret (a `secure:` string value)"
    )
    assert "1234567890" not in repr(info.value.problems)


def test_otel_secure_credentials_are_accepted_as_secrets(project):
    spec = project.load(stack(
        """\
        a:
          otel:
            - url: https://otlp.example/v1/traces
              contentType: protobuf
              headers:
                api-key: {secure: v1:AAAAciphertext}
                x-honeycomb-team: {secure: v1:BBBBciphertext}
                x-team: ai
              authorization: {secure: v1:CCCCciphertext}
        """
    ))
    [otel] = spec.gateway("a").otel
    # Offline the ciphertext cannot be decrypted: a redacted placeholder, never the ciphertext.
    assert otel.headers == {"api-key": Secret(None), "x-honeycomb-team": Secret(None), "x-team": "ai"}
    assert otel.authorization == Secret(None)
    assert otel.content_type == "protobuf"
    assert "ciphertext" not in repr(spec)


def test_stripe_plaintext_authorization_is_refused(project):
    assert project.errors(stack("a:\n  stripe: {authorization: sk_live_abc}\n")) == [
        "Pulumi.test.yaml:6: aigw:gateways.a.stripe.authorization: [secret]: a credential must be stored as "
        "a secret, not in plain text; set it with "
        "`pulumi config set --secret --path 'aigw:gateways.a.stripe.authorization' <value>`",
    ]


def test_secure_value_in_a_field_that_is_not_a_credential(project):
    assert project.errors(stack(
        """\
        a:
          storeId: {secure: v1:abc}
          cache: {ttl: {secure: v1:def}}
          otel:
            - url: {secure: v1:ghi}
        """
    )) == [
        f"Pulumi.test.yaml:6: aigw:gateways.a.storeId: [secret]: {SECRET_ONLY_FOR_CREDENTIALS}",
        f"Pulumi.test.yaml:7: aigw:gateways.a.cache.ttl: [secret]: {SECRET_ONLY_FOR_CREDENTIALS}",
        f"Pulumi.test.yaml:9: aigw:gateways.a.otel[0].url: [secret]: {SECRET_ONLY_FOR_CREDENTIALS}",
    ]


def test_secure_account_id_is_refused(project):
    assert project.errors(stack(account_id="{secure: v1:abc}")) == [
        f"Pulumi.test.yaml:2: aigw:accountId: [secret]: {SECRET_ONLY_FOR_CREDENTIALS}",
    ]


def test_spend_limits_allow_at_most_20_rules(project):
    rule = "    - {limit: 1.0, window: 3600}\n"
    twenty = project.load(stack("a:\n  spendLimits:\n    rules:\n" + rule * 20))
    assert len(twenty.gateway("a").spend_limits.rules) == 20
    [line] = project.errors(stack("a:\n  spendLimits:\n    rules:\n" + rule * 21))
    assert line.startswith("Pulumi.test.yaml:7: aigw:gateways.a.spendLimits.rules: [{\"limit\": 1.0, \"window\": 3600}")
    assert line.endswith("...: at most 20 items; got 21")


def test_logpush_public_key_rsa_4096_spki_pem_is_accepted(project, rsa_4096_pem):
    assert rsa_4096_pem.startswith("-----BEGIN PUBLIC KEY-----\n") and len(rsa_4096_pem) == 800
    spec = project.load(with_public_key(rsa_4096_pem))
    assert spec.gateway("a").logging.logpush_public_key == rsa_4096_pem


def test_logpush_public_key_too_long(project):
    # An RSA 8192 key: 1491 characters of SPKI PEM, over the API's 1024.
    modulus = (1 << 8191) | 1
    pem = spki_pem(rsa.RSAPublicNumbers(65537, modulus).public_key())
    assert len(pem) == 1491
    [line] = project.errors(with_public_key(pem))
    assert line.startswith("Pulumi.test.yaml:7: aigw:gateways.a.logging.logpushPublicKey: '-----BEGIN PUBLIC KEY-----")
    assert line.endswith(": must be 16..1024 characters (an RSA public key in SPKI PEM of at most 4096 bits); got 1491")


def test_logpush_public_key_too_short(project):
    assert project.errors(stack("a:\n  logging: {logpushPublicKey: short}\n")) == [
        "Pulumi.test.yaml:6: aigw:gateways.a.logging.logpushPublicKey: 'short': "
        "must be 16..1024 characters (an RSA public key in SPKI PEM of at most 4096 bits); got 5",
    ]


def test_logpush_public_key_not_pem(project):
    assert project.errors(stack("a:\n  logging: {logpushPublicKey: not-a-pem-key-at-all}\n")) == [
        "Pulumi.test.yaml:6: aigw:gateways.a.logging.logpushPublicKey: 'not-a-pem-key-at-all': "
        "must be an RSA public key in SPKI PEM ('-----BEGIN PUBLIC KEY-----')",
    ]


def test_logpush_public_key_not_rsa(project):
    pem = spki_pem(ec.generate_private_key(ec.SECP256R1()).public_key())
    [line] = project.errors(with_public_key(pem))
    assert line.startswith("Pulumi.test.yaml:7: aigw:gateways.a.logging.logpushPublicKey: '-----BEGIN PUBLIC KEY-----")
    assert line.endswith(": must be an RSA public key")


# --------------------------------------------------------------------------- several problems at once


def test_every_problem_is_reported_one_line_each_in_line_order(project):
    lines = project.errors(stack(
        """\
        zeta:
          cache: {ttl: forever}
        alpha:
          rateLimit: {limit: 10}
          retry: {maxAttempts: 9, backoff: random}
        mid:
          id: dev-zeta
        """,
        account_id="nope",
    ))
    assert lines == [
        "Pulumi.test.yaml:2: aigw:accountId: 'nope': must match ^[0-9a-f]{32}$",
        "Pulumi.test.yaml:6: aigw:gateways.zeta.cache.ttl: 'forever': must be a whole number",
        # a missing key is reported on the line of the mapping that lacks it
        "Pulumi.test.yaml:8: aigw:gateways.alpha.rateLimit.interval: missing: required key is missing",
        "Pulumi.test.yaml:9: aigw:gateways.alpha.retry.maxAttempts: 9: allowed: 1..5",
        "Pulumi.test.yaml:9: aigw:gateways.alpha.retry.backoff: 'random': allowed: constant, linear or exponential",
        "Pulumi.test.yaml:11: aigw:gateways.mid.id: 'dev-zeta': gateway id already used by aigw:gateways.zeta; "
        "ids are unique per account",
    ]


def test_bad_defaults_are_reported_alone_not_again_for_every_gateway(project):
    assert project.errors(stack("a: {}\nb: {}\n", extra="aigw:defaults:\n  cache: {ttl: nope}\n")) == [
        "Pulumi.test.yaml:5: aigw:defaults.cache.ttl: 'nope': must be a whole number",
    ]


@pytest.mark.parametrize("flag", ["classification", "logpush"])
def test_log_features_need_collected_logs(project, flag):
    (line,) = project.errors(stack(f"a:\n  logging: {{collect: false, {flag}: true}}\n"))
    assert line.startswith("Pulumi.test.yaml:6: aigw:gateways.a.logging: {")
    assert line.endswith(f"{flag} needs collect: true (Cloudflare works on collected logs)")


def test_pkcs1_public_key_is_refused_the_api_wants_spki(project):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pkcs1 = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    (line,) = project.errors(with_public_key(pkcs1))
    assert line.endswith("must be an RSA public key in SPKI PEM ('-----BEGIN PUBLIC KEY-----')")
    assert "'-----BEGIN RSA PUBLIC KEY-----\\nMIIBCgKCA...' (426 characters)" in line, "long values are shortened"


def test_model_dump_never_exposes_a_decrypted_secret():
    spec = OtelSpec.model_validate(
        {"url": "https://otel.example.com/v1/traces", "headers": {"api-key": Secret("decrypted-value")}})
    assert "decrypted-value" not in repr(spec.model_dump())
    assert "decrypted-value" not in repr(spec)
    assert spec.headers["api-key"].value == "decrypted-value"


def test_a_name_key_is_not_a_setting_the_key_is_the_name(project):
    # Silently overwritten before: the gateway's (and a token's) name is its key in the mapping.
    assert project.errors(stack("a:\n  name: other\n", extra="aigw:tokens:\n  app: {name: x, purpose: run, "
                                "validFrom: 2026-11-23, expiresInDays: 30}\n")) == [
        "Pulumi.test.yaml:5: aigw:tokens.app.name: 'x': unknown key; allowed keys: purpose, expiresInDays, "
        "validFrom, allowIps, denyIps",
        "Pulumi.test.yaml:8: aigw:gateways.a.name: 'other': unknown key: the gateway's name is its key under "
        "aigw:gateways",
    ]


def test_the_spec_allows_and_defaults_to_the_vocabularys_values():
    """The Literal types spell the allowed values (a type cannot name a constant): they must be the vocabulary's."""
    from typing import get_args

    from aigw.spec import GatewaySettings, OtelSpec, RateLimitSpec
    from aigw.spec.gateway import SpendRuleSpec
    from aigw_policy import vocabulary as v

    for model, name, allowed, default in [
            (RateLimitSpec, "technique", v.RATE_LIMIT_TECHNIQUES, v.DEFAULT_RATE_LIMIT_TECHNIQUE),
            (SpendRuleSpec, "technique", v.RATE_LIMIT_TECHNIQUES, v.DEFAULT_SPEND_TECHNIQUE),
            (OtelSpec, "content_type", v.OTEL_CONTENT_TYPES, v.DEFAULT_OTEL_CONTENT_TYPE),
            (GatewaySettings, "workers_ai_billing_mode", v.WORKERS_AI_BILLING_MODES,
             v.DEFAULT_WORKERS_AI_BILLING_MODE)]:
        field = model.model_fields[name]
        assert (get_args(field.annotation), field.default) == (allowed, default), (model.__name__, name)
