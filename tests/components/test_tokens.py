"""`ApiToken` under Pulumi mocks, and the purpose -> permission table it reads (layer 2).

Least privilege is two things: the table (aigw/permissions.py) gives only `deploy` a permission
that changes anything, and every planned token carries exactly its purpose's permission groups,
resolved by exact name from one permission-groups lookup per account, on its own account only.
The `invokes` fixture answers that invoke as the provider does and records how it was called.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.sync_await import _sync_await

from aigw import permissions
from aigw.components.tokens import (
    PERMISSION_GROUPS_INVOKE,
    ApiToken,
    PermissionGroupNotFound,
    offline_permission_groups,
    permission_group_id,
    token_name,
)
from aigw.config import load_stack_file
from aigw.permissions import DESCRIPTIONS, PERMISSIONS, WRITE_PURPOSES, account_resource, is_write_permission
from aigw.program import deploy
from aigw.spec import StackSpec, TokenSpec

ROOT = Path(__file__).resolve().parents[2]
COMPONENT = "aigw:index:ApiToken"
ACCOUNT_TOKEN = "cloudflare:index/accountToken:AccountToken"
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
PURPOSES = typing.get_args(permissions.Purpose)


class Invokes:
    """Answers the permission-groups invoke as the provider does, and records every call's
    arguments as the engine received them.

    The account's catalog holds every group of the table plus near-misses (a suffix, another
    case), with ids unlike names. Without `name` the answer is the whole catalog; with `name`,
    the groups named exactly that string as the API receives it (cloudflare-go encodes the query
    once and the API decodes it once), so an already-encoded name finds nothing.
    """

    CATALOG = (*sorted({name for names in PERMISSIONS.values() for name in names}),
               "AI Gateway Run (legacy)", "ai gateway read", "Workers Scripts Read")

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answer: Callable[[dict[str, Any]], dict[str, Any]] = self.catalog

    @staticmethod
    def group_id(name: str) -> str:
        return "pgid-" + name.replace(" ", "-")

    def catalog(self, args: dict[str, Any]) -> dict[str, Any]:
        groups = [{"id": self.group_id(name), "name": name, "scopes": ["com.cloudflare.api.account"],
                   "category": "other", "is_selectable": True} for name in self.CATALOG]
        if args.get("name") is not None:
            groups = [g for g in groups if g["name"] == args["name"]]
        return {"results": groups}

    def sent(self) -> list[dict[str, Any]]:
        """Each call's arguments that were set (the SDK sends unset optional ones as None)."""
        return [{k: v for k, v in call.items() if v is not None} for call in self.calls]


@pytest.fixture
def invokes(engine) -> Invokes:
    recorder = Invokes()
    mocks = pulumi_settings.get_monitor().mocks
    original = mocks.call

    def call(args):
        if args.token == PERMISSION_GROUPS_INVOKE:
            recorder.calls.append(dict(args.args))
            return recorder.answer(dict(args.args))
        return original(args)

    mocks.call = call
    return recorder


@pytest.fixture
def replace_on_changes(engine) -> dict[tuple[str, str], list[str]]:
    """(type, name) -> the replaceOnChanges option each registration sent (the fixture does not record it)."""
    recorded: dict[tuple[str, str], list[str]] = {}
    monitor = pulumi_settings.get_monitor()
    register = monitor.RegisterResource

    def recording(request):
        recorded[(request.type, request.name)] = list(request.replaceOnChanges)
        return register(request)

    monitor.RegisterResource = recording
    return recorded


def token_spec(stack_spec, tokens: dict[str, dict[str, Any]], environment: str = "prod", **keys: Any) -> StackSpec:
    return stack_spec({}, environment, tokens=tokens, **keys)


def build(engine, stack_spec, purpose: str = "run", *, name: str = "app", environment: str = "prod",
          **fields: Any) -> tuple[StackSpec, ApiToken]:
    spec = token_spec(stack_spec, {name: {"purpose": purpose, "validFrom": "2026-11-23", "expiresInDays": 30,
                                          **fields}}, environment)
    api_token = ApiToken(spec, spec.tokens[0])
    engine.wait()
    return spec, api_token


def account_token(engine, name: str = "app"):
    return engine.of_type(ACCOUNT_TOKEN)[name]


# --------------------------------------------------------------------------- the table


def test_the_table_covers_exactly_the_purposes_a_token_may_have():
    assert set(PURPOSES) == {"run", "read", "deploy"}
    assert set(PERMISSIONS) == set(PURPOSES) == set(DESCRIPTIONS)
    assert typing.get_args(TokenSpec.model_fields["purpose"].annotation) == PURPOSES
    assert WRITE_PURPOSES <= set(PURPOSES)


