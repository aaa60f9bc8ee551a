"""Schema fidelity of Workers: planned WorkersScript props -> upload request -> the official SDK's types.

pulumi-cloudflare uploads a `WorkersScript` as `PUT /accounts/{account_id}/workers/scripts/{script_name}`
(cloudflare-python 5.9.0: `client.workers.scripts.update`, params `ScriptUpdateParams`): a multipart
body of the module file(s) and a JSON `metadata` part (`script_update_params.Metadata`). So the props map as:

* `accountId` -> `account_id`, `scriptName` -> the path parameter;
* `contentFile` + `contentSha256` -> the module's file part (named `mainModule`), never metadata;
* everything else -> `metadata`, camelCase -> snake_case (the bridge keeps the API's names here),
  bindings included: each is checked against the union member of `MetadataBinding` whose `type`
  it names (`ai`, `plain_text`, `secret_text`), rejecting unknown and missing keys, and against
  the whole union as the SDK declares it; then pydantic validates `metadata` strictly.

`WorkersScriptSubdomain` maps to `client.workers.scripts.subdomain.create` (`SubdomainCreateParams`).
Sources of props: the real offline plan of the repo's stacks (a subprocess per stack, as `aigw plan`
runs them) and component runs under mocks. The checker is tested first, so these tests can fail.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import pulumi_cloudflare as cloudflare
import pytest
from cloudflare.types.workers.script_update_params import (
    Metadata,
    MetadataBinding,
    MetadataBindingWorkersBindingKindAI,
    MetadataBindingWorkersBindingKindPlainText,
    MetadataBindingWorkersBindingKindSecretText,
    ScriptUpdateParams,
)
from cloudflare.types.workers.scripts.subdomain_create_params import SubdomainCreateParams
from helpers.plan_server import plan_runner
from helpers.schema import check, snake_case, wire_fields
from helpers.wire import plain
from pulumi.runtime import settings as pulumi_settings
from pydantic import TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from aigw.program import deploy
from aigw.spec import RawConfig, Secret, build_stack_spec

ROOT = Path(__file__).resolve().parents[1]
REPO_STACKS = ("Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml")
WORKERS_SCRIPT = "cloudflare:index/workersScript:WorkersScript"
WORKERS_SUBDOMAIN = "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain"
ACCOUNT_TOKEN = "cloudflare:index/accountToken:AccountToken"
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"

# WorkersScript inputs that are not metadata: where each goes in the upload (or delete) request.
PATH_PARAMETER = {"script_name"}
TOP_LEVEL_PARAMS = {"account_id", "bindings_inherit"}
FILE_PARTS = {"content", "content_file", "content_sha256", "content_type", "files"}
DELETE_ONLY = {"force"}  # ScriptDeleteParams: delete even when other Workers reference it
# The binding types this project uses, and the SDK TypedDict of each.
BINDING_TYPES = {
    "ai": MetadataBindingWorkersBindingKindAI,
    "plain_text": MetadataBindingWorkersBindingKindPlainText,
    "secret_text": MetadataBindingWorkersBindingKindSecretText,
}


def snake(value: Any) -> Any:
    if isinstance(value, dict):
        return {snake_case(k): snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake(v) for v in value]
    return value


# --------------------------------------------------------------------------- props -> request


def upload_request(props: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(script name, ScriptUpdateParams body, the module's file part) of one WorkersScript's props."""
    fields = snake(plain(props))
    script_name = fields.pop("script_name", None)
    file_part = {k: fields.pop(k) for k in FILE_PARTS & set(fields)}
    for key in DELETE_ONLY & set(fields):
        del fields[key]
    body: dict[str, Any] = {k: fields.pop(k) for k in TOP_LEVEL_PARAMS & set(fields)}
    body["metadata"] = fields  # whatever is left, unknown keys included: the checker rejects those
    return script_name, body, file_part


