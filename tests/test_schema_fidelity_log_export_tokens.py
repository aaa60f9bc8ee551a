"""Schema fidelity of log export and tokens: planned props -> API body -> the official SDK's request type.

As tests/test_schema_fidelity.py does for AiGateway, with the same checker (tests/helpers/schema.py):
each planned `LogpushJob`, `AccountToken`, `R2Bucket` and `R2BucketLifecycle` is mapped to the body
the provider sends (camelCase -> snake_case, then the bridge's renames and the API's wire names)
and checked against cloudflare-python's create/update params, rejecting unknown keys.

One documented exception: the SDK's `dataset` Literal does not list `ai_gateway_events`
(aigw/components/log_export.py says why it is used anyway). The dataset is asserted to be that
constant, the rest of the body is validated without it, and a test fails once the SDK lists it.
"""

from __future__ import annotations

import inspect
import json
import typing
from functools import cache
from pathlib import Path
from typing import Any

import pulumi_cloudflare as cloudflare
import pytest
from cloudflare.types.accounts import token_create_params
from cloudflare.types.accounts.token_create_params import TokenCreateParams
from cloudflare.types.logpush import job_create_params
from cloudflare.types.logpush.job_create_params import JobCreateParams
from cloudflare.types.logpush.job_update_params import JobUpdateParams
from cloudflare.types.r2.bucket_create_params import BucketCreateParams
from cloudflare.types.r2.buckets.lifecycle_update_params import LifecycleUpdateParams, Rule
from cloudflare.types.shared_params.token_policy import PermissionGroup, TokenPolicy
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers.plan_server import plan_runner
from helpers.schema import ITEM, api_body, api_problems, wire_fields
from helpers.wire import plain
from pydantic.alias_generators import to_camel

from aigw import spec as spec_module
from aigw.components import logpush_job
from aigw.components.log_export import AI_GATEWAY_LOGPUSH_DATASET, LogExport
from aigw.components.tokens import ApiToken
from aigw.spec import Secret

ROOT = Path(__file__).resolve().parents[1]
LOGPUSH_JOB = "pulumi-python:dynamic/aigw:LogpushJob"  # aigw/components/logpush_job.py
ACCOUNT_TOKEN = "cloudflare:index/accountToken:AccountToken"
R2_BUCKET = "cloudflare:index/r2Bucket:R2Bucket"
R2_LIFECYCLE = "cloudflare:index/r2BucketLifecycle:R2BucketLifecycle"

# AccountToken: the bridge pluralised the list attributes `in`/`not_in` of condition.request_ip.
TOKEN_RENAMES = {("condition", "request_ip"): {"ins": "in", "not_ins": "not_in"}}
# R2: the jurisdiction travels as the `cf-r2-jurisdiction` header (a wire alias in the SDK params);
# the bucket's location is the API's locationHint; lifecycle rules are camelCase on the wire.
R2_HEADER = {"jurisdiction": "cf-r2-jurisdiction"}
BUCKET_TAGS = {(): {**R2_HEADER, "location": "locationHint", "storage_class": "storageClass"}}
_AGE = {"max_age": "maxAge"}
LIFECYCLE_TAGS = {
    (): R2_HEADER,
    ("rules", ITEM): {"delete_objects_transition": "deleteObjectsTransition",
                      "abort_multipart_uploads_transition": "abortMultipartUploadsTransition",
                      "storage_class_transitions": "storageClassTransitions"},
    ("rules", ITEM, "delete_objects_transition", "condition"): _AGE,
    ("rules", ITEM, "abort_multipart_uploads_transition", "condition"): _AGE,
    ("rules", ITEM, "storage_class_transitions", ITEM): {"storage_class": "storageClass"},
    ("rules", ITEM, "storage_class_transitions", ITEM, "condition"): _AGE,
}


# --------------------------------------------------------------------------- props -> bodies


def job_body(props: dict[str, Any], create: bool = True) -> dict[str, Any]:
    """LogpushJob: the keyword arguments the dynamic provider passes to `client.logpush.jobs.create`
    (or `update`), built by its own code (account_id is the path parameter, which the SDK params carry)."""
    props = plain(props)
    return {"account_id": props["accountId"], **logpush_job._body(props, create=create)}


