"""The CrossGuard pack exercised exactly as the Pulumi engine runs it (pack_driver), against `aigw check`.

The policy testing layer (see pack_driver for the engine's protocol): the pack runs as its
own plugin process and is called over gRPC in the engine's order, with properties in the wire
form (protobuf Struct, secret and unknown markers). Its findings must equal those of `aigw check`,
which runs the same rules offline on the same plan.

The `aigw` subprocess results are computed once per test session and shared by the xdist workers
(the plans are the slow part); each test starts its own pack process(es), one per stack/config.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format
from pack_driver import (
    ROOT,
    SECRET_MARK,
    STACK_TYPE,
    UNKNOWN_BOOL,
    UNKNOWN_STRING,
    PackProcess,
    WireResource,
    drive_plan,
    pulumi_config,
    secret,
    wire_props,
)
from pulumi.runtime.proto import analyzer_pb2

from aigw_policy import RULES

AIGW = str(Path(sys.executable).parent / "aigw")
PROJECT_FILE = ROOT / "Pulumi.yaml"
GATEWAY = "cloudflare:index/aiGateway:AiGateway"
WORKERS_SCRIPT = "cloudflare:index/workersScript:WorkersScript"
REPO_STACKS = ("dev", "staging", "prod")
# Fixture stacks: the repo's prod stack with one change each (own account ids, so that the
# cross-stack check of `aigw plan` does not see the repo's prod gateway ids twice).
FIXTURE_STACKS = ("payloads", "noedge")
ALL_STACKS = REPO_STACKS + FIXTURE_STACKS

# One policy config (the `--policy-pack-config` format) for both paths: "all" raises every
# policy to mandatory, a policy's own entry wins over it (disabled, advisory, remediate).
POLICY_CONFIG: dict[str, Any] = {
    "all": "mandatory",
    "production-payloads-not-stored": "disabled",
    "cache-ttl-bounded": {"enforcementLevel": "mandatory", "maxCacheTtl": 600},
    "gateway-id-naming": {"enforcementLevel": "advisory",
                          "gatewayIdPattern": "{environment}-(support-bot|docs-search)"},
    "tokens-least-privilege": {"enforcementLevel": "remediate", "maxTokenDays": 60},
}

Row = tuple[str, str, str, str, str]


# --- aigw in a subprocess, once per session --------------------------------------------------------

def aigw(*args: str, cwd: Path = ROOT) -> dict[str, Any]:
    proc = subprocess.run([AIGW, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=600)
    return {"args": list(args), "returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


def _shared(tmp_path_factory, name: str, compute: Callable[[Path], Any]) -> Any:
    """``compute(shared_dir)`` once per session, whichever xdist worker asks first (JSON result)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    result = root / f"pack-engine-{name}.json"
    with open(root / f"pack-engine-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not result.exists():
                result.write_text(json.dumps(compute(root)))
            return json.loads(result.read_text())
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _fixture_stack_files(root: Path) -> list[str]:
    """A project (Pulumi.yaml; the edge Worker comes with the installed aigw) with the fixture stacks, each the repo's
    prod stack with one change."""
    project = root / "pack-engine-project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "Pulumi.yaml").write_text(PROJECT_FILE.read_text())
    prod = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())

    payloads = copy.deepcopy(prod)
    payloads["config"]["aigw:accountId"] = "11111111111111111111111111111111"
    payloads["config"]["aigw:gateways"]["support-bot"]["logging"] = {"payloads": True}

    noedge = copy.deepcopy(prod)
    noedge["config"]["aigw:accountId"] = "22222222222222222222222222222222"
    noedge["config"]["aigw:gateways"]["docs-search"]["edge"] = None

    paths = []
    for name, doc in (("payloads", payloads), ("noedge", noedge)):
        path = project / f"Pulumi.{name}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        paths.append(str(path))
    return paths


def _targets(root: Path) -> list[str]:
    return [*REPO_STACKS, *_fixture_stack_files(root)]


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """`aigw plan --format json` of the repo stacks and the fixture stacks: stack -> plan."""
    run = _shared(tmp_path_factory, "plans", lambda root: aigw("plan", *_targets(root), "--format", "json"))
    assert run["returncode"] == 0, run["stderr"]
    stacks = {s["stack"]: s for s in json.loads(run["stdout"])["stacks"]}
    assert sorted(stacks) == sorted(ALL_STACKS)
    return stacks


def _check_rows(run: Mapping[str, Any]) -> dict[str, list[Row]]:
    assert run["returncode"] in (0, 1), run["stderr"]
    return {s["stack"]: sorted((f["policy"], f["level"], f["resource"]["type"], f["resource"]["name"], f["message"])
                               for f in s["findings"])
            for s in json.loads(run["stdout"])["stacks"]}