@pytest.mark.parametrize("purpose", [p for p in PURPOSES if p not in WRITE_PURPOSES])
def test_no_purpose_but_deploy_holds_a_write_permission(purpose):
    assert PERMISSIONS[purpose], purpose
    assert [name for name in PERMISSIONS[purpose] if is_write_permission(name)] == []


def test_only_deploy_may_write():
    assert WRITE_PURPOSES == {"deploy"}
    assert any(is_write_permission(name) for name in PERMISSIONS["deploy"])


def test_run_and_read_are_the_single_ai_gateway_permission():
    assert PERMISSIONS["run"] == ("AI Gateway Run",)
    assert PERMISSIONS["read"] == ("AI Gateway Read",)


def test_no_purpose_lists_a_permission_twice():
    for purpose, names in PERMISSIONS.items():
        assert len(names) == len(set(names)), purpose


@pytest.mark.parametrize(("name", "writes"), [
    ("AI Gateway Write", True), ("Workers R2 Storage Write", True), ("Zone Settings Edit", True),
    ("AI Gateway Read", False), ("AI Gateway Run", False), ("Account API Tokens Read", False),
    ("Writers Guild Read", False), ("Logs Writer", False),
])
def test_is_write_permission(name, writes):
    assert is_write_permission(name) is writes


def test_account_resource_scopes_one_account():
    assert account_resource(ACCOUNT_ID) == f"com.cloudflare.api.account.{ACCOUNT_ID}"


# --------------------------------------------------------------------------- the AccountToken


def test_one_component_and_one_account_token_per_token(engine, stack_spec, invokes):
    spec = token_spec(stack_spec, {
        "app": {"purpose": "run", "validFrom": "2026-11-23", "expiresInDays": 30},
        "reader": {"purpose": "read", "validFrom": "2026-11-23", "expiresInDays": 30},
        "ci": {"purpose": "deploy", "validFrom": "2026-11-23", "expiresInDays": 30},
    })
    for t in spec.tokens:
        ApiToken(spec, t)
    engine.wait()
    components, tokens = engine.of_type(COMPONENT), engine.of_type(ACCOUNT_TOKEN)
    assert sorted(components) == sorted(tokens) == ["app", "ci", "reader"]
    for name, resource in tokens.items():
        assert resource.parent == components[name].urn
        assert resource.custom is True and components[name].custom is False


@pytest.mark.parametrize(("environment", "name", "expected"), [
    ("prod", "app", "aigw-prod-app"), ("staging", "log-reader", "aigw-staging-log-reader")])
def test_token_name_says_stack_and_token(engine, stack_spec, invokes, environment, name, expected):
    spec, api_token = build(engine, stack_spec, name=name, environment=environment)
    assert account_token(engine, name).inputs["name"] == expected == token_name(spec, api_token.spec)


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_single_allow_policy_on_the_stacks_account_only(engine, stack_spec, invokes, purpose):
    build(engine, stack_spec, purpose)
    inputs = account_token(engine).inputs
    assert inputs["accountId"] == ACCOUNT_ID
    [policy] = inputs["policies"]
    assert set(policy) == {"effect", "permissionGroups", "resources"}
    assert policy["effect"] == "allow"
    # The provider takes resources as a JSON string; exactly one key: this account, every resource in it.
    assert json.loads(policy["resources"]) == {f"com.cloudflare.api.account.{ACCOUNT_ID}": "*"}


@pytest.mark.parametrize("purpose", PURPOSES)
def test_permission_groups_are_the_ids_the_invoke_resolved_for_the_purpose(engine, stack_spec, invokes, purpose):
    build(engine, stack_spec, purpose)
    [policy] = account_token(engine).inputs["policies"]
    assert policy["permissionGroups"] == [{"id": Invokes.group_id(name)} for name in PERMISSIONS[purpose]]


def test_one_unfiltered_lookup_in_the_stacks_account_serves_every_group(engine, stack_spec, invokes):
    # No `name` filter: nothing to encode (cloudflare-go encodes query values itself, so an
    # encoded name would reach the API as AI%2520Gateway%2520Run and match nothing).
    build(engine, stack_spec, "deploy")
    assert invokes.sent() == [{"accountId": ACCOUNT_ID}]


def test_every_token_of_a_stack_shares_one_lookup(engine, invokes):
    spec = load_stack_file(ROOT / "Pulumi.prod.yaml")
    assert len(spec.tokens) == 3
    deploy(spec)
    engine.wait()
    assert invokes.sent() == [{"accountId": spec.account_id}]


