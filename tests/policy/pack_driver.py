"""The CrossGuard pack in policy/, driven exactly as the Pulumi engine drives it (no `pulumi` binary).

The engine starts a Python pack as a plugin process (`python -u -m pulumi.policy ADDR .` in the
pack folder, with PULUMI_PROJECT/STACK/ORGANIZATION/DRY_RUN/CONFIG in the environment), reads the
Analyzer gRPC port from the first line of its stdout, and calls, in this order: Handshake,
ConfigureStack, GetAnalyzerInfo, GetPluginInfo, Configure (every policy: its enforcement level and
its config-schema defaults merged with the user's policy config), Analyze once per resource and
AnalyzeStack once with every resource. Properties travel as a protobuf Struct (numbers become
floats), secrets and unknowns in Pulumi's wire form. Sources, in the installed packages: pulumi's
`pulumi/policy/__main__.py` (the plugin entry point), pulumi-policy's `pulumi_policy/policy.py`
(`PolicyPack` and its `_PolicyAnalyzerServicer`) and the protobufs in `pulumi.runtime.proto`
(`analyzer_pb2`, `plugin_pb2`).

`PackProcess` is that plugin process (a context manager: the process is always stopped), and
`drive_plan` runs one stack of `aigw plan --format json` through it, returning findings in the
shape of `aigw check --format json`: (policy, level, (type, name), message).
"""

from __future__ import annotations

import copy
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, plugin_pb2

ROOT = Path(__file__).resolve().parents[2]
POLICY_DIR = ROOT / "policy"
PROJECT = "ai-gateways"
ORGANIZATION = "organization"
DEAD_ENGINE = "127.0.0.1:1"
STACK_TYPE = "pulumi:pulumi:Stack"

# Pulumi's wire form of a secret and of unknown values (sdk/go/common/resource/properties.go,
# pulumi_policy/proxy.py). aigw_policy/values.py holds the same constants; they are spelled out
# here so the driver depends on Pulumi's format, not on the code under test.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN_BOOL = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"
UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"
UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff"
SECRET_MARK = "[secret]"

LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}

START_TIMEOUT = 30.0
RPC_TIMEOUT = 60.0

Finding = tuple[str, str, tuple[str, str], str]


def secret(value: Any) -> dict[str, Any]:
    """A value in Pulumi's wire form of a secret."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def urn(stack: str, type_: str, name: str, project: str = PROJECT) -> str:
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def ref_of_urn(value: str) -> tuple[str, str]:
    """(type, name) of a URN; a parent chain (`parent$type`) is dropped."""
    parts = value.split("::")
    return parts[-2].rsplit("$", 1)[-1], parts[-1]


def _split(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in path.split("."):
        while "[" in piece:
            head, _, rest = piece.partition("[")
            if head:
                parts.append(head)
            index, _, piece = rest.partition("]")
            parts.append(int(index))
        if piece:
            parts.append(piece)
    return parts


def wrap_secret_at(props: Any, path: str) -> Any:
    """``props`` with the value at ``path`` (``otels[0].authorization``) wrapped as a wire secret."""
    parts = _split(path)

    def at(node: Any, rest: list[str | int]) -> Any:
        if not rest:
            return secret(node)
        head, tail = rest[0], rest[1:]
        if isinstance(head, int) and isinstance(node, list) and head < len(node):
            return [at(v, tail) if i == head else v for i, v in enumerate(node)]
        if isinstance(head, str) and isinstance(node, Mapping) and head in node:
            return {k: at(v, tail) if k == head else v for k, v in node.items()}
        raise KeyError(f"secret path {path!r} is not in the props")

    return at(props, parts)


def wire_props(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One resource of `aigw plan --format json` -> its properties as the engine sends them:
    every path in ``options.secretPaths`` re-wrapped as a secret (holding what the plan shows
    there, "[secret]" for a secret string)."""
    props: Any = copy.deepcopy(dict(entry.get("props") or {}))
    for path in (entry.get("options") or {}).get("secretPaths", []):
        props = wrap_secret_at(props, path)
    return props


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(props)
    return struct


@dataclass(frozen=True)
class WireResource:
    """One resource as the engine sends it to Analyze / AnalyzeStack."""

    type: str
    name: str
    props: Mapping[str, Any]
    protect: bool = False
    additional_secret_outputs: tuple[str, ...] = ()

    @classmethod
    def from_plan(cls, entry: Mapping[str, Any]) -> WireResource:
        options = entry.get("options") or {}
        return cls(entry["type"], entry["name"], wire_props(entry), bool(options.get("protect", False)),
                   tuple(options.get("additionalSecretOutputs", [])))

    @property
    def ref(self) -> tuple[str, str]:
        return (self.type, self.name)

    def options(self) -> analyzer_pb2.AnalyzerResourceOptions:
        return analyzer_pb2.AnalyzerResourceOptions(protect=self.protect,
                                                    additionalSecretOutputs=list(self.additional_secret_outputs))