@pytest.fixture(scope="module")
def checks(tmp_path_factory) -> dict[str, list[Row]]:
    """`aigw check --format json` findings per stack (default policy config)."""
    run = _shared(tmp_path_factory, "checks", lambda root: aigw("check", *_targets(root), "--format", "json"))
    assert run["returncode"] == 1, "the fixture stacks violate mandatory policies"
    return _check_rows(run)


@pytest.fixture(scope="module")
def configured_checks(tmp_path_factory) -> dict[str, list[Row]]:
    """`aigw check --policy-config FILE --format json` findings per stack, FILE holding POLICY_CONFIG."""

    def compute(root: Path) -> dict[str, Any]:
        config = root / "pack-engine-policy-config.json"
        config.write_text(json.dumps(POLICY_CONFIG, indent=2))
        return aigw("check", *_targets(root), "--policy-config", str(config), "--format", "json")

    return _check_rows(_shared(tmp_path_factory, "configured-checks", compute))


# --- helpers -----------------------------------------------------------------------------------

def rows(findings: Iterable[tuple[str, str, tuple[str, str], str]]) -> list[Row]:
    return sorted((policy, level, ref[0], ref[1], message) for policy, level, ref, message in findings)


def through_pack(plan: Mapping[str, Any], policy_config: Mapping[str, Any] | None = None) -> list[Row]:
    # PULUMI_CONFIG as the CLI sets it: the project's config (productionEnvironments, defaults)
    # plus the stack's environment and account.
    return rows(drive_plan(plan, policy_config, config=pulumi_config(plan, PROJECT_FILE)))


def resource(plan: Mapping[str, Any], type_: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in plan["resources"] if r["type"] == type_ and r["name"] == name]
    return found


def mandatory(found: Iterable[Row]) -> list[Row]:
    return [r for r in found if r[1] == "mandatory"]


# --- parity with `aigw check` ------------------------------------------------------------------

@pytest.mark.parametrize("stack", REPO_STACKS)
def test_repo_stacks_same_findings_through_the_pack_as_aigw_check(stack, plans, checks):
    assert plans[stack]["resources"]
    assert through_pack(plans[stack]) == checks[stack]
    assert mandatory(checks[stack]) == [], "the repo's own stacks pass the policy"


def test_payloads_stored_in_production_is_a_mandatory_violation_through_both_paths(plans, checks):
    found = through_pack(plans["payloads"])
    assert found == checks["payloads"]
    assert mandatory(found) == [(
        "production-payloads-not-stored", "mandatory", WORKERS_SCRIPT, "support-bot",
        "edge Worker 'support-bot' fronts gateway 'support-bot' (id prod-support-bot) but does not force payloads "
        "off (binding PAYLOADS is 'true', not 'false'). Set logging.payloads: false on the gateway.")]


def test_gateway_without_edge_worker_in_production_is_a_mandatory_violation_through_both_paths(plans, checks):
    found = through_pack(plans["noedge"])
    assert found == checks["noedge"]
    [(policy, level, type_, name, message)] = mandatory(found)
    assert (policy, level, type_, name) == ("production-payloads-not-stored", "mandatory", GATEWAY, "docs-search")
    assert message.startswith("gateway 'docs-search' (id prod-docs-search) collects logs and no edge Worker")


def _with_otel(plan: Mapping[str, Any], authorization: str, secret_paths: list[str]) -> dict[str, Any]:
    """The plan with an OTel exporter on gateway docs-search (as `aigw plan` would print it)."""
    changed = copy.deepcopy(dict(plan))
    gw = resource(changed, GATEWAY, "docs-search")
    gw["props"]["otels"] = [{"authorization": authorization, "contentType": "json", "headers": {},
                             "url": "https://otlp.example.com/v1/traces"}]
    gw["options"]["secretPaths"] = secret_paths
    return changed


def _check_plan_rows(plan: Mapping[str, Any], policy_config: Mapping[str, Any] | None = None) -> list[Row]:
    from aigw.check import check_plan
    from aigw.check.config import settings_from

    result = check_plan(dict(plan), Path(f"Pulumi.{plan['stack']}.yaml"), settings_from(policy_config or {}, "test"))
    # A waived finding is listed by check (as waived) and not reported by the pack.
    return rows((f.policy, f.level, f.resource, f.message) for f in result.findings if f.waiver is None)


