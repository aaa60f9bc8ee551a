"""The evidence file of `aigw prove --evidence FILE`, and `aigw prove --verify FILE` (docs/evidence.md).

A JSON document of named sections (the run, the source commit, the plan digest, `aigw check`, and whatever
the caller adds: audit, drift, prove). Each section carries the SHA-256 of each top-level key of its data, the
hash of its own entry, and the hash of the entry before it, so the sections form a chain; the chain ends in
one final hash. A later edit of any byte is detectable: an edited value no longer matches its digest, an edited
digest or link no longer matches the entry's hash, a moved, added or removed section breaks the links or the
final hash, and anything else (white space, an escape, a number's spelling) makes the file differ from the one
way :func:`render` writes the document.

Hashes are over canonical JSON (:func:`canonical`): keys sorted, no white space, UTF-8, non-ASCII as is.
A chain detects edits, not a rewrite: whoever recomputes every hash makes a consistent file. Anchor the final
hash outside the file (docs/evidence.md), or set AIGW_EVIDENCE_KEY for an HMAC of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import subprocess
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

FORMAT = "aigw-evidence"
VERSION = 1
DISTRIBUTION = "aigw-infra"
KEY_ENV = "AIGW_EVIDENCE_KEY"
MIN_KEY_LENGTH = 32
SECTION_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
ENTRY_KEYS = ("name", "recordedAt", "previous", "digests", "hash", "data")
TOP_KEYS = ("format", "version", "sections", "chain")

INTACT, TAMPERED, UNREADABLE = 0, 1, 2


class EvidenceError(Exception):
    """The evidence cannot be built or read. ``exit_code``: 2 invalid input / not an evidence file, 4 a bug."""

    def __init__(self, lines: list[str], exit_code: int = UNREADABLE):
        self.lines = lines
        self.exit_code = exit_code
        super().__init__("\n".join(lines))


# --- hashing -----------------------------------------------------------------------------------------------

def canonical(value: Any) -> bytes:
    """Canonical JSON: keys sorted, no white space, UTF-8 (non-ASCII characters as themselves)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def genesis() -> str:
    """The link of the first section: the hash of the format and version, so neither can be edited."""
    return sha256({"format": FORMAT, "version": VERSION})


def digests_of(data: dict[str, Any]) -> dict[str, str]:
    return {key: sha256(value) for key, value in data.items()}


def entry_hash(name: str, recorded_at: str, previous: str, digests: dict[str, str]) -> str:
    return sha256({"name": name, "recordedAt": recorded_at, "previous": previous, "digests": digests})


def final_hash(hashes: Sequence[str]) -> str:
    return sha256({"format": FORMAT, "version": VERSION, "hashes": list(hashes)})


def _key(environ: dict[str, str] | None = None) -> bytes | None:
    value = (os.environ if environ is None else environ).get(KEY_ENV)
    if not value:
        return None
    if len(value) < MIN_KEY_LENGTH:
        raise EvidenceError([f"{KEY_ENV}: {len(value)} characters (value not shown): an HMAC key has at least "
                             f"{MIN_KEY_LENGTH}; unset it for no HMAC"])
    return value.encode("utf-8")


def _hmac(key: bytes, final: str) -> str:
    return hmac.new(key, final.encode("ascii"), hashlib.sha256).hexdigest()


# --- building ----------------------------------------------------------------------------------------------

