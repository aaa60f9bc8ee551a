"""Issue 16's acceptance: "Import of a live gateway with a route and a provider config, then drift: no drift, no
key written." Against the API stand-in, as a user runs it: a live gateway with a Secrets Store, two provider
configs (one made with the key itself, as the dashboard does) and a conditional route with a fallback;
`aigw import`; no key, preview or secret id in the stack file; `aigw plan` of it succeeds and reuses the store;
`aigw drift` is clean; then a change made in the dashboard is drift (exit 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from helpers.live import aigw, new_project, plan_json
from helpers.standin import DEFAULT_ACCOUNT, READ_TOKEN, SUPPORT_ROUTE, StandIn

from aigw.live import importer
from aigw_policy.vocabulary import (
    AI_GATEWAY_DYNAMIC_ROUTING,
    DYNAMIC_ROUTE,
    PROVIDER_CONFIG,
    SECRETS_STORE,
    SECRETS_STORE_SECRET,
)

ACCOUNT = DEFAULT_ACCOUNT
GW, NAME, STACK = "adopted-support", "support", "adopted"
STORE = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
LIVE_KEY = "sk-live-Qx81vNf3bq"  # the key the dashboard sent; the account keeps only a preview of it
ROUTE = SUPPORT_ROUTE


def seed(standin: StandIn) -> dict[str, Any]:
    standin.seed_gateway(GW, authentication=True, store_id=STORE, byok_only=True)
    keyed = standin.seed_provider_config(GW, provider_slug="openai", alias="default", default_config=True,
                                         secret=LIVE_KEY)
    referenced = standin.seed_provider_config(GW, provider_slug="anthropic", alias="default", default_config=True,
                                              secret_id="1f2e3d4c5b6a79880716253443526170", rate_limit=600,
                                              rate_limit_period=60)
    route = standin.seed_route(GW, "support", ROUTE)
    standin.clear_requests()
    return {"keyed": keyed, "referenced": referenced, "route": route}


def test_import_a_gateway_with_keys_and_a_route_then_drift_is_none(standin: StandIn, tmp_path: Path) -> None:
    live = seed(standin)
    project = new_project(tmp_path / "p")
    proc = aigw("import", "--account", ACCOUNT, "--gateway", GW, "--stack", STACK, token=READ_TOKEN, api=standin,
                cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    stack_file, import_path = project / f"Pulumi.{STACK}.yaml", project / f"import-{STACK}.json"
    text, document = stack_file.read_text(), import_path.read_text()

    # No key written: not the key, not its preview, not a secret id, anywhere but the import ids.
    secret_ids = [live["keyed"]["secret_id"], live["referenced"]["secret_id"]]
    for shown in (text, document, proc.stdout, proc.stderr):
        assert LIVE_KEY not in shown and live["keyed"]["secret_preview"] not in shown
        assert "secret_preview" not in shown and "secretPreview" not in shown
    assert not any(s in text or s in proc.stdout for s in secret_ids)

    entry = yaml.safe_load(text)["config"]["aigw:gateways"][NAME]
    assert entry["storeId"] == STORE  # the live store: the program puts the secrets there, no second store
    assert entry["providerKeys"] == [
        {"provider": "anthropic", "alias": "default", "key": {"secure": importer.PLACEHOLDER}, "default": True,
         "rateLimit": {"limit": 600, "period": 60}},
        {"provider": "openai", "alias": "default", "key": {"secure": importer.PLACEHOLDER}, "default": True}]
    assert entry["routes"] == {"support": {"elements": ROUTE}}
    for i in (0, 1):
        command = f"pulumi config set -s {STACK} --secret --path 'aigw:gateways.{NAME}.providerKeys[{i}].key' <value>"
        assert f"  set the credential: {command}" in proc.stdout and f"# {command}" in text
    assert "`pulumi import` cannot adopt (pulumi/pulumi#16175)" in proc.stderr

    # The import file: the gateway, each key's secret (<account>/<store>/<secret id>) and the route
    # (<account>/<gateway>/<route id>), each under the gateway's component, named as the program names them.
    resources = json.loads(document)["resources"]
    by_type = {(r["type"], r.get("id")) for r in resources if not r.get("component")}
    assert {(SECRETS_STORE_SECRET, f"{ACCOUNT}/{STORE}/{s}") for s in secret_ids} <= by_type
    assert (AI_GATEWAY_DYNAMIC_ROUTING, f"{ACCOUNT}/{GW}/{live['route']['id']}") in by_type
    assert all(r["parent"] == f"{NAME}-component" for r in resources if not r.get("component"))
    assert not any(r["type"] == PROVIDER_CONFIG for r in resources)  # a dynamic resource: adopted on create

    # The stack plans (the placeholders as secrets), with no store of its own; each imported name is planned.
    (plan,) = plan_json(STACK, cwd=project)
    planned = {(r["type"], r["name"]) for r in plan["resources"]}
    assert {(r["type"], r["name"]) for r in resources if not r.get("component")} <= planned
    assert not any(r["type"] == SECRETS_STORE for r in plan["resources"])
    assert {r["props"]["providerSlug"] for r in plan["resources"] if r["type"] == PROVIDER_CONFIG} == {
        "openai", "anthropic"}

    # Drift: none.
    proc = aigw("drift", STACK, "--format", "json", token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert (result["drift"], result["missing"], result["providerKeys"], result["routes"]) == ([], [], 2, 1)
    proc = aigw("drift", STACK, token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 0 and proc.stdout.rstrip().endswith("drift: none"), proc.stdout + proc.stderr

    # Then the dashboard: the fallback model edited, a config added: drift, exit 1, in words.
    backup = next(e for e in live["route"]["elements"] if e["id"] == "backup")
    backup["properties"]["model"] = "claude-haiku-4-5"
    standin.seed_provider_config(GW, provider_slug="openai", alias="team", default_config=False, secret="sk-team-x1")
    proc = aigw("drift", STACK, token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert f"  DRIFT    {GW} routes.support: if metadata.plan $eq paid: fallback: declared " \
           "anthropic/claude-sonnet-4-5, live anthropic/claude-haiku-4-5" in lines
    assert f"  DRIFT    {GW} providerKeys (openai alias team): declared absent, live openai alias team" in lines
    assert "sk-team" not in proc.stdout


def test_a_rerun_gives_the_same_import_file(standin: StandIn, tmp_path: Path) -> None:
    seed(standin)
    project = new_project(tmp_path / "p")
    args = ("import", "--account", ACCOUNT, "--gateway", GW, "--stack", STACK)
    assert aigw(*args, token=READ_TOKEN, api=standin, cwd=project).returncode == 0
    first = (project / f"import-{STACK}.json").read_text()
    again = aigw(*args, token=READ_TOKEN, api=standin, cwd=project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (project / f"import-{STACK}.json").read_text() == first
    assert "unchanged" in again.stdout


def test_a_route_the_spec_cannot_declare_is_left_out_with_a_note(standin: StandIn, tmp_path: Path) -> None:
    standin.seed_gateway(GW, authentication=True)
    split = [{"id": "start", "type": "start", "outputs": {"next": {"elementId": "split"}}},
             {"id": "split", "type": "percentage",
              "outputs": {"70%": {"elementId": "a"}, "30%": {"elementId": "b"}}},
             *[{"id": x, "type": "model", "properties": {"provider": "openai", "model": m, "retries": 0,
                                                         "timeout": 1000},
                "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "end"}}}
               for x, m in (("a", "gpt-4o"), ("b", "gpt-4o-mini"))],
             {"id": "end", "type": "end", "outputs": {}}]
    standin.seed_route(GW, "ab-test", split)
    no_model = [ROUTE[0], {**ROUTE[1], "outputs": {"true": {"elementId": "end"}, "false": {"elementId": "end"}}},
                ROUTE[-1]]
    standin.seed_route(GW, "broken", no_model)
    standin.seed_route(GW, "support", ROUTE)
    project = new_project(tmp_path / "p")
    proc = aigw("import", "--account", ACCOUNT, "--gateway", GW, "--stack", STACK, token=READ_TOKEN, api=standin,
                cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The split is written (a DynamicRoute adopts it on the first `pulumi up`), not put in the import file.
    assert ("route 'ab-test' (dynamic/ab-test): a percentage split, deployed as a Pulumi dynamic resource that "
            "`pulumi import` cannot adopt (pulumi/pulumi#16175): not in the import file; the first `pulumi up` "
            "adopts the live route of that name while its elements are these") in proc.stderr
    assert "route 'broken' (dynamic/broken): left out: the stack file cannot declare it" in proc.stderr
    entry = yaml.safe_load((project / f"Pulumi.{STACK}.yaml").read_text())["config"]["aigw:gateways"][NAME]
    assert sorted(entry["routes"]) == ["ab-test", "support"]
    assert entry["routes"]["ab-test"]["elements"] == split
    imported = json.loads((project / f"import-{STACK}.json").read_text())["resources"]
    assert [r["name"] for r in imported if r["type"].endswith("AiGatewayDynamicRouting")] == [f"{NAME}-support"]
    (stack,) = plan_json(STACK, cwd=project)  # the stack file plans; the split as a DynamicRoute
    assert [r["props"]["name"] for r in stack["resources"] if r["type"] == DYNAMIC_ROUTE] == ["ab-test"]
    # Drift names the route left out (live, not declared); the split is declared as it is live.
    proc = aigw("drift", STACK, "--format", "json", token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 1
    assert sorted(d["field"] for d in json.loads(proc.stdout)["drift"]) == ["routes.broken"]


def test_keys_the_spec_cannot_declare_are_left_out_and_no_store_is_said() -> None:
    from aigw.live import byok

    configs = [{"id": "1", "provider_slug": "openai", "alias": "team_a", "default_config": False, "secret_id": "s1",
                "secret_preview": "sk-1..."},
               {"id": "2", "provider_slug": "openai", "alias": "default", "default_config": True, "secret_id": "s2",
                "rate_limit": 5.0, "rate_limit_period": None, "secret_preview": "sk-2..."},
               {"id": "3", "provider_slug": "anthropic", "alias": "default", "default_config": True,
                "secret_id": "s3", "rate_limit": 2.5, "rate_limit_period": 60.0, "secret_preview": "sk-3..."},
               {"id": "4", "provider_slug": "workers-ai", "alias": "default", "default_config": True,
                "secret_id": "s4", "rate_limit": 0, "secret_preview": "sk-4..."}]
    secrets: list[str] = []
    entry, resources, notes = importer.byok_entry(ACCOUNT, NAME, {"id": GW}, byok.GatewayDetails(configs, []),
                                                  secrets)
    assert entry["providerKeys"] == [{"provider": "workers-ai", "alias": "default",
                                      "key": {"secure": importer.PLACEHOLDER}, "default": True}]
    assert secrets == ["providerKeys[0].key"] and resources == []  # no store: the secrets cannot be imported
    text = "\n".join(notes)
    assert "provider key anthropic alias 'default': left out: the stack file could not declare it" in text
    assert "provider key openai alias 'default': left out: it has a rate limit (5) without a period" in text
    assert "provider key openai alias 'team_a': left out" in text
    assert importer.NO_STORE in notes
    assert "sk-" not in text and "s1" not in str(entry)
