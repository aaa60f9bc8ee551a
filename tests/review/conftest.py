"""Fixtures for the review tests: the repo's prod stack planned once per worker, and a fixed review date."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.review import REVIEW_DATE, aigw


@pytest.fixture(autouse=True)
def fixed_review_date(monkeypatch):
    """`aigw diff` judges token expiry by AIGW_TODAY (the subprocesses inherit it): no test reads the clock.
    The repo's tokens are valid from 2026-11-23 for 30 and 90 days: none is within 14 days of this date."""
    monkeypatch.setenv("AIGW_TODAY", REVIEW_DATE)


@pytest.fixture(scope="session")
def prod_plan() -> dict[str, Any]:
    """The prod stack exactly as `aigw plan prod --format json` gives it (copy before editing)."""
    proc = aigw("plan", "prod", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (stack,) = json.loads(proc.stdout)["stacks"]
    return stack
