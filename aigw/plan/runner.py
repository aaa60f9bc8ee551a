"""Child process of `aigw plan`: run `deploy(spec)` for ONE stack under Pulumi mocks.

Usage: python -m aigw.plan.runner Pulumi.<stack>.yaml [--check]
(--check, for `aigw check`: credentials written in plain text are not input errors but listed under
"plaintextCredentials", each as `aigw plan` refuses it, for the policy to report; the plan carries
them as redacted secrets.)
Prints one JSON document on stdout: {"stack", "environment", "resources", "outputs"} or,
for invalid config, {"problems": [...]} with exit status 2.

Pulumi's runtime is global to a process (module-level `SETTINGS` in pulumi's
`pulumi/runtime/settings.py`, which `pulumi.runtime.set_mocks` configures): one stack per process.
"""

from __future__ import annotations

import gc

# A plan process is short-lived and allocation-heavy: importing pulumi_cloudflare creates
# ~10^6 long-lived objects, and every full collection re-walks them while thousands of
# resources register. Collect nothing during imports, then freeze what was imported and
# collect rarely (measured: program time for 1,000 gateways roughly halves; BENCHMARKS.md).
gc.disable()

import json  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

from aigw_policy.vocabulary import ACCOUNT_TOKEN, SECRET_MARK  # noqa: E402

from ..spec import SpecError  # noqa: E402

# Pulumi's wire signature for secrets (sdk/python/lib/pulumi/runtime/rpc.py `_special_secret_sig`).
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
DYNAMIC_PROVIDER_KEY = "__provider"  # pulumi/dynamic/dynamic.py PROVIDER_KEY
# Provider-computed outputs that other resources consume, as offline placeholders: a token's
# value feeds the edge Worker's secret binding (and only ever travels as a secret).
OFFLINE_OUTPUTS: dict[str, dict[str, Any]] = {
    ACCOUNT_TOKEN: {"value": SECRET_MARK},
}


def redact(value: Any) -> Any:
    """Props for display: secret wrappers unwrapped (offline every secret leaf holds the
    "[secret]" placeholder, never a value), integral floats (protobuf numbers) -> int."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            inner = value.get("value")
            # A secret string is shown whole as [secret]; a secret structure shows its
            # non-secret parts (its secret leaves hold the placeholder).
            return SECRET_MARK if isinstance(inner, str) else redact(inner)
        return {k: redact(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


async def resolve_exports(value: Any) -> Any:
    """Exports with every Output resolved; a secret Output becomes "[secret]", never its value."""
    import pulumi

    if isinstance(value, pulumi.Output):
        if await value.is_secret():
            return SECRET_MARK
        return await resolve_exports(await value.future())
    if isinstance(value, dict):
        return {k: await resolve_exports(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [await resolve_exports(v) for v in value]
    return value


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def run(path: str, for_check: bool = False) -> dict[str, Any]:
    import os
    from pathlib import Path

    from aigw_policy.values import secret_paths

    from ..config import load_stack_file, load_stack_file_for_check, program_dir

    spec, plaintext = load_stack_file_for_check(path) if for_check else (load_stack_file(path), [])
    # Run where the engine would run the program, so relative paths (Worker modules) match.
    os.chdir(program_dir(Path(spec.project_dir)))

    from pulumi.runtime.stack import wait_for_rpcs
    from pulumi.runtime.sync_await import _sync_await

    from ..program import deploy

    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    gc.enable()

    from .engine import RecordingEngine

    engine = RecordingEngine(OFFLINE_OUTPUTS)
    engine.install(spec.project, spec.stack)
    captured = engine.registrations
    outputs = deploy(spec)
    _sync_await(wait_for_rpcs())
    outputs = _sync_await(resolve_exports(outputs))

    resources = []
    for res in captured:
        # A dynamic resource's serialized provider (the Logpush job's; always a secret) is how the
        # engine finds its code, not a setting: the plan, the rules and the diff never read it.
        res["props"].pop(DYNAMIC_PROVIDER_KEY, None)
        sent = res["options"]
        opts = {"protect": sent.get("protect", False),
                "additionalSecretOutputs": sorted(set(sent.get("additionalSecretOutputs", ()))),
                # The program's own replace triggers (a token's validity window): `aigw diff` says why.
                "replaceOnChanges": sorted(set(sent.get("replaceOnChanges", ())))} if sent else {}
        entry = {"type": res["type"], "name": res["name"], "props": redact(res["props"])}
        if res["custom"]:
            # Properties the engine stores encrypted as a whole (they hold a secret somewhere).
            opts = {**opts, "secretProps": sorted(k for k, v in res["props"].items() if _is_secret(v)),
                    # Where each secret sits (otels[0].authorization): the plan shows "[secret]"
                    # there, and `aigw check` tells a secret from a plain value by this list.
                    "secretPaths": secret_paths(res["props"])}
            entry["options"] = opts
        resources.append(entry)
    resources.sort(key=lambda r: (r["type"], r["name"]))
    return {
        "stack": spec.stack,
        "environment": spec.environment,
        "production": spec.production,
        "accountId": spec.account_id,
        "resources": resources,
        "outputs": redact(outputs),
        **({"plaintextCredentials": [
            {"file": p.file, "line": p.line, "path": p.path, "message": p.render()} for p in plaintext]}
           if for_check else {}),
    }


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if a != "--check"]
    if len(args) != 1:
        sys.stderr.write("usage: python -m aigw.plan.runner Pulumi.<stack>.yaml [--check]\n")
        return 2
    try:
        result = run(args[0], for_check="--check" in argv[1:])
    except SpecError as exc:
        json.dump({"problems": [p.render() for p in exc.problems]}, sys.stdout)
        return 2
    json.dump(result, sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
