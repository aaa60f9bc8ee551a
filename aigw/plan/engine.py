"""The mock engine: Pulumi's mocks, recording each registration as the engine would receive it.

One engine for the offline plan (aigw/plan/runner.py) and the program's tests (tests/conftest.py
`MockedEngine`). Every RegisterResource is recorded with its inputs (camelCase, secrets in their wire
form) and the resource options the engine would see (protect, additional secret outputs, replace-on-
changes, parent, URN); invokes answer offline (the permission-group lookup of
aigw/components/tokens.py). Pulumi's runtime is global to a process (`pulumi.runtime.set_mocks`
configures module-level settings): install one engine per program run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

from ..components.tokens import PERMISSION_GROUPS_INVOKE, offline_permission_groups


class RecordingEngine:
    """``registrations``: one dict per resource, in registration order: type, name, custom, props (the
    inputs), options (protect, additionalSecretOutputs and replaceOnChanges as sent, parent, urn).
    ``outputs``: per resource type, outputs a provider would compute, added to the inputs it returns.
    ``record``: called with each registration instead of appending it to ``registrations``."""

    def __init__(self, outputs: Mapping[str, Mapping[str, Any]] | None = None,
                 record: Callable[[dict[str, Any]], None] | None = None):
        self.outputs = dict(outputs or {})
        self.registrations: list[dict[str, Any]] = []
        self.record = record or self.registrations.append

    def install(self, project: str, stack: str) -> None:
        engine = self
        # MockMonitor.RegisterResource calls Mocks.new_resource on the same thread: the request being
        # registered is handed over through a thread-local, so its options match exactly.
        current = threading.local()

        class Monitor(pulumi_mocks.MockMonitor):
            def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
                current.options = {
                    "protect": bool(request.protect),
                    "additionalSecretOutputs": list(request.additionalSecretOutputs),
                    "replaceOnChanges": list(request.replaceOnChanges),
                    "parent": request.parent,
                    "urn": self.make_urn(request.parent, request.type, request.name),
                }
                return super().RegisterResource(request)

        class Mocks(pulumi_mocks.Mocks):
            def new_resource(self, args: pulumi_mocks.MockResourceArgs):
                engine.record({"type": args.typ, "name": args.name, "custom": bool(args.custom),
                               "props": args.inputs, "options": getattr(current, "options", {})})
                return f"{args.name}-id", {**args.inputs, **engine.outputs.get(args.typ, {})}

            def call(self, args: pulumi_mocks.MockCallArgs):
                if args.token == PERMISSION_GROUPS_INVOKE:
                    return offline_permission_groups(args.args)
                return {}

        mocks = Mocks()
        pulumi_mocks.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=Monitor(mocks))
