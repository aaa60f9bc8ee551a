"""The whole stack: :class:`RawConfig` (what the loaders read) -> :func:`build_stack_spec` -> :class:`StackSpec`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
)

from aigw_policy.vocabulary import edge_script_name
from aigw_policy.vocabulary import gateway_id as gateway_id_of

from .base import ACCOUNT_ID_PATTERN, DEFAULT_PRODUCTION_ENVIRONMENTS, ENVIRONMENT_PATTERN, NAMESPACE, _Model
from .errors import Problem, SpecError
from .gateway import GatewaySettings, GatewaySpec, _with_spend_rule_ids, gateway_id_problem
from .logpush import LogpushSpec
from .merge import _merge_settings
from .secrets import _MISSING, _PLAINTEXT_CREDENTIAL, _REDACTED, Secret
from .tokens import DEFAULT_MAX_TOKEN_DAYS, TokenSpec
from .wording import _allowed, _is_union_tag, _join_path, _nearest_line
from .workers import RESERVED_BINDINGS, SCRIPT_NAME_PATTERN, WorkerSpec, edge_module


@dataclass(frozen=True)
class StackSpec:
    """Everything the program needs for one stack."""

    project: str
    stack: str
    environment: str
    account_id: str
    production: bool
    gateways: tuple[GatewaySpec, ...]
    source: str = ""
    logpush: LogpushSpec | None = None
    tokens: tuple[TokenSpec, ...] = ()
    workers: tuple[WorkerSpec, ...] = ()
    workers_dev_subdomain: str | None = None
    project_dir: str = "."

    def gateway(self, name: str) -> GatewaySpec:
        for gw in self.gateways:
            if gw.name == name:
                return gw
        raise KeyError(name)


class _StackConfig(_Model):
    """The stack's `aigw:*` keys as written (before defaults are merged)."""

    account_id: str = Field(pattern=ACCOUNT_ID_PATTERN)
    environment: str = Field(pattern=ENVIRONMENT_PATTERN, max_length=32)
    defaults: dict[str, Any] = Field(default_factory=dict)
    gateways: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    logpush: LogpushSpec | None = None
    tokens: dict[str, TokenSpec] = Field(default_factory=dict)
    workers: dict[str, WorkerSpec] = Field(default_factory=dict)
    workers_dev_subdomain: str | None = Field(None, pattern=SCRIPT_NAME_PATTERN,
                                              description="The account's workers.dev subdomain (for URLs).")


PROJECT_KEYS = ("defaults", "productionEnvironments", "maxTokenDays")
# Keys only Pulumi.yaml may set: a stack could otherwise exempt itself from the org's policy.
PROJECT_ONLY_KEYS = ("productionEnvironments", "maxTokenDays")


class _ProjectConfig(_Model):
    """Pulumi.yaml's `aigw:*` keys. Which environments are production is the org's call,
    so a stack file cannot set it (a stack could otherwise declare itself non-production)."""

    defaults: dict[str, Any] = Field(default_factory=dict)
    production_environments: list[Annotated[str, Field(pattern=ENVIRONMENT_PATTERN)]] = Field(
        default_factory=lambda: list(DEFAULT_PRODUCTION_ENVIRONMENTS))
    max_token_days: Annotated[int, Field(ge=1, le=3650, strict=True)] = DEFAULT_MAX_TOKEN_DAYS


# --------------------------------------------------------------------------- building


@dataclass
class RawConfig:
    """Config values as read from one source, before validation.

    ``project_config`` holds Pulumi.yaml's ``aigw:*`` values, ``stack_config`` the stack
    file's (or the runtime's). ``positions`` maps (file, key path) to a line number when known.
    """

    project: str
    stack: str
    project_file: str
    stack_file: str
    project_config: dict[str, Any]
    stack_config: dict[str, Any]
    positions: dict[tuple[str, str], int] = field(default_factory=dict)
    plaintext_credentials_are_secret: bool = False
    # `aigw check`: a credential in plain text is a policy finding, not an input error.
    plaintext_credentials_as_findings: bool = False
    project_dir: str = "."
    # The Cloudflare provider's own keys (`cloudflare:*`, prefix dropped), per file: offline only.
    provider_config: dict[str, dict[str, Any]] = field(default_factory=dict)


