"""Fixtures shared by the plan tests: the repo's prod stack planned once per module."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.plan import aigw


@pytest.fixture(scope="module")
def prod_output() -> str:
    proc = aigw("plan", "prod", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def prod(prod_output) -> dict[str, Any]:
    (stack,) = json.loads(prod_output)["stacks"]
    return stack
