"""The field tables (aigw/fields.py: AiGateway, LogpushJob, and the `RESOURCES` WorkersScript,
WorkersScriptSubdomain, AccountToken) against the installed provider and SDK, the docs, and the code
derived from them.

A provider or SDK upgrade that brings a field fails here until the field is a row of the table or an
explicit `Unsupported` entry with its reason: a new field may store or export data, and must not
pass unnoticed (pulumi-cloudflare `pulumi_cloudflare/ai_gateway.py` `AiGatewayArgs`; cloudflare-python
`cloudflare/types/ai_gateway/ai_gateway_create_params.py` `AIGatewayCreateParams`).
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from cloudflare.types.ai_gateway import AIGatewayCreateParams
from helpers.schema import _unwrap, wire_fields
from typing_extensions import is_typeddict

from aigw import fields
from aigw.live import drift, importer, mapping

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def provider_inputs() -> set[str]:
    """AiGatewayArgs' inputs, in the plan's camelCase names."""
    from pulumi_cloudflare.ai_gateway import AiGatewayArgs

    params = inspect.signature(AiGatewayArgs.__init__).parameters
    return {fields.camel(name) for name in params if name not in ("self", "__self__")}


def sdk_paths(tp: Any = AIGatewayCreateParams, path: str = "") -> set[str]:
    """Every key of the create params, nested ones as `otel[].url`, `rules[].metadata.*.mode`."""
    tp, _ = _unwrap(tp)
    origin = get_origin(tp)
    out: set[str] = set()
    if is_typeddict(tp):
        for wire, (_name, hint, _required) in wire_fields(tp).items():
            here = f"{path}.{wire}" if path else wire
            out |= {here} | sdk_paths(hint, here)
    elif origin in (Union, types.UnionType):
        for member in get_args(tp):
            out |= sdk_paths(member, path)
    elif origin in (list, Iterable, Sequence):
        out |= sdk_paths(get_args(tp)[0], path + fields.ITEM)
    elif origin in (dict, Mapping):
        out |= sdk_paths(get_args(tp)[1], path + ".*")
    return out


def table_paths(table: Sequence[fields.Field] = fields.AI_GATEWAY) -> set[str]:
    out = set()
    for row in table:
        out.add(row.api)
        out |= {row.api + (n if n.startswith(fields.ITEM) else "." + n) for n in row.nested}
    return out


def undecided(known: set[str], decided: set[str]) -> list[str]:
    return sorted(known - decided)


def test_every_provider_input_is_a_row_or_explicitly_unsupported():
    decided = fields.props() | {u.name for u in fields.AI_GATEWAY_UNSUPPORTED}
    assert undecided(provider_inputs(), decided) == []


def test_every_row_is_a_provider_input():
    assert sorted(fields.props() - provider_inputs()) == []


def test_every_sdk_create_param_is_a_row_or_explicitly_unsupported():
    decided = table_paths() | {u.name for u in fields.AI_GATEWAY_UNSUPPORTED}
    top = {p for p in sdk_paths() if "." not in p and fields.ITEM not in p}
    assert undecided(top, decided) == []


def test_every_nested_sdk_field_is_decided_and_none_is_stale():
    decided = table_paths() | {u.name for u in fields.AI_GATEWAY_UNSUPPORTED}
    assert undecided(sdk_paths(), decided) == []
    assert sorted(table_paths() - sdk_paths()) == []


def test_a_field_the_table_does_not_know_is_named(monkeypatch):
    """The check names what is missing (here: the table without its otel row)."""
    table = tuple(r for r in fields.AI_GATEWAY if r.prop != "otels")
    assert undecided(sdk_paths(), table_paths(table)) == [
        "otel", "otel[].authorization", "otel[].content_type", "otel[].headers", "otel[].url"]
    assert undecided(provider_inputs(), fields.props(table)) == ["otels"]


def provider_paths(cls: Any = None, path: str = "") -> set[str]:
    """Every input of AiGatewayArgs, nested ones as `otels[].url` (the provider's `_inputs.py` classes)."""
    import pulumi_cloudflare._inputs as provider_inputs_module
    from pulumi_cloudflare.ai_gateway import AiGatewayArgs

    out: set[str] = set()
    for name, param in inspect.signature((cls or AiGatewayArgs).__init__).parameters.items():
        if name in ("self", "__self__"):
            continue
        here = f"{path}.{fields.camel(name)}" if path else fields.camel(name)
        out.add(here)
        annotation = str(param.annotation)
        nested = re.search(r"'(AiGateway\w+Args)'", annotation)
        if nested:
            before = annotation[:nested.start()]
            step = fields.ITEM if "Sequence[" in before else ".*" if "Mapping[" in before else ""
            out |= provider_paths(getattr(provider_inputs_module, nested.group(1)), here + step)
    return out


def as_props(api_path: str) -> str:
    """A table path (API keys) in the provider's names, through the table's renames."""
    renames = {(r.parent, r.api): r.prop for r in fields.AI_GATEWAY_RENAMES}
    steps = re.findall(r"\[\]|[^.\[\]]+", api_path)
    out, parent = [], ()
    for i, step in enumerate(steps):
        if step == fields.ITEM:
            out[-1] += fields.ITEM
        elif i == 0:
            out.append({r.api: r.prop for r in fields.AI_GATEWAY}[step])
        else:
            out.append(renames.get((parent, step), fields.camel(step)))
        parent = (*parent, step)
    return ".".join(out)


def test_every_nested_provider_input_is_decided_and_none_is_stale():
    rows = {as_props(p) for p in table_paths()}
    assert undecided(provider_paths(), rows | {u.name for u in fields.AI_GATEWAY_UNSUPPORTED}) == []
    assert sorted(rows - provider_paths()) == []


def _docs_table(text: str, resource: str = "AiGateway") -> str:
    begin_marker, end_marker = fields.docs_markers(resource)
    begin, end = text.find(begin_marker), text.find(end_marker)
    assert begin != -1 and end > begin, f"{DOCS.name}: the {resource} field table markers are missing"
    return text[begin + len(begin_marker):end].strip("\n")


@pytest.mark.parametrize("resource", sorted(fields.DOCS_TABLES))
def test_the_docs_table_is_the_generated_one(resource):
    table, unsupported = fields.DOCS_TABLES[resource]
    assert _docs_table(DOCS.read_text(encoding="utf-8"), resource) == fields.markdown_table(table, unsupported), (
        f"docs/configuration.md's {resource} field table differs from aigw/fields.py: paste "
        f"aigw.fields.markdown_table(...) between its markers")


def test_the_docs_table_check_sees_a_changed_row():
    text = DOCS.read_text(encoding="utf-8").replace("| `cache.ttl` | `cacheTtl` |", "| `cache.ttl` | `cacheTTL` |")
    assert _docs_table(text) != fields.markdown_table()


def test_every_spec_path_is_documented_as_a_gateway_setting():
    """Each row's key is a key of the settings tables in docs/configuration.md (or its section)."""
    text = DOCS.read_text(encoding="utf-8")
    for row in fields.AI_GATEWAY:
        if row.spec is None:
            continue
        assert f"`{row.spec}`" in text.replace(f"### `{row.spec}`", ""), row.spec


def test_the_reviewers_replacement_list_is_the_tables():
    from aigw.review.diff import REPLACED_BY
    from aigw_policy.rules import GATEWAY

    assert REPLACED_BY[GATEWAY] == fields.replaced_by() == ("accountId", "aiGatewayId")


# --- what is derived ------------------------------------------------------------------------------

def _public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


FULL_GATEWAY = {
    "id": "prod-chat", "cache_ttl": 300, "cache_invalidate_on_update": True, "collect_logs": True,
    "rate_limiting_limit": 100, "rate_limiting_interval": 60, "rate_limiting_technique": "sliding",
    "log_classification": True, "logpush": True, "log_management": 100000, "log_management_strategy": "STOP_INSERTING",
    "logpush_public_key": _public_key(), "authentication": True,
    "retry_max_attempts": 3, "retry_delay": 250, "retry_backoff": "linear",
    "dlp": {"enabled": True, "action": "BLOCK", "profiles": ["p"]},
    "guardrails": {"prompt": {"P1": "BLOCK"}, "response": {}},
    "otel": [{"url": "https://otel.example/v1/traces", "headers": {}, "content_type": "json"}],
    "spend_limits": {"enabled": True, "rules": [{"limit": 10, "window": 86400, "id": "r"}]},
    "stripe": {"authorization": "sk", "usage_events": [{"payload": "{}"}]},
    "zdr": True, "byok_only": True, "workers_ai_billing_mode": "unified", "store_id": "store",
}


def test_the_sample_gateway_sets_every_api_field():
    assert set(FULL_GATEWAY) | {"account_id"} == {r.api for r in fields.AI_GATEWAY}


def test_import_then_plan_gives_every_input_of_the_table():
    """A live gateway with every field set -> `aigw import`'s entry -> the component's inputs: one
    input per row (so a row without its transform or spec path fails here)."""
    from aigw.components.gateway import gateway_args
    from aigw.spec import GatewaySpec, Secret, StackSpec

    name, entry, secrets = importer.gateway_config(FULL_GATEWAY, "prod", "chat")
    assert secrets == ["stripe.authorization"]
    entry["stripe"]["authorization"] = Secret("sk_test_value")
    gw = GatewaySpec.model_validate({**entry, "name": name, "id": "prod-chat"})
    stack = StackSpec("p", "prod", "prod", "0" * 32, True, (gw,))
    args = gateway_args(stack, gw)
    assert set(args) == {fields.snake(r.prop) for r in fields.AI_GATEWAY}
    assert args["log_management_strategy"] == "STOP_INSERTING" and entry["logging"]["onFull"] == "stopInserting"
    assert (args["rate_limiting_limit"], args["rate_limiting_interval"]) == (100, 60)


def test_the_live_mapping_and_the_drift_hints_know_every_row():
    props = mapping.live_props(FULL_GATEWAY, "0" * 32)
    assert set(props) == fields.props()
    assert mapping.KNOWN_PROPS == fields.props()
    assert {p for p in fields.props() if p != "accountId"} == set(drift.CONFIG_KEYS)
    assert drift.config_key("rateLimitingLimit") == "rateLimit.limit"
    assert drift.config_key("logpushPublicKey") == "logging.logpushPublicKey (or aigw:logpush.publicKey)"
    assert drift.config_key("otels[0].url") == "otel"


@pytest.mark.parametrize(("api", "live", "where", "written"), [
    ("retry_backoff", "EXPONENTIAL", ("retry", "backoff"), "exponential"),
    ("workers_ai_billing_mode", "UNIFIED", ("workersAiBillingMode",), "unified"),
    ("rate_limiting_technique", "SLIDING", ("rateLimit", "technique"), "sliding"),
])
def test_import_writes_an_enum_the_api_returns_in_capitals_in_the_specs_case(api, live, where, written):
    """The spec accepts only the lower-case words; the drift check compares these enums without case
    (mapping._LOWER_ENUMS), so `aigw import` writes them as the spec spells them, as it did the
    rate-limit technique. Before, an upper-case backoff or billing mode was written as it came, and
    the next `aigw plan` refused the stack file."""
    from aigw.spec import GatewaySettings

    gw = {**FULL_GATEWAY, api: live, "stripe": None}
    _, entry, _ = importer.gateway_config(gw, "prod", "chat")
    value = entry
    for step in where:
        value = value[step]
    assert value == written
    GatewaySettings.model_validate(entry)  # the written entry is a valid gateway entry


def test_component_transforms_and_importer_transforms_exist_for_every_row():
    from aigw.components import gateway

    for row in fields.AI_GATEWAY:
        if row.to_input is not None:
            assert row.to_input in gateway._TO_INPUT, row.prop
        if row.to_config is not None:
            assert row.to_config in importer._TO_CONFIG, row.prop


def test_the_table_module_imports_nothing_of_the_project():
    source = Path(fields.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+(\.|aigw|aigw_policy|pulumi)", source, re.M)


def _settings_rows(text: str) -> dict[str, str]:
    """key -> its `input` cell, from every table of docs/configuration.md with `key` and `input` columns."""
    out: dict[str, str] = {}
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif "key" in header and "input" in header and not set(cells[0]) <= {"-"}:
            out.setdefault(cells[header.index("key")].strip("`"), cells[header.index("input")])
    return out


def test_the_settings_tables_name_each_keys_input_as_the_table_does():
    text = DOCS.read_text(encoding="utf-8")
    text = text[:text.index(fields.DOCS_BEGIN)] + text[text.index(fields.DOCS_END):]  # not the generated table
    rows = _settings_rows(text)
    checked = 0
    for row in fields.AI_GATEWAY:
        if row.spec in rows and not row.to_input:
            assert f"`{row.prop}`" in rows[row.spec], (row.spec, rows[row.spec])
            checked += 1
    assert checked >= 15  # the plain rows of the cache, rateLimit, logging and retry tables, and more


# --- LogpushJob -----------------------------------------------------------------------------------


def test_every_logpush_job_input_and_create_param_is_a_row_or_explicitly_unsupported():
    from cloudflare.types.logpush.job_create_params import JobCreateParams
    from pulumi_cloudflare.logpush_job import LogpushJobArgs

    unsupported = {u.name for u in fields.LOGPUSH_JOB_UNSUPPORTED}
    provider = {fields.camel(n) for n in inspect.signature(LogpushJobArgs.__init__).parameters
                if n not in ("self", "__self__")}
    assert undecided(provider, fields.props(fields.LOGPUSH_JOB) | unsupported) == []
    api = set(wire_fields(JobCreateParams))
    rows = {fields.camel(f.api) for f in fields.LOGPUSH_JOB}
    assert undecided({fields.camel(k) for k in api}, rows | unsupported) == []  # Unsupported names are camelCase
    assert sorted(fields.props(fields.LOGPUSH_JOB) - provider) == []
    assert sorted({f.api for f in fields.LOGPUSH_JOB} - api) == []


def test_the_logpush_job_resource_agrees_with_the_table():
    """aigw/components/logpush_job.py keeps its own FIELDS, REPLACE_ON and SECRET_OUTPUTS (not derived
    yet): they must say what the table says."""
    from aigw.components import logpush_job

    rows = [f for f in fields.LOGPUSH_JOB if f.prop != "accountId"]
    assert logpush_job.FIELDS == {f.prop: f.api for f in rows}
    assert logpush_job.REPLACE_ON == fields.replaced_by(fields.LOGPUSH_JOB)
    assert logpush_job.SECRET_OUTPUTS == fields.credential_props(fields.LOGPUSH_JOB)


def test_the_job_drift_compares_the_tables_fields_but_the_credential_and_the_challenge():
    assert drift._JOB_FIELDS == {"dataset": "dataset", "enabled": "enabled", "name": "name", "filter": "filter",
                                 "maxUploadBytes": "max_upload_bytes",
                                 "maxUploadIntervalSeconds": "max_upload_interval_seconds",
                                 "maxUploadRecords": "max_upload_records"}


def test_the_diffs_words_for_a_gateway_are_the_tables_labels():
    """`aigw diff` names a gateway's settings by the table's labels (an OTel exporter by its index)."""
    from aigw.review.words import settings
    from aigw_policy.rules import GATEWAY

    words = settings(GATEWAY, mapping.live_props(FULL_GATEWAY, "0" * 32))
    assert {re.sub(r"\[\d+\].*", "", key) for key in words} == {f.label for f in fields.AI_GATEWAY}


# --- the other resources (fields.RESOURCES): WorkersScript, WorkersScriptSubdomain, AccountToken ---

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = {r.name: r for r in fields.RESOURCES}


def _load(ref: str) -> Any:
    import importlib

    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def resource_provider_inputs(resource: fields.Resource) -> set[str]:
    """The installed provider's Args inputs, camelCase."""
    params = inspect.signature(_load(resource.provider).__init__).parameters
    return {fields.camel(n) for n in params if n not in ("self", "__self__")}


def resource_sdk_keys(resource: fields.Resource) -> set[str]:
    """The SDK params' keys (the containers' keys instead of the containers) and the URL's path params."""
    keys = set(resource.path_params)
    for ref in resource.sdk:
        keys |= set(wire_fields(_load(ref)))
    return keys - set(resource.containers)


def resource_undecided(resource: fields.Resource, rows: Sequence[fields.Field] | None = None) -> dict[str, list[str]]:
    """What the installed provider or SDK has that is neither a row nor Unsupported, and the rows
    neither knows (stale)."""
    rows = resource.rows if rows is None else rows
    unsupported = {u.name for u in resource.unsupported}
    provider, sdk = resource_provider_inputs(resource), resource_sdk_keys(resource)
    api_rows = {f.api for f in rows if f.api != fields.NO_API}
    return {
        "provider": undecided(provider, fields.props(rows) | unsupported),
        "sdk": undecided({fields.camel(k) for k in sdk}, {fields.camel(k) for k in api_rows} | unsupported),
        "stale rows": sorted((fields.props(rows) - provider) | (api_rows - sdk)),
        "stale unsupported": sorted(unsupported - provider - {fields.camel(k) for k in sdk}),
    }


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_every_provider_input_and_sdk_param_of_the_resource_is_decided(name):
    assert resource_undecided(RESOURCES[name]) == {"provider": [], "sdk": [], "stale rows": [],
                                                   "stale unsupported": []}


def test_the_resource_check_names_a_field_the_table_does_not_know():
    """Without its bindings row the script table leaves the provider's and the SDK's `bindings`
    undecided; a row the provider lacks is stale."""
    script = RESOURCES["WorkersScript"]
    rows = tuple(f for f in script.rows if f.prop != "bindings")
    assert resource_undecided(script, rows)["provider"] == ["bindings"]
    assert resource_undecided(script, rows)["sdk"] == ["bindings"]
    extra = (*script.rows, fields.Field("fooBar", "foo_bar", None, "foo"))
    assert resource_undecided(script, extra)["stale rows"] == ["fooBar", "foo_bar"]


def test_the_sdk_keys_of_the_script_upload_are_its_metadata_and_the_script_name():
    keys = resource_sdk_keys(RESOURCES["WorkersScript"])
    assert {"script_name", "main_module", "compatibility_date", "bindings", "files"} <= keys
    assert "metadata" not in keys


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_the_resources_docs_table_is_the_generated_one(name):
    resource = RESOURCES[name]
    text = (ROOT / resource.docs).read_text(encoding="utf-8")
    begin_marker, end_marker = fields.docs_markers(name)
    begin, end = text.find(begin_marker), text.find(end_marker)
    assert begin != -1 and end > begin, f"{resource.docs}: the {name} field table markers are missing"
    assert text[begin + len(begin_marker):end].strip("\n") == fields.markdown_table(
        resource.rows, resource.unsupported), (
        f"{resource.docs}'s {name} field table differs from aigw/fields.py: paste "
        f"aigw.fields.markdown_table(...) between its markers")


def test_the_reviewers_replacement_lists_of_workers_and_tokens_are_the_tables():
    from aigw.review.diff import REPLACED_BY
    from aigw.review.words import SUBDOMAIN
    from aigw_policy.vocabulary import ACCOUNT_TOKEN, WORKERS_SCRIPT

    assert REPLACED_BY[WORKERS_SCRIPT] == fields.replaced_by(fields.WORKERS_SCRIPT) == ("accountId", "scriptName")
    assert REPLACED_BY[SUBDOMAIN] == fields.replaced_by(fields.WORKERS_SCRIPT_SUBDOMAIN) == ("accountId",
                                                                                           "scriptName")
    assert REPLACED_BY[ACCOUNT_TOKEN] == fields.replaced_by(fields.ACCOUNT_TOKEN) == ("accountId",)
    assert fields.program_replaced(fields.ACCOUNT_TOKEN) == ["notBefore", "expiresOn"]


def test_a_component_cannot_set_an_input_without_a_row():
    assert fields.inputs(fields.ACCOUNT_TOKEN, account_id="a", name="n") == {"account_id": "a", "name": "n"}
    with pytest.raises(KeyError, match="not a row of the field table .*: status"):
        fields.inputs(fields.ACCOUNT_TOKEN, account_id="a", status="disabled")


def test_the_diffs_words_for_a_worker_are_the_tables_labels():
    """`aigw diff` names a Worker's settings by the table's labels (a binding by its name); an input
    whose label is its own name reads by that name."""
    from aigw.review.words import settings
    from aigw_policy.vocabulary import WORKERS_SCRIPT

    props = {"accountId": "0" * 32, "scriptName": "dev-s", "mainModule": "s.mjs", "contentFile": "../w/s.mjs",
             "contentSha256": "ab", "compatibilityDate": "2026-11-01", "compatibilityFlags": ["nodejs_compat"],
             "bindings": [{"name": "AI", "type": "ai"}]}
    words = settings(WORKERS_SCRIPT, props)
    assert {re.sub(r" AI$", "", key) for key in words} == {f.label for f in fields.WORKERS_SCRIPT}


def test_the_token_keys_table_names_each_keys_input_as_the_table_does():
    """docs/tokens.md's "Declare a token" table says which `AccountToken` input each key becomes: the
    field table's (a row set from several keys is named by at least one of them)."""
    text = (ROOT / "docs" / "tokens.md").read_text(encoding="utf-8")
    header = "| key | type | default | allowed | `AccountToken` input |"
    assert header in text, "docs/tokens.md: the token keys table is missing"
    cells = {}
    for line in text[text.index(header):].splitlines()[2:]:
        if not line.startswith("|"):
            break
        row = [c.strip() for c in line.strip().strip("|").split("|")]
        cells[row[0].strip("`")] = row[-1]
    checked = 0
    for row in fields.ACCOUNT_TOKEN:
        if row.spec is None:
            continue
        keys = [s.removeprefix("aigw:tokens.<name>.") for s in row.spec.split(", ")]
        assert all(k in cells for k in keys), (row.prop, keys)
        assert any(f"`{row.prop}" in cells[k] for k in keys), (row.prop, [cells[k] for k in keys])
        checked += 1
    assert checked == 4  # policies, condition, notBefore, expiresOn


# --- DynamicRoute (a route with a percentage split: aigw/components/route.py) ---------------------

_ROUTE_CALLS = ("dynamic_routing_create_params:DynamicRoutingCreateParams",
                "dynamic_routing_update_params:DynamicRoutingUpdateParams",
                "dynamic_routing_create_version_params:DynamicRoutingCreateVersionParams",
                "dynamic_routing_create_deployment_params:DynamicRoutingCreateDeploymentParams")


def route_sdk_keys() -> set[str]:
    """The params of every call the DynamicRoute provider makes (create, rename, new version, deploy), and
    the gateway, a path parameter of create."""
    keys = {"gateway_id"}
    for ref in _ROUTE_CALLS:
        keys |= set(wire_fields(_load(f"cloudflare.types.ai_gateway.{ref}")))
    return keys


def route_undecided(rows: Sequence[fields.Field] = fields.DYNAMIC_ROUTE) -> list[str]:
    return undecided(route_sdk_keys(), {f.api for f in rows} | {u.name for u in fields.DYNAMIC_ROUTE_UNSUPPORTED})


def test_every_sdk_param_of_the_dynamic_routes_calls_is_a_row_or_explicitly_unsupported():
    assert route_undecided() == []
    assert sorted({f.api for f in fields.DYNAMIC_ROUTE} - route_sdk_keys()) == []  # no stale row
    assert route_undecided(tuple(f for f in fields.DYNAMIC_ROUTE if f.prop != "elements")) == ["elements"]


def test_the_dynamic_route_has_the_props_of_ai_gateway_dynamic_routing():
    """Same props, same labels (the plan, the diff and drift read both types alike); only how a change is
    made differs: a rename in place, new elements a new deployed version (aigw/components/route.py)."""
    from aigw.components import route

    assert [(f.prop, f.api, f.spec, f.label) for f in fields.DYNAMIC_ROUTE] == [
        (f.prop, f.api, f.spec, f.label) for f in fields.AI_GATEWAY_DYNAMIC_ROUTING]
    assert route.FIELDS == {f.prop: f.api for f in fields.DYNAMIC_ROUTE}
    assert route.REPLACE_ON == fields.replaced_by(fields.DYNAMIC_ROUTE) == ("accountId", "gatewayId")
