"""Spec layer for `aigw:logpush` and `aigw:tokens` (pure pydantic, no Pulumi).

As in tests/test_spec.py: every error test writes a small stack file, loads it as `aigw plan`
does, and asserts the exact rendered lines (file and line, key path, value, what is allowed).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from helpers.spec import REPO, spki_pem, stack

from aigw.spec import (
    DEFAULT_MAX_TOKEN_DAYS,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_INTERVAL_SECONDS,
    MAX_UPLOAD_RECORDS,
    Secret,
    SpecError,
)

AIGW = str(Path(sys.executable).parent / "aigw")
PLAINTEXT = "a credential must be stored as a secret, not in plain text; set it with `pulumi config set --secret --path"
NOT_A_SECURE_STRING = "a credential must be stored as a secret (a `secure:` string value)"
EXACTLY_ONE = "give exactly one of r2 (a bucket this stack creates) or conf (a destination_conf secret)"
BUCKET_RULE = "must match ^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"
NEEDS_DESTINATION = "logpush: true needs aigw:logpush with a destination (the stack's Logpush job)"
DATE_RULE = "must be a date as YYYY-MM-DD"

R2 = """\
aigw:logpush:
  destination:
    r2:
      bucket: acme-ai-gateway-logs
      retentionDays: 30
      accessKeyId: {secure: v1:AccessKeyIdCiphertext}
      secretAccessKey: {secure: v1:SecretAccessKeyCiphertext}
"""
CONF = """\
aigw:logpush:
  destination:
    conf: {secure: v1:DestinationConfCiphertext}
"""


@cache
def rsa_pem(n: int = 0) -> str:
    """A real RSA 2048 public key in SPKI PEM (``n`` tells distinct keys apart)."""
    return spki_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())


def logpush(*, public_key: str | None = None, destination: str | None = "conf: {secure: v1:x}",
            options: str = "") -> str:
    """An `aigw:logpush` block (stack() `extra`): publicKey as a block scalar, then destination, then options."""
    text = "aigw:logpush:\n"
    if public_key is not None:
        text += "  publicKey: |\n" + textwrap.indent(public_key, "    ")
    if destination is not None:
        text += "  destination:\n" + textwrap.indent(textwrap.dedent(destination).rstrip("\n") + "\n", "    ")
    return text + textwrap.indent(textwrap.dedent(options), "  ")


def token(fields: str, name: str = "app") -> str:
    """An `aigw:tokens` block with one token (stack() `extra`); the token's name is on line 5."""
    return f"aigw:tokens:\n  {name}: {{{fields}}}\n"


# --------------------------------------------------------------------------- aigw:logpush destination


def test_r2_destination_defaults_and_secret_credentials(project):
    spec = project.load(stack(extra=R2))
    r2 = spec.logpush.destination.r2
    assert (r2.bucket, r2.retention_days, r2.path, r2.jurisdiction, r2.location) == (
        "acme-ai-gateway-logs", 30, "ai-gateway", None, None)
    # Offline the ciphertext cannot be decrypted: a redacted placeholder, never the ciphertext.
    assert r2.access_key_id == Secret(None) and r2.secret_access_key == Secret(None)
    assert spec.logpush.destination.conf is None
    assert "Ciphertext" not in repr(spec)


def test_conf_destination_is_a_secret(project):
    spec = project.load(stack(extra=CONF))
    assert spec.logpush.destination.conf == Secret(None)
    assert spec.logpush.destination.r2 is None
    assert "Ciphertext" not in repr(spec)


def test_destination_with_neither_r2_nor_conf(project):
    assert project.errors(stack(extra="aigw:logpush:\n  destination: {}\n")) == [
        f"Pulumi.test.yaml:5: aigw:logpush.destination: {{}}: {EXACTLY_ONE}",
    ]


def test_destination_with_both_r2_and_conf(project):
    extra = logpush(destination="""\
        conf: {secure: v1:x}
        r2: {bucket: logs, retentionDays: 7, accessKeyId: {secure: v1:a}, secretAccessKey: {secure: v1:b}}
        """)
    assert project.errors(stack(extra=extra)) == [
        "Pulumi.test.yaml:5: aigw:logpush.destination: "
        '{"conf": "[secret]", "r2": {"accessKeyId": "[secret]", "bucket": "logs", "ret...: '
        f"{EXACTLY_ONE}",
    ]