def test_plaintext_otel_authorization_is_a_mandatory_violation_through_both_paths(plans):
    # The spec refuses a plaintext credential in a stack file (`aigw plan` exits 2), so the case
    # is built on the plan: what the program would register if such a value got through.
    plain = _with_otel(plans["prod"], "Bearer plain-text-token", [])
    found = through_pack(plain)
    assert found == _check_plan_rows(plain)
    assert ("secrets-not-plaintext", "mandatory", GATEWAY, "docs-search",
            "AiGateway 'docs-search': otel[0].authorization is in plain text and would be stored unencrypted in "
            "the Pulumi state. Set it with `pulumi config set --secret --path "
            "'aigw:gateways.docs-search.otel[0].authorization' <value>`.") in found
    assert all("plain-text-token" not in row[4] for row in found), "a credential is never echoed"

    hidden = _with_otel(plans["prod"], SECRET_MARK, ["otels[0].authorization"])
    found = through_pack(hidden)
    assert found == _check_plan_rows(hidden)
    assert [r for r in found if r[0] == "secrets-not-plaintext"] == []
    # The exporter itself still breaks the production rule on payload export (same through both).
    assert [r[0] for r in mandatory(found)] == ["production-no-payload-export"]


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_policy_config_same_through_configure_as_through_policy_config_file(stack, plans, configured_checks):
    found = through_pack(plans[stack], POLICY_CONFIG)
    assert found == configured_checks[stack]
    policies = {r[0] for r in found}
    assert "production-payloads-not-stored" not in policies, "disabled"
    levels = {(r[0], r[1]) for r in found}
    cache = [r for r in found if r[0] == "cache-ttl-bounded"]
    assert cache and all(r[1] == "mandatory" for r in cache), "advisory raised to mandatory, maxCacheTtl 600"
    assert ("gateway-id-naming", "advisory", GATEWAY, "batch-summariser") in {r[:4] for r in found}
    assert ("gateway-id-naming", "mandatory") not in levels, "a policy's own level wins over all"
    if plans[stack]["production"]:
        # remediate is reported as mandatory; the Run token lives 90 days > maxTokenDays 60.
        assert ("tokens-least-privilege", "mandatory", "aigw:index:ApiToken", "edge-run") in {r[:4] for r in found}
        # "all": mandatory raised the production advisories (none violated here) and kept the mandatory ones.
        assert all(r[1] == "mandatory" for r in found if r[0] != "gateway-id-naming")


def test_policy_config_can_make_another_environment_production(plans):
    """productionEnvironments comes from Configure in the pack and from the policy config in
    `aigw check`: staging declared production for three rules is judged as production by both."""
    production = {"productionEnvironments": ["staging"]}
    config = {"production-payloads-not-stored": production, "production-no-payload-export": production,
              "production-guardrails": production}
    found = through_pack(plans["staging"], config)
    assert found == _check_plan_rows(plans["staging"], config)
    assert {r[0] for r in mandatory(found)} == {"production-payloads-not-stored", "production-no-payload-export"}
    assert ("production-no-payload-export", "mandatory", GATEWAY, "support-bot") in {r[:4] for r in found}
    assert "production-dlp-enabled" not in {r[0] for r in found}, "staging is production for those three only"


def test_disabling_the_only_violated_policy_in_production_is_itself_the_mandatory_finding(plans, checks):
    """The payloads fixture's only mandatory violation is of the policy the config disables: the pack no longer
    reports it, but, the stack being production, relaxations-waived reports the disabled rule (as check does)."""
    assert [r[0] for r in mandatory(checks["payloads"])] == ["production-payloads-not-stored"]
    found = through_pack(plans["payloads"], {"production-payloads-not-stored": "disabled"})
    assert found == _check_plan_rows(plans["payloads"], {"production-payloads-not-stored": "disabled"})
    (guard,) = mandatory(found)
    assert guard[:2] == ("relaxations-waived", "mandatory")
    assert "sets production-payloads-not-stored to disabled (default mandatory) for production stack" in guard[-1]


WAIVER = {"resources": ["support-bot"], "owner": "@acme/platform", "reason": "INC-1: vendor investigation"}


