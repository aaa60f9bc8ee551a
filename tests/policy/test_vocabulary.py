"""The shared vocabulary (policy/aigw_policy/vocabulary.py): standard library only, so the pack stays
publishable alone, and the derived names read as the docs say."""

from __future__ import annotations

import ast
from pathlib import Path

from aigw_policy import vocabulary as v

VOCABULARY = Path(__file__).resolve().parents[2] / "policy" / "aigw_policy" / "vocabulary.py"


def test_the_vocabulary_imports_nothing_but_the_standard_library():
    tree = ast.parse(VOCABULARY.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {str(node.module).split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.level == 0}
    assert imported <= {"__future__"}, imported


def test_derived_names():
    assert v.gateway_id("prod", "chat") == "prod-chat"
    assert v.edge_script_name("prod-chat") == "prod-chat-edge"
    assert v.LOGPUSH_JOB == "pulumi-python:dynamic/aigw:LogpushJob"
    assert v.LOGPUSH_JOBS == (v.LOGPUSH_JOB, "cloudflare:index/logpushJob:LogpushJob")
    assert all(t.startswith(v.COMPONENT_PREFIX) for t in
               (v.GATEWAY_COMPONENT, v.EDGE_WORKER, v.TEAM_WORKER, v.API_TOKEN, v.LOG_EXPORT))
    assert v.SECRET_MARK == "[secret]"
    assert v.DEFAULT_PRODUCTION_ENVIRONMENTS == ("prod", "production")
    assert v.DEFAULT_MAX_TOKEN_DAYS == 90