@pytest.mark.parametrize("bucket", ["Acme-Logs", "acme_logs", "ab", "-logs", "logs-", "x" * 64, "logs.acme"])
def test_r2_bucket_name_pattern(project, bucket):
    extra = logpush(destination=f"r2: {{bucket: '{bucket}', retentionDays: 7, "
                                "accessKeyId: {secure: v1:a}, secretAccessKey: {secure: v1:b}}\n")
    assert project.errors(stack(extra=extra)) == [
        f"Pulumi.test.yaml:6: aigw:logpush.destination.r2.bucket: {bucket!r}: {BUCKET_RULE}",
    ]


@pytest.mark.parametrize("bucket", ["abc", "x" * 63, "acme-prod-ai-gateway-logs-2", "0logs9"])
def test_r2_bucket_names_that_are_accepted(project, bucket):
    extra = logpush(destination=f"r2: {{bucket: '{bucket}', retentionDays: 7, "
                                "accessKeyId: {secure: v1:a}, secretAccessKey: {secure: v1:b}}\n")
    assert project.load(stack(extra=extra)).logpush.destination.r2.bucket == bucket


@pytest.mark.parametrize(("days", "shown", "allowed"), [
    ("0", "0", "allowed: 1..3,650"),
    ("3651", "3651", "allowed: 1..3,650"),
    ("-1", "-1", "allowed: 1..3,650"),
    ("'30'", "'30'", "must be a whole number"),
    ("7.5", "7.5", "must be a whole number"),
])
def test_r2_retention_days_range(project, days, shown, allowed):
    extra = logpush(destination=f"r2: {{bucket: logs, retentionDays: {days}, "
                                "accessKeyId: {secure: v1:a}, secretAccessKey: {secure: v1:b}}\n")
    assert project.errors(stack(extra=extra)) == [
        f"Pulumi.test.yaml:6: aigw:logpush.destination.r2.retentionDays: {shown}: {allowed}",
    ]


@pytest.mark.parametrize("days", [1, 3650])
def test_r2_retention_days_bounds_are_accepted(project, days):
    extra = logpush(destination=f"r2: {{bucket: logs, retentionDays: {days}, "
                                "accessKeyId: {secure: v1:a}, secretAccessKey: {secure: v1:b}}\n")
    assert project.load(stack(extra=extra)).logpush.destination.r2.retention_days == days


def test_r2_plaintext_credentials_are_refused_without_echoing_them(project):
    lines = project.errors(stack(extra=logpush(destination="""\
        r2:
          bucket: logs
          retentionDays: 7
          accessKeyId: AKIAPLAINTEXTKEYID
          secretAccessKey: plaintext-secret-access-key
        """)))
    assert lines == [
        f"Pulumi.test.yaml:9: aigw:logpush.destination.r2.accessKeyId: [secret]: {PLAINTEXT} "
        "'aigw:logpush.destination.r2.accessKeyId' <value>`",
        f"Pulumi.test.yaml:10: aigw:logpush.destination.r2.secretAccessKey: [secret]: {PLAINTEXT} "
        "'aigw:logpush.destination.r2.secretAccessKey' <value>`",
    ]
    for plaintext in ("AKIAPLAINTEXTKEYID", "plaintext-secret-access-key"):
        assert plaintext not in "\n".join(lines)


def test_r2_credential_in_another_form_is_not_echoed_either(project):
    with pytest.raises(SpecError) as info:
        project.load(stack(extra=logpush(destination=(
            "r2: {bucket: logs, retentionDays: 7, accessKeyId: 9876543210, secretAccessKey: {secure: v1:b}}\n"))))
    assert str(info.value) == (
        f"Pulumi.test.yaml:6: aigw:logpush.destination.r2.accessKeyId: [secret]: {NOT_A_SECURE_STRING}")
    assert "9876543210" not in repr(info.value.problems)


def test_r2_credentials_are_required(project):
    assert project.errors(stack(extra=logpush(destination="r2: {bucket: logs, retentionDays: 7}\n"))) == [
        "Pulumi.test.yaml:6: aigw:logpush.destination.r2.accessKeyId: missing: required key is missing",
        "Pulumi.test.yaml:6: aigw:logpush.destination.r2.secretAccessKey: missing: required key is missing",
    ]