def test_each_account_gets_its_own_lookup(engine, stack_spec, invokes):
    other = "fedcba9876543210fedcba9876543210"
    first = token_spec(stack_spec, {"a": {"purpose": "run", "validFrom": "2026-11-23", "expiresInDays": 30}})
    second = token_spec(stack_spec, {"b": {"purpose": "read", "validFrom": "2026-11-23", "expiresInDays": 30},
                                     "c": {"purpose": "deploy", "validFrom": "2026-11-23", "expiresInDays": 30}},
                        accountId=other)
    for spec in (first, second):
        for token in spec.tokens:
            ApiToken(spec, token)
    engine.wait()
    assert invokes.sent() == [{"accountId": ACCOUNT_ID}, {"accountId": other}]
    tokens = engine.of_type(ACCOUNT_TOKEN)
    assert [tokens[name].inputs["accountId"] for name in ("a", "b", "c")] == [ACCOUNT_ID, other, other]
    assert tokens["c"].inputs["policies"][0]["permissionGroups"] == [
        {"id": Invokes.group_id(name)} for name in PERMISSIONS["deploy"]]


def test_the_exact_name_is_picked_among_several_results(engine, stack_spec, invokes):
    invokes.answer = lambda args: {"results": [
        {"id": "wrong-1", "name": "AI Gateway Run (legacy)"},
        {"id": "right", "name": "AI Gateway Run"},
        {"id": "wrong-2", "name": "ai gateway run"},
    ]}
    build(engine, stack_spec, "run")
    assert account_token(engine).inputs["policies"][0]["permissionGroups"] == [{"id": "right"}]


@pytest.mark.parametrize("results", [[], [{"id": "x", "name": "AI Gateway Run (legacy)"}], None])
def test_no_exact_match_is_permission_group_not_found(engine, stack_spec, invokes, results):
    invokes.answer = lambda args: {} if results is None else {"results": results}
    with pytest.raises(PermissionGroupNotFound) as info:
        permission_group_id(ACCOUNT_ID, "AI Gateway Run")
    assert str(info.value) == (
        f"no account API token permission group named 'AI Gateway Run' in account {ACCOUNT_ID}; "
        "check aigw/permissions.py against GET /accounts/{id}/tokens/permission_groups")


def test_a_token_whose_group_is_missing_is_not_declared(engine, stack_spec, invokes):
    invokes.answer = lambda args: {"results": []}
    with pytest.raises(PermissionGroupNotFound):
        build(engine, stack_spec, "read")
    assert engine.of_type(ACCOUNT_TOKEN) == {}


def test_validity_is_not_before_valid_from_and_expires_on_days_later(engine, stack_spec, invokes):
    build(engine, stack_spec, validFrom="2026-12-31", expiresInDays=90)
    inputs = account_token(engine).inputs
    assert (inputs["notBefore"], inputs["expiresOn"]) == ("2026-12-31T00:00:00Z", "2027-03-31T00:00:00Z")
    not_before, expires_on = (datetime.fromisoformat(inputs[k]) for k in ("notBefore", "expiresOn"))
    assert (expires_on - not_before).days == 90 and not_before.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(("fields", "condition"), [
    ({}, None),
    ({"allowIps": ["198.51.100.0/24", "2001:db8::/32"]}, {"requestIp": {"ins": ["198.51.100.0/24", "2001:db8::/32"]}}),
    ({"denyIps": ["10.1.2.3"]}, {"requestIp": {"notIns": ["10.1.2.3/32"]}}),
    ({"allowIps": ["10.0.0.0/8"], "denyIps": ["10.9.0.0/16"]},
     {"requestIp": {"ins": ["10.0.0.0/8"], "notIns": ["10.9.0.0/16"]}}),
])
def test_request_ip_condition_only_when_given(engine, stack_spec, invokes, fields, condition):
    build(engine, stack_spec, **fields)
    inputs = account_token(engine).inputs
    assert inputs.get("condition") == condition
    assert set(inputs) == {"accountId", "name", "policies", "notBefore", "expiresOn"} | (
        {"condition"} if condition else set())


def test_the_token_value_is_an_additional_secret_output(engine, stack_spec, invokes):
    build(engine, stack_spec)
    assert "value" in account_token(engine).additional_secret_outputs
    assert account_token(engine).protect is False


def test_a_new_validity_window_replaces_the_token(engine, stack_spec, invokes, replace_on_changes):
    # Rotation is moving validFrom forward: that must mint a new token (a new value), not update the window.
    build(engine, stack_spec)
    assert sorted(replace_on_changes[(ACCOUNT_TOKEN, "app")]) == ["expiresOn", "notBefore"]


