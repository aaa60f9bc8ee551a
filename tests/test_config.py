"""Config loading: the repo's own stacks, file-level errors, and parity between the two loaders.

`load_stack_file` reads Pulumi.yaml and Pulumi.<stack>.yaml from disk (offline: `aigw plan`);
`load_pulumi_config` reads what the Pulumi CLI hands the program at `pulumi up`. The CLI is
simulated in-process exactly as its Python language host starts a program
(`pulumi-language-python-exec`): `set_all_config(config, secret_keys)` with the values the
CLI passes (JSON-encoded objects, secure values decrypted, secret top-level keys listed),
then `configure(Settings(project, stack, root_directory))`.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest
from helpers.spec import REPO, Project, stack
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pydantic import BaseModel
from ruamel.yaml import YAML

from aigw.config import load_pulumi_config, load_stack_file
from aigw.spec import (
    DlpPoliciesSpec,
    RateLimitSpec,
    RetrySpec,
    Secret,
    SpecError,
    StackSpec,
)

STACKS = ("dev", "staging", "prod")
PROJECT = "ai-gateways"
STAGING_API_KEY = "aigw:gateways.support-bot.otel[0].headers.api-key"


def retry(max_attempts: int, delay_ms: int, backoff: str = "exponential") -> RetrySpec:
    return RetrySpec.model_validate({"maxAttempts": max_attempts, "delayMs": delay_ms, "backoff": backoff})


@pytest.fixture
def in_repo(monkeypatch) -> Path:
    """Run from the repo root, so files are named as a user there sees them (Pulumi.dev.yaml)."""
    monkeypatch.chdir(REPO)
    return REPO


@pytest.fixture
def project(tmp_path, monkeypatch) -> Project:
    monkeypatch.chdir(tmp_path)
    made = Project(tmp_path)
    made.project_file()
    return made


# --------------------------------------------------------------------------- the repo's stacks


def test_repo_stacks_load_with_ids_from_environment_and_name(in_repo):
    for name in STACKS:
        spec = load_stack_file(f"Pulumi.{name}.yaml")
        assert (spec.project, spec.stack, spec.environment, spec.source) == (PROJECT, name, name, f"Pulumi.{name}.yaml")
        assert [g.id for g in spec.gateways] == [
            f"{name}-batch-summariser", f"{name}-docs-search", f"{name}-support-bot"]
        assert [g.name for g in spec.gateways] == ["batch-summariser", "docs-search", "support-bot"]


def test_dev_effective_values(in_repo):
    spec = load_stack_file("Pulumi.dev.yaml")
    assert (spec.account_id, spec.production) == ("0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6", False)
    docs = spec.gateway("docs-search")
    assert docs.rate_limit == RateLimitSpec(limit=120, interval=60, technique="fixed")  # dev defaults
    assert (docs.cache.ttl, docs.cache.invalidate_on_update) == (3600, True)  # gateway < org
    assert (docs.logging.payloads, docs.logging.max_logs) == (True, 100_000)  # dev defaults
    assert (docs.logging.collect, docs.logging.on_full, docs.logging.classification) == (True, "deleteOldest", False)
    assert docs.retry == retry(2, 500)  # org defaults
    assert (docs.authentication, docs.zdr, docs.byok_only, docs.workers_ai_billing_mode) == (
        True, False, False, "postpaid")
    assert docs.protect is False
    batch = spec.gateway("batch-summariser")
    assert batch.rate_limit is None  # `rateLimit: null` turns the dev default off
    assert (batch.logging.max_logs, batch.logging.payloads) == (10_000, True)
    assert spec.gateway("support-bot").cache.ttl == 300
    assert all(g.dlp is None and g.guardrails is None and g.otel == [] for g in spec.gateways)


def test_staging_effective_values(in_repo):
    spec = load_stack_file("Pulumi.staging.yaml")
    assert (spec.account_id, spec.production) == ("0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6", False)
    assert [g.protect for g in spec.gateways] == [False, False, False]
    bot = spec.gateway("support-bot")
    assert bot.rate_limit == RateLimitSpec(limit=300, interval=60, technique="sliding")
    assert bot.logging.payloads is False and bot.logging.max_logs == 1_000_000
    assert bot.guardrails.prompt.set_categories() == {"P1": "FLAG", "S1": "FLAG"}
    assert bot.guardrails.response.set_categories() == {"S10": "FLAG"}
    [otel] = bot.otel
    assert (otel.url, otel.content_type, otel.authorization) == (
        "https://otlp.eu01.nr-data.net/v1/traces", "json", None)
    assert otel.headers == {"api-key": Secret(None)}  # offline: redacted, never the ciphertext
    batch = spec.gateway("batch-summariser")
    assert batch.rate_limit == RateLimitSpec(limit=1200, interval=60, technique="fixed")
    assert batch.retry == retry(5, 2000)


def test_prod_effective_values(in_repo):
    spec = load_stack_file("Pulumi.prod.yaml")
    assert (spec.account_id, spec.production) == ("9a8b7c6d5e4f30210f1e2d3c4b5a6978", True)
    assert [g.protect for g in spec.gateways] == [True, True, True]  # production: protected by default
    limits = {g.name: g.rate_limit for g in spec.gateways}
    assert limits == {
        "support-bot": RateLimitSpec(limit=600, interval=60, technique="sliding"),
        "docs-search": RateLimitSpec(limit=1200, interval=60, technique="sliding"),
        "batch-summariser": RateLimitSpec(limit=60, interval=60, technique="fixed"),
    }
    for gateway in spec.gateways:
        assert (gateway.logging.payloads, gateway.logging.max_logs, gateway.logging.on_full) == (
            False, 5_000_000, "deleteOldest")
        assert isinstance(gateway.dlp, DlpPoliciesSpec)
        assert [(p.id, p.action, p.check) for p in gateway.dlp.policies] == [
            ("pii-block", "BLOCK", ["REQUEST", "RESPONSE"])]
        assert gateway.guardrails.prompt.set_categories() == {"P1": "BLOCK", "S1": "BLOCK", "S4": "BLOCK", "S7": "FLAG"}
        assert gateway.guardrails.response.set_categories() == {"S4": "BLOCK", "S10": "BLOCK", "S11": "BLOCK"}
    rules = {g.name: [(r.limit, r.window, r.technique, r.models) for r in g.spend_limits.rules] for g in spec.gateways}
    assert rules == {
        "support-bot": [(250.0, 86400, "sliding", None)],
        "docs-search": [(250.0, 86400, "sliding", None)],
        # a list replaces the default list, it is not appended to it
        "batch-summariser": [(500.0, 86400, "fixed", ["gpt-4.1-mini"])],
    }


# --------------------------------------------------------------------------- file-level errors


def test_errors_in_org_defaults_are_attributed_to_pulumi_yaml(project):
    text = (REPO / "Pulumi.yaml").read_text()
    text = text.replace("        maxAttempts: 2\n", "        maxAttempts: 7\n")
    text = text.replace("        onFull: deleteOldest\n", "        onFull: keepAll\n")
    project.project_file(text)
    lines = text.splitlines()
    on_full, max_attempts = lines.index("        onFull: keepAll") + 1, lines.index("        maxAttempts: 7") + 1
    assert project.errors(stack("a: {}\n")) == [
        f"Pulumi.yaml:{on_full}: aigw:defaults.logging.onFull: 'keepAll': allowed: deleteOldest or stopInserting",
        f"Pulumi.yaml:{max_attempts}: aigw:defaults.retry.maxAttempts: 7: allowed: 1..5",
    ]


def test_unknown_project_key_is_attributed_to_pulumi_yaml(project):
    project.project_file("""\
        name: ai-gateways
        runtime: python
        config:
          aigw:gateways:
            value: {}
        """)
    assert project.errors(stack("a: {}\n")) == [
        "Pulumi.yaml:4: aigw:gateways: {}: unknown project key; allowed: aigw:defaults, "
        "aigw:productionEnvironments, aigw:maxTokenDays",
    ]


def test_invalid_yaml_in_a_stack_file_names_file_and_line(project):
    text = stack("a: {cache: {ttl: 1}\nb: {}\n")
    assert project.errors(text) == [
        "Pulumi.test.yaml:6: (yaml): 'invalid YAML': did not find expected ',' or '}'",
    ]


def test_invalid_yaml_in_pulumi_yaml_names_file_and_line(project):
    project.project_file("name: ai-gateways\nconfig:\n\taigw:defaults: {}\n")
    assert project.errors(stack("a: {}\n")) == [
        "Pulumi.yaml:3: (yaml): 'invalid YAML': found character that cannot start any token",
    ]


def test_a_stack_file_must_be_named_pulumi_stack_yaml(project):
    path = project.root / "dev.yaml"
    path.write_text(stack("a: {}\n"))
    with pytest.raises(SpecError) as info:
        load_stack_file(path)
    assert str(info.value) == f"{path}: (file name): 'dev.yaml': a stack file is named Pulumi.<stack>.yaml"


# --------------------------------------------------------------------------- under the Pulumi CLI


def _decrypt(node: Any, path: str, found: list[str]) -> Any:
    """`{secure: ...}` -> the plaintext the CLI would pass (recorded in ``found``)."""
    if isinstance(node, Mapping):
        if set(node) == {"secure"}:
            found.append(path)
            return f"plaintext of {path}"
        return {str(k): _decrypt(v, f"{path}.{k}", found) for k, v in node.items()}
    if isinstance(node, list):
        return [_decrypt(v, f"{path}[{i}]", found) for i, v in enumerate(node)]
    return node


def _go_json(value: Any) -> str:
    """JSON as the CLI's Go code writes it: sorted keys, integral floats without `.0`."""
    def go(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, (datetime.date, datetime.datetime)):
            # An unquoted YAML date; whichever way the CLI renders it, the spec takes its date.
            return v.isoformat()
        if isinstance(v, Mapping):
            return {k: go(x) for k, x in v.items()}
        if isinstance(v, list):
            return [go(x) for x in v]
        return v
    return json.dumps(go(value), sort_keys=True, separators=(",", ":"))