def test_plaintext_conf_is_refused_without_echoing_it(project):
    lines = project.errors(stack(extra=logpush(
        destination="conf: s3://acme-logs/ai?region=us-east-1&access-key-id=AKIAX&secret-access-key=hunter2\n")))
    assert lines == [
        f"Pulumi.test.yaml:6: aigw:logpush.destination.conf: [secret]: {PLAINTEXT} "
        "'aigw:logpush.destination.conf' <value>`",
    ]
    assert "hunter2" not in "\n".join(lines) and "AKIAX" not in "\n".join(lines)


def test_conf_in_another_form_is_not_echoed(project):
    assert project.errors(stack(extra=logpush(destination="conf: 31415926\n"))) == [
        f"Pulumi.test.yaml:6: aigw:logpush.destination.conf: [secret]: {NOT_A_SECURE_STRING}",
    ]


def test_unknown_keys_in_logpush_list_the_allowed_keys(project):
    assert project.errors(stack(extra=logpush(options="frequency: high\n"))) == [
        "Pulumi.test.yaml:7: aigw:logpush.frequency: 'high': unknown key; allowed keys: publicKey, destination, "
        "name, filter, ownershipChallenge, maxUploadBytes, maxUploadIntervalSeconds, maxUploadRecords",
    ]
    assert project.errors(stack(extra=logpush(destination=(
        "r2: {bucket: logs, retentionDays: 7, region: eu, accessKeyId: {secure: v1:a}, "
        "secretAccessKey: {secure: v1:b}}\n")))) == [
        "Pulumi.test.yaml:6: aigw:logpush.destination.r2.region: 'eu': unknown key; allowed keys: "
        "bucket, retentionDays, path, jurisdiction, location, accessKeyId, secretAccessKey",
    ]


# --------------------------------------------------------------------------- job options


@pytest.mark.parametrize(("key", "value", "allowed"), [
    ("maxUploadBytes", 4_999_999, "allowed: 0 (off) or 5,000,000..1,000,000,000"),
    ("maxUploadBytes", 1_000_000_001, "allowed: 0 (off) or 5,000,000..1,000,000,000"),
    ("maxUploadBytes", 1, "allowed: 0 (off) or 5,000,000..1,000,000,000"),
    ("maxUploadBytes", -1, "allowed: 0 (off) or 5,000,000..1,000,000,000"),
    ("maxUploadIntervalSeconds", 29, "allowed: 0 (off) or 30..300"),
    ("maxUploadIntervalSeconds", 301, "allowed: 0 (off) or 30..300"),
    ("maxUploadRecords", 999, "allowed: 0 (off) or 1,000..1,000,000"),
    ("maxUploadRecords", 1_000_001, "allowed: 0 (off) or 1,000..1,000,000"),
])
def test_job_option_out_of_range_names_zero_and_the_range(project, key, value, allowed):
    assert project.errors(stack(extra=logpush(options=f"{key}: {value}\n"))) == [
        f"Pulumi.test.yaml:7: aigw:logpush.{key}: {value}: {allowed}",
    ]


def test_every_bad_job_option_is_reported_on_its_own_line(project):
    options = "maxUploadBytes: 4999999\nmaxUploadIntervalSeconds: 29\nmaxUploadRecords: 999\n"
    assert project.errors(stack(extra=logpush(options=options))) == [
        "Pulumi.test.yaml:7: aigw:logpush.maxUploadBytes: 4999999: allowed: 0 (off) or 5,000,000..1,000,000,000",
        "Pulumi.test.yaml:8: aigw:logpush.maxUploadIntervalSeconds: 29: allowed: 0 (off) or 30..300",
        "Pulumi.test.yaml:9: aigw:logpush.maxUploadRecords: 999: allowed: 0 (off) or 1,000..1,000,000",
    ]


@pytest.mark.parametrize(("key", "attribute", "bounds"), [
    ("maxUploadBytes", "max_upload_bytes", MAX_UPLOAD_BYTES),
    ("maxUploadIntervalSeconds", "max_upload_interval_seconds", MAX_UPLOAD_INTERVAL_SECONDS),
    ("maxUploadRecords", "max_upload_records", MAX_UPLOAD_RECORDS),
])
def test_job_option_zero_and_bounds_are_accepted(project, key, attribute, bounds):
    assert bounds in ((5_000_000, 1_000_000_000), (30, 300), (1_000, 1_000_000))  # the documented ranges
    for value in (0, *bounds):
        spec = project.load(stack(extra=logpush(options=f"{key}: {value}\n")))
        assert getattr(spec.logpush, attribute) == value
    assert getattr(project.load(stack(extra=CONF)).logpush, attribute) is None, "absent means not sent"