@pytest.mark.parametrize("purpose", PURPOSES)
def test_the_component_carries_purpose_and_permission_names(engine, stack_spec, invokes, purpose):
    build(engine, stack_spec, purpose, validFrom="2026-11-23", expiresInDays=30)
    assert engine.of_type(COMPONENT)["app"].inputs == {
        "accountId": ACCOUNT_ID, "purpose": purpose, "permissionGroups": list(PERMISSIONS[purpose]),
        "notBefore": "2026-11-23", "expiresOn": "2026-12-23"}


# --------------------------------------------------------------------------- the offline answer
# `aigw plan` and the conftest engine answer the invoke with offline_permission_groups: it must
# behave as the provider does, so a program that encodes names fails offline as it would live.

ALL_NAMES = sorted({name for names in PERMISSIONS.values() for name in names})


def test_the_offline_answer_is_every_group_of_the_table_once():
    answer = offline_permission_groups({"accountId": ACCOUNT_ID})
    assert [g["name"] for g in answer["results"]] == ALL_NAMES
    assert [g["id"] for g in answer["results"]] == [f"pg:{name}" for name in ALL_NAMES]
    assert {tuple(g["scopes"]) for g in answer["results"]} == {("com.cloudflare.api.account",)}


@pytest.mark.parametrize(("name", "found"), [
    ("AI Gateway Run", ["pg:AI Gateway Run"]),
    ("AI%20Gateway%20Run", []),   # encoded by the program: the API receives the %20 literally
    ("AI+Gateway+Run", []),
    ("ai gateway run", []),
    ("AI Gateway", []),
])
def test_the_offline_answer_filters_on_the_name_exactly_as_the_api_receives_it(name, found):
    answer = offline_permission_groups({"accountId": ACCOUNT_ID, "name": name})
    assert [g["id"] for g in answer["results"]] == found


@pytest.mark.parametrize("purpose", PURPOSES)
def test_under_the_offline_answer_each_purpose_gets_its_placeholder_ids(engine, stack_spec, purpose):
    build(engine, stack_spec, purpose)
    [policy] = account_token(engine).inputs["policies"]
    assert policy["permissionGroups"] == [{"id": f"pg:{name}"} for name in PERMISSIONS[purpose]]


# --------------------------------------------------------------------------- exports


def test_exports_keep_the_value_secret(engine, stack_spec, invokes):
    _, api_token = build(engine, stack_spec, "read")
    exports = api_token.exports()
    assert set(exports) == {"purpose", "permissions", "expiresOn", "id", "value"}
    assert (exports["purpose"], exports["permissions"], exports["expiresOn"]) == (
        "read", ["AI Gateway Read"], "2026-12-23")
    assert isinstance(exports["value"], pulumi.Output)
    assert _sync_await(exports["value"].is_secret()) is True
    assert engine.resolve(exports["id"]) == "app-id"


def test_program_exports_tokens_with_secret_values(engine, stack_spec, invokes):
    spec = token_spec(stack_spec, {"app": {"purpose": "run", "validFrom": "2026-11-23", "expiresInDays": 30}})
    exports = deploy(spec)
    engine.wait()
    value = exports["tokens"]["app"]["value"]
    assert _sync_await(value.is_secret()) is True
    assert exports["tokens"]["app"]["permissions"] == ["AI Gateway Run"]


def test_program_declares_no_token_when_none_is_configured(engine, stack_spec):
    exports = engine.run(lambda: deploy(stack_spec({"a": {}}, "dev")), stack="dev")
    assert "tokens" not in exports
    assert engine.of_type(ACCOUNT_TOKEN) == {} and engine.of_type(COMPONENT) == {}


# --------------------------------------------------------------------------- planned tokens


def test_the_repo_prod_tokens_are_least_privilege(engine, invokes):
    spec = load_stack_file(ROOT / "Pulumi.prod.yaml")
    assert {t.purpose for t in spec.tokens} == set(PURPOSES), "the prod stack declares one token per purpose"
    deploy(spec)
    engine.wait()
    components, tokens = engine.of_type(COMPONENT), engine.of_type(ACCOUNT_TOKEN)
    assert sorted(tokens) == sorted(t.name for t in spec.tokens)
    by_id = {Invokes.group_id(name): name for names in PERMISSIONS.values() for name in names}
    for token in spec.tokens:
        inputs, props = tokens[token.name].inputs, components[token.name].inputs
        [policy] = inputs["policies"]
        granted = [by_id[group["id"]] for group in policy["permissionGroups"]]
        assert granted == props["permissionGroups"] == list(PERMISSIONS[token.purpose]), token.name
        if token.purpose not in WRITE_PURPOSES:
            assert not any(is_write_permission(name) for name in granted), token.name
        assert policy["effect"] == "allow"
        assert json.loads(policy["resources"]) == {account_resource(spec.account_id): "*"}
        assert inputs["accountId"] == spec.account_id
        assert token.expires_in_days <= 90
