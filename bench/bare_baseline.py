"""Bare baseline for the plan benchmark: N AiGateway resources registered under Pulumi mocks.

No spec, no config file, no component: the floor that any offline plan of N gateways pays
(interpreter start, importing pulumi_cloudflare, N registrations).
Usage: bare_baseline.py N [--gc-tuned]   (--gc-tuned: the plan runner's GC settings, to show
what the spec and the component cost on top of the same floor)
"""

import gc
import sys

if "--gc-tuned" in sys.argv:
    gc.disable()

import pulumi_cloudflare as cloudflare
from pulumi.runtime import mocks
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await


class Echo(mocks.Mocks):
    def new_resource(self, args):
        return f"{args.name}-id", args.inputs

    def call(self, args):
        return {}


def main(n: int) -> None:
    if "--gc-tuned" in sys.argv:
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        gc.enable()
    mocks.set_mocks(Echo(), project="bench", stack="bench", preview=False)
    for i in range(n):
        cloudflare.AiGateway(
            f"gw{i}", account_id="0" * 32, ai_gateway_id=f"bench-gw{i}", cache_ttl=0,
            cache_invalidate_on_update=False, collect_logs=True, rate_limiting_interval=0,
            rate_limiting_limit=0,
        )
    _sync_await(wait_for_rpcs())


if __name__ == "__main__":
    main(int(sys.argv[1]))
