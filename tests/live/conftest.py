"""Fixtures for the live commands: a fresh API stand-in per test (tests/helpers/standin.py).

`standin` is started before the test and shut down after it (handler threads joined, sockets
closed). It holds the test tokens (`standin.TEST_TOKENS`: read, write, gateways-only, run) and
no gateways or Logpush jobs: a test seeds what it needs, directly (`standin.seed_gateway(...)`,
`standin.gateways[...]`) or with the `seed` fixture (`seed(250)`).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from helpers.standin import TEST_TOKENS, FakeClock, StandIn


def _running(api: StandIn) -> Iterator[StandIn]:
    with api:
        yield api
    assert not api.errors, f"the stand-in raised inside its server: {api.errors!r}"


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """A running stand-in with the documented limits (1,200 requests / 5 minutes per token)."""
    yield from _running(StandIn(tokens=TEST_TOKENS))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limited_standin(clock: FakeClock) -> Iterator[StandIn]:
    """A running stand-in with a tiny budget (3 requests per 300 s, then blocked 2 s) on the fake `clock`."""
    yield from _running(StandIn(tokens=TEST_TOKENS, rate_limit=3, block_seconds=2, clock=clock))


@pytest.fixture
def seed(standin: StandIn) -> Callable[..., list[str]]:
    """`seed(250)` seeds gateways gw-0000..gw-0249 in the stand-in's account and returns their ids;
    keyword arguments go to `StandIn.seed_gateways` (prefix, account_id, settings)."""

    def seed(count: int, **kwargs: Any) -> list[str]:
        return standin.seed_gateways(count, **kwargs)

    return seed


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A base URL whose server accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/client/v4"