def utc_now() -> str:
    """UTC, ISO 8601, seconds: 2026-12-02T13:49:11Z."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def tool_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def build(sections: Sequence[tuple[str, dict[str, Any]]], *, now: Callable[[], str] = utc_now,
          environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The evidence document of ``sections`` (name, data), in that order, chained. ``now`` stamps each section.

    Names are unique and match ``[a-z][a-z0-9-]*``; data is a JSON object (anything :func:`canonical` takes).
    With AIGW_EVIDENCE_KEY set (in ``environ``, default the process environment) the chain carries an
    HMAC-SHA256 of its final hash. Raises EvidenceError on bad input.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for i, (name, data) in enumerate(sections):
        if not isinstance(name, str) or not SECTION_NAME.match(name):
            problems.append(f"sections[{i}]: name {name!r}: allowed: a lowercase letter, then lowercase letters, "
                            "digits and '-' (at most 63)")
        elif name in seen:
            problems.append(f"sections[{i}]: name {name!r}: given twice; section names are unique")
        seen.add(name)
        if not isinstance(data, dict):
            problems.append(f"sections[{i}] ({name}): data is {type(data).__name__}: allowed: a JSON object (dict)")
            continue
        try:
            canonical(data)
        except (TypeError, ValueError) as exc:
            problems.append(f"sections[{i}] ({name}): data is not JSON: {exc}")
    if not sections:
        problems.append("sections: none given: an evidence file has at least one section")
    if problems:
        raise EvidenceError(problems)
    key = _key(environ)
    entries: list[dict[str, Any]] = []
    previous = genesis()
    for name, data in sections:
        data = json.loads(canonical(data))  # a copy, as it will read back (tuples -> lists)
        recorded = now()
        digests = digests_of(data)
        h = entry_hash(name, recorded, previous, digests)
        entries.append({"name": name, "recordedAt": recorded, "previous": previous, "digests": digests,
                        "hash": h, "data": data})
        previous = h
    final = final_hash([e["hash"] for e in entries])
    chain: dict[str, Any] = {"algorithm": "sha256", "sections": len(entries), "final": final}
    if key is not None:
        chain["hmac"] = {"algorithm": "hmac-sha256", "keyEnv": KEY_ENV, "value": _hmac(key, final)}
    doc = {"format": FORMAT, "version": VERSION, "sections": entries, "chain": chain}
    problems = _schema_problems(doc)  # the sections aigw knows (run, source, plan, check) have their shape
    if problems:
        raise EvidenceError(problems)
    return doc


def _dump(value: Any, level: int) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).replace("\n", "\n" + "  " * level)


def _ordered(obj: dict[str, Any], order: Sequence[str]) -> list[str]:
    return [k for k in order if k in obj] + sorted(k for k in obj if k not in order)


def render_spans(doc: dict[str, Any]) -> tuple[str, list[tuple[int, int, str]]]:
    """The one way an evidence document is written (2-space indents, fixed key order at the top and in each
    entry, keys sorted below), and the (start, end, label) character spans of its parts."""
    out: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = 0

    def emit(text: str, label: str) -> None:
        nonlocal pos
        out.append(text)
        spans.append((pos, pos + len(text), label))
        pos += len(text)

    emit("{\n", "the document")
    keys = _ordered(doc, TOP_KEYS)
    for k_i, key in enumerate(keys):
        sep = ",\n" if k_i < len(keys) - 1 else "\n"
        value = doc[key]
        if key == "sections" and isinstance(value, list) and value:
            emit(f'  {json.dumps(key)}: [\n', "the document")
            for i, entry in enumerate(value):
                label = section_label(i, entry)
                if isinstance(entry, dict):
                    lines = [f"      {json.dumps(k, ensure_ascii=False)}: {_dump(entry[k], 3)}"
                             for k in _ordered(entry, ENTRY_KEYS)]
                    text = "    {\n" + ",\n".join(lines) + "\n    }" if lines else "    {}"
                else:
                    text = "    " + _dump(entry, 2)
                emit(text, label)
                emit(",\n" if i < len(value) - 1 else "\n", "the document")
            emit("  ]" + sep, "the document")
        else:
            emit(f"  {json.dumps(key, ensure_ascii=False)}: ", "the document")
            emit(_dump(value, 1), "the chain" if key == "chain" else "the document")
            emit(sep, "the document")
    emit("}\n", "the document")
    return "".join(out), spans


def render(doc: dict[str, Any]) -> str:
    return render_spans(doc)[0]


def write(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` to ``path`` at once (aigw/atomic.py: a reader never sees half a file)."""
    from ..atomic import replace

    replace(Path(path), render(doc).encode("utf-8"))


# --- the offline sections ----------------------------------------------------------------------------------