def test_the_pack_honours_a_waiver_and_reports_an_expired_one_as_check_does(plans, checks):
    """The same policy config file drives the pack: a holding waiver silences the violation it names (check lists
    it as waived), an expired one is a mandatory relaxations-waived violation naming it."""
    holding = {"production-payloads-not-stored": {"waivers": [{**WAIVER, "expires": "2026-12-20"}]}}
    found = through_pack(plans["payloads"], holding)
    assert mandatory(found) == []
    rows = _check_plan_rows(plans["payloads"], holding)
    assert found == rows  # the check rows leave out waived findings too (check reports them as waived)
    expired = {"production-payloads-not-stored": {"waivers": [{**WAIVER, "expires": "2026-11-30"}]}}
    found = through_pack(plans["payloads"], expired)
    assert found == _check_plan_rows(plans["payloads"], expired)
    assert sorted(r[0] for r in mandatory(found)) == ["production-payloads-not-stored", "relaxations-waived"]
    guard = next(r for r in found if r[0] == "relaxations-waived")
    assert "waiver production-payloads-not-stored.waivers[0] (owner @acme/platform) expired on 2026-11-30" in guard[-1]


def test_all_disabled_does_not_switch_off_relaxations_waived_in_the_pack(plans):
    found = through_pack(plans["payloads"], {"all": "disabled"})
    assert found == _check_plan_rows(plans["payloads"], {"all": "disabled"})
    assert {r[0] for r in found} == {"relaxations-waived"}
    assert all(r[1] == "mandatory" for r in found)


# --- unknown values during preview ---------------------------------------------------------------

def _unknowns(plan: Mapping[str, Any]) -> dict[str, list[WireResource]]:
    """Two previews of the prod plan: a gateway's authentication unknown, and an edge Worker's
    PAYLOADS binding text unknown (inside the secret bindings list, as the engine sends it)."""
    base = [WireResource.from_plan(r) for r in plan["resources"]]

    def replaced(type_: str, name: str, change: Callable[[dict[str, Any]], None]) -> list[WireResource]:
        out = []
        for r in base:
            if r.ref == (type_, name):
                props = copy.deepcopy(dict(r.props))
                change(props)
                r = WireResource(r.type, r.name, props, r.protect, r.additional_secret_outputs)
            out.append(r)
        return out

    def unknown_auth(props: dict[str, Any]) -> None:
        props["authentication"] = UNKNOWN_BOOL

    def unknown_payloads(props: dict[str, Any]) -> None:
        bindings = props["bindings"]["value"]  # the whole list is a secret (it holds the Run token)
        (payloads,) = [b for b in bindings if b["name"] == "PAYLOADS"]
        payloads["text"] = UNKNOWN_STRING

    return {"authentication": replaced(GATEWAY, "support-bot", unknown_auth),
            "PAYLOADS": replaced(WORKERS_SCRIPT, "docs-search", unknown_payloads)}


def _preview(plan: Mapping[str, Any], environment: str) -> dict[str, list[Row]]:
    config = {**pulumi_config(plan, PROJECT_FILE), "aigw:environment": environment}
    with PackProcess(plan["stack"], config, dry_run=True) as pack:
        pack.open()
        return {case: rows(d.finding for d in pack.run(resources)) for case, resources in _unknowns(plan).items()}


def test_unknown_value_in_production_preview_is_a_mandatory_violation_naming_the_property(plans):
    previews = _preview(plans["prod"], "prod")
    assert all("can't run policy" not in r[4] for found in previews.values() for r in found), \
        "the SDK's advisory 'can't run policy during preview' would weaken a mandatory rule"
    assert all(r[1] == "mandatory" for found in previews.values() for r in found)

    auth = {r[0]: r for r in previews["authentication"]}
    assert sorted(auth) == ["production-authentication-required", "production-payloads-not-stored"]
    assert auth["production-authentication-required"][2:4] == (GATEWAY, "support-bot")
    # A stack rule's fail-closed finding is about the resource holding the unknown (or, at the
    # least, about the stack).
    assert auth["production-payloads-not-stored"][2:4] in {(GATEWAY, "support-bot"), (STACK_TYPE, "prod")}
    for policy, row in auth.items():
        assert f"authentication is unknown during preview, so {policy} cannot show that it holds" in row[4]

    index = [b["name"] for b in resource(plans["prod"], WORKERS_SCRIPT, "docs-search")["props"]["bindings"]
             ].index("PAYLOADS")
    payloads = previews["PAYLOADS"]
    assert {r[0] for r in payloads} == {"production-payloads-not-stored"}
    assert any(r[2:4] in {(WORKERS_SCRIPT, "docs-search"), (STACK_TYPE, "prod")}
               and f"bindings[{index}].text is unknown during preview" in r[4] for r in payloads), payloads


def test_unknown_value_outside_production_yields_no_mandatory_finding(plans):
    previews = _preview(plans["prod"], "dev")
    for found in previews.values():
        assert mandatory(found) == []
        assert all("can't run policy" not in r[4] and "unknown" not in r[4] for r in found)


# --- secrets ---------------------------------------------------------------------------------------