@dataclass(frozen=True)
class Diagnostic:
    """One AnalyzeDiagnostic, mapped back to the resource it is about."""

    policy: str
    level: str
    resource: tuple[str, str]
    message: str
    raw_message: str
    pack: str
    urn: str

    @property
    def finding(self) -> Finding:
        return (self.policy, self.level, self.resource, self.message)


def _strip_description(message: str, description: str) -> str:
    # The SDK reports "<description>\n<message>" (or the description alone for an empty message).
    if message == description:
        return ""
    prefix = description + "\n"
    return message[len(prefix):] if message.startswith(prefix) else message


def resolve_policy_config(policies: Sequence[analyzer_pb2.PolicyInfo],
                          policy_config: Mapping[str, Any] | None) -> dict[str, tuple[str, dict[str, Any]]]:
    """(enforcement level, properties) per policy, as the CLI reconciles them for Configure
    (pkg/resource/analyzer/config.go ReconcilePolicyPackConfig).

    ``policy_config``: the `pulumi preview --policy-pack-config` file format, a JSON object keyed
    by policy name or "all"; a value is an enforcement level or an object with an optional
    "enforcementLevel" and the policy's properties. Every policy starts from its default level
    and its config schema's defaults; "all" sets every level; then each entry sets its policy's
    level and properties. As the CLI does, entries for names the pack does not declare (and
    "all" itself) are passed on too.
    """

    def level_and_props(key: str, value: Any) -> tuple[str | None, dict[str, Any]]:
        if isinstance(value, str):
            level, props = value, {}
        elif isinstance(value, Mapping):
            level, props = value.get("enforcementLevel"), {k: v for k, v in value.items() if k != "enforcementLevel"}
        else:
            raise ValueError(f"parsing {key!r}: {value!r} is not a valid value; must be a string or object")
        if level is not None and level not in LEVELS:
            raise ValueError(f"parsing enforcement level for {key!r}: {level!r} is not a valid enforcement level")
        return level, props

    given = {key: level_and_props(key, value) for key, value in (policy_config or {}).items()}
    resolved: dict[str, tuple[str, dict[str, Any]]] = {}
    for info in policies:
        schema = json_format.MessageToDict(info.configSchema.properties)
        defaults = {k: v["default"] for k, v in schema.items() if isinstance(v, Mapping) and "default" in v}
        resolved[info.name] = (analyzer_pb2.EnforcementLevel.Name(info.enforcementLevel).lower(), defaults)
    all_level = given.get("all", (None, {}))[0]
    if all_level is not None:
        resolved = {name: (all_level, props) for name, (_, props) in resolved.items()}
    for key, (level, props) in given.items():
        old_level, old_props = resolved.get(key, ("", {}))
        resolved[key] = (level or old_level, {**old_props, **props})
    return resolved


class _Drain(threading.Thread):
    """Reads one pipe of the child to the end (so it never stalls); the first line is handed over."""

    def __init__(self, stream, first_line: queue.Queue | None = None):
        super().__init__(daemon=True)
        self.stream = stream
        self.first_line = first_line
        self.lines: list[str] = []

    def run(self) -> None:
        try:
            for raw in iter(self.stream.readline, b""):
                line = raw.decode(errors="replace")
                if self.first_line is not None and not self.lines:
                    self.first_line.put(line)
                self.lines.append(line)
        finally:
            if self.first_line is not None and not self.lines:
                self.first_line.put(None)

    @property
    def text(self) -> str:
        return "".join(self.lines)


class PackError(RuntimeError):
    pass


def _sigint_not_ignored() -> None:
    """Make sure the pack process can receive SIGINT, as under the engine. A shell starts a background job
    with SIGINT ignored (POSIX, Shell Command Language 2.11: "If job control is disabled ... SIGINT and
    SIGQUIT ... shall be ignored"), an ignored signal stays ignored across exec, and Python installs its
    KeyboardInterrupt handler only where SIGINT is not ignored (Python docs, signal: "SIGINT is translated
    into a KeyboardInterrupt exception if the parent process has not changed it"). The pack would then
    never stop on SIGINT: each test waited out the 30 s grace and the pack was killed. A handler of this
    process's own is reset to the default in the child by exec, so the pack starts as it would under the
    engine. Only from the main thread (the only one signal.signal may be called from)."""
    import threading

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