@pytest.mark.parametrize(("value", "shown"), [("5MB", "'5MB'"), ("1000000.0", "1000000.0"), ("true", "true")])
def test_job_option_must_be_a_whole_number(project, value, shown):
    assert project.errors(stack(extra=logpush(options=f"maxUploadRecords: {value}\n"))) == [
        f"Pulumi.test.yaml:7: aigw:logpush.maxUploadRecords: {shown}: must be a whole number",
    ]


# --------------------------------------------------------------------------- publicKey


def test_logpush_public_key_rsa_spki_pem_is_accepted(project):
    spec = project.load(stack(extra=logpush(public_key=rsa_pem())))
    assert spec.logpush.public_key == rsa_pem()


def test_logpush_public_key_too_short(project):
    assert project.errors(stack(extra="aigw:logpush: {publicKey: nope}\n")) == [
        "Pulumi.test.yaml:4: aigw:logpush.publicKey: 'nope': "
        "must be 16..1024 characters (an RSA public key in SPKI PEM of at most 4096 bits); got 4",
    ]


def test_logpush_public_key_not_pem(project):
    assert project.errors(stack(extra="aigw:logpush: {publicKey: this-is-not-a-pem-key}\n")) == [
        "Pulumi.test.yaml:4: aigw:logpush.publicKey: 'this-is-not-a-pem-key': "
        "must be an RSA public key in SPKI PEM ('-----BEGIN PUBLIC KEY-----')",
    ]


def test_logpush_public_key_not_rsa(project):
    pem = spki_pem(ec.generate_private_key(ec.SECP256R1()).public_key())
    [line] = project.errors(stack(extra=logpush(public_key=pem)))
    assert line.startswith("Pulumi.test.yaml:5: aigw:logpush.publicKey: '-----BEGIN PUBLIC KEY-----")
    assert line.endswith(": must be an RSA public key")


def test_logpush_public_key_pkcs1_is_refused(project):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pkcs1 = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    [line] = project.errors(stack(extra=logpush(public_key=pkcs1)))
    assert line.startswith("Pulumi.test.yaml:5: aigw:logpush.publicKey: '-----BEGIN RSA PUBLIC KEY-----")
    assert line.endswith("must be an RSA public key in SPKI PEM ('-----BEGIN PUBLIC KEY-----')")


# --------------------------------------------------------------------------- gateways that export


def test_logpush_gateway_without_aigw_logpush(project):
    assert project.errors(stack("a:\n  logging: {logpush: true}\n")) == [
        f"Pulumi.test.yaml:6: aigw:gateways.a.logging.logpush: true: {NEEDS_DESTINATION}",
    ]


def test_logpush_gateway_when_aigw_logpush_has_no_destination(project):
    extra = logpush(public_key=rsa_pem(), destination=None)
    # aigw:logpush is lines 4..14 (a 2048-bit key is 9 PEM lines): the gateway's logging is line 17.
    assert project.errors(stack("a:\n  logging: {logpush: true}\n", extra=extra)) == [
        f"Pulumi.test.yaml:17: aigw:gateways.a.logging.logpush: true: {NEEDS_DESTINATION}",
    ]


@pytest.mark.parametrize("stack_name", ["test", "prod-eu"])
def test_logpush_gateway_without_a_public_key_names_the_keygen_command(project, stack_name):
    text = stack("a:\n  logging: {logpush: true}\nb: {}\n", extra=CONF)
    assert project.errors(text, stack=stack_name) == [
        f"Pulumi.{stack_name}.yaml:9: aigw:gateways.a.logging.logpush: true: logpush: true needs "
        f"aigw:logpush.publicKey: run `aigw logpush keygen {stack_name}`",
    ]


def test_every_exporting_gateway_is_reported_at_its_own_line(project):
    # logpush: true from the stack defaults: each gateway's problem is on its own name's line.
    text = stack("a: {}\nb:\n  cache: {ttl: 60}\n", extra="aigw:defaults:\n  logging: {logpush: true}\n")
    assert project.errors(text) == [
        f"Pulumi.test.yaml:7: aigw:gateways.a.logging.logpush: true: {NEEDS_DESTINATION}",
        f"Pulumi.test.yaml:8: aigw:gateways.b.logging.logpush: true: {NEEDS_DESTINATION}",
    ]


