"""The base of every spec model (strict, frozen, camelCase aliases) and the names every part shares."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
)
from pydantic.alias_generators import to_camel

from aigw_policy.vocabulary import DEFAULT_PRODUCTION_ENVIRONMENTS  # noqa: F401 (re-exported by aigw.spec)

NAMESPACE = "aigw"
ACCOUNT_ID_PATTERN = r"^[0-9a-f]{32}$"
ENVIRONMENT_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Action = Literal["FLAG", "BLOCK"]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=False,
        arbitrary_types_allowed=True,
        strict=False,
    )
