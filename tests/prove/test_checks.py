"""aigw/prove/checks.py and run.py in-process: the spread, the duration, what counts as a stored body."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from aigw.prove import checks
from aigw.prove.run import parse_duration


@pytest.mark.parametrize(("total", "parts", "expected"), [(100, 20, [5] * 20), (10, 3, [4, 3, 3]), (2, 3, [1, 1, 0]),
                                                          (0, 2, [0, 0]), (5, 0, [])])
def test_shares_spread_evenly(total: int, parts: int, expected: list[int]) -> None:
    assert checks.shares(total, parts) == expected


def test_durations() -> None:
    assert parse_duration("30m") == dt.timedelta(minutes=30)
    assert parse_duration("7d") == dt.timedelta(days=7)
    for bad in ("0h", "24", "1w", "-1d", "1.5h"):
        with pytest.raises(ValueError, match="a whole number and a unit"):
            parse_duration(bad)


def _detail(**fields: object) -> SimpleNamespace:
    base = {"request_head": None, "request_size": None, "response_head": None, "response_size": None}
    return SimpleNamespace(**{**base, **fields})


def test_a_detail_shows_a_body_by_its_head_or_size() -> None:
    assert checks.detail_shows_body(_detail()) == []
    assert checks.detail_shows_body(_detail(request_size=0, response_head="")) == []
    assert checks.detail_shows_body(_detail(request_head="{")) == ["request"]
    assert checks.detail_shows_body(_detail(response_size=3)) == ["response"]


class _Logs:
    def __init__(self, answer: object):
        self.answer = answer

    def request(self, *args: object, **kwargs: object) -> object:
        return self.answer


class _Client:
    def __init__(self, answer: object):
        self.sdk = SimpleNamespace(ai_gateway=SimpleNamespace(logs=_Logs(answer)))

    def call(self, name: str, fn):  # noqa: ANN001
        return fn()


@pytest.mark.parametrize(("answer", "stored"), [
    (None, False), ({}, False), ("", False), ([], False),
    ({"success": True, "result": None, "errors": []}, False),
    ({"success": True, "result": {"messages": []}, "errors": []}, True),
    ({"messages": [{"role": "user"}]}, True), ("raw text", True),
])
def test_what_the_body_endpoint_answers_counts_as_stored_or_not(answer: object, stored: bool) -> None:
    assert checks.body_stored(_Client(answer), "a", "g", "l", "request") is stored


def test_targets_leave_out_gateways_that_allow_payloads() -> None:
    plan = {"resources": [
        {"type": "cloudflare:index/aiGateway:AiGateway", "name": "a", "props": {"aiGatewayId": "p-a"}},
        {"type": "cloudflare:index/aiGateway:AiGateway", "name": "b", "props": {"aiGatewayId": "p-b"}},
        {"type": checks.EDGE_WORKER, "name": "a", "props": {"gateway": "p-a", "payloads": "false", "token": "t"}},
        {"type": checks.EDGE_WORKER, "name": "b", "props": {"gateway": "p-b", "payloads": "true", "token": "t"}},
        {"type": checks.ACCOUNT_TOKEN, "name": "t", "props": {"name": "aigw-p-t"}},
    ], "outputs": {"gateways": {"a": {"edgeWorker": {"url": "https://a.example"}}}}}
    targets, notes = checks.targets(plan)
    assert targets == [checks.Target("p-a", "a", "https://a.example")]
    assert notes == ["p-b: payloads are allowed (logging.payloads: true), so its logs are not checked"]
    assert checks.edge_token_names(plan) == {"aigw-p-t"}
