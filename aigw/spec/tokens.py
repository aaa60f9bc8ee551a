"""API tokens (``aigw:tokens``)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    field_validator,
)

from aigw_policy.vocabulary import DEFAULT_MAX_TOKEN_DAYS  # noqa: F401 (re-exported by aigw.spec)

from .base import _Model

# --------------------------------------------------------------------------- tokens



def _ip_network(value: str) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address or CIDR range") from None


class TokenSpec(_Model):
    """One API token of the stack (`aigw:tokens.<name>`), scoped to the stack's account."""

    # The key under aigw:tokens; not a setting (the alias cannot be written in config).
    name: str = Field("", alias="_name")
    purpose: Literal["run", "read", "deploy"]
    expires_in_days: Annotated[int, Field(ge=1, strict=True)]
    valid_from: date = Field(description="Issue date (YYYY-MM-DD): the token expires expiresInDays later. "
                                         "Rotate by moving it forward: the token is replaced, with a new value.")
    allow_ips: list[str] | None = Field(None, min_length=1)
    deny_ips: list[str] | None = Field(None, min_length=1)

    @field_validator("allow_ips", "deny_ips")
    @classmethod
    def _networks(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [_ip_network(v) for v in value]

    @field_validator("valid_from", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        # YAML may hand over an unquoted date as a date or as a midnight timestamp.
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value
        # Anything else (a number would be read as a Unix timestamp) must be the written date.
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T00:00:00(Z|[+-]00:00)?)?", value):
            raise ValueError("must be a date as YYYY-MM-DD")
        try:
            return date.fromisoformat(value[:10])
        except ValueError as exc:
            raise ValueError(f"must be a date as YYYY-MM-DD ({exc})") from None

    @property
    def expires_on(self) -> date:
        return self.valid_from + timedelta(days=self.expires_in_days)
