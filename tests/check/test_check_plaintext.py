"""`aigw check` reports every credential written in plain text, with its file:line, exactly as `aigw plan`
refuses it: also one beside a `secure:` value in the same list or mapping (where the offline plan sees a
whole secret), credentials inside URLs, and the provider's own `cloudflare:*` credentials."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.check import aigw, check, gateway, make_project

SECURE = {"secure": "v1:placeholderCiphertext"}
# Distinctive plain-text credentials: none of them may ever be printed.
PLAIN = {
    "r2-id": "plain-r2-access-key-id-0001",
    "r2-key": "plain-r2-secret-access-key-0002",
    "conf": "s3://logs/ai?region=us-east-1&access-key-id=AKIAPLAIN0003&secret-access-key=plainsecret0003",
    "dd": "plain-datadog-key-0004",
    "otel2": "Bearer plain-second-otel-0005",
    "worker": "plain-worker-secret-0006",
    "token": "plain-cloudflare-api-token-0007",
    "userinfo": "plainpassword0008",
    "query": "plainquerykey0009",
}
TEAM_WORKER = "export default { async fetch() { return new Response('ok'); } };\n"


def _r2_plain(config: dict[str, Any]) -> None:
    r2 = config["aigw:logpush"]["destination"]["r2"]
    r2["accessKeyId"], r2["secretAccessKey"] = PLAIN["r2-id"], PLAIN["r2-key"]


def _conf_plain(config: dict[str, Any]) -> None:
    config["aigw:logpush"]["destination"] = {"conf": PLAIN["conf"]}


def _header_beside_secure(config: dict[str, Any]) -> None:
    gateway(config, "docs-search")["otel"] = [{"url": "https://otlp.example.net/v1/traces",
                                               "headers": {"api-key": SECURE, "dd-api-key": PLAIN["dd"]}}]


def _second_otel(config: dict[str, Any]) -> None:
    gateway(config, "docs-search")["otel"] = [
        {"url": "https://otlp.example.net/v1/traces", "authorization": SECURE},
        {"url": "https://otlp.example.org/v1/traces", "authorization": PLAIN["otel2"]},
    ]


def _second_worker_secret(config: dict[str, Any]) -> None:
    config["aigw:workers"] = {"nightly": {
        "module": "team/nightly.mjs", "gateway": "batch-summariser", "compatibilityDate": "2026-11-01",
        "secrets": {"VENDOR_KEY": SECURE, "OTHER_KEY": PLAIN["worker"]}}}


def _plain_api_token(config: dict[str, Any]) -> None:
    config["cloudflare:apiToken"] = PLAIN["token"]


def _otel_url_userinfo(config: dict[str, Any]) -> None:
    gateway(config, "docs-search")["otel"] = [
        {"url": f"https://team:{PLAIN['userinfo']}@otlp.example.net/v1/traces", "authorization": SECURE}]


def _otel_url_query(config: dict[str, Any]) -> None:
    gateway(config, "docs-search")["otel"] = [
        {"url": f"https://otlp.example.net/v1/traces?api_key={PLAIN['query']}", "authorization": SECURE}]


# case -> (edit, the key paths `aigw plan` refuses, each reported by `aigw check`)
CASES: dict[str, tuple[Callable[[dict[str, Any]], None], list[str]]] = {
    "plain R2 keys": (_r2_plain, ["aigw:logpush.destination.r2.accessKeyId",
                                  "aigw:logpush.destination.r2.secretAccessKey"]),
    "plain destination conf": (_conf_plain, ["aigw:logpush.destination.conf"]),
    "plain header beside a secure one": (_header_beside_secure,
                                         ["aigw:gateways.docs-search.otel[0].headers.dd-api-key"]),
    "plain second OTel authorization": (_second_otel, ["aigw:gateways.docs-search.otel[1].authorization"]),
    "plain second Worker secret": (_second_worker_secret, ["aigw:workers.nightly.secrets.OTHER_KEY"]),
    "plain cloudflare:apiToken": (_plain_api_token, ["cloudflare:apiToken"]),
    "password in an OTel url": (_otel_url_userinfo, ["aigw:gateways.docs-search.otel[0].url"]),
    "api_key in an OTel url": (_otel_url_query, ["aigw:gateways.docs-search.otel[0].url"]),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request, tmp_path_factory) -> tuple[Path, list[str]]:
    edit, paths = CASES[request.param]
    root = tmp_path_factory.mktemp("plaintext")
    (root / "team").mkdir()
    (root / "team" / "nightly.mjs").write_text(TEAM_WORKER)
    return make_project(root, edit), paths


def _refusals(stack_file: Path) -> list[str]:
    proc = aigw("plan", str(stack_file))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return [line.removeprefix("aigw: ") for line in proc.stderr.strip().splitlines()]


def _line_of(stack_file: Path, needle: str) -> int:
    (number,) = [n for n, line in enumerate(stack_file.read_text().splitlines(), 1) if needle in line]
    return number


def test_plan_refuses_each_plaintext_credential_naming_file_line_and_key_path(case):
    stack_file, paths = case
    refusals = _refusals(stack_file)
    assert [next((p for p in paths if f": {p}: " in r), r) for r in refusals] == paths, refusals
    for refusal in refusals:
        assert refusal.startswith(f"{stack_file}:"), refusal
        assert "a credential must be stored as a secret" in refusal
        assert not any(value in refusal for value in PLAIN.values()), refusal


def test_check_reports_each_plaintext_credential_exactly_as_plan_refuses_it(case):
    stack_file, paths = case
    refusals = _refusals(stack_file)
    proc = check(str(stack_file), "--format", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (stack,) = json.loads(proc.stdout)["stacks"]
    messages = [f["message"] for f in stack["findings"]
                if f["policy"] == "secrets-not-plaintext" and f["level"] == "mandatory"]
    assert sorted(messages) == sorted(refusals)
    assert not any(value in proc.stdout + proc.stderr for value in PLAIN.values())


def test_check_text_and_github_formats_point_at_the_credential_line(tmp_path: Path):
    root = tmp_path
    stack_file = make_project(root, _header_beside_secure)
    line = _line_of(stack_file, "dd-api-key:")
    text = check(str(stack_file))
    assert text.returncode == 1
    assert f"{stack_file}:{line}: aigw:gateways.docs-search.otel[0].headers.dd-api-key: [secret]" in text.stdout
    github = check(str(stack_file), "--format", "github")
    (command,) = [c for c in github.stdout.splitlines() if "secrets-not-plaintext" in c]
    assert command.startswith("::error file=") and f",line={line}," in command
    sarif = json.loads(check(str(stack_file), "--format", "sarif").stdout)
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "secrets-not-plaintext"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == line
    assert PLAIN["dd"] not in text.stdout + github.stdout + json.dumps(sarif)


def test_a_secure_cloudflare_api_token_is_fine(tmp_path: Path):
    stack_file = make_project(tmp_path, lambda config: config.update({"cloudflare:apiToken": SECURE}))
    assert aigw("plan", str(stack_file)).returncode == 0
    proc = check(str(stack_file), "--format", "json")
    assert [f for s in json.loads(proc.stdout)["stacks"] for f in s["findings"]
            if f["policy"] == "secrets-not-plaintext"] == []


@pytest.mark.parametrize("command", ["plan", "check"])
def test_an_unknown_cloudflare_key_is_an_input_error_naming_the_known_ones(tmp_path: Path, command: str):
    stack_file = make_project(tmp_path, lambda config: config.update({"cloudflare:apiTokn": SECURE}))
    line = _line_of(stack_file, "cloudflare:apiTokn")
    proc = aigw(command, str(stack_file))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"aigw: {stack_file}:{line}: cloudflare:apiTokn: [secret]: unknown key of the Cloudflare provider "
        "(pulumi-cloudflare 6.23.1); allowed: cloudflare:apiKey, cloudflare:apiToken, "
        "cloudflare:apiUserServiceKey, cloudflare:baseUrl, cloudflare:email, cloudflare:userAgentOperatorSuffix"]


def test_plain_provider_settings_that_are_not_credentials_are_fine(tmp_path: Path):
    stack_file = make_project(tmp_path, lambda config: config.update({
        "cloudflare:apiToken": SECURE, "cloudflare:userAgentOperatorSuffix": "acme-platform"}))
    assert aigw("plan", str(stack_file)).returncode == 0
    assert yaml.safe_load(stack_file.read_text())["config"]["cloudflare:userAgentOperatorSuffix"] == "acme-platform"