# The Cloudflare provider's config keys, from pulumi-cloudflare 6.23.1 (`pulumi_cloudflare/config/vars.py`:
# apiKey, apiToken, apiUserServiceKey, baseUrl, email, userAgentOperatorSuffix). The three API credentials
# must be `secure:`: the provider reads them with `pulumi.Config('cloudflare').get(...)`.
PROVIDER_NAMESPACE = "cloudflare"
PROVIDER_KEYS = ("apiKey", "apiToken", "apiUserServiceKey", "baseUrl", "email", "userAgentOperatorSuffix")
# Each credential's environment variable, from the same file's docstrings.
PROVIDER_CREDENTIAL_KEYS = {"apiKey": "CLOUDFLARE_API_KEY", "apiToken": "CLOUDFLARE_API_TOKEN",
                            "apiUserServiceKey": "CLOUDFLARE_API_USER_SERVICE_KEY"}


def provider_key_problems(raw: RawConfig) -> list[Problem]:
    """Unknown `cloudflare:*` keys (a typo is otherwise silently ignored) and provider credentials in plain
    text. A value under such a key is never shown: it may well be a token."""
    problems: list[Problem] = []
    for file, values in raw.provider_config.items():
        for key, value in values.items():
            path = f"{PROVIDER_NAMESPACE}:{key}"
            line = raw.positions.get((file, path))
            if key not in PROVIDER_KEYS:
                problems.append(Problem(file, path, _REDACTED, (
                    "unknown key of the Cloudflare provider (pulumi-cloudflare 6.23.1); allowed: "
                    + ", ".join(f"{PROVIDER_NAMESPACE}:{k}" for k in PROVIDER_KEYS)), line))
            elif (key in PROVIDER_CREDENTIAL_KEYS and not isinstance(value, Secret)
                  and not raw.plaintext_credentials_as_findings):
                problems.append(Problem(file, path, _REDACTED, (
                    f"{_PLAINTEXT_CREDENTIAL}, not in plain text; set it with "
                    f"`pulumi config set --secret {path} <value>` (or export {PROVIDER_CREDENTIAL_KEYS[key]})"),
                    line))
    return problems


def build_stack_spec(raw: RawConfig) -> StackSpec:
    """Validate, merge defaults (org < stack < gateway) and resolve gateway ids."""
    build = _Build(raw)
    build.problems.extend(provider_key_problems(raw))
    provider_problems = len(build.problems)  # not about gateways: reported with theirs, never alone
    build.unknown_project_keys()
    org_defaults, stack_defaults = build.defaults()
    # Bad defaults would fail every gateway again: report them alone.
    defaults_invalid = len(build.problems) > provider_problems
    project_cfg = build.project_config()
    cfg, failed = build.stack_config()
    if defaults_invalid:
        raise SpecError(build.problems)

    merged_defaults = _merge_settings(org_defaults, stack_defaults)
    production = cfg.environment in project_cfg.production_environments
    gateways: list[GatewaySpec] = []
    seen_ids: dict[str, str] = {}
    for name, own in cfg.gateways.items():
        gateway = build.gateway(name, own, cfg, merged_defaults, production, seen_ids)
        if gateway is None:
            continue
        if "logpush" in failed:
            # aigw:logpush itself is reported: not again as "missing" for every exporting gateway.
            gateways.append(gateway)
            continue
        gateways.append(_with_stack_logpush_key(gateway, cfg.logpush, raw, build.problems))
    tokens = build.tokens(cfg, project_cfg.max_token_days)
    # Keys already reported (aigw:tokens, a gateway's settings) are not reported again as "not declared".
    _check_edges(gateways, None if "tokens" in failed else cfg.tokens, raw, build.problems)
    workers = _checked_workers(cfg.workers, set(cfg.gateways), gateways, raw, build.problems)
    if build.problems:
        raise SpecError(build.problems)
    return StackSpec(
        project=raw.project,
        stack=raw.stack,
        environment=cfg.environment,
        account_id=cfg.account_id,
        production=production,
        gateways=tuple(sorted(gateways, key=lambda g: g.id)),
        source=raw.stack_file,
        logpush=cfg.logpush,
        tokens=tuple(sorted(tokens, key=lambda t: t.name)),
        workers=tuple(sorted(workers, key=lambda w: w.name)),
        workers_dev_subdomain=cfg.workers_dev_subdomain,
        project_dir=raw.project_dir,
    )