def subdomain_request(props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    fields = snake(plain(props))
    return fields.pop("script_name", None), fields


# --------------------------------------------------------------------------- request -> problems


@cache
def _binding_type_members() -> dict[str, type]:
    """`type` literal -> its member of the SDK's MetadataBinding union."""
    members: dict[str, type] = {}
    for member in typing.get_args(MetadataBinding):
        literal = typing.get_type_hints(member)["type"]  # Literal[...] (Required[...] stripped)
        assert typing.get_origin(literal) is typing.Literal, (member, literal)
        for value in typing.get_args(literal):
            assert value not in members, f"two union members for type {value!r}"
            members[value] = member
    return members


def binding_problems(binding: Any, path: str) -> list[str]:
    """A binding checked against the union member its `type` names (short, precise messages)."""
    members = _binding_type_members()
    kind = binding.get("type") if isinstance(binding, dict) else None
    if kind not in members:
        return [f"{path}.type: {kind!r} is not a binding type of the API ({len(members)} types)"]
    return check(members[kind], binding, path)[0]


def upload_problems(body: dict[str, Any]) -> list[str]:
    """Everything about an upload body that the SDK does not accept; [] when it is valid."""
    metadata = body.get("metadata")
    if not isinstance(metadata, dict):
        return ["body.metadata: expected a JSON object"]
    bindings = metadata.get("bindings") or []
    problems = [p for i, b in enumerate(bindings) for p in binding_problems(b, f"body.metadata.bindings[{i}]")]
    if problems:
        return problems
    # The whole body against ScriptUpdateParams as declared (the bindings against the full union).
    problems, python_form = check(ScriptUpdateParams, body, "body")
    if problems:
        return problems
    date = metadata.get("compatibility_date")
    if date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return [f"body.metadata.compatibility_date: {date!r} is not YYYY-MM-DD"]
    return metadata_pydantic_problems(python_form["metadata"])


@cache
def _metadata_adapter() -> TypeAdapter:
    # Metadata alone: ScriptUpdateParams' `files` (IO[bytes]) has no pydantic schema.
    return TypeAdapter(Metadata)


def metadata_pydantic_problems(metadata: dict[str, Any]) -> list[str]:
    try:
        validated = _metadata_adapter().validate_python(metadata, strict=True)
        list(validated.get("bindings") or [])  # a lazily validated Iterable: validate it now
    except ValidationError as exc:
        return [f"pydantic: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)]
    return []


def subdomain_problems(body: dict[str, Any]) -> list[str]:
    return check(SubdomainCreateParams, body, "body")[0]


# --------------------------------------------------------------------------- the checker


AI = {"name": "AI", "type": "ai"}
PLAIN = {"name": "GATEWAY_ID", "type": "plain_text", "text": "prod-support-bot"}
SECRET_TEXT = {"name": "AIG_TOKEN", "type": "secret_text", "text": "[secret]"}
BODY = {"account_id": ACCOUNT_ID, "metadata": {
    "main_module": "edge.mjs", "compatibility_date": "2026-11-01", "compatibility_flags": ["nodejs_compat"],
    "bindings": [AI, PLAIN, SECRET_TEXT]}}


def with_metadata(**changes: Any) -> dict[str, Any]:
    return {**BODY, "metadata": {**BODY["metadata"], **changes}}


def test_the_checker_accepts_a_valid_upload():
    assert upload_problems(BODY) == []
    assert upload_problems({"account_id": ACCOUNT_ID, "metadata": {"main_module": "w.mjs"}}) == []


def test_the_sdk_types_of_the_bindings_used_are_exactly_these():
    members = _binding_type_members()
    for kind, typed_dict in BINDING_TYPES.items():
        assert members[kind] is typed_dict
    assert {k: sorted(wire_fields(td)) for k, td in BINDING_TYPES.items()} == {
        "ai": ["name", "type"], "plain_text": ["name", "text", "type"], "secret_text": ["name", "text", "type"]}
    assert all(required for _, _, required in wire_fields(MetadataBindingWorkersBindingKindSecretText).values())


def test_the_metadata_has_the_fields_the_program_sends():
    fields = wire_fields(Metadata)
    for name in ("main_module", "compatibility_date", "compatibility_flags", "bindings"):
        assert name in fields, name
    assert "content" not in fields and "content_file" not in fields, "module source is a file part, not metadata"
    assert set(wire_fields(ScriptUpdateParams)) == {"account_id", "metadata", "bindings_inherit", "files"}


@pytest.mark.parametrize(("binding", "fragment"), [
    # The AI binding has no gateway: the gateway is chosen per call (hence GATEWAY_ID).
    ({**AI, "gateway": "prod-support-bot"}, "bindings[0].gateway: unknown key for MetadataBindingWorkersBindingKindAI"),
    ({"name": "GATEWAY_ID", "type": "plain_text"}, "bindings[0].text: required key of "
                                                   "MetadataBindingWorkersBindingKindPlainText is missing"),
    ({**PLAIN, "value": "x"}, "bindings[0].value: unknown key"),
    ({**SECRET_TEXT, "text": 42}, "bindings[0].text: expected str, got int 42"),
    ({"type": "secret_text", "text": "x"}, "bindings[0].name: required key"),
    ({"name": "X", "type": "secret"}, "bindings[0].type: 'secret' is not a binding type of the API"),
    ({"name": "X", "type": "plainText", "text": "x"}, "bindings[0].type: 'plainText' is not a binding type"),
])
def test_the_checker_rejects_bad_bindings(binding, fragment):
    problems = upload_problems(with_metadata(bindings=[binding]))
    assert any(fragment in p for p in problems), problems
    # The full union, as the SDK declares it, refuses them too.
    assert check(ScriptUpdateParams, with_metadata(bindings=[binding]), "body")[0]


@pytest.mark.parametrize(("change", "fragment"), [
    ({"content": "export default {}"}, "body.metadata.content: unknown key for Metadata"),
    ({"content_sha256": "ab"}, "body.metadata.content_sha256: unknown key"),
    ({"mainModule": "edge.mjs"}, "body.metadata.mainModule: unknown key"),
    ({"compatibility_date": 20261101}, "body.metadata.compatibility_date: expected str"),
    ({"compatibility_date": "2026/11/01"}, "body.metadata.compatibility_date: '2026/11/01' is not YYYY-MM-DD"),
    ({"compatibility_flags": "nodejs_compat"}, "body.metadata.compatibility_flags: expected a JSON array"),
    ({"bindings": {"AI": AI}}, "body.metadata.bindings"),
])
def test_the_checker_rejects_bad_metadata(change, fragment):
    problems = upload_problems(with_metadata(**change))
    assert any(fragment in p for p in problems), problems


def test_the_checker_requires_the_account_and_the_metadata():
    assert upload_problems({"metadata": BODY["metadata"]}) == [
        "body.account_id: required key of ScriptUpdateParams is missing"]
    assert upload_problems({"account_id": ACCOUNT_ID}) == ["body.metadata: expected a JSON object"]


def test_pydantic_sees_the_same_bindings():
    assert metadata_pydantic_problems(BODY["metadata"]) == []
    assert metadata_pydantic_problems({"bindings": [{"name": "X", "type": "plain_text", "text": 1}]})


def test_the_subdomain_checker():
    assert subdomain_problems({"account_id": ACCOUNT_ID, "enabled": True}) == []
    assert subdomain_problems({"account_id": ACCOUNT_ID, "enabled": "yes"}) == [
        "body.enabled: expected bool, got str 'yes'"]
    assert any("body.route: unknown key" in p for p in
               subdomain_problems({"account_id": ACCOUNT_ID, "enabled": True, "route": "x"}))


# --------------------------------------------------------------------------- the mapping


def _inputs(args_class: type) -> list[str]:
    return [p for p in inspect.signature(args_class.__init__).parameters if p not in ("self", "__self__")]


def test_every_workers_script_input_has_a_place_in_the_request():
    inputs = set(_inputs(cloudflare.WorkersScriptArgs))
    assert {"script_name", "account_id", "bindings", "main_module", "content_file", "content_sha256"} <= inputs
    metadata_inputs = inputs - PATH_PARAMETER - TOP_LEVEL_PARAMS - FILE_PARTS - DELETE_ONLY
    assert metadata_inputs <= set(wire_fields(Metadata)), sorted(metadata_inputs - set(wire_fields(Metadata)))
    _, body, file_part = upload_request({to_camel(name): None for name in inputs})
    assert set(body["metadata"]) == metadata_inputs
    assert set(file_part) == FILE_PARTS


def test_every_binding_input_the_program_uses_is_an_api_key():
    binding_inputs = set(_inputs(cloudflare.WorkersScriptBindingArgs))
    for typed_dict in BINDING_TYPES.values():
        assert set(wire_fields(typed_dict)) <= binding_inputs


def test_the_subdomain_inputs_map_to_the_api():
    inputs = set(_inputs(cloudflare.WorkersScriptSubdomainArgs))
    script, body = subdomain_request({to_camel(name): None for name in inputs})
    assert set(body) == set(wire_fields(SubdomainCreateParams))


# --------------------------------------------------------------------------- the repo's stacks


def _plan(stack_file: str) -> dict[str, Any]:
    proc = plan_runner([stack_file], cwd=ROOT)
    assert proc.returncode == 0, f"{stack_file}: {proc.stdout}{proc.stderr}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def repo_plans() -> dict[str, dict[str, Any]]:
    # One plan per process (Pulumi's runtime is process-global); run them side by side.
    with ThreadPoolExecutor(max_workers=len(REPO_STACKS)) as pool:
        return dict(zip(REPO_STACKS, pool.map(_plan, REPO_STACKS), strict=True))


def of_type(plan: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == kind]


@pytest.mark.parametrize("stack_file", REPO_STACKS)
def test_every_planned_workers_script_of_a_repo_stack_is_a_valid_upload(repo_plans, stack_file):
    scripts = of_type(repo_plans[stack_file], WORKERS_SCRIPT)
    assert scripts, f"{stack_file}: the plan has no WorkersScript"
    for resource in scripts:
        script_name, body, file_part = upload_request(resource["props"])
        assert upload_problems(body) == [], resource["name"]
        assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", script_name), script_name
        assert set(file_part) == {"content_file", "content_sha256"}, "the module goes by path and hash"
        # relative to where the engine runs the program (main: infra/)
        assert (ROOT / "infra" / file_part["content_file"]).is_file()
        assert body["metadata"]["main_module"] == Path(file_part["content_file"]).name
        kinds = {b["name"]: b["type"] for b in body["metadata"]["bindings"]}
        assert (kinds["AI"], kinds["GATEWAY_ID"]) == ("ai", "plain_text")


@pytest.mark.parametrize("stack_file", REPO_STACKS)
def test_every_planned_workers_dev_route_is_a_valid_request(repo_plans, stack_file):
    plan = repo_plans[stack_file]
    scripts = {r["props"]["scriptName"] for r in of_type(plan, WORKERS_SCRIPT)}
    for resource in of_type(plan, WORKERS_SUBDOMAIN):
        script_name, body = subdomain_request(resource["props"])
        assert subdomain_problems(body) == [], resource["name"]
        assert script_name in scripts


def test_the_prod_edge_workers_send_the_token_as_secret_text(repo_plans):
    scripts = of_type(repo_plans["Pulumi.prod.yaml"], WORKERS_SCRIPT)
    assert len(scripts) == 3
    for resource in scripts:
        _, body, _ = upload_request(resource["props"])
        token = [b for b in body["metadata"]["bindings"] if b["name"] == "AIG_TOKEN"]
        assert token == [{"name": "AIG_TOKEN", "type": "secret_text", "text": "[secret]"}]


# --------------------------------------------------------------------------- component runs


@pytest.fixture
def project_dir(tmp_path) -> Path:
    (tmp_path / "workers").mkdir()
    (tmp_path / "workers" / "team.mjs").write_text("export default { fetch() { return new Response('ok'); } };\n")
    return tmp_path


def test_component_runs_with_every_kind_of_binding_are_valid_uploads(engine, project_dir):
    spec = build_stack_spec(RawConfig(
        project="ai-gateways", stack="staging", project_file="Pulumi.yaml", stack_file="Pulumi.staging.yaml",
        project_config={}, project_dir=str(project_dir), stack_config={
            "accountId": ACCOUNT_ID, "environment": "staging", "workersDevSubdomain": "acme",
            "tokens": {"edge-run": {"purpose": "run", "validFrom": "2026-11-23", "expiresInDays": 30}},
            "gateways": {"chat": {"edge": {"token": "edge-run", "app": "helpdesk",
                                           "compatibilityDate": "2026-12-01"}},
                         "batch": {"logging": {"payloads": True}, "edge": {"token": "edge-run"}}},
            "workers": {"team": {"module": "workers/team.mjs", "gateway": "batch", "compatibilityDate": "2026-10-15",
                                 "compatibilityFlags": ["nodejs_compat"], "scriptName": "team-batch",
                                 "vars": {"TEAM": "knowledge", "EMPTY": ""},
                                 "secrets": {"API_KEY": Secret("sk-live-1"), "OFFLINE": Secret(None)}}},
        }))
    # The provider's AccountToken returns its value once created: the token binding carries it.
    mocks = pulumi_settings.get_monitor().mocks
    original = mocks.new_resource

    def new_resource(args):
        resource_id, state = original(args)
        return resource_id, ({**state, "value": "cf-token-value"} if args.typ == ACCOUNT_TOKEN else state)

    mocks.new_resource = new_resource
    deploy(spec)
    engine.wait()
    scripts = engine.of_type(WORKERS_SCRIPT)
    assert sorted(scripts) == ["batch", "chat", "team"]
    seen_types = set()
    for name, registration in scripts.items():
        _, body, _ = upload_request(registration.inputs)
        assert upload_problems(body) == [], name
        seen_types |= {b["type"] for b in body["metadata"]["bindings"]}
    assert seen_types == set(BINDING_TYPES)
    _, chat, _ = upload_request(scripts["chat"].inputs)
    assert {"name": "AIG_TOKEN", "type": "secret_text", "text": "cf-token-value"} in chat["metadata"]["bindings"]
    _, team, _ = upload_request(scripts["team"].inputs)
    assert team["metadata"]["compatibility_flags"] == ["nodejs_compat"]
    for registration in engine.of_type(WORKERS_SUBDOMAIN).values():
        assert subdomain_problems(subdomain_request(registration.inputs)[1]) == []
