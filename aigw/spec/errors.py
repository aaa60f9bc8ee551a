"""Invalid configuration: :class:`SpecError`, one :class:`Problem` per key path (file, line, path, value,
what is allowed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aigw_policy.vocabulary import SECRET_MARK

from .secrets import _MISSING, Secret, _plain


class SpecError(Exception):
    """Invalid configuration: one or more problems, each naming file, key path, value, allowed."""

    def __init__(self, problems: list[Problem]):
        self.problems = _merge_alternatives(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    value: Any
    allowed: str
    line: int | None = None

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {_show(self.value)}: {self.allowed}"


def _merge_alternatives(problems: list[Problem]) -> list[Problem]:
    """One line per key path, in file order: alternatives of a union are joined with 'or'."""
    merged: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        key = (problem.file, problem.path)
        if key in merged:
            first = merged[key]
            if problem.allowed not in first.allowed:
                merged[key] = Problem(first.file, first.path, first.value,
                                      f"{first.allowed}; or {problem.allowed}", first.line)
        else:
            merged[key] = problem
    return sorted(merged.values(), key=lambda p: (p.file, p.line or 0))


def _show(value: Any) -> str:
    if value is _MISSING:
        return "missing"
    if isinstance(value, Secret):
        return SECRET_MARK
    if isinstance(value, (dict, list)):
        text = json.dumps(_plain(value), sort_keys=True)
        return text if len(text) <= 80 else text[:77] + "..."
    if isinstance(value, str) and len(value) > 80:
        return repr(value[:40] + "...") + f" ({len(value):,} characters)"
    if value is None or isinstance(value, bool):
        return json.dumps(value)  # as written in YAML: true, false, null
    return repr(value)