class _Build:
    """The steps of :func:`build_stack_spec`, each adding its problems to one list (all are reported at once)."""

    def __init__(self, raw: RawConfig):
        self.raw = raw
        self.problems: list[Problem] = []
        self.ctx = {"plaintext_credentials_are_secret": raw.plaintext_credentials_are_secret,
                    "plaintext_credentials_as_findings": raw.plaintext_credentials_as_findings}

    def problem(self, file: str, where: str, value: Any, allowed: str) -> None:
        self.problems.append(Problem(file, where, value, allowed, self.raw.positions.get((file, where))))

    def report(self, file: str, prefix: str, exc: ValidationError, model: type[BaseModel] | None) -> None:
        for err in exc.errors(include_url=False):
            tagged = [str(p) for p in err["loc"]]
            loc = [p for p in tagged if not _is_union_tag(p)]
            path = _join_path(prefix, loc)
            value = err.get("input", _MISSING)
            if err["type"] == "missing":
                value = _MISSING
            allowed = _allowed(err, model, tagged).replace("{path}", path)
            if _PLAINTEXT_CREDENTIAL in allowed:
                value = _REDACTED  # never echo a credential, even a misplaced one
            self.problems.append(Problem(file, path, value, allowed, _nearest_line(self.raw.positions, file, path)))

    def unknown_project_keys(self) -> None:
        raw = self.raw
        for key in raw.project_config:
            if key not in PROJECT_KEYS:
                self.problem(raw.project_file, f"{NAMESPACE}:{key}", raw.project_config[key],
                             "unknown project key; allowed: " + ", ".join(f"{NAMESPACE}:{k}" for k in PROJECT_KEYS))

    def defaults(self) -> tuple[Any, Any]:
        """aigw:defaults of Pulumi.yaml (the org's) and of the stack file, each validated as gateway settings."""
        raw = self.raw
        org_defaults = raw.project_config.get("defaults") or {}
        stack_defaults = raw.stack_config.get("defaults") or {}
        for file, defaults in ((raw.project_file, org_defaults), (raw.stack_file, stack_defaults)):
            if not isinstance(defaults, Mapping):
                self.problem(file, f"{NAMESPACE}:defaults", defaults, "must be a mapping of gateway settings")
                continue
            try:
                GatewaySettings.model_validate(defaults, context={**self.ctx, "in_defaults": True})
            except ValidationError as exc:
                self.report(file, f"{NAMESPACE}:defaults", exc, GatewaySettings)
        return org_defaults, stack_defaults

    def project_config(self) -> _ProjectConfig:
        """The org's policy keys, set in Pulumi.yaml only."""
        raw = self.raw
        project_cfg = _ProjectConfig()
        try:
            project_cfg = _ProjectConfig.model_validate(
                {k: v for k, v in raw.project_config.items() if k in PROJECT_ONLY_KEYS}, context=self.ctx)
        except ValidationError as exc:
            self.report(raw.project_file, NAMESPACE, exc, _ProjectConfig)
        for key in PROJECT_ONLY_KEYS:
            if key in raw.stack_config:
                self.problem(raw.stack_file, f"{NAMESPACE}:{key}", raw.stack_config[key],
                             "set only in Pulumi.yaml: it is the org's policy, not a stack's choice")
        return project_cfg

    def stack_config(self) -> tuple[_StackConfig, set[str]]:
        """The stack file's keys, and those in error (left out, so the gateways' problems are reported too)."""
        raw = self.raw
        stack_values = {k: v for k, v in raw.stack_config.items() if k not in PROJECT_ONLY_KEYS}
        try:
            return _StackConfig.model_validate(stack_values, context=self.ctx), set()
        except ValidationError as exc:
            self.report(raw.stack_file, NAMESPACE, exc, _StackConfig)
            # Go on without the keys in error; without a valid environment the gateway ids are unknown,
            # so stop there.
            failed = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
            usable = {k: v for k, v in stack_values.items() if k not in failed}
            usable.setdefault("accountId", "0" * 32)  # a stand-in: its problem is already reported
            try:
                return _StackConfig.model_validate(usable, context=self.ctx), failed
            except ValidationError:
                raise SpecError(self.problems) from None

    def gateway(self, name: str, own: Any, cfg: _StackConfig, merged_defaults: Mapping[str, Any], production: bool,
                seen_ids: dict[str, str]) -> GatewaySpec | None:
        """One gateway: its id (``<environment>-<name>`` unless given), unique per account, then its settings
        over the merged defaults. None when it has a problem (reported)."""
        raw = self.raw
        prefix = f"{NAMESPACE}:gateways.{name}"
        own = own or {}
        if not isinstance(own, Mapping):
            self.problems.append(Problem(raw.stack_file, prefix, own, "must be a mapping of gateway settings"))
            return None
        gateway_id = own.get("id", gateway_id_of(cfg.environment, name))
        where = f"{prefix}.id" if "id" in own else prefix
        id_problem = gateway_id_problem(gateway_id)
        if id_problem:
            shown = gateway_id if "id" in own else name
            if "id" not in own:
                id_problem = f"the gateway id {gateway_id!r} (<environment>-<name>) is invalid: {id_problem}"
            self.problem(raw.stack_file, where, shown, id_problem)
            return None
        if gateway_id in seen_ids:
            self.problem(raw.stack_file, where, gateway_id,
                         f"gateway id already used by aigw:gateways.{seen_ids[gateway_id]}; ids are unique per account")
            return None
        seen_ids[gateway_id] = name
        if "name" in own:
            self.problem(raw.stack_file, f"{prefix}.name", own["name"],
                         "unknown key: the gateway's name is its key under aigw:gateways")
            return None
        settings = {k: v for k, v in own.items() if k != "id"}
        effective = _merge_settings(merged_defaults, settings)
        effective.setdefault("protect", production)
        if effective["protect"] is None:
            effective["protect"] = production
        try:
            gateway = GatewaySpec.model_validate({**effective, "name": name, "id": gateway_id}, context=self.ctx)
        except ValidationError as exc:
            self.report(raw.stack_file, prefix, exc, GatewaySpec)
            return None
        return _with_spend_rule_ids(gateway)

    def tokens(self, cfg: _StackConfig, max_token_days: int) -> list[TokenSpec]:
        tokens: list[TokenSpec] = []
        for token_name, token in cfg.tokens.items():
            if token.expires_in_days > max_token_days:
                self.problem(self.raw.stack_file, f"{NAMESPACE}:tokens.{token_name}.expiresInDays",
                             token.expires_in_days, f"allowed: 1..{max_token_days} (aigw:maxTokenDays in Pulumi.yaml)")
                continue
            tokens.append(token.model_copy(update={"name": token_name}))
        return tokens