class PackProcess:
    """The pack as the engine runs it: a plugin process serving the Analyzer service over gRPC.

    ``config``: the stack's config as PULUMI_CONFIG carries it (keys `aigw:environment`, values
    strings; objects and lists JSON-encoded, as the CLI sets them).
    """

    def __init__(self, stack: str, config: Mapping[str, str] | None = None, *, dry_run: bool = True,
                 project: str = PROJECT, organization: str = ORGANIZATION, pack_dir: Path = POLICY_DIR,
                 python: str = sys.executable):
        self.stack = stack
        # The stack named in the URNs sent (the engine's own stack; tests may make it differ).
        self.urn_stack = stack
        self.config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (config or {}).items()}
        self.dry_run = dry_run
        self.project = project
        self.organization = organization
        self.pack_dir = pack_dir
        self.python = python
        self.proc: subprocess.Popen[bytes] | None = None
        self.channel: grpc.Channel | None = None
        self.stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self.port: int | None = None
        self.info: analyzer_pb2.AnalyzerInfo | None = None
        self.plugin_info: plugin_pb2.PluginInfo | None = None
        self._stdout: _Drain | None = None
        self._stderr: _Drain | None = None

    # --- process ---------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
        env.update({
            "PULUMI_PROJECT": self.project,
            "PULUMI_STACK": self.stack,
            "PULUMI_ORGANIZATION": self.organization,
            "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
            "PULUMI_CONFIG": json.dumps(self.config),
        })
        return env

    def start(self) -> PackProcess:
        _sigint_not_ignored()
        self.proc = subprocess.Popen(  # noqa: S603 (our own interpreter and the pack)
            [self.python, "-u", "-m", "pulumi.policy", DEAD_ENGINE, "."],
            cwd=self.pack_dir, env=self.env(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first: queue.Queue = queue.Queue()
        self._stdout = _Drain(self.proc.stdout, first)
        self._stderr = _Drain(self.proc.stderr)
        self._stdout.start()
        self._stderr.start()
        try:
            line = first.get(timeout=START_TIMEOUT)
        except queue.Empty:
            line = None
        if not line or not line.strip().isdigit():
            self.close()
            raise PackError(f"the pack printed no port (first line {line!r}); stderr:\n{self.stderr}")
        self.port = int(line)
        try:
            self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
            grpc.channel_ready_future(self.channel).result(timeout=START_TIMEOUT)
        except BaseException:
            self.close()
            raise
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        return self

    @property
    def stderr(self) -> str:
        return self._stderr.text if self._stderr else ""

    @property
    def stdout(self) -> str:
        return self._stdout.text if self._stdout else ""

    def close(self) -> None:
        """Close the channel, stop the process (SIGINT, then kill), reap it, close its pipes."""
        if self.channel is not None:
            self.channel.close()
            self.channel = None
            self.stub = None
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    # gRPC's graceful shutdown can take more than 5 s on a loaded 2-core machine (seen killed in
                    # two back-to-back `make test` runs); a clean exit is still required by the test that checks it.
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        finally:
            for drain in (self._stdout, self._stderr):
                if drain is not None:
                    drain.join(timeout=5)
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()

    def __enter__(self) -> PackProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the engine's calls, in its order ------------------------------------------------------

    def _rpc(self, name: str, request: Any) -> Any:
        if self.stub is None:
            raise PackError("the pack is not running")
        try:
            return getattr(self.stub, name)(request, timeout=RPC_TIMEOUT)
        except grpc.RpcError as exc:
            raise PackError(f"{name} failed: {exc}\nstderr:\n{self.stderr}") from exc

    def handshake(self) -> analyzer_pb2.AnalyzerHandshakeResponse | None:
        request = analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=DEAD_ENGINE, root_directory=str(self.pack_dir), program_directory=str(self.pack_dir))
        try:
            return self.stub.Handshake(request, timeout=RPC_TIMEOUT)  # type: ignore[union-attr]
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:  # type: ignore[attr-defined]
                return None
            raise

    def configure_stack(self, tags: Mapping[str, str] | None = None) -> None:
        self._rpc("ConfigureStack", analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=self.stack, project=self.project, organization=self.organization, dry_run=self.dry_run,
            config=self.config, tags=dict(tags or {})))

    def analyzer_info(self) -> analyzer_pb2.AnalyzerInfo:
        self.info = self._rpc("GetAnalyzerInfo", empty_pb2.Empty())
        return self.info

    def get_plugin_info(self) -> plugin_pb2.PluginInfo:
        self.plugin_info = self._rpc("GetPluginInfo", empty_pb2.Empty())
        return self.plugin_info

    def configure(self, policy_config: Mapping[str, Any] | None = None) -> dict[str, tuple[str, dict[str, Any]]]:
        """Configure every policy the pack declares; returns what was sent (level, properties)."""
        info = self.info or self.analyzer_info()
        resolved = resolve_policy_config(info.policies, policy_config)
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, (level, props) in resolved.items():
            config = analyzer_pb2.PolicyConfig(properties=to_struct(props))
            if level:
                config.enforcementLevel = LEVELS[level]
            request.policyConfig[name].CopyFrom(config)
        self._rpc("Configure", request)
        return resolved

    def open(self, policy_config: Mapping[str, Any] | None = None) -> dict[str, tuple[str, dict[str, Any]]]:
        """Everything the engine does before the first Analyze."""
        self.handshake()
        self.configure_stack()
        self.analyzer_info()
        self.get_plugin_info()
        return self.configure(policy_config)

    def _diagnostics(self, response: analyzer_pb2.AnalyzeResponse, sent: tuple[str, str] | None
                     ) -> list[Diagnostic]:
        out = []
        for d in response.diagnostics:
            if sent is not None:
                ref = sent
            elif d.urn:
                ref = ref_of_urn(d.urn)
            else:
                ref = (STACK_TYPE, self.stack)
            out.append(Diagnostic(d.policyName, analyzer_pb2.EnforcementLevel.Name(d.enforcementLevel).lower(), ref,
                                  _strip_description(d.message, d.description), d.message, d.policyPackName, d.urn))
        return out

    def analyze(self, resource: WireResource) -> list[Diagnostic]:
        response = self._rpc("Analyze", analyzer_pb2.AnalyzeRequest(
            type=resource.type, name=resource.name, urn=urn(self.urn_stack, resource.type, resource.name, self.project),
            properties=to_struct(resource.props), options=resource.options()))
        return self._diagnostics(response, resource.ref)

    def analyze_stack(self, resources: Iterable[WireResource]) -> list[Diagnostic]:
        request = analyzer_pb2.AnalyzeStackRequest(resources=[
            analyzer_pb2.AnalyzerResource(
                type=r.type, name=r.name, urn=urn(self.urn_stack, r.type, r.name, self.project),
                properties=to_struct(r.props), options=r.options())
            for r in resources])
        return self._diagnostics(self._rpc("AnalyzeStack", request), None)

    def run(self, resources: Sequence[WireResource]) -> list[Diagnostic]:
        """Analyze every resource, then AnalyzeStack with all of them (outputs = inputs here:
        creates during preview, and components register outputs equal to their inputs)."""
        diagnostics = [d for r in resources for d in self.analyze(r)]
        return diagnostics + self.analyze_stack(resources)