def test_secret_otel_authorization_is_kept_visible_and_not_flagged(plans):
    gw = resource(plans["staging"], GATEWAY, "docs-search")
    otel = {"url": "https://otlp.example.com/v1/traces", "contentType": "json", "headers": {}}

    def with_otels(otels: Any) -> WireResource:
        return WireResource(GATEWAY, "docs-search", {**wire_props(gw), "otels": otels})

    cases = {
        "secret authorization": with_otels([{**otel, "authorization": secret("Bearer s3cr3t")}]),
        # The Python SDK sends a whole list as one secret when an element of it is a secret.
        "secret list": with_otels(secret([{**otel, "authorization": "Bearer s3cr3t"}])),
        "plain text": with_otels([{**otel, "authorization": "Bearer s3cr3t"}]),
    }
    plan = plans["staging"]
    with PackProcess(plan["stack"], pulumi_config(plan, PROJECT_FILE)) as pack:
        pack.open()
        found = {case: rows(d.finding for d in pack.analyze(r)) for case, r in cases.items()}
    assert found["secret authorization"] == found["secret list"] == []
    assert found["plain text"] == [(
        "secrets-not-plaintext", "mandatory", GATEWAY, "docs-search",
        "AiGateway 'docs-search': otel[0].authorization is in plain text and would be stored unencrypted in the "
        "Pulumi state. Set it with `pulumi config set --secret --path 'aigw:gateways.docs-search.otel[0]."
        "authorization' <value>`.")]


def test_pulumi_policy_alone_would_hide_which_values_are_secrets():
    """Why pack.py keeps the wire secrets: pulumi-policy unwraps them before a policy sees them."""
    from pulumi_policy.deserialize import deserialize_properties

    assert deserialize_properties({"a": secret("x")}) == {"a": "x"}
    assert deserialize_properties({"a": "x"}) == {"a": "x"}


# --- what the engine learns from the pack, and what the pack learns from the engine -------------------

def test_analyzer_info_lists_every_policy_with_its_default_level_and_schema():
    with PackProcess("prod", {"aigw:environment": "prod"}) as pack:
        assert pack.handshake() is None, "pulumi-policy 1.21 does not implement Handshake (UNIMPLEMENTED)"
        pack.configure_stack()
        info = pack.analyzer_info()
        plugin = pack.get_plugin_info()
        sent = pack.configure()
        process = pack.proc
    assert process is not None and process.returncode == 0, "stopped by SIGINT, cleanly"
    assert pack.stderr == ""
    assert info.name == "aigw-policy"
    assert info.supportsConfig
    assert plugin.version
    assert len(info.policies) == len(RULES) == 19
    levels = {p.name: analyzer_pb2.EnforcementLevel.Name(p.enforcementLevel).lower() for p in info.policies}
    assert levels == {rule.id: rule.level for rule in RULES}
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema.properties)
        assert schema["productionEnvironments"]["default"] == ["prod", "production"], policy.name
        kind = analyzer_pb2.PolicyType.Name(policy.policy_type)
        scope = {r.id: r.scope for r in RULES}[policy.name]
        assert kind == {"resource": "POLICY_TYPE_RESOURCE", "stack": "POLICY_TYPE_STACK"}[scope]
    assert sent["tokens-least-privilege"] == ("mandatory", {"productionEnvironments": ["prod", "production"],
                                                            "waivers": [], "maxTokenDays": 90})
    assert sent["relaxations-waived"] == ("mandatory", {"productionEnvironments": ["prod", "production"],
                                                        "maxWaiverDays": 90})


def test_stack_name_policies_see_comes_from_pulumi_stack(plans):
    """Without aigw:environment the environment is the stack name, which only PULUMI_STACK carries
    (the URNs sent here name another stack)."""
    plan = plans["prod"]
    gw = resource(plan, GATEWAY, "support-bot")
    unauthenticated = WireResource(GATEWAY, "support-bot", {**wire_props(gw), "authentication": False})
    config = {"aigw:accountId": plan["accountId"],
              "aigw:productionEnvironments": json.dumps(["prod", "production"])}
    found = {}
    for stack in ("qa", "prod"):
        with PackProcess(stack, config) as pack:
            pack.open()
            pack.urn_stack = "elsewhere"
            found[stack] = rows(d.finding for d in pack.analyze(unauthenticated))
    assert [r[:2] for r in found["qa"]] == [("gateway-id-naming", "advisory")]
    assert "does not match gatewayIdPattern 'qa-" in found["qa"][0][4]
    assert [r[:2] for r in found["prod"]] == [("production-authentication-required", "mandatory")]