def git_source(project_dir: Path) -> dict[str, Any]:
    """The project's commit (`git rev-parse HEAD`) and whether tracked files differ from it (untracked files,
    such as the evidence file itself, do not count). Outside a git work tree: commit and dirty null."""
    def git(*args: str) -> subprocess.CompletedProcess[str] | None:
        try:
            return subprocess.run(["git", "-C", str(project_dir), *args], capture_output=True, text=True,
                                  check=False, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None

    head = git("rev-parse", "--verify", "HEAD")
    if head is None or head.returncode != 0:
        why = "git is not installed" if head is None else (head.stderr.strip().splitlines() or ["no commit"])[-1]
        return {"commit": None, "dirty": None, "note": f"no git commit: {why}"}
    status = git("status", "--porcelain", "--untracked-files=no")
    dirty = None if status is None or status.returncode != 0 else bool(status.stdout.strip())
    return {"commit": head.stdout.strip(), "dirty": dirty}


PLAN_KEYS = ("stack", "environment", "production", "accountId", "resources", "outputs")


def plan_digest(plan: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a stack's plan as `aigw plan STACK --format json` shows it (the one
    element of its "stacks")."""
    return sha256({k: plan[k] for k in PLAN_KEYS if k in plan})


def offline_sections(project_dir: Path, stack: str, policy_config: Path | None = None, *,
                     plan: dict[str, Any] | None = None,
                     now: Callable[[], str] = utc_now) -> list[tuple[str, dict[str, Any]]]:
    """The sections that need no credentials: ``run`` (tool, version, stack, time), ``source`` (git), ``plan``
    (the plan digest) and ``check`` (`aigw check --format json` of the stack). One plan subprocess, none when
    ``plan`` (the stack's plan, as `aigw plan` made it) is given.

    Raises EvidenceError (exit 2 for invalid input, 4 when the program failed) when the stack cannot be planned.
    """
    from ..check import check_plan, located_in_policy_config
    from ..check import format as check_format
    from ..check.config import PolicyConfigError, load_settings
    from ..plan import PlanError, plan_targets, resolve_targets
    from ..review import review_date

    project_dir = Path(project_dir)
    try:
        settings = load_settings(policy_config)
        today = review_date()
        (target,) = resolve_targets([stack], lambda: project_dir)
    except PolicyConfigError as exc:
        raise EvidenceError(exc.lines) from None
    except PlanError as exc:
        raise EvidenceError(exc.lines, exc.exit_code) from None
    except ValueError as exc:  # AIGW_TODAY
        raise EvidenceError([str(exc)]) from None
    if plan is None:
        planned = plan_targets([target], jobs=1, for_check=True)
        if planned.lines:
            raise EvidenceError(planned.lines, planned.exit_code)
        ((_, plan),) = planned.plans
    elif plan.get("stack") != target.stack:
        raise EvidenceError([f"offline_sections: the plan given is stack {plan.get('stack')!r}, not {stack!r}"], 4)
    lines = policy_config.read_text().splitlines() if policy_config is not None else []
    result = located_in_policy_config(check_plan(plan, target.path, settings, today), policy_config, lines)
    check = json.loads(check_format.to_json([result], settings))
    run = {"tool": {"name": "aigw", "distribution": DISTRIBUTION, "version": tool_version()},
           "stack": plan["stack"], "environment": plan["environment"], "production": plan["production"],
           "startedAt": now()}
    return [
        ("run", run),
        ("source", git_source(project_dir)),
        ("plan", {"stack": plan["stack"], "digest": {"algorithm": "sha256", "value": plan_digest(plan)},
                  "resources": len(plan["resources"]), "of": "aigw plan STACK --format json: stacks[0]"}),
        ("check", {"policyConfig": str(policy_config) if policy_config is not None else None,
                   "reviewDate": today.isoformat(), **check}),
    ]


# --- verifying ---------------------------------------------------------------------------------------------

@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of an evidence file (aigw/prove/evidence.schema.json, package data)."""
    return json.loads(resources.files(__package__).joinpath("evidence.schema.json").read_text(encoding="utf-8"))


def section_label(i: int, entry: Any) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    return f"section {i} ({name!r})" if isinstance(name, str) else f"section {i}"


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def load(path: Path) -> tuple[str, dict[str, Any]]:
    """The text and the document of an evidence file. EvidenceError (exit 2): unreadable, not UTF-8, or see
    :func:`parse`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EvidenceError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EvidenceError([f"{path}: not UTF-8 text (byte {exc.start}): an evidence file is JSON"]) from None
    return text, parse(text, str(path))


def parse(text: str, path: str = "<evidence>") -> dict[str, Any]:
    """The document in ``text``. EvidenceError (exit 2): not JSON, or not an evidence file."""
    try:
        doc = json.loads(text, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise EvidenceError([f"{path}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg}): not an evidence "
                             "file"]) from None
    except ValueError as exc:
        raise EvidenceError([f"{path}: {exc}: not an evidence file as aigw writes it"]) from None
    looks = isinstance(doc, dict) and (doc.get("format") == FORMAT or ("sections" in doc and "chain" in doc))
    if not looks:
        raise EvidenceError([f"{path}: not an aigw evidence file (a JSON object with format {FORMAT!r}, "
                             "sections and chain)"])
    return doc


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def _schema_problems(doc: dict[str, Any]) -> list[str]:
    problems = []
    for err in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.path))):
        path = list(err.absolute_path)
        where = "the document"
        if len(path) >= 2 and path[0] == "sections" and isinstance(path[1], int):
            where = section_label(path[1], doc["sections"][path[1]])
            path = path[2:]
        elif path and path[0] == "chain":
            where, path = "the chain", path[1:]
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        problems.append(f"{where}: {key + ': ' if key else ''}{err.message}")
    return problems


def _entry_problems(entries: list[dict[str, Any]], recorded_final: str) -> list[str]:
    problems: list[str] = []
    recorded = [e["hash"] for e in entries]
    by_hash = {h: i for i, h in enumerate(recorded)}
    expected_previous = genesis()
    for i, e in enumerate(entries):
        label = section_label(i, e)
        data, digests = e["data"], e["digests"]
        computed = digests_of(data)
        for key in sorted(set(computed) | set(digests)):
            if key not in digests:
                problems.append(f"{label}: data.{key} was added (it has no recorded digest)")
            elif key not in computed:
                problems.append(f"{label}: data.{key} was removed (its digest is recorded)")
            elif computed[key] != digests[key]:
                intact_with = entry_hash(e["name"], e["recordedAt"], e["previous"], {**digests, key: computed[key]})
                if intact_with == e["hash"]:
                    problems.append(f"{label}: digests.{key} was edited (data.{key} hashes to {computed[key]}, "
                                    f"the entry's hash records that)")
                else:
                    problems.append(f"{label}: data.{key} was edited: it hashes to {computed[key]}, the recorded "
                                    f"digest is {digests[key]}")
        own = entry_hash(e["name"], e["recordedAt"], e["previous"], digests)
        next_link = entries[i + 1]["previous"] if i + 1 < len(entries) else None
        if own != e["hash"] and not any(p.startswith(f"{label}: digests.") for p in problems):
            # (an edited digest, named above, explains a hash that no longer matches)
            if entry_hash(e["name"], e["recordedAt"], expected_previous, digests) == e["hash"]:
                problems.append(f"{label}: previous (its link to the section before) was edited: it is "
                                f"{e['previous']}, the chain recorded {expected_previous}")
            elif own == next_link or (next_link is None and final_hash([*recorded[:-1], own]) ==
                                      recorded_final):
                problems.append(f"{label}: hash was edited: it is {e['hash']}, the entry hashes to {own}")
            else:
                problems.append(f"{label}: its name or recordedAt was edited: the entry hashes to {own}, the "
                                f"chain recorded {e['hash']}")
        elif e["previous"] != expected_previous:
            if e["previous"] in by_hash:
                j = by_hash[e["previous"]]
                problems.append(f"{label}: the sections were reordered: it links to {section_label(j, entries[j])}"
                                f" as the section before it, not to "
                                f"{section_label(i - 1, entries[i - 1]) if i else 'the start of the chain'}")
            elif e["previous"] == genesis():
                problems.append(f"{label}: the sections were reordered: it was the first section")
            else:
                problems.append(f"{label}: the section recorded before it is missing (removed, or its hash was "
                                f"edited): it links to {e['previous']}")
        expected_previous = e["hash"]
    return problems


def verify_document(doc: dict[str, Any], text: str | None = None,
                    environ: dict[str, str] | None = None) -> list[str]:
    """The problems of an evidence document (empty: intact). ``text``: the file as read, which must be the
    document as :func:`render` writes it."""
    if doc.get("format") != FORMAT or doc.get("version") != VERSION:
        problems = [f"the document: format {doc.get('format')!r} version {doc.get('version')!r}: this aigw "
                    f"writes and reads format {FORMAT!r} version {VERSION}"]
    else:
        problems = []
    problems += _schema_problems(doc)
    if problems:
        return problems
    entries, chain = doc["sections"], doc["chain"]
    problems += _entry_problems(entries, chain["final"])
    final = final_hash([e["hash"] for e in entries])
    if chain["sections"] != len(entries):
        problems.append(f"the chain: it records {chain['sections']} section(s), the file has {len(entries)}: "
                        "sections were added or removed")
    if final != chain["final"]:
        hashes_edited = any(": hash was edited" in p for p in problems)
        if not hashes_edited:
            problems.append(f"the chain: final is {chain['final']}, the sections hash to {final}: the final hash "
                            "was edited, or sections were added or removed at the end")
    key = _key(environ)
    mac = chain.get("hmac")
    if key is not None and mac is None:
        problems.append(f"the chain: {KEY_ENV} is set but the file carries no HMAC (it was written without the "
                        "key, or the HMAC was removed)")
    elif key is not None and not hmac.compare_digest(_hmac(key, chain["final"]), mac["value"]):
        problems.append(f"the chain: the HMAC does not match the final hash under {KEY_ENV} (a different key, or "
                        "the final hash or the HMAC was edited)")
    if text is not None and not problems:
        problems += _layout_problems(doc, text)
    return problems


def _layout_problems(doc: dict[str, Any], text: str) -> list[str]:
    expected, spans = render_spans(doc)
    if text == expected:
        return []
    at = next((i for i, (a, b) in enumerate(zip(text, expected, strict=False)) if a != b),
              min(len(text), len(expected)))
    label = next((lab for start, end, lab in spans if start <= at < end), "the document")
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return [f"{label}: the file differs from the document as aigw writes it at line {line}, column {column} "
            f"(white space, an escape or a number's spelling was changed): the values still hash as recorded, "
            "but this is not the file that was written"]


def verify(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    """The problems of the evidence file at ``path`` (empty: intact). EvidenceError (exit 2) when it cannot be
    read or is not an evidence file."""
    text, doc = load(path)
    return verify_document(doc, text, environ)


def verify_command(path: Path, environ: dict[str, str] | None = None) -> tuple[int, list[str]]:
    """`aigw prove --verify FILE`: (exit code, lines). 0 intact, 1 tampered (each problem names the section and
    what differs), 2 unreadable or not an evidence file."""
    try:
        text, doc = load(path)
        problems = verify_document(doc, text, environ)
    except EvidenceError as exc:
        return exc.exit_code, exc.lines
    if problems:
        return TAMPERED, [f"{path}: {p}" for p in problems] + [
            f"{path}: evidence FAILED verification ({len(problems)} problem(s))"]
    chain = doc["chain"]
    names = ", ".join(e["name"] for e in doc["sections"])
    mac = (" and HMAC" if chain.get("hmac") and _key(environ) is not None
           else "; HMAC not checked (AIGW_EVIDENCE_KEY is not set)" if chain.get("hmac") else "")
    return INTACT, [f"{path}: evidence intact: {len(doc['sections'])} section(s) ({names}), final hash "
                    f"{chain['final']}{mac}",
                    "  (intact means unedited since the chain was computed: compare the final hash with the one "
                    "you anchored elsewhere)"]
