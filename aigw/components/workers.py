"""Workers: the edge Worker in front of a gateway, and a team's own Workers AI Workers.

Module source goes to the API through `content_file` + `content_sha256` (a path relative to
the project root, where `pulumi up` runs, and the file's hash): the plan and the state show
the path and hash, never the source text.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare

from aigw_policy.vocabulary import EDGE_WORKER, TEAM_WORKER

from .. import fields
from ..spec import GatewaySpec, StackSpec, WorkerSpec, edge_module
from .gateway import base_url, edge_script_name, secret, workers_dev_url

# The edge Worker's source: the installed package's aigw/workers/edge.mjs (EDGE_MODULE), or the project's
# own copy of the package's (spec.workers.edge_module).
EDGE_MAIN_MODULE = "edge.mjs"


def module_file(project_dir: Path, relative: Path) -> tuple[str, str]:
    """(the file's path from the working directory, SHA-256 hex of its bytes). ``relative`` is a path from
    the project root (a team Worker's module) or absolute (the edge Worker's, inside the aigw package).

    The provider reads `content_file` in its own process, which the Pulumi engine starts in the
    program's directory: with `main: infra/` that is <project>/infra, not the project root
    (Pulumi's getPwdMain, read from its source; not run here). So the path is made relative to
    the directory the program runs in; the offline plan runs there too (aigw/plan/runner.py).
    """
    path = project_dir / relative
    data = path.read_bytes()
    return Path(os.path.relpath(path.resolve(), Path.cwd().resolve())).as_posix(), hashlib.sha256(data).hexdigest()


class EdgeWorker(pulumi.ComponentResource):
    """The only way into an authenticated gateway: holds a Run token and enforces the
    environment's logging policy on every request (aigw/workers/edge.mjs)."""

    TYPE = EDGE_WORKER

    def __init__(self, stack: StackSpec, gw: GatewaySpec, run_token: pulumi.Output[str],
                 project_dir: Path, opts: pulumi.ResourceOptions | None = None):
        edge = gw.edge
        assert edge is not None
        self.script_name = edge_script_name(gw)
        path, digest = module_file(project_dir, edge_module(project_dir))
        payloads = "true" if gw.logging.payloads else "false"
        described = {"gateway": gw.id, "scriptName": self.script_name, "payloads": payloads, "token": edge.token}
        super().__init__(self.TYPE, gw.name, described, opts)
        self.url = workers_dev_url(stack, self.script_name)
        self.script = cloudflare.WorkersScript(gw.name, **fields.inputs(
            fields.WORKERS_SCRIPT,
            account_id=stack.account_id,
            script_name=self.script_name,
            main_module=EDGE_MAIN_MODULE,
            content_file=path,
            content_sha256=digest,
            compatibility_date=edge.compatibility_date.isoformat(),
            bindings=[
                {"name": "AI", "type": "ai"},
                {"name": "GATEWAY_URL", "type": "plain_text", "text": base_url(stack.account_id, gw.id)},
                {"name": "GATEWAY_ID", "type": "plain_text", "text": gw.id},
                {"name": "GATEWAY_NAME", "type": "plain_text", "text": gw.name},
                {"name": "ENVIRONMENT", "type": "plain_text", "text": stack.environment},
                {"name": "APP", "type": "plain_text", "text": edge.app or gw.name},
                {"name": "PAYLOADS", "type": "plain_text", "text": payloads},
                # The gateway's zdr setting: the Worker forces cf-aig-zdr to it (docs/workers.md).
                {"name": "ZDR", "type": "plain_text", "text": "true" if gw.zdr else "false"},
                {"name": "AIG_TOKEN", "type": "secret_text", "text": pulumi.Output.secret(run_token)},
            ],
        ), opts=pulumi.ResourceOptions(parent=self))
        self.subdomain = cloudflare.WorkersScriptSubdomain(
            f"{gw.name}-workers-dev",
            **fields.inputs(fields.WORKERS_SCRIPT_SUBDOMAIN, account_id=stack.account_id,
                            script_name=self.script_name, enabled=True),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.script]),
        )
        # Outputs = inputs: AnalyzeStack sees a component's outputs (production-payloads-not-stored
        # reads which token each edge Worker holds).
        self.register_outputs(described)


class TeamWorker(pulumi.ComponentResource):
    """A team's own Worker using Workers AI through one of the stack's gateways."""

    TYPE = TEAM_WORKER

    def __init__(self, stack: StackSpec, worker: WorkerSpec, project_dir: Path,
                 opts: pulumi.ResourceOptions | None = None):
        gw = stack.gateway(worker.gateway)
        path, digest = module_file(project_dir, Path(worker.module))
        # Reviewers see the module by its path in the repo; the script gets it from where it runs.
        super().__init__(self.TYPE, worker.name, {"gateway": gw.id, "module": worker.module, "sha256": digest}, opts)
        self.module, self.sha256 = worker.module, digest
        bindings: list[dict[str, Any]] = [
            {"name": "AI", "type": "ai"},
            {"name": "GATEWAY_ID", "type": "plain_text", "text": gw.id},
        ]
        bindings += [{"name": k, "type": "plain_text", "text": v} for k, v in worker.vars.items()]
        bindings += [{"name": k, "type": "secret_text", "text": secret(v)} for k, v in worker.secrets.items()]
        args: dict[str, Any] = {
            "account_id": stack.account_id,
            "script_name": worker.script_name,  # <stack>-<name> unless given, resolved by the spec
            "main_module": Path(worker.module).name,
            "content_file": path,
            "content_sha256": digest,
            "compatibility_date": worker.compatibility_date.isoformat(),
            "bindings": bindings,
        }
        if worker.compatibility_flags:
            args["compatibility_flags"] = list(worker.compatibility_flags)
        self.script = cloudflare.WorkersScript(worker.name, **fields.inputs(fields.WORKERS_SCRIPT, **args),
                                               opts=pulumi.ResourceOptions(parent=self))

    def exports(self) -> dict[str, Any]:
        return {"module": self.module, "sha256": self.sha256, "scriptName": self.script.script_name}