def test_a_bad_aigw_logpush_is_reported_once_not_again_for_every_exporting_gateway(project):
    text = stack("a:\n  logging: {logpush: true}\nb:\n  logging: {logpush: true}\n",
                 extra=logpush(public_key=rsa_pem(), options="maxUploadIntervalSeconds: 3000\n"))
    assert project.errors(text) == [
        "Pulumi.test.yaml:17: aigw:logpush.maxUploadIntervalSeconds: 3000: allowed: 0 (off) or 30..300",
    ]


def test_exporting_gateways_get_the_stacks_public_key(project):
    text = stack("a:\n  logging: {logpush: true}\nb:\n  logging: {logpush: true}\nquiet: {}\n",
                 extra=logpush(public_key=rsa_pem()))
    spec = project.load(text)
    assert spec.gateway("a").logging.logpush_public_key == rsa_pem()
    assert spec.gateway("b").logging.logpush_public_key == rsa_pem()
    assert spec.gateway("quiet").logging.logpush is False
    assert spec.gateway("quiet").logging.logpush_public_key is None, "a gateway that does not export gets no key"


def test_a_gateways_own_public_key_wins_over_the_stacks(project):
    own = rsa_pem(1)
    assert own != rsa_pem()
    gateways = ("own:\n  logging:\n    logpush: true\n    logpushPublicKey: |\n" + textwrap.indent(own, "      ")
                + "shared:\n  logging: {logpush: true}\n")
    spec = project.load(stack(gateways, extra=logpush(public_key=rsa_pem())))
    assert spec.gateway("own").logging.logpush_public_key == own
    assert spec.gateway("shared").logging.logpush_public_key == rsa_pem()


def test_a_gateway_with_its_own_key_needs_no_stack_key(project):
    gateways = "a:\n  logging:\n    logpush: true\n    logpushPublicKey: |\n" + textwrap.indent(rsa_pem(), "      ")
    spec = project.load(stack(gateways, extra=CONF))
    assert spec.gateway("a").logging.logpush_public_key == rsa_pem()
    assert spec.logpush.public_key is None


def test_aigw_logpush_without_exporting_gateways_is_valid(project):
    spec = project.load(stack("a: {}\n", extra=R2))
    assert spec.logpush is not None and not any(g.logging.logpush for g in spec.gateways)


# --------------------------------------------------------------------------- tokens


def test_tokens_are_named_by_their_key_and_expire_days_after_valid_from(project):
    extra = """\
        aigw:tokens:
          zeta-app: {purpose: run, validFrom: 2026-11-23, expiresInDays: 90}
          alpha-reader: {purpose: read, validFrom: '2026-01-31', expiresInDays: 1}
          ci: {purpose: deploy, validFrom: 2026-12-31, expiresInDays: 30}
        """
    spec = project.load(stack(extra=extra))
    assert [(t.name, t.purpose, t.valid_from, t.expires_in_days, t.expires_on) for t in spec.tokens] == [
        ("alpha-reader", "read", date(2026, 1, 31), 1, date(2026, 2, 1)),
        ("ci", "deploy", date(2026, 12, 31), 30, date(2027, 1, 30)),
        ("zeta-app", "run", date(2026, 11, 23), 90, date(2027, 2, 21)),
    ]
    assert all(t.allow_ips is None and t.deny_ips is None for t in spec.tokens)


def test_token_purpose_enum(project):
    assert project.errors(stack(extra=token("purpose: admin, validFrom: 2026-01-01, expiresInDays: 30"))) == [
        "Pulumi.test.yaml:5: aigw:tokens.app.purpose: 'admin': allowed: run, read or deploy",
    ]


def test_token_required_keys(project):
    assert project.errors(stack(extra=token("purpose: run"))) == [
        "Pulumi.test.yaml:5: aigw:tokens.app.expiresInDays: missing: required key is missing",
        "Pulumi.test.yaml:5: aigw:tokens.app.validFrom: missing: required key is missing",
    ]


def test_token_unknown_key(project):
    [line] = project.errors(stack(extra=token("purpose: run, validFrom: 2026-01-01, expiresInDays: 30, scope: all")))
    assert line.startswith("Pulumi.test.yaml:5: aigw:tokens.app.scope: 'all': unknown key; allowed keys: ")
    assert line.endswith("purpose, expiresInDays, validFrom, allowIps, denyIps")