def cli_config(project_dir: Path, stack_name: str) -> tuple[dict[str, str], list[str]]:
    """The config map and secret keys the Pulumi CLI passes for ``stack_name``.

    Project config (Pulumi.yaml `value:`) is the base; a stack key replaces it wholesale.
    Objects are JSON strings, plain strings stay as they are, secure values are decrypted
    and their top-level key is listed as secret.
    """
    yaml = YAML(typ="safe")
    project_doc = yaml.load((project_dir / "Pulumi.yaml").read_text())
    stack_doc = yaml.load((project_dir / f"Pulumi.{stack_name}.yaml").read_text()) or {}
    values: dict[str, Any] = {}
    for key, value in (project_doc.get("config") or {}).items():
        values[key] = value["value"] if isinstance(value, Mapping) and "value" in value else value
    values.update(stack_doc.get("config") or {})
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in values.items():
        found: list[str] = []
        plain = _decrypt(value, key, found)
        if found:
            secret_keys.append(key)
        config[key] = plain if isinstance(plain, str) else _go_json(plain)
    return config, secret_keys


@dataclasses.dataclass
class PulumiCli:
    """Runs load_pulumi_config as the CLI's language host would, in a copy of the current
    context: Pulumi's runtime config and settings are context variables, so nothing set
    here outlives the call."""

    def run(self, config: Mapping[str, str], secret_keys: list[str], *, stack_name: str, root: Path,
            project: str = PROJECT) -> StackSpec:
        def start() -> StackSpec:
            pulumi.runtime.set_all_config(dict(config), list(secret_keys))
            runtime_settings.configure(runtime_settings.Settings(
                project=project, stack=stack_name, root_directory=str(root)))
            return load_pulumi_config()
        return contextvars.copy_context().run(start)


