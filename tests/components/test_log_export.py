"""`LogExport` under Pulumi mocks: the R2 bucket, its retention lifecycle and the Logpush job (layer 2).

Inputs are asserted as the engine receives them (camelCase, numbers as protobuf floats, secrets
in Pulumi's wire form), recorded by the `engine` fixture (conftest); the `dependencies` fixture
below also records each registration's dependencies (URNs), which the fixture does not.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pulumi
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers.wire import SECRET_SIG, SIG_KEY, is_secret, plain
from pulumi.runtime.sync_await import _sync_await

from aigw.components.log_export import (
    AI_GATEWAY_LOGPUSH_DATASET,
    RETENTION_RULE_ID,
    LogExport,
    r2_destination_conf,
)
from aigw.program import deploy
from aigw.spec import Secret, StackSpec

COMPONENT = "aigw:index:LogExport"
R2_BUCKET = "cloudflare:index/r2Bucket:R2Bucket"
R2_LIFECYCLE = "cloudflare:index/r2BucketLifecycle:R2BucketLifecycle"
LOGPUSH_JOB = "pulumi-python:dynamic/aigw:LogpushJob"  # aigw/components/logpush_job.py
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
BUCKET = "acme-ai-gateway-logs"
BASE_JOB_KEYS = {"accountId", "dataset", "destinationConf", "enabled", "name"}


@cache
def public_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def r2(**overrides: Any) -> dict[str, Any]:
    return {"r2": {"bucket": BUCKET, "retentionDays": 30, "accessKeyId": Secret(None),
                   "secretAccessKey": Secret(None), **overrides}}


def build(engine, stack_spec, *, destination: dict[str, Any] | None = None,
          gateways: dict[str, Any] | None = None, environment: str = "prod",
          **options: Any) -> tuple[StackSpec, LogExport]:
    """A stack whose gateways (by default one exporting gateway) and `aigw:logpush` are as given."""
    if gateways is None:
        gateways = {"support-bot": {"logging": {"logpush": True}}}
    logpush = {"publicKey": public_key(), "destination": destination or r2(), **options}
    spec = stack_spec(gateways, environment, logpush=logpush)
    export = LogExport(spec)
    engine.wait()
    return spec, export


def job(engine):
    """The job's registration, its settings without the dynamic provider's own `__provider` input."""
    registration = engine.of_type(LOGPUSH_JOB)["logpush-job"]
    return dataclasses.replace(registration, inputs={k: v for k, v in registration.inputs.items()
                                                     if k != "__provider"})


# --------------------------------------------------------------------------- R2 destination


def test_r2_destination_declares_bucket_lifecycle_and_job_under_the_component(engine, stack_spec):
    build(engine, stack_spec)
    component = engine.of_type(COMPONENT)["log-export"]
    children = sorted((r.type, r.name) for r in engine.registrations if r.parent == component.urn)
    assert children == [(R2_BUCKET, "log-bucket"), (R2_LIFECYCLE, "log-retention"), (LOGPUSH_JOB, "logpush-job")]
    assert component.custom is False


def test_bucket_is_named_in_the_stacks_account(engine, stack_spec):
    build(engine, stack_spec)
    assert engine.of_type(R2_BUCKET)["log-bucket"].inputs == {"accountId": ACCOUNT_ID, "name": BUCKET}


def test_bucket_jurisdiction_and_location_only_when_set(engine, stack_spec):
    build(engine, stack_spec, destination=r2(jurisdiction="eu", location="weur"))
    assert engine.of_type(R2_BUCKET)["log-bucket"].inputs == {
        "accountId": ACCOUNT_ID, "name": BUCKET, "jurisdiction": "eu", "location": "weur"}
    assert engine.of_type(R2_LIFECYCLE)["log-retention"].inputs["jurisdiction"] == "eu"


@pytest.mark.parametrize(("environment", "protected"), [("prod", True), ("dev", False), ("staging", False)])
def test_bucket_is_protected_in_production_only(engine, stack_spec, environment, protected):
    build(engine, stack_spec, environment=environment)
    assert engine.of_type(R2_BUCKET)["log-bucket"].protect is protected
    # The lifecycle and the job hold no data: they are not protected.
    assert engine.of_type(R2_LIFECYCLE)["log-retention"].protect is False
    assert job(engine).protect is False


@pytest.mark.parametrize(("days", "path"), [(1, None), (30, None), (365, None), (3650, "logs/ai-gateway")])
def test_lifecycle_deletes_objects_under_the_path_after_the_retention(engine, stack_spec, days, path):
    overrides: dict[str, Any] = {"retentionDays": days}
    if path is not None:
        overrides["path"] = path
    build(engine, stack_spec, destination=r2(**overrides))
    lifecycle = engine.of_type(R2_LIFECYCLE)["log-retention"]
    assert plain(lifecycle.inputs) == {
        "accountId": ACCOUNT_ID,
        "bucketName": BUCKET,
        "rules": [{
            "id": RETENTION_RULE_ID,
            "enabled": True,
            "conditions": {"prefix": f"{path or 'ai-gateway'}/"},
            "deleteObjectsTransition": {"condition": {"type": "Age", "maxAge": days * 86400}},
        }],
    }


def test_job_reads_the_ai_gateway_dataset_of_the_stacks_account(engine, stack_spec):
    build(engine, stack_spec)
    inputs = job(engine).inputs
    assert AI_GATEWAY_LOGPUSH_DATASET == "ai_gateway_events"
    assert inputs["dataset"] == "ai_gateway_events"
    assert inputs["accountId"] == ACCOUNT_ID
    assert "zoneId" not in inputs


def test_r2_destination_conf_is_a_secret_with_the_r2_shape(engine, stack_spec):
    build(engine, stack_spec)
    conf = job(engine).inputs["destinationConf"]
    assert is_secret(conf), "destination_conf carries the R2 credentials: the engine must receive a secret"
    # Offline credentials are the placeholder: the shape is all there is to see.
    assert conf["value"] == (
        f"r2://{BUCKET}/ai-gateway/{{DATE}}?account-id={ACCOUNT_ID}"
        "&access-key-id=%5Bsecret%5D&secret-access-key=%5Bsecret%5D")
    assert "destinationConf" in job(engine).additional_secret_outputs


def test_the_job_is_the_projects_dynamic_resource_with_its_provider_a_secret(engine, stack_spec):
    # pulumi-cloudflare's LogpushJob rejects the dataset (tests/test_provider_inputs.py): the job is a
    # dynamic resource whose serialized provider travels as a secret and holds no credential.
    build(engine, stack_spec)
    registration = engine.of_type(LOGPUSH_JOB)["logpush-job"]
    assert registration.custom is True
    provider = registration.inputs["__provider"]
    assert is_secret(provider) and isinstance(provider["value"], str) and len(provider["value"]) > 100
    assert "[secret]" not in base64.b64decode(provider["value"]).decode("latin-1")


def test_r2_credentials_are_url_encoded_into_the_query(engine, stack_spec):
    build(engine, stack_spec, destination=r2(path="logs/ai", accessKeyId=Secret("AKID+/=1"),
                                             secretAccessKey=Secret("s3cr&t=?/x")))
    conf = urlsplit(job(engine).inputs["destinationConf"]["value"])
    assert (conf.scheme, conf.netloc, conf.path) == ("r2", BUCKET, "/logs/ai/{DATE}")
    assert parse_qs(conf.query, strict_parsing=True) == {
        "account-id": [ACCOUNT_ID], "access-key-id": ["AKID+/=1"], "secret-access-key": ["s3cr&t=?/x"]}


def test_r2_destination_conf_is_secret_before_it_reaches_the_provider(engine, stack_spec):
    # pulumi-cloudflare also marks destination_conf secret; the program must not rely on that.
    spec = stack_spec({}, "prod", logpush={"destination": r2(accessKeyId=Secret("id"),
                                                             secretAccessKey=Secret("key"))})
    conf = r2_destination_conf(spec.account_id, spec.logpush)
    assert _sync_await(conf.is_secret()) is True
    assert _sync_await(conf.future()).endswith("&access-key-id=id&secret-access-key=key")


def test_job_depends_on_the_bucket_and_its_lifecycle(engine, stack_spec, dependencies):
    build(engine, stack_spec)
    bucket = engine.of_type(R2_BUCKET)["log-bucket"].urn
    lifecycle = engine.of_type(R2_LIFECYCLE)["log-retention"].urn
    assert set(dependencies[(LOGPUSH_JOB, "logpush-job")]) >= {bucket, lifecycle}
    assert bucket in dependencies[(R2_LIFECYCLE, "log-retention")]


# --------------------------------------------------------------------------- conf destination


def test_conf_destination_creates_no_bucket_and_passes_the_secret_through(engine, stack_spec, dependencies):
    conf = "s3://acme-logs/ai?region=eu-west-1&access-key-id=AKIA&secret-access-key=hunter2"
    _, export = build(engine, stack_spec, destination={"conf": Secret(conf)})
    assert engine.of_type(R2_BUCKET) == {} and engine.of_type(R2_LIFECYCLE) == {}
    destination = job(engine).inputs["destinationConf"]
    assert is_secret(destination) and destination["value"] == conf
    assert dependencies[(LOGPUSH_JOB, "logpush-job")] == []
    assert "bucket" not in export.exports()


def test_offline_conf_is_the_placeholder_inside_a_secret(engine, stack_spec):
    build(engine, stack_spec, destination={"conf": Secret(None)})
    assert job(engine).inputs["destinationConf"] == {SIG_KEY: SECRET_SIG, "value": "[secret]"}


# --------------------------------------------------------------------------- enabled, options, name


@pytest.mark.parametrize(("gateways", "enabled", "exporting"), [
    ({"a": {}, "b": {"logging": {"collect": False}}}, False, []),
    ({}, False, []),
    ({"a": {"logging": {"logpush": True}}, "b": {}}, True, ["prod-a"]),
    ({"b": {"logging": {"logpush": True}}, "a": {"logging": {"logpush": True}}}, True, ["prod-a", "prod-b"]),
])
def test_job_is_enabled_only_while_a_gateway_exports(engine, stack_spec, gateways, enabled, exporting):
    _, export = build(engine, stack_spec, gateways=gateways)
    assert job(engine).inputs["enabled"] is enabled
    assert export.exporting == exporting
    assert export.exports()["gateways"] == exporting


def test_job_options_are_not_sent_when_not_set(engine, stack_spec):
    build(engine, stack_spec)
    assert set(job(engine).inputs) == BASE_JOB_KEYS


@pytest.mark.parametrize(("key", "value"), [
    ("filter", json.dumps({"where": {"key": "Gateway", "operator": "eq", "value": "prod-support-bot"}})),
    ("ownershipChallenge", "00000000000000000000"),
    ("maxUploadBytes", 0),
    ("maxUploadBytes", 5_000_000),
    ("maxUploadIntervalSeconds", 30),
    ("maxUploadRecords", 1_000_000),
])
def test_each_job_option_is_sent_only_when_set(engine, stack_spec, key, value):
    build(engine, stack_spec, **{key: value})
    inputs = job(engine).inputs
    assert set(inputs) == BASE_JOB_KEYS | {key}
    assert plain(inputs[key]) == value


def test_every_job_option_at_once(engine, stack_spec):
    build(engine, stack_spec, name="ai-gateway-to-r2", filter='{"where":{}}', ownershipChallenge="jwt",
          maxUploadBytes=1_000_000_000, maxUploadIntervalSeconds=300, maxUploadRecords=1_000)
    inputs = plain(job(engine).inputs)
    assert {k: v for k, v in inputs.items() if k != "destinationConf"} == {
        "accountId": ACCOUNT_ID, "dataset": "ai_gateway_events", "enabled": True, "name": "ai-gateway-to-r2",
        "filter": '{"where":{}}', "ownershipChallenge": "jwt", "maxUploadBytes": 1_000_000_000,
        "maxUploadIntervalSeconds": 300, "maxUploadRecords": 1_000}


def test_job_name_defaults_to_the_stack(engine, stack_spec):
    build(engine, stack_spec, environment="staging")
    assert job(engine).inputs["name"] == "aigw-staging-ai-gateway-logs"


# --------------------------------------------------------------------------- exports and the program


def test_exports_name_dataset_bucket_and_exporting_gateways(engine, stack_spec):
    _, export = build(engine, stack_spec)
    exports = export.exports()
    assert set(exports) == {"dataset", "gateways", "bucket"}
    assert exports["dataset"] == "ai_gateway_events"
    assert exports["gateways"] == ["prod-support-bot"]
    assert isinstance(exports["bucket"], pulumi.Output)
    assert engine.resolve(exports["bucket"]) == BUCKET


@pytest.mark.parametrize("with_public_key_only", [False, True])
def test_program_declares_no_log_export_without_a_destination(engine, stack_spec, with_public_key_only):
    keys = {"logpush": {"publicKey": public_key()}} if with_public_key_only else {}
    spec = stack_spec({"a": {}}, "dev", **keys)
    exports = engine.run(lambda: deploy(spec), stack="dev")
    assert "logExport" not in exports
    assert not any(r.type in (COMPONENT, LOGPUSH_JOB, R2_BUCKET, R2_LIFECYCLE) for r in engine.registrations)


def test_program_exports_the_log_export(engine, stack_spec):
    spec = stack_spec({"a": {"logging": {"logpush": True}}}, "prod",
                      logpush={"publicKey": public_key(), "destination": r2()})
    exports = engine.run(lambda: deploy(spec), stack="prod")
    assert engine.stack_outputs()["logExport"] == {"dataset": "ai_gateway_events", "gateways": ["prod-a"],
                                                   "bucket": BUCKET}
    assert set(exports["logExport"]) == {"dataset", "gateways", "bucket"}
    gateway = engine.ai_gateways()["a"].inputs
    assert gateway["logpush"] is True and gateway["logpushPublicKey"] == public_key()