def _check_edges(gateways: list[GatewaySpec], tokens: Mapping[str, TokenSpec] | None, raw: RawConfig,
                 problems: list[Problem]) -> None:
    """An edge Worker holds a Run token of this stack, and its script name must fit (63 chars).
    ``tokens`` is None when aigw:tokens is itself invalid (and reported)."""
    module = edge_module(raw.project_dir)
    for gw in gateways:
        if gw.edge is None:
            continue
        if not module.is_file():
            where = f"{NAMESPACE}:gateways.{gw.name}.edge"
            problems.append(Problem(raw.stack_file, where, gw.edge.token,
                                    f"the edge Worker's module {module} is missing from the installed aigw "
                                    "package: reinstall it (pip install --force-reinstall aigw-infra)",
                                    _nearest_line(raw.positions, raw.stack_file, where)))
        if not gw.authentication:
            where = f"{NAMESPACE}:gateways.{gw.name}.authentication"
            problems.append(Problem(raw.stack_file, where, gw.authentication_setting,
                                    "an edge Worker needs authentication: true (otherwise any caller can bypass it)",
                                    _nearest_line(raw.positions, raw.stack_file, where)))
        where = f"{NAMESPACE}:gateways.{gw.name}.edge.token"
        token = tokens.get(gw.edge.token) if tokens is not None else None
        if tokens is not None and getattr(token, "purpose", None) != "run":
            runs = ", ".join(sorted(n for n, t in tokens.items() if t.purpose == "run")) or "none declared"
            problems.append(Problem(raw.stack_file, where, gw.edge.token,
                                    f"must name an aigw:tokens entry with purpose run (run tokens: {runs})",
                                    _nearest_line(raw.positions, raw.stack_file, where)))
        script = edge_script_name(gw.id)
        if not re.fullmatch(SCRIPT_NAME_PATTERN, script):
            where = f"{NAMESPACE}:gateways.{gw.name}.edge"
            problems.append(Problem(raw.stack_file, where, script,
                                    "the edge Worker's script name (<gateway id>-edge) must be at most 63 characters "
                                    "of a-z, 0-9 and hyphens: give the gateway an id of at most 58 characters "
                                    "without underscores",
                                    _nearest_line(raw.positions, raw.stack_file, where)))


