"""The offline plan relies on pulumi runtime internals: `pulumi.runtime.mocks.set_mocks` and
`pulumi.runtime.stack.wait_for_rpcs`, plus the private `pulumi.runtime.sync_await._sync_await` and the
secret wire signature `pulumi.runtime.rpc._special_secret_sig` (pulumi's own source, not documented API).

pulumi is pinned to a minor range in pyproject.toml; these tests fail loudly if an upgrade
moves or changes what the plan runner uses, instead of the plan silently capturing nothing.
"""

import inspect

import pulumi
from helpers import wire
from pulumi.runtime import mocks
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from aigw.plan.runner import SECRET_SIG, SIG_KEY


def test_mock_helpers_exist_with_the_signatures_the_runner_uses():
    params = inspect.signature(mocks.set_mocks).parameters
    assert {"mocks", "project", "stack", "preview", "monitor"} <= set(params)
    assert inspect.iscoroutinefunction(wait_for_rpcs)
    assert callable(_sync_await)
    assert hasattr(mocks.MockMonitor, "RegisterResource")


def test_secret_wire_signature_matches_pulumi():
    from pulumi.runtime import rpc

    assert rpc._special_sig_key == SIG_KEY == wire.SIG_KEY
    assert rpc._special_secret_sig == SECRET_SIG == wire.SECRET_SIG


def test_a_program_under_mocks_captures_resources_only_after_waiting():
    captured = []

    class Capture(mocks.Mocks):
        def new_resource(self, args):
            captured.append(args.name)
            return f"{args.name}-id", args.inputs

        def call(self, args):
            return {}

    mocks.set_mocks(Capture(), project="p", stack="internals", preview=False)
    pulumi.CustomResource("test:index:Thing", "one", {"x": 1})
    _sync_await(wait_for_rpcs())
    assert captured == ["one"]
