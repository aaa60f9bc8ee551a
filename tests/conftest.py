"""Shared fixtures: stack specs from small dicts, and the program under Pulumi mocks.

Pulumi's runtime is global to the process, so the `engine` fixture installs fresh mocks for
every test (never at import) and records every registration the way the engine would see it:
inputs in camelCase with secrets in their wire form, plus the resource options (protect,
additional secret outputs, parent). Tests assert on those records after `engine.wait()`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
from helpers.plan_server import PLAN_SERVER_ENV, stop_suite_server, suite_server
from jsonschema import Draft4Validator
from jsonschema.validators import validator_for
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from aigw.plan.engine import RecordingEngine
from aigw.spec import RawConfig, StackSpec, build_stack_spec

# Token expiry is judged by AIGW_TODAY (aigw_policy.engine.review_date) in aigw check, aigw diff and the
# pack; every test, and every aigw subprocess a test starts (they inherit the environment), reviews as
# of this day, so no test depends on the clock. The repo's tokens are valid 2026-11-23..2026-12-23.
REVIEW_DATE = "2026-12-01"
os.environ["AIGW_TODAY"] = REVIEW_DATE

PROJECT = "ai-gateways"
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"
GATEWAY_COMPONENT = "aigw:index:Gateway"
# Pulumi's wire form of a secret (sdk/python/lib/pulumi/runtime/rpc.py): {SIG_KEY: SECRET_SIG, "value": v}.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(SIG_KEY) == SECRET_SIG


def unsecret(value: Any) -> Any:
    """The value inside a wire-form secret (recursively); anything else unchanged."""
    if is_secret(value):
        return unsecret(value["value"])
    if isinstance(value, Mapping):
        return {k: unsecret(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unsecret(v) for v in value]
    return value


def make_stack_spec(
    gateways: Mapping[str, Any],
    environment: str = "prod",
    *,
    defaults: Mapping[str, Any] | None = None,
    project_config: Mapping[str, Any] | None = None,
    **stack_keys: Any,
) -> StackSpec:
    """A validated StackSpec from small dicts written as in a stack file (camelCase keys)."""
    stack_config: dict[str, Any] = {"accountId": ACCOUNT_ID, "environment": environment,
                                    "gateways": dict(gateways), **stack_keys}
    if defaults is not None:
        stack_config["defaults"] = dict(defaults)
    return build_stack_spec(RawConfig(
        project=PROJECT, stack=environment, project_file="Pulumi.yaml",
        stack_file=f"Pulumi.{environment}.yaml", project_config=dict(project_config or {}),
        stack_config=stack_config,
    ))


@dataclass
class Registration:
    """One RegisterResource call as the engine receives it."""

    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    protect: bool = False
    additional_secret_outputs: list[str] = field(default_factory=list)
    parent: str = ""
    urn: str = ""


class MockedEngine:
    """Fresh Pulumi mocks that record registrations; `reset()` starts over (one program run)."""

    def __init__(self, project: str = PROJECT, stack: str = "test"):
        self.project = project
        self.stack = stack
        self.registrations: list[Registration] = []

    def reset(self, stack: str | None = None) -> None:
        self.stack = stack or self.stack
        # The plan's own engine (aigw/plan/engine.py), without the plan's offline outputs: a test sees
        # exactly the inputs the program registered.
        self.registrations = []
        registrations = self.registrations

        def record(entry: dict[str, Any]) -> None:
            options = entry["options"]
            registrations.append(Registration(
                entry["type"], entry["name"], entry["custom"], dict(entry["props"]),
                protect=options.get("protect", False),
                additional_secret_outputs=options.get("additionalSecretOutputs", []),
                parent=options.get("parent", ""), urn=options.get("urn", "")))

        recorder = RecordingEngine(record=record)
        # A new root Stack per run, so exports of one test never leak into another.
        pulumi_settings.ROOT.set(None)
        recorder.install(self.project, self.stack)

    def wait(self) -> None:
        """Block until every outstanding registration has reached the mocks."""
        _sync_await(wait_for_rpcs())

    def run(self, program: Callable[[], Any], stack: str | None = None) -> Any:
        """Reset, run `program`, wait for its registrations; returns what the program returned."""
        self.reset(stack)
        result = program()
        self.wait()
        return result

    def of_type(self, typ: str) -> dict[str, Registration]:
        found = {r.name: r for r in self.registrations if r.type == typ}
        assert len(found) == sum(r.type == typ for r in self.registrations), f"duplicate {typ} names"
        return found

    def ai_gateways(self) -> dict[str, Registration]:
        return self.of_type(AI_GATEWAY)

    def stack_outputs(self) -> dict[str, Any]:
        """What `pulumi.export` put on this run's root stack, resolved."""
        root = pulumi_settings.get_root_resource()
        assert root is not None
        return {k: self.resolve(v) for k, v in root.outputs.items()}  # type: ignore[attr-defined]

    @staticmethod
    def resolve(value: Any) -> Any:
        """The plain value of an Output (or of a plain value)."""
        return _sync_await(pulumi.Output.from_input(value).future())