def test_expiry_beyond_the_default_maximum_names_the_maximum(project):
    assert DEFAULT_MAX_TOKEN_DAYS == 90
    assert project.errors(stack(extra=token("purpose: run, validFrom: 2026-01-01, expiresInDays: 91"))) == [
        "Pulumi.test.yaml:5: aigw:tokens.app.expiresInDays: 91: allowed: 1..90 (aigw:maxTokenDays in Pulumi.yaml)",
    ]
    spec = project.load(stack(extra=token("purpose: run, validFrom: 2026-01-01, expiresInDays: 90")))
    assert spec.tokens[0].expires_in_days == 90


def test_expiry_beyond_the_repos_pulumi_yaml_maximum(project):
    # The repo's Pulumi.yaml states the default explicitly; the check reads it from there.
    assert "aigw:maxTokenDays:\n    value: 90\n" in (REPO / "Pulumi.yaml").read_text()
    [line] = project.errors(stack(extra=token("purpose: deploy, validFrom: 2026-01-01, expiresInDays: 365")))
    assert line.endswith("aigw:tokens.app.expiresInDays: 365: allowed: 1..90 (aigw:maxTokenDays in Pulumi.yaml)")


@pytest.mark.parametrize(("maximum", "days", "ok"), [(30, 30, True), (30, 31, False), (365, 200, True),
                                                     (365, 366, False)])
def test_expiry_maximum_comes_from_pulumi_yaml(project, maximum, days, ok):
    project.project_file(f"""\
        name: ai-gateways
        runtime: python
        config:
          aigw:maxTokenDays:
            value: {maximum}
        """)
    text = stack(extra=token(f"purpose: run, validFrom: 2026-01-01, expiresInDays: {days}"))
    if ok:
        assert project.load(text).tokens[0].expires_in_days == days
    else:
        assert project.errors(text) == [
            f"Pulumi.test.yaml:5: aigw:tokens.app.expiresInDays: {days}: "
            f"allowed: 1..{maximum} (aigw:maxTokenDays in Pulumi.yaml)",
        ]


@pytest.mark.parametrize("maximum", [0, 3651])
def test_max_token_days_in_pulumi_yaml_has_a_range(project, maximum):
    project.project_file(f"name: ai-gateways\nruntime: python\nconfig:\n  aigw:maxTokenDays:\n    value: {maximum}\n")
    assert project.errors(stack("a: {}\n")) == [f"Pulumi.yaml:4: aigw:maxTokenDays: {maximum}: allowed: 1..3,650"]


def test_a_stack_cannot_raise_its_own_token_maximum(project):
    text = stack(extra="aigw:maxTokenDays: 365\n" + token("purpose: run, validFrom: 2026-01-01, expiresInDays: 365"))
    assert project.errors(text) == [
        "Pulumi.test.yaml:4: aigw:maxTokenDays: 365: set only in Pulumi.yaml: it is the org's policy, "
        "not a stack's choice",
        "Pulumi.test.yaml:6: aigw:tokens.app.expiresInDays: 365: allowed: 1..90 (aigw:maxTokenDays in Pulumi.yaml)",
    ]


@pytest.mark.parametrize(("days", "allowed"), [("0", "must be >= 1"), ("-5", "must be >= 1"),
                                               ("'30'", "must be a whole number"), ("30.0", "must be a whole number")])
def test_expires_in_days_is_a_positive_whole_number(project, days, allowed):
    [line] = project.errors(stack(extra=token(f"purpose: run, validFrom: 2026-01-01, expiresInDays: {days}")))
    assert line.startswith("Pulumi.test.yaml:5: aigw:tokens.app.expiresInDays: ")
    assert line.endswith(f": {allowed}")


@pytest.mark.parametrize("written", ["2026-01-31", "'2026-01-31'", "'2026-01-31T00:00:00Z'",
                                     "'2026-01-31T00:00:00+00:00'", "2026-01-31T00:00:00Z"])
def test_valid_from_accepts_a_date(project, written):
    spec = project.load(stack(extra=token(f"purpose: run, validFrom: {written}, expiresInDays: 1")))
    assert spec.tokens[0].valid_from == date(2026, 1, 31)
    assert spec.tokens[0].expires_on == date(2026, 2, 1)


