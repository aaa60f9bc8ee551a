"""`deploy(spec)` under Pulumi mocks: the resources and exports of a whole stack (testing layer 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigw.config import load_stack_file
from aigw.program import deploy

ROOT = Path(__file__).resolve().parents[1]
REPO_STACKS = sorted(ROOT.glob("Pulumi.*.yaml"))
AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"
COMPONENT = "aigw:index:Gateway"
STACK = "pulumi:pulumi:Stack"


def test_one_component_and_one_ai_gateway_per_declared_gateway(engine, stack_spec):
    spec = stack_spec({"support-bot": {}, "docs-search": {}, "batch": {"id": "batch_jobs"}})
    engine.run(lambda: deploy(spec))
    kinds = sorted((r.type, r.name) for r in engine.registrations if r.type != STACK)
    assert kinds == sorted([(t, n) for t in (AI_GATEWAY, COMPONENT) for n in ("batch", "docs-search", "support-bot")])
    ids = {name: r.inputs["aiGatewayId"] for name, r in engine.ai_gateways().items()}
    assert ids == {"support-bot": "prod-support-bot", "docs-search": "prod-docs-search", "batch": "batch_jobs"}
    components = engine.of_type(COMPONENT)
    for name, resource in engine.ai_gateways().items():
        assert resource.parent == components[name].urn


def test_a_stack_without_gateways_declares_nothing(engine, stack_spec):
    spec = stack_spec({}, "dev")
    exports = engine.run(lambda: deploy(spec))
    assert [r for r in engine.registrations if r.type != STACK] == []
    assert exports == {"environment": "dev", "accountId": spec.account_id, "gateways": {}}


def test_exports_are_returned_and_exported_on_the_stack(engine, stack_spec):
    spec = stack_spec({"support-bot": {"authentication": "imported-off"}}, "staging")
    exports = engine.run(lambda: deploy(spec))
    assert set(exports) == {"environment", "accountId", "gateways"}
    assert exports["environment"] == "staging"
    assert exports["accountId"] == spec.account_id
    gateway = exports["gateways"]["support-bot"]
    assert gateway["id"] == "staging-support-bot"
    assert gateway["baseUrl"].endswith(f"/{spec.account_id}/staging-support-bot")
    assert "authorization" not in gateway["clientContract"]
    assert engine.stack_outputs() == exports


def test_defaults_merge_org_then_stack_then_gateway(engine, stack_spec):
    spec = stack_spec(
        {"own": {"retry": {"delayMs": 100}}, "inherits": {}},
        "prod",
        project_config={"defaults": {"retry": {"maxAttempts": 2, "delayMs": 500, "backoff": "constant"},
                                     "cache": {"ttl": 60}}},
        defaults={"retry": {"backoff": "exponential"}, "rateLimit": {"limit": 100, "interval": 60}},
    )
    engine.run(lambda: deploy(spec))
    gateways = engine.ai_gateways()
    for name, delay in (("own", 100), ("inherits", 500)):
        inputs = gateways[name].inputs
        assert (inputs["retryMaxAttempts"], inputs["retryDelay"], inputs["retryBackoff"]) == (2, delay, "exponential")
        assert inputs["cacheTtl"] == 60
        assert (inputs["rateLimitingLimit"], inputs["rateLimitingInterval"]) == (100, 60)


def test_protection_follows_each_gateways_setting(engine, stack_spec):
    spec = stack_spec({"kept": {}, "disposable": {"protect": False}}, "prod")
    engine.run(lambda: deploy(spec))
    assert {n: r.protect for n, r in engine.ai_gateways().items()} == {"kept": True, "disposable": False}
    # The component itself is not protected: it has no cloud state to lose.
    assert not any(r.protect for r in engine.of_type(COMPONENT).values())


def test_a_program_run_starts_from_a_clean_runtime(engine, stack_spec):
    engine.run(lambda: deploy(stack_spec({"first": {}}, "dev")))
    engine.run(lambda: deploy(stack_spec({"second": {}}, "dev")))
    assert sorted(engine.ai_gateways()) == ["second"]
    assert sorted(engine.stack_outputs()["gateways"]) == ["second"]


@pytest.mark.parametrize("stack_file", REPO_STACKS, ids=lambda p: p.name)
def test_every_repo_stack_deploys_one_ai_gateway_per_declared_gateway(engine, stack_file):
    spec = load_stack_file(stack_file)
    exports = engine.run(lambda: deploy(spec), stack=spec.stack)
    gateways = engine.ai_gateways()
    assert sorted(gateways) == sorted(g.name for g in spec.gateways)
    for gw in spec.gateways:
        inputs = gateways[gw.name].inputs
        assert inputs["accountId"] == spec.account_id
        assert inputs["aiGatewayId"] == gw.id == f"{spec.environment}-{gw.name}"
        assert gateways[gw.name].protect is bool(gw.protect)
        assert sorted(gateways[gw.name].additional_secret_outputs) == ["otels", "stripe"]
    assert sorted(exports["gateways"]) == sorted(g.name for g in spec.gateways)


def test_repo_prod_gateways_are_protected_authenticated_and_rate_limited(engine):
    spec = load_stack_file(ROOT / "Pulumi.prod.yaml")
    assert spec.production
    engine.run(lambda: deploy(spec), stack=spec.stack)
    for name, resource in engine.ai_gateways().items():
        inputs = resource.inputs
        assert resource.protect, name
        assert inputs["authentication"] is True, name
        assert inputs["rateLimitingLimit"] > 0 and inputs["rateLimitingInterval"] > 0, name
        assert "otels" not in inputs, f"{name}: traces carry prompts, never in production"