def token_body(props: dict[str, Any]) -> dict[str, Any]:
    """AccountToken: `resources` is a JSON string in Pulumi; the provider sends the object it encodes."""
    body = api_body(plain(props), renames=TOKEN_RENAMES, json_tags={}, free_form=set())
    for policy in body.get("policies") or []:
        if isinstance(policy.get("resources"), str):
            policy["resources"] = json.loads(policy["resources"])
    return body


def bucket_body(props: dict[str, Any]) -> dict[str, Any]:
    return api_body(plain(props), renames={}, json_tags=BUCKET_TAGS, free_form=set())


def lifecycle_body(props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(bucket name, body): the bucket name is the path parameter of PUT .../buckets/{name}/lifecycle."""
    body = api_body(plain(props), renames={}, json_tags=LIFECYCLE_TAGS, free_form=set())
    return body.pop("bucket_name"), body


def job_problems(body: dict[str, Any]) -> list[str]:
    """JobCreateParams problems of a job body, with the one documented exception: the dataset."""
    assert body.get("dataset") == AI_GATEWAY_LOGPUSH_DATASET, body.get("dataset")
    return api_problems({k: v for k, v in body.items() if k != "dataset"}, JobCreateParams)


def dataset_literal() -> tuple[str, ...]:
    hint = typing.get_type_hints(JobCreateParams)["dataset"]  # Optional[Literal[...]]
    [literal] = [arg for arg in typing.get_args(hint) if typing.get_origin(arg) is typing.Literal]
    return typing.get_args(literal)


# --------------------------------------------------------------------------- the exception and the mapping


def test_the_sdk_still_lacks_the_ai_gateway_dataset_so_the_exception_is_still_needed():
    literal = dataset_literal()
    assert "http_requests" in literal, "the Literal was found"
    assert AI_GATEWAY_LOGPUSH_DATASET not in literal, (
        "cloudflare-python now lists ai_gateway_events: drop the dataset exception in job_problems "
        "and the comment in aigw/components/log_export.py")
    body = {"account_id": "a", "destination_conf": "r2://b/{DATE}", "dataset": AI_GATEWAY_LOGPUSH_DATASET}
    [problem] = api_problems(body, JobCreateParams)
    assert problem.startswith("body.dataset: matches no member of the union")
    assert api_problems({**body, "dataset": "http_requests"}, JobCreateParams) == []


def test_the_job_option_ranges_are_the_sdks_documented_ranges():
    # The SDK types them as plain ints; the ranges are in its docstrings: aigw/spec/logpush.py follows them.
    source = inspect.getsource(job_create_params)
    assert spec_module.MAX_UPLOAD_BYTES == (5_000_000, 1_000_000_000)
    assert "must be between `5 MB` and `1 GB`, or `0` to disable it" in source
    assert spec_module.MAX_UPLOAD_INTERVAL_SECONDS == (30, 300)
    assert "must be between 30 and 300 seconds (5 minutes), or `0` to disable" in source
    assert spec_module.MAX_UPLOAD_RECORDS == (1_000, 1_000_000)
    assert "must be between 1000 and 1,000,000 lines, or `0` to disable it" in source


def _inputs(args_class: type) -> list[str]:
    return [p for p in inspect.signature(args_class.__init__).parameters if p != "__self__"]


def test_every_logpush_job_field_is_an_api_field_named_as_pulumi_cloudflare_names_it():
    # The dynamic job keeps pulumi-cloudflare's LogpushJob names, so rules, plan and diff read it as before.
    names = {to_camel(name) for name in _inputs(cloudflare.LogpushJobArgs)}
    assert set(logpush_job.FIELDS) | {"accountId"} <= names
    body = job_body({"accountId": "a", **{key: "x" for key in logpush_job.FIELDS}})
    assert set(body) == {"account_id", *logpush_job.FIELDS.values()}
    assert set(body) <= set(wire_fields(JobCreateParams))


def test_every_account_token_input_maps_to_an_api_field():
    inputs = _inputs(cloudflare.AccountTokenArgs)
    mapped = set(token_body({to_camel(name): None for name in inputs}))
    # `status` is set with PUT (TokenUpdateParams), not on create; the program never sets it.
    assert mapped - {"status"} == set(wire_fields(TokenCreateParams))
    policy = {to_camel(n): None for n in _inputs(cloudflare.AccountTokenPolicyArgs)}
    assert set(token_body({"policies": [policy]})["policies"][0]) == set(wire_fields(TokenPolicy))
    group = {to_camel(n): None for n in _inputs(cloudflare.AccountTokenPolicyPermissionGroupArgs)}
    assert set(token_body({"policies": [{"permissionGroups": [group]}]})["policies"][0]["permission_groups"][0]) <= (
        set(wire_fields(PermissionGroup)))
    request_ip = {to_camel(n): [] for n in _inputs(cloudflare.AccountTokenConditionRequestIpArgs)}
    assert set(token_body({"condition": {"requestIp": request_ip}})["condition"]["request_ip"]) == set(
        wire_fields(token_create_params.ConditionRequestIP)) == {"in", "not_in"}


def test_every_r2_input_maps_to_an_api_field():
    bucket = set(bucket_body({to_camel(n): None for n in _inputs(cloudflare.R2BucketArgs)}))
    assert bucket == set(wire_fields(BucketCreateParams))
    lifecycle = {to_camel(n): None for n in _inputs(cloudflare.R2BucketLifecycleArgs)}
    bucket_name, body = lifecycle_body(lifecycle)
    assert set(body) == set(wire_fields(LifecycleUpdateParams))
    rule = {to_camel(n): None for n in _inputs(cloudflare.R2BucketLifecycleRuleArgs)}
    assert set(lifecycle_body({"bucketName": "b", "rules": [rule]})[1]["rules"][0]) == set(wire_fields(Rule))


# --------------------------------------------------------------------------- the checker on these params


JOB_BODY = {"account_id": "0123456789abcdef0123456789abcdef", "destination_conf": "[secret]",
            "dataset": AI_GATEWAY_LOGPUSH_DATASET, "enabled": True, "name": "n", "filter": "{}",
            "ownership_challenge": "jwt", "max_upload_bytes": 0, "max_upload_interval_seconds": 300,
            "max_upload_records": 1_000}
TOKEN_BODY = {
    "account_id": "0123456789abcdef0123456789abcdef", "name": "aigw-prod-app",
    "policies": [{"effect": "allow", "permission_groups": [{"id": "pg"}],
                  "resources": {"com.cloudflare.api.account.0123456789abcdef0123456789abcdef": "*"}}],
    "condition": {"request_ip": {"in": ["10.0.0.0/8"], "not_in": ["10.9.0.0/16"]}},
    "not_before": "2026-11-23T00:00:00Z", "expires_on": "2026-12-23T00:00:00Z",
}


def test_the_checker_accepts_full_job_and_token_bodies():
    assert job_problems(JOB_BODY) == []
    assert api_problems(TOKEN_BODY, TokenCreateParams) == []


@pytest.mark.parametrize(("change", "fragment"), [
    ({"dataset_x": 1}, "body.dataset_x: unknown key"),
    ({"maxUploadBytes": 0}, "body.maxUploadBytes: unknown key"),  # a Pulumi name that was not mapped
    ({"max_upload_records": "1000"}, "body.max_upload_records: matches no member"),
    ({"enabled": 1}, "body.enabled: expected bool"),
    ({"destination_conf": None}, "body.destination_conf: expected str"),
])
def test_the_checker_rejects_bad_job_bodies(change, fragment):
    problems = job_problems({**JOB_BODY, **change})
    assert any(fragment in p for p in problems), problems


def test_the_checker_rejects_a_job_without_destination():
    problems = job_problems({k: v for k, v in JOB_BODY.items() if k != "destination_conf"})
    assert any("destination_conf: required key" in p for p in problems), problems


@pytest.mark.parametrize(("path", "value", "fragment"), [
    (("condition", "request_ip"), {"ins": ["10.0.0.0/8"]}, "request_ip.ins: unknown key"),  # Pulumi's name
    (("condition", "request_ip"), {"notIns": []}, "request_ip.notIns: unknown key"),
    (("policies", 0, "resources"), '{"com.cloudflare.api.account.x": "*"}', "resources: matches no member"),
    (("policies", 0, "effect"), "permit", "'permit' is not one of"),
    (("policies", 0, "permissionGroups"), [], "permissionGroups: unknown key"),
    (("policies", 0, "permission_groups", 0), {"id": 1}, "permission_groups[0].id: expected str"),
    (("condition", "request_ip", "in"), "10.0.0.0/8", "request_ip.in: expected a JSON array"),
])
def test_the_checker_rejects_bad_token_bodies(path, value, fragment):
    body = json.loads(json.dumps(TOKEN_BODY))
    node = body
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    problems = api_problems(body, TokenCreateParams)
    assert any(fragment in p for p in problems), problems


def test_the_checker_rejects_a_policy_without_permission_groups():
    body = json.loads(json.dumps(TOKEN_BODY))
    del body["policies"][0]["permission_groups"]
    problems = api_problems(body, TokenCreateParams)
    assert any("permission_groups: required key" in p for p in problems), problems


def test_the_mappings_rename_what_the_bridge_renamed():
    props = {"accountId": "a", "name": "n", "notBefore": "t", "expiresOn": "t",
             "policies": [{"effect": "allow", "permissionGroups": [{"id": "x"}], "resources": '{"k": "*"}'}],
             "condition": {"requestIp": {"ins": ["1.2.3.4/32"], "notIns": ["5.6.7.8/32"]}}}
    assert token_body(props) == {
        "account_id": "a", "name": "n", "not_before": "t", "expires_on": "t",
        "policies": [{"effect": "allow", "permission_groups": [{"id": "x"}], "resources": {"k": "*"}}],
        "condition": {"request_ip": {"in": ["1.2.3.4/32"], "not_in": ["5.6.7.8/32"]}}}
    assert lifecycle_body({"accountId": "a", "bucketName": "b", "jurisdiction": "eu", "rules": [{
        "id": "r", "enabled": True, "conditions": {"prefix": "p/"},
        "deleteObjectsTransition": {"condition": {"type": "Age", "maxAge": 60.0}}}]}) == ("b", {
            "account_id": "a", "cf-r2-jurisdiction": "eu", "rules": [{
                "id": "r", "enabled": True, "conditions": {"prefix": "p/"},
                "deleteObjectsTransition": {"condition": {"type": "Age", "maxAge": 60}}}]})
    assert bucket_body({"accountId": "a", "name": "b", "jurisdiction": "eu", "location": "weur"}) == {
        "account_id": "a", "name": "b", "cf-r2-jurisdiction": "eu", "locationHint": "weur"}


# --------------------------------------------------------------------------- the repo's prod plan


@pytest.fixture(scope="module")
def prod_plan() -> dict[str, Any]:
    proc = plan_runner(["Pulumi.prod.yaml"], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def planned(plan: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    found = [r for r in plan["resources"] if r["type"] == kind]
    assert found, f"the prod plan has no {kind}"
    return found


def test_the_prod_logpush_job_is_a_valid_api_body(prod_plan):
    [resource] = planned(prod_plan, LOGPUSH_JOB)
    body = job_body(resource["props"])
    assert job_problems(body) == []
    assert body["account_id"] == prod_plan["accountId"]
    assert body["destination_conf"] == "[secret]"
    assert body["enabled"] is True and body["max_upload_interval_seconds"] == 300


def test_every_prod_account_token_is_a_valid_api_body(prod_plan):
    tokens = planned(prod_plan, ACCOUNT_TOKEN)
    assert {r["name"] for r in tokens} >= {"edge-run", "log-reader", "ci-deploy"}
    for resource in tokens:
        body = token_body(resource["props"])
        assert api_problems(body, TokenCreateParams) == [], resource["name"]
        assert body["policies"][0]["resources"] == {f"com.cloudflare.api.account.{prod_plan['accountId']}": "*"}
    with_ips = [token_body(r["props"]) for r in tokens if "condition" in r["props"]]
    assert with_ips and all(b["condition"]["request_ip"]["in"] for b in with_ips)


def test_the_prod_r2_bucket_and_lifecycle_are_valid_api_bodies(prod_plan):
    [bucket] = planned(prod_plan, R2_BUCKET)
    assert api_problems(bucket_body(bucket["props"]), BucketCreateParams) == []
    [lifecycle] = planned(prod_plan, R2_LIFECYCLE)
    bucket_name, body = lifecycle_body(lifecycle["props"])
    assert bucket_name == bucket["props"]["name"]
    assert api_problems(body, LifecycleUpdateParams) == []
    assert body["rules"][0]["deleteObjectsTransition"]["condition"] == {"type": "Age", "maxAge": 365 * 86400}


# --------------------------------------------------------------------------- component runs, every option


@cache
def _public_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


R2_FULL = {"r2": {"bucket": "acme-logs", "retentionDays": 3650, "path": "logs/ai-gateway", "jurisdiction": "eu",
                  "location": "weur", "accessKeyId": Secret("AKID/+="), "secretAccessKey": Secret("s&=?")}}
OPTIONS = {"name": "ai-gateway-logs", "filter": '{"where":{"key":"Gateway","operator":"eq","value":"a"}}',
           "ownershipChallenge": "eyJhbGciOi", "maxUploadBytes": 1_000_000_000,
           "maxUploadIntervalSeconds": 30, "maxUploadRecords": 1_000}


@pytest.mark.parametrize("destination", [R2_FULL, {"conf": Secret("s3://b/p?region=eu-west-1")},
                                         {"conf": Secret(None)}], ids=["r2", "conf", "offline-conf"])
@pytest.mark.parametrize("options", [{}, OPTIONS, {"maxUploadBytes": 0, "maxUploadIntervalSeconds": 0,
                                                  "maxUploadRecords": 0}], ids=["none", "all", "zeros"])
def test_every_planned_job_option_is_a_valid_api_body(engine, stack_spec, destination, options):
    spec = stack_spec({"a": {"logging": {"logpush": True}}}, "prod",
                      logpush={"publicKey": _public_key(), "destination": destination, **options})
    LogExport(spec)
    engine.wait()
    [job] = engine.of_type(LOGPUSH_JOB).values()
    body = job_body(job.inputs)
    assert job_problems(body) == []
    for key, value in options.items():
        assert body[_snake(key)] == value
    update = job_body(job.inputs, create=False)
    assert "dataset" not in update
    assert api_problems(update, JobUpdateParams) == []
    for registration in engine.of_type(R2_BUCKET).values():
        assert api_problems(bucket_body(registration.inputs), BucketCreateParams) == []
    for registration in engine.of_type(R2_LIFECYCLE).values():
        assert api_problems(lifecycle_body(registration.inputs)[1], LifecycleUpdateParams) == []


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


@pytest.mark.parametrize("purpose", ["run", "read", "deploy"])
@pytest.mark.parametrize("ips", [{}, {"allowIps": ["10.0.0.0/8", "2001:db8::/32"]}, {"denyIps": ["192.0.2.1"]},
                                 {"allowIps": ["10.0.0.0/8"], "denyIps": ["10.9.0.0/16"]}],
                         ids=["none", "allow", "deny", "both"])
def test_every_planned_token_shape_is_a_valid_api_body(engine, stack_spec, purpose, ips):
    spec = stack_spec({}, "prod", tokens={"t": {"purpose": purpose, "validFrom": "2026-11-23",
                                                "expiresInDays": 90, **ips}})
    ApiToken(spec, spec.tokens[0])
    engine.wait()
    [token] = engine.of_type(ACCOUNT_TOKEN).values()
    body = token_body(token.inputs)
    assert api_problems(body, TokenCreateParams) == []
    assert ("condition" in body) is bool(ips)
