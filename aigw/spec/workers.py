"""Workers: a gateway's edge Worker (``edge:``) and team Workers (``aigw:workers``)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
)

from .base import _Model
from .secrets import Secret, _credentials_in

# The edge Worker's module ships inside the aigw package (package data, aigw/workers/edge.mjs), so a
# project that uses the installed program deploys the same, tested Worker without a copy of its own.
EDGE_MODULE = Path(__file__).resolve().parent.parent / "workers" / "edge.mjs"


def edge_module(project_dir: Path | str) -> Path:
    """The edge Worker module a stack of ``project_dir`` deploys: the project's own copy of the package
    (``aigw/workers/edge.mjs`` in the project, as in the repository aigw is developed in, or a project that
    vendors it) when it has one, else the installed package's. Either way the path the provider gets is
    relative to the program's directory, so it does not depend on where the project is checked out."""
    own = Path(project_dir) / "aigw" / "workers" / "edge.mjs"
    return own if own.is_file() else EDGE_MODULE
# Default compatibility date of the edge Worker (aigw/workers/edge.mjs is tested in workerd with it).
EDGE_COMPATIBILITY_DATE = date(2026, 11, 1)
SCRIPT_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
BINDING_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
# Binding names the project sets itself on a team Worker.
RESERVED_BINDINGS = frozenset({"AI", "GATEWAY_ID"})


def _compatibility_date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    # Anything else must be the written date: pydantic would read a number as a Unix timestamp
    # (0 is 1970-01-01) and word an impossible date in its own terms.
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"must be a date as YYYY-MM-DD ({exc})") from None


class EdgeSpec(_Model):
    """The edge Worker in front of a gateway: the only route in, enforcing the logging policy."""

    token: str = Field(description="Name of an aigw:tokens entry with purpose run: the Worker's Run token.")
    app: str | None = Field(None, description="`app` in cf-aig-metadata (default: the gateway's name).")
    compatibility_date: date = EDGE_COMPATIBILITY_DATE

    @field_validator("compatibility_date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return _compatibility_date(value)


# --------------------------------------------------------------------------- workers

class WorkerSpec(_Model):
    """A team's own Worker (`aigw:workers.<name>`): an ES module using Workers AI via a gateway."""

    # The key under aigw:workers; not a setting (the alias cannot be written in config).
    name: str = Field("", alias="_name")
    module: str = Field(pattern=r"^[^/].*\.(mjs|js)$", description="ES module file, relative to the project root.")
    gateway: str = Field(description="Logical name of the stack gateway it uses (GATEWAY_ID binding).")
    compatibility_date: date
    compatibility_flags: list[str] = Field(default_factory=list)
    script_name: str | None = Field(None, pattern=SCRIPT_NAME_PATTERN,
                                    description="Default (resolved by the spec): <stack>-<name>.")
    vars: dict[Annotated[str, Field(pattern=BINDING_NAME_PATTERN)], str] = Field(default_factory=dict)
    secrets: dict[Annotated[str, Field(pattern=BINDING_NAME_PATTERN)], Secret] = Field(default_factory=dict)

    @field_validator("compatibility_date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return _compatibility_date(value)

    @field_validator("secrets", mode="before")
    @classmethod
    def _secrets_are_secret(cls, value: Any, info: ValidationInfo) -> Any:
        return _credentials_in(cls.__name__, value, info, lambda name: True)