@pytest.fixture
def engine() -> MockedEngine:
    mocked = MockedEngine()
    mocked.reset()
    return mocked


@pytest.fixture
def stack_spec() -> Callable[..., StackSpec]:
    return make_stack_spec


@pytest.fixture
def dependencies(engine) -> dict[tuple[str, str], list[str]]:
    """(type, name) -> the URNs each registration depends on, as sent to the engine."""
    recorded: dict[tuple[str, str], list[str]] = {}
    monitor = pulumi_settings.get_monitor()
    register = monitor.RegisterResource

    def recording(request):
        recorded[(request.type, request.name)] = list(request.dependencies)
        return register(request)

    monitor.RegisterResource = recording
    return recorded


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project in tmp_path with the repo's Pulumi.yaml (org defaults), run from there.
    `project` is always a helpers.spec.Project (a module that needs another layout defines its own
    `project` of that type); a fixture that is a bare directory is `project_dir: Path`."""
    from helpers.spec import Project

    monkeypatch.chdir(tmp_path)
    made = Project(tmp_path)
    made.project_file()
    return made


# The official SARIF 2.1.0 schema, from the npm package @microsoft/jest-sarif (installed by `npm ci`).
SARIF_SCHEMA = (Path(__file__).resolve().parents[1] / "node_modules" / "@microsoft" / "jest-sarif" / "lib"
                / "schemas" / "sarif-2.1.0-rtm.5.json")


@pytest.fixture(scope="session")
def sarif_validator() -> Draft4Validator:
    """A validator for `--format sarif` output (aigw check, aigw audit)."""
    if not SARIF_SCHEMA.is_file():
        pytest.fail(f"{SARIF_SCHEMA} is missing: run `npm ci` in the repo")
    schema = json.loads(SARIF_SCHEMA.read_text())
    cls = validator_for(schema)
    assert cls is Draft4Validator, "the schema declares draft-04"
    cls.check_schema(schema)
    return cls(schema)


# --- The plan fork server (aigw/plan/server.py) -------------------------------------------------
# Almost every CLI test runs `aigw plan|check|diff|...` in a subprocess, and each stack it plans is a
# `python -m aigw.plan.runner` process that spends most of its second importing pulumi_cloudflare.
# Each test process (xdist worker) starts one plan server, and AIGW_PLAN_SERVER in the environment
# makes every `aigw` (in a subprocess or in-process) plan through it: the same runner, output and
# exit status (tests/plan/test_plan_server.py compares them byte for byte), imported once.
# Tests marked `real_runner` run with AIGW_PLAN_SERVER unset: the real one-process-per-stack path.
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture of the test (module-scoped ones included) is made; after skip markers.
    if item.get_closest_marker("real_runner"):
        os.environ.pop(PLAN_SERVER_ENV, None)
        return
    os.environ[PLAN_SERVER_ENV] = suite_server()


def pytest_sessionfinish(session: pytest.Session) -> None:
    os.environ.pop(PLAN_SERVER_ENV, None)
    stop_suite_server()