def pulumi_config(plan_stack: Mapping[str, Any], project_file: Path | None = None) -> dict[str, str]:
    """PULUMI_CONFIG for a planned stack, as the CLI would set it: the project's config values
    (Pulumi.yaml `config:` with `value:`) when ``project_file`` is given, then the stack's
    environment and account. Without a project file, the stack counts as production through
    its own aigw:productionEnvironments when the plan says it is production."""
    config: dict[str, str] = {}
    if project_file is not None:
        import yaml

        doc = yaml.safe_load(project_file.read_text()) or {}
        for key, value in (doc.get("config") or {}).items():
            if isinstance(value, Mapping) and "value" in value:
                value = value["value"]
            config[key] = value if isinstance(value, str) else json.dumps(value)
    else:
        config["aigw:productionEnvironments"] = json.dumps(
            [plan_stack["environment"]] if plan_stack.get("production") else [])
    config["aigw:environment"] = plan_stack["environment"]
    if plan_stack.get("accountId"):
        config["aigw:accountId"] = plan_stack["accountId"]
    return config


def drive_plan(plan_stack: Mapping[str, Any], policy_config: Mapping[str, Any] | None = None, dry_run: bool = True,
               *, config: Mapping[str, str] | None = None, stack: str | None = None) -> list[Finding]:
    """One stack of `aigw plan --format json` through the pack, as `pulumi preview` (or `up`
    with ``dry_run=False``) would run it: findings as (policy, level, (type, name), message)."""
    resources = [WireResource.from_plan(r) for r in plan_stack["resources"]]
    with PackProcess(stack or plan_stack["stack"], config if config is not None else pulumi_config(plan_stack),
                     dry_run=dry_run) as pack:
        pack.open(policy_config)
        return [d.finding for d in pack.run(resources)]