@pytest.fixture
def pulumi_cli(monkeypatch) -> PulumiCli:
    # The language host reads these; a developer's shell must not leak config into the test.
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_SECRET_KEYS", raising=False)
    return PulumiCli()


SECRET = "<secret>"


def comparable(value: Any) -> Any:
    """The spec as plain data with every Secret replaced by a marker: offline secrets are
    Secret(None), under the CLI Secret(plaintext); they compare by presence."""
    if isinstance(value, Secret):
        return SECRET
    if isinstance(value, BaseModel):
        return {"(model)": type(value).__name__, **{n: comparable(getattr(value, n)) for n in type(value).model_fields}}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: comparable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [comparable(v) for v in value]
    return value


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of the spec with its path (Secrets are leaves)."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from leaves(getattr(value, name), f"{path}.{name}")
    elif dataclasses.is_dataclass(value) and not isinstance(value, (type, Secret)):
        for f in dataclasses.fields(value):
            yield from leaves(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from leaves(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from leaves(v, f"{path}[{i}]")
    else:
        yield path, value


def secrets_of(spec: StackSpec) -> dict[str, Secret]:
    return {path: value for path, value in leaves(spec) if isinstance(value, Secret)}


@pytest.mark.parametrize("stack_name", STACKS)
def test_cli_spec_equals_offline_spec(in_repo, pulumi_cli, stack_name):
    config, secret_keys = cli_config(REPO, stack_name)
    under_cli = pulumi_cli.run(config, secret_keys, stack_name=stack_name, root=REPO)
    offline = load_stack_file(f"Pulumi.{stack_name}.yaml")
    assert comparable(under_cli) == comparable(offline)
    cli_secrets, offline_secrets = secrets_of(under_cli), secrets_of(offline)
    assert cli_secrets.keys() == offline_secrets.keys()
    assert all(s.value is None for s in offline_secrets.values())
    assert all(s.value is not None for s in cli_secrets.values())


def test_cli_keeps_deep_merging_org_defaults_when_the_stack_sets_its_own(in_repo, pulumi_cli):
    config, secret_keys = cli_config(REPO, "dev")
    # Pulumi hands the program only the stack's aigw:defaults (it replaces the project's)...
    assert "retry" not in json.loads(config["aigw:defaults"])
    spec = pulumi_cli.run(config, secret_keys, stack_name="dev", root=REPO)
    # ...and the org defaults still apply, read from Pulumi.yaml.
    assert spec.gateway("docs-search").retry == retry(2, 500)
    assert spec.gateway("docs-search").logging.max_logs == 100_000


def test_cli_credential_is_held_in_a_secret_never_a_plain_string(in_repo, pulumi_cli):
    config, secret_keys = cli_config(REPO, "staging")
    assert secret_keys == ["aigw:gateways"]
    plaintext = f"plaintext of {STAGING_API_KEY}"
    assert plaintext in config["aigw:gateways"]  # what the CLI passes: decrypted JSON
    spec = pulumi_cli.run(config, secret_keys, stack_name="staging", root=REPO)
    api_key = spec.gateway("support-bot").otel[0].headers["api-key"]
    assert isinstance(api_key, Secret) and api_key.value == plaintext
    assert [path for path, value in leaves(spec) if isinstance(value, str) and plaintext in value] == []
    assert plaintext not in repr(spec) and plaintext not in str(spec)


def test_cli_plaintext_credential_is_wrapped_when_its_key_is_secret(tmp_path, pulumi_cli):
    # `pulumi config set --secret --path` on one header makes the whole aigw:gateways secret, so
    # a plaintext credential beside it arrives indistinguishable: it is kept as a Secret (the
    # offline check, aigw plan/check, refuses it in the file).
    (tmp_path / "Pulumi.yaml").write_text("name: ai-gateways\nruntime: python\n")
    gateways = {"a": {"otel": [{"url": "https://otlp.example/v1/traces",
                                "headers": {"api-key": "decrypted-key", "x-api-key": "plain-key"}}]}}
    config = {"aigw:accountId": "0123456789abcdef0123456789abcdef", "aigw:environment": "dev",
              "aigw:gateways": _go_json(gateways)}
    spec = pulumi_cli.run(config, ["aigw:gateways"], stack_name="dev", root=tmp_path)
    assert spec.gateway("a").otel[0].headers == {"api-key": Secret("decrypted-key"), "x-api-key": Secret("plain-key")}


def test_cli_plaintext_credential_without_secrets_is_refused_and_not_echoed(tmp_path, monkeypatch, pulumi_cli):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Pulumi.yaml").write_text("name: ai-gateways\nruntime: python\n")
    gateways = {"a": {"otel": [{"url": "https://otlp.example/v1/traces", "authorization": "Bearer sk-live-123"}]}}
    config = {"aigw:accountId": "0123456789abcdef0123456789abcdef", "aigw:environment": "dev",
              "aigw:gateways": _go_json(gateways)}
    with pytest.raises(SpecError) as info:
        pulumi_cli.run(config, [], stack_name="dev", root=tmp_path)
    assert str(info.value) == (
        "Pulumi.dev.yaml: aigw:gateways.a.otel[0].authorization: [secret]: a credential must be stored as a "
        "secret, not in plain text; set it with "
        "`pulumi config set --secret --path 'aigw:gateways.a.otel[0].authorization' <value>`"
    )
    assert "sk-live-123" not in repr(info.value.problems)


def test_cli_secret_in_a_field_that_is_not_a_credential_is_refused(tmp_path, monkeypatch, pulumi_cli):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Pulumi.yaml").write_text("name: ai-gateways\nruntime: python\n")
    config = {"aigw:accountId": "0123456789abcdef0123456789abcdef", "aigw:environment": "dev"}
    with pytest.raises(SpecError) as info:
        pulumi_cli.run(config, ["aigw:accountId"], stack_name="dev", root=tmp_path)
    assert str(info.value) == (
        "Pulumi.dev.yaml: aigw:accountId: [secret]: a secret is accepted only for credentials (OTel "
        "authorization and credential headers, Stripe authorization, Logpush destination and R2 keys, Worker "
        "secrets, provider keys); this value is not one, set it in plain text"
    )
    assert "0123456789abcdef" not in str(info.value)


def test_cli_simulation_leaves_the_runtime_as_it_was(in_repo, pulumi_cli):
    before = (pulumi.get_project(), pulumi.get_stack(), pulumi.get_root_directory(), dict(runtime_config.CONFIG.get()))
    config, secret_keys = cli_config(REPO, "staging")
    assert pulumi_cli.run(config, secret_keys, stack_name="staging", root=REPO).stack == "staging"
    after = (pulumi.get_project(), pulumi.get_stack(), pulumi.get_root_directory(), dict(runtime_config.CONFIG.get()))
    assert after == before
    assert not runtime_config.is_config_secret("aigw:gateways")


def test_go_json_matches_what_the_cli_passes():
    # A guard on the simulation itself: YAML `250.0` reaches the program as JSON `250`.
    assert _go_json({"b": [250.0, 1.5], "a": True, "c": None}) == '{"a":true,"b":[250,1.5],"c":null}'


def test_cli_refuses_authentication_false_as_offline(tmp_path, monkeypatch, pulumi_cli):
    # Under `pulumi up` too: new gateways require authentication (AI Gateway changelog 2026-11-03).
    from aigw.spec import AUTHENTICATION_FALSE

    monkeypatch.chdir(tmp_path)
    (tmp_path / "Pulumi.yaml").write_text("name: ai-gateways\nruntime: python\n")
    config = {"aigw:accountId": "0123456789abcdef0123456789abcdef", "aigw:environment": "dev",
              "aigw:gateways": _go_json({"a": {"authentication": False}, "b": {"authentication": "imported-off"}})}
    with pytest.raises(SpecError) as info:
        pulumi_cli.run(config, [], stack_name="dev", root=tmp_path)
    assert str(info.value) == f"Pulumi.dev.yaml: aigw:gateways.a.authentication: false: {AUTHENTICATION_FALSE}"
    config["aigw:gateways"] = _go_json({"b": {"authentication": "imported-off"}})
    spec = pulumi_cli.run(config, [], stack_name="dev", root=tmp_path)
    assert spec.gateway("b").authentication is False and spec.gateway("b").imported_without_authentication
