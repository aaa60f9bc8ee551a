"""`aigw check --policy-config FILE`: levels and properties take effect; bad files exit 2 with one
line per problem naming the file, the key path, the value and what is allowed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from helpers.check import ACCOUNT_TOKEN, AI_GATEWAY, API_TOKEN, check, findings, gateway, make_project

from aigw.check.config import PolicyConfigError, settings_from
from aigw_policy import RULES
from aigw_policy.engine import STACK_TYPE

OTEL_HOST = "otlp.example.net"


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory) -> Path:
    """The prod stack with one advisory finding (cache TTL) and one mandatory (OTel export) by default."""
    root = tmp_path_factory.mktemp("policy-config")

    def edit(config):
        # Starting in the future, a token's lifetime is its expiresInDays whatever the day the tests run.
        start = dt.date.today() + dt.timedelta(days=30)
        for token in config["aigw:tokens"].values():
            token["validFrom"] = start
        docs = gateway(config, "docs-search")
        docs["cache"] = {"ttl": 172800}
        docs["otel"] = [{"url": f"https://{OTEL_HOST}/v1/traces",
                         "authorization": {"secure": "v1:placeholderOtelAuthorizationCiphertext"}}]

    make_project(root, edit)
    return root


def run(project_dir: Path, config: object | None = None):
    args = ["Pulumi.prod.yaml", "--format", "json"]
    if config is not None:
        (project_dir / "policy.json").write_text(json.dumps(config))
        args += ["--policy-config", "policy.json"]
    return check(*args, cwd=project_dir)


def test_without_a_config_the_default_levels_apply(project_dir: Path):
    proc = run(project_dir)
    assert proc.returncode == 1, proc.stderr
    assert findings(proc.stdout) == [
        ("prod", "production-no-payload-export", "mandatory", AI_GATEWAY, "docs-search"),
        ("prod", "cache-ttl-bounded", "advisory", AI_GATEWAY, "docs-search"),
    ]


def test_disabled_rules_report_nothing_and_raised_advisories_fail(project_dir: Path):
    proc = run(project_dir, {"production-no-payload-export": "disabled",
                         "cache-ttl-bounded": {"enforcementLevel": "mandatory"}})
    assert proc.returncode == 1, proc.stderr
    # Disabling a mandatory rule in production is itself a finding (a waiver is the only relaxation there).
    assert findings(proc.stdout) == [("prod", "cache-ttl-bounded", "mandatory", AI_GATEWAY, "docs-search"),
                                     ("prod", "relaxations-waived", "mandatory", STACK_TYPE, "prod")]


def test_all_advisory_makes_mandatory_findings_advisory(project_dir: Path):
    proc = run(project_dir, {"all": "advisory"})
    # ... and, in production, each mandatory rule so lowered is a mandatory finding of relaxations-waived,
    # which "all" does not lower.
    assert proc.returncode == 1, proc.stderr
    mandatory_rules = [rule.id for rule in RULES if rule.level == "mandatory" and rule.id != "relaxations-waived"]
    assert findings(proc.stdout) == [("prod", "relaxations-waived", "mandatory", STACK_TYPE, "prod")] * len(
        mandatory_rules) + [
        ("prod", "cache-ttl-bounded", "advisory", AI_GATEWAY, "docs-search"),
        ("prod", "production-no-payload-export", "advisory", AI_GATEWAY, "docs-search"),
    ]
    guard = [f["message"] for f in json.loads(proc.stdout)["stacks"][0]["findings"]
             if f["policy"] == "relaxations-waived"]
    assert [m.split(" to ")[0].removeprefix("the policy config sets ") for m in guard] == sorted(mandatory_rules)
    assert json.loads(proc.stdout)["summary"]["passed"] is False


def test_properties_take_effect(project_dir: Path):
    proc = run(project_dir, {
        "cache-ttl-bounded": {"maxCacheTtl": 500},
        "production-no-payload-export": {"allowedOtelHosts": [OTEL_HOST]},
        "gateway-id-naming": {"gatewayIdPattern": "{environment}-(support|docs)-[a-z-]+"},
        "tokens-least-privilege": {"maxTokenDays": 60},
    })
    assert proc.returncode == 1, proc.stderr
    assert findings(proc.stdout) == [
        ("prod", "tokens-least-privilege", "mandatory", API_TOKEN, "edge-run"),  # 90 days; the others 30
        ("prod", "tokens-least-privilege", "mandatory", ACCOUNT_TOKEN, "edge-run"),
        ("prod", "cache-ttl-bounded", "advisory", AI_GATEWAY, "docs-search"),
        ("prod", "cache-ttl-bounded", "advisory", AI_GATEWAY, "support-bot"),  # 600 s
        ("prod", "gateway-id-naming", "advisory", AI_GATEWAY, "batch-summariser"),
    ]
    messages = {(f["policy"], f["resource"]["name"]): f["message"]
                for f in json.loads(proc.stdout)["stacks"][0]["findings"]}
    assert "valid for 90 days" in messages["tokens-least-privilege", "edge-run"]
    assert "more than maxTokenDays (60)" in messages["tokens-least-privilege", "edge-run"]
    assert "caches responses for 600 s, more than maxCacheTtl (500 s)" in messages["cache-ttl-bounded", "support-bot"]
    assert "'prod-(support|docs)-[a-z-]+'" in messages["gateway-id-naming", "batch-summariser"]


# --- invalid config files: exit 2, before any stack is planned -----------------------------------


RULE_IDS = ", ".join(rule.id for rule in RULES)
LEVELS = "advisory, mandatory, remediate, disabled"

INVALID = {
    "unknown-policy": ('{"cache-ttl-boundd": "advisory"}',
                       [f"policy.json: cache-ttl-boundd: unknown policy; policies: {RULE_IDS}"]),
    "bad-level": ('{"cache-ttl-bounded": "warn"}', [f'policy.json: cache-ttl-bounded: "warn": allowed: {LEVELS}']),
    "bad-level-in-object": ('{"all": {"enforcementLevel": "off"}}',
                            [f'policy.json: all.enforcementLevel: "off": allowed: {LEVELS}']),
    "wrong-type": ('{"cache-ttl-bounded": {"maxCacheTtl": "1d"}}',
                   ["policy.json: cache-ttl-bounded.maxCacheTtl: \"1d\": '1d' is not of type 'integer'"]),
    "below-minimum": ('{"tokens-least-privilege": {"maxTokenDays": 0}}',
                      ["policy.json: tokens-least-privilege.maxTokenDays: 0: 0 is less than the minimum of 1"]),
    "unknown-property": ('{"cache-ttl-bounded": {"maxCacheTTL": 60}}',
                         ["policy.json: cache-ttl-bounded.maxCacheTTL: 60: unknown property; "
                          "allowed: enforcementLevel, productionEnvironments, waivers, maxCacheTtl"]),
    "not-json": ('{\n  "cache-ttl-bounded": advisory\n}\n', ["policy.json:2: not valid JSON: Expecting value"]),
    "not-an-object": ('["cache-ttl-bounded"]',
                      ['policy.json: ["cache-ttl-bounded"]: a policy config is a JSON object keyed by policy id']),
    "several": ('{"nope": "advisory", "gateway-id-naming": {"gatewayIdPattern": 7}}', [
        f"policy.json: nope: unknown policy; policies: {RULE_IDS}",
        "policy.json: gateway-id-naming.gatewayIdPattern: 7: 7 is not of type 'string'",
    ]),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_an_invalid_config_exits_2_with_one_line_per_problem(tmp_path: Path, case: str):
    text, expected = INVALID[case]
    (tmp_path / "policy.json").write_text(text)
    # A stack that does not exist: the config is read (and refused) before any stack is looked at.
    proc = check("nostack", "--policy-config", "policy.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [f"aigw: {line}" for line in expected]


def test_a_missing_config_file_exits_2(tmp_path: Path):
    proc = check("nostack", "--policy-config", "missing.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["aigw: missing.json: cannot read the policy config: No such file or directory"]


def test_a_config_file_that_is_not_text_exits_2(tmp_path: Path):
    (tmp_path / "policy.json").write_bytes(b"\xff\xfe{}")
    proc = check("nostack", "--policy-config", "policy.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("aigw: policy.json")


# --- resolution, in process ------------------------------------------------------------------------


def test_defaults_are_each_rules_own_level_and_properties():
    settings = settings_from({}, "(defaults)")
    assert list(settings) == [rule.id for rule in RULES]
    for rule in RULES:
        assert settings[rule.id] == (rule.level, rule.defaults())
    assert settings["cache-ttl-bounded"] == ("advisory", {"productionEnvironments": ["prod", "production"],
                                                          "waivers": [], "maxCacheTtl": 86400})


def test_a_policys_own_level_wins_over_all():
    settings = settings_from({"all": "disabled", "cache-ttl-bounded": {"maxCacheTtl": 60},
                              "no-default-gateway": "advisory", "tokens-least-privilege": "remediate"}, "x.json")
    assert settings["no-default-gateway"][0] == "advisory"
    assert settings["tokens-least-privilege"][0] == "remediate"
    assert settings["cache-ttl-bounded"] == ("disabled", {"productionEnvironments": ["prod", "production"],
                                                         "waivers": [], "maxCacheTtl": 60}), \
        "properties alone keep the all level"
    assert settings["production-rate-limited"][0] == "disabled"
    assert settings["relaxations-waived"][0] == "mandatory", "all does not switch off the rule that reports it"


def test_all_takes_only_a_level():
    with pytest.raises(PolicyConfigError) as info:
        settings_from({"all": {"enforcementLevel": "advisory", "maxCacheTtl": 5}}, "x.json")
    assert info.value.lines == ['x.json: all: ["maxCacheTtl"]: "all" takes only an enforcement level']


def test_an_invalid_gateway_id_pattern_is_a_config_error():
    with pytest.raises(PolicyConfigError) as info:
        settings_from({"gateway-id-naming": {"gatewayIdPattern": "(["}}, "x.json")
    assert info.value.lines[0].startswith('x.json: gateway-id-naming.gatewayIdPattern: "([": ')