@pytest.mark.parametrize(("written", "shown", "allowed"), [
    ("'2026/01/31'", "'2026/01/31'", DATE_RULE),
    ("'31-01-2026'", "'31-01-2026'", DATE_RULE),
    ("'2026-1-31'", "'2026-1-31'", DATE_RULE),
    ("'2026-01-31T10:00:00Z'", "'2026-01-31T10:00:00Z'", DATE_RULE),
    ("'tomorrow'", "'tomorrow'", DATE_RULE),
    # a number is not read as a Unix timestamp
    ("20260131", "20260131", DATE_RULE),
    ("0", "0", DATE_RULE),
    ("'2026-02-30'", "'2026-02-30'", f"{DATE_RULE} (day is out of range for month)"),
    ("'2026-13-01'", "'2026-13-01'", f"{DATE_RULE} (month must be in 1..12)"),
])
def test_valid_from_refuses_anything_but_a_real_date(project, written, shown, allowed):
    assert project.errors(stack(extra=token(f"purpose: run, validFrom: {written}, expiresInDays: 1"))) == [
        f"Pulumi.test.yaml:5: aigw:tokens.app.validFrom: {shown}: {allowed}",
    ]


def test_valid_from_unquoted_impossible_date_is_a_problem_not_a_crash(project):
    assert project.errors(stack(extra=token("purpose: run, validFrom: 2026-02-30, expiresInDays: 1"))) == [
        f"Pulumi.test.yaml:5: aigw:tokens.app.validFrom: '2026-02-30': {DATE_RULE} (day is out of range for month)",
    ]


def test_ip_lists_are_normalised_networks(project):
    spec = project.load(stack(extra=token(
        "purpose: read, validFrom: 2026-01-01, expiresInDays: 30, "
        "allowIps: [10.1.2.3/8, 198.51.100.7, '2001:db8::1', '2001:db8:0:0::/64'], denyIps: [10.9.0.0/16]")))
    [tok] = spec.tokens
    assert tok.allow_ips == ["10.0.0.0/8", "198.51.100.7/32", "2001:db8::1/128", "2001:db8::/64"]
    assert tok.deny_ips == ["10.9.0.0/16"]


@pytest.mark.parametrize(("key", "written", "shown", "allowed"), [
    ("allowIps", "[10.0.0.0/8, not-an-ip]", '["10.0.0.0/8", "not-an-ip"]',
     "'not-an-ip' is not an IP address or CIDR range"),
    ("denyIps", "[10.0.0.0/33]", '["10.0.0.0/33"]', "'10.0.0.0/33' is not an IP address or CIDR range"),
    ("allowIps", "['300.1.1.1']", '["300.1.1.1"]', "'300.1.1.1' is not an IP address or CIDR range"),
    ("denyIps", "['2001:db8::zz/64']", '["2001:db8::zz/64"]', "'2001:db8::zz/64' is not an IP address or CIDR range"),
    ("allowIps", "[]", "[]", "at least 1 item"),
    ("denyIps", "10.0.0.0/8", "'10.0.0.0/8'", "must be a list"),
])
def test_ip_lists_refuse_bad_networks(project, key, written, shown, allowed):
    text = stack(extra=token(f"purpose: run, validFrom: 2026-01-01, expiresInDays: 30, {key}: {written}"))
    assert project.errors(text) == [f"Pulumi.test.yaml:5: aigw:tokens.app.{key}: {shown}: {allowed}"]


def test_tokens_without_an_account_are_a_config_error(project):
    text = "config:\n  aigw:environment: dev\n" + textwrap.indent(
        token("purpose: run, validFrom: 2026-01-01, expiresInDays: 30"), "  ")
    assert project.errors(text) == ["Pulumi.test.yaml: aigw:accountId: missing: required key is missing"]


def test_tokens_without_an_account_exit_2_from_aigw_plan(project):
    path = project.stack_file("config:\n  aigw:environment: dev\n" + textwrap.indent(
        token("purpose: run, validFrom: 2026-01-01, expiresInDays: 91"), "  "))
    proc = subprocess.run([AIGW, "plan", str(path)], cwd=project.root, capture_output=True, text=True,
                          check=False, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].endswith("Pulumi.test.yaml: aigw:accountId: missing: required key is missing")
    assert lines[1].endswith(
        "Pulumi.test.yaml:4: aigw:tokens.app.expiresInDays: 91: allowed: 1..90 (aigw:maxTokenDays in Pulumi.yaml)")
