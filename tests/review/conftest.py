"""Fixtures for the review tests: the repo's prod stack planned once per worker."""

from __future__ import annotations

import json
from typing import Any

import pytest
from review_helpers import aigw


@pytest.fixture(scope="session")
def prod_plan() -> dict[str, Any]:
    """The prod stack exactly as `aigw plan prod --format json` gives it (copy before editing)."""
    proc = aigw("plan", "prod", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (stack,) = json.loads(proc.stdout)["stacks"]
    return stack