def _checked_workers(workers: Mapping[str, WorkerSpec], gateway_names: set[str], gateways: list[GatewaySpec],
                     raw: RawConfig, problems: list[Problem]) -> list[WorkerSpec]:
    """``gateway_names``: every gateway name of the stack file, valid or not (an invalid one is reported
    at its own key, not again as undeclared here)."""
    root = Path(raw.project_dir).resolve()
    out: list[WorkerSpec] = []
    # Script names are unique per account: a second script of the same name replaces the first.
    scripts = {edge_script_name(gw.id): f"{NAMESPACE}:gateways.{gw.name}.edge"
               for gw in gateways if gw.edge is not None}
    for name, worker in workers.items():
        prefix = f"{NAMESPACE}:workers.{name}"
        bad = False
        script = worker.script_name or f"{raw.stack}-{name}"
        where = f"{prefix}.scriptName" if worker.script_name else prefix
        if not re.fullmatch(SCRIPT_NAME_PATTERN, script):
            problems.append(Problem(raw.stack_file, where, script,
                                    "the Worker's script name (<stack>-<name>) must be at most 63 characters of "
                                    "a-z, 0-9 and hyphens: set scriptName or rename the Worker",
                                    _nearest_line(raw.positions, raw.stack_file, where)))
            bad = True
        elif script in scripts:
            problems.append(Problem(raw.stack_file, where, script,
                                    f"script name already used by {scripts[script]}; script names are unique "
                                    "per account (set another scriptName)",
                                    _nearest_line(raw.positions, raw.stack_file, where)))
            bad = True
        else:
            scripts[script] = prefix
        if worker.gateway not in gateway_names:
            known = ", ".join(sorted(gateway_names)) or "none"
            problems.append(Problem(raw.stack_file, f"{prefix}.gateway", worker.gateway,
                                    f"must name a gateway of this stack: {known}",
                                    _nearest_line(raw.positions, raw.stack_file, f"{prefix}.gateway")))
            bad = True
        module = (root / worker.module).resolve()
        if not module.is_relative_to(root) or not module.is_file():
            problems.append(Problem(raw.stack_file, f"{prefix}.module", worker.module,
                                    "must be an existing ES module file inside the project (a path from its root)",
                                    _nearest_line(raw.positions, raw.stack_file, f"{prefix}.module")))
            bad = True
        declared = set(worker.vars) | set(worker.secrets)
        clash = sorted((RESERVED_BINDINGS & declared) | (set(worker.vars) & set(worker.secrets)))
        if clash:
            problems.append(Problem(raw.stack_file, prefix, ", ".join(clash),
                                    "binding names must be unique; AI and GATEWAY_ID are set by this project",
                                    _nearest_line(raw.positions, raw.stack_file, prefix)))
            bad = True
        if not bad:
            out.append(worker.model_copy(update={"name": name, "script_name": script}))
    return out


def _with_stack_logpush_key(gateway: GatewaySpec, logpush: LogpushSpec | None, raw: RawConfig,
                            problems: list[Problem]) -> GatewaySpec:
    """A gateway exporting logs encrypts them with the stack's key (aigw:logpush.publicKey)."""
    logging = gateway.logging
    if not logging.logpush or logging.logpush_public_key is not None:
        return gateway
    where = f"{NAMESPACE}:gateways.{gateway.name}.logging.logpush"
    if logpush is None or logpush.destination is None:
        problems.append(Problem(raw.stack_file, where, True,
                                "logpush: true needs aigw:logpush with a destination (the stack's Logpush job)",
                                _nearest_line(raw.positions, raw.stack_file, where)))
        return gateway
    if logpush.public_key is None:
        problems.append(Problem(raw.stack_file, where, True,
                                "logpush: true needs aigw:logpush.publicKey: run `aigw logpush keygen "
                                f"{raw.stack}`", _nearest_line(raw.positions, raw.stack_file, where)))
        return gateway
    return gateway.model_copy(update={"logging": logging.model_copy(update={"logpush_public_key": logpush.public_key})})
