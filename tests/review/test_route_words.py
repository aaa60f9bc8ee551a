"""Provider keys and routes in the plan (`aigw plan --format json` and the table) and in the diff: a
route reads as where a request goes ("fallback: openai/gpt-4o -> anthropic/claude-sonnet-4-5"), never as
element JSON; the key reads [secret] everywhere."""

from __future__ import annotations

import json
import textwrap

from helpers.plan import aigw, copy_project_file
from helpers.spec import stack

from aigw.review.diff import diff_plans
from aigw.review.render import change_block
from aigw_policy.vocabulary import (
    AI_GATEWAY_DYNAMIC_ROUTING,
    PROVIDER_CONFIG,
    SECRETS_STORE,
    SECRETS_STORE_SECRET,
)

GATEWAY = """
main:
  id: main-gw
  byokOnly: true
  providerKeys:
    - provider: openai
      key: {{secure: v1:AAAAciphertext}}
    - provider: anthropic
      key: {{secure: v1:BBBBciphertext}}
      rateLimit: {{limit: 100, period: 60}}
  routes:
    support:
      elements:
        - {{id: start, type: start, outputs: {{next: {{elementId: primary}}}}}}
        - id: primary
          type: model
          properties: {{provider: anthropic, model: claude-haiku-4-5, retries: 1, timeout: 30000}}
          outputs: {{success: {{elementId: end}}, fallback: {{elementId: backup}}}}
        - id: backup
          type: model
          properties: {{provider: {provider}, model: {model}, retries: 0, timeout: 30000}}
          outputs: {{success: {{elementId: end}}, fallback: {{elementId: end}}}}
        - {{id: end, type: end, outputs: {{}}}}
"""


def plan_json(tmp_path, provider: str, model: str) -> dict:
    copy_project_file(tmp_path)
    (tmp_path / "Pulumi.test.yaml").write_text(stack(textwrap.dedent(GATEWAY.format(provider=provider,
                                                                                    model=model))))
    result = aigw("plan", "test", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ciphertext" not in result.stdout
    return json.loads(result.stdout)["stacks"][0]


def test_the_plan_shows_the_store_the_secrets_the_provider_keys_and_the_route(tmp_path):
    plan = plan_json(tmp_path, "openai", "gpt-4o")
    by_type: dict[str, list[dict]] = {}
    for r in plan["resources"]:
        by_type.setdefault(r["type"], []).append(r)
    (store,) = by_type[SECRETS_STORE]
    assert store["props"]["name"] == "aigw-test"
    secrets = {r["props"]["name"]: r["props"] for r in by_type[SECRETS_STORE_SECRET]}
    assert sorted(secrets) == ["main-gw_anthropic_default", "main-gw_openai_default"]
    assert {s["value"] for s in secrets.values()} == {"[secret]"}
    configs = {r["props"]["providerSlug"]: r["props"] for r in by_type[PROVIDER_CONFIG]}
    assert configs["anthropic"]["rateLimit"] == 100 and "secret" not in configs["anthropic"]
    (route,) = by_type[AI_GATEWAY_DYNAMIC_ROUTING]
    assert route["props"]["name"] == "support"
    table = aigw("plan", "test", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    text = " ".join(table.stdout.split())
    assert "route dynamic/support of gateway main-gw: model anthropic/claude-haiku-4-5; fallback openai/gpt-4o" in text
    assert "secret main-gw_openai_default (scope ai_gateway): [secret]" in text
    assert "provider key of gateway main-gw: anthropic alias default (default), 100 per 60 s, from its secret" in text


def test_a_changed_fallback_reads_as_one_line(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    base = plan_json(tmp_path / "a", "openai", "gpt-4o")
    head = plan_json(tmp_path / "b", "anthropic", "claude-sonnet-4-5")
    changes = [c for c in diff_plans(base, head) if c.type == AI_GATEWAY_DYNAMIC_ROUTING]
    (change,) = changes
    assert change.action == "update" and change.reasons == []
    assert ("fallback", "openai/gpt-4o", "anthropic/claude-sonnet-4-5") in change.settings
    block = change_block(change)
    assert "fallback: `openai/gpt-4o` -> `anthropic/claude-sonnet-4-5`" in block
    assert "elementId" not in block and "aiGatewayDynamicRoutingProvider" not in block
