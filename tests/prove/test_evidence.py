"""The evidence file (aigw/prove/evidence.py, docs/evidence.md): built, written, verified; every one-byte edit
is caught and names the part of the file it is in; reordered, removed and added sections are caught; the
schema; unreadable files exit 2."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from helpers.plan import ROOT, aigw
from jsonschema import Draft202012Validator

from aigw.prove import evidence as ev

KEY = "k" * 40


def clock():
    times = iter(f"2026-12-02T13:{m:02d}:00Z" for m in range(60))
    return lambda: next(times)


def sample_sections() -> list[tuple[str, dict]]:
    return [
        ("run", {"tool": {"name": "aigw", "distribution": "aigw-infra", "version": "0.1.0"}, "stack": "prod",
                 "environment": "prod", "production": True, "startedAt": "2026-12-02T13:00:00Z"}),
        ("source", {"commit": "a" * 40, "dirty": False}),
        ("plan", {"stack": "prod", "digest": {"algorithm": "sha256", "value": "b" * 64}, "resources": 3}),
        ("check", {"reviewDate": "2026-12-01", "policyConfig": None,
                   "stacks": [{"stack": "prod", "environment": "prod", "production": True, "file": "P.yaml",
                               "findings": [{"policy": "production-rate-limited", "level": "mandatory",
                                             "resource": {"type": "t", "name": "n"}, "message": "née 1.5",
                                             "controls": ["GDPR-32"]}]}],
                   "summary": {"mandatory": 1, "advisory": 0, "passed": False}}),
        ("prove", {"checks": [{"id": "prove-sample", "passed": True, "sampled": 100}], "exitCode": 0}),
    ]


@pytest.fixture
def doc() -> dict:
    return ev.build(sample_sections(), now=clock(), environ={})


def written(tmp_path: Path, doc: dict, name: str = "evidence.json") -> Path:
    path = tmp_path / name
    ev.write(path, doc)
    return path


def test_a_valid_file_passes(tmp_path: Path, doc: dict):
    path = written(tmp_path, doc)
    assert ev.verify(path, environ={}) == []
    code, lines = ev.verify_command(path, environ={})
    assert code == 0
    assert lines[0].startswith(f"{path}: evidence intact: 5 section(s) (run, source, plan, check, prove), "
                               f"final hash {doc['chain']['final']}")


def test_the_file_is_the_one_rendering_and_reads_back(tmp_path: Path, doc: dict):
    path = written(tmp_path, doc)
    text = path.read_text(encoding="utf-8")
    assert text == ev.render(doc) and text.endswith("}\n")
    assert json.loads(text) == doc
    assert "née" in text  # UTF-8 as is, not escaped


def test_hashes_are_over_canonical_json(doc: dict):
    assert ev.canonical({"b": 1, "a": ["é", 2]}) == '{"a":["é",2],"b":1}'.encode()
    entry = doc["sections"][3]
    for key, value in entry["data"].items():
        want = hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":"),
                                         ensure_ascii=False).encode()).hexdigest()
        assert entry["digests"][key] == want
    assert entry["previous"] == doc["sections"][2]["hash"]
    assert doc["sections"][0]["previous"] == ev.genesis()
    assert doc["chain"]["final"] == ev.final_hash([e["hash"] for e in doc["sections"]])
    assert [e["recordedAt"] for e in doc["sections"]] == [f"2026-12-02T13:0{i}:00Z" for i in range(5)]


def _span_label(spans, text_index: int) -> str:
    return next(label for start, end, label in spans if start <= text_index < end)


@pytest.mark.slow  # every byte of a 5 kB file, twice: seconds
def test_every_one_byte_edit_fails_naming_where_it_is(doc: dict):
    text, spans = ev.render_spans(doc)
    raw = text.encode("utf-8")
    caught = unreadable = 0
    for i, flip in ((i, flip) for i in range(len(raw)) for flip in (0x01, 0x20)):
        edited = bytearray(raw)
        edited[i] ^= flip  # a digit, a letter's case, a quote, white space ...
        try:
            edited_text = bytes(edited).decode("utf-8")
            problems = ev.verify_document(ev.parse(edited_text), edited_text, environ={})
        except (UnicodeDecodeError, ev.EvidenceError):
            unreadable += 1  # not UTF-8 / not JSON any more: exit 2, never a pass
            continue
        assert problems, f"byte {i} edited ({raw[max(0, i - 20):i + 20]!r}) and the file still verifies"
        label = _span_label(spans, len(raw[:i].decode("utf-8", errors="ignore")))
        where = label.split(" (")[0]  # "section 3", "the chain", "the document"
        assert any(p.startswith(where) for p in problems), (i, label, problems)
        caught += 1
    assert caught > len(raw) / 2 and caught + unreadable == 2 * len(raw)


@pytest.mark.parametrize(("old", "new", "words"), [
    ('"mandatory": 1', '"mandatory": 0', "section 3 ('check'): data.summary was edited"),
    ('"sampled": 100', '"sampled": 101', "section 4 ('prove'): data.checks was edited"),
    ('"dirty": false', '"dirty":  false', None),  # the same values, but not as aigw writes them
])
def test_an_edit_names_the_section_and_what_differs(tmp_path: Path, doc: dict, old: str, new: str, words):
    path = written(tmp_path, doc)
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    code, lines = ev.verify_command(path, environ={})
    assert code == 1
    if words:
        assert any(line.startswith(f"{path}: {words}") for line in lines), lines
    else:
        assert lines[0].startswith(f"{path}: section 1 ('source'): the file differs from the document as aigw "
                                   "writes it at line"), lines
    assert lines[-1] == f"{path}: evidence FAILED verification ({len(lines) - 1} problem(s))"


def test_an_edited_digest_hash_or_link_is_named(doc: dict):
    d = copy.deepcopy(doc)
    d["sections"][1]["digests"]["dirty"] = "0" * 64
    assert ev.verify_document(d, environ={})[0].startswith("section 1 ('source'): digests.dirty was edited")
    d = copy.deepcopy(doc)
    d["sections"][2]["hash"] = "0" * 64
    problems = ev.verify_document(d, environ={})
    assert problems[0].startswith("section 2 ('plan'): hash was edited"), problems
    d = copy.deepcopy(doc)
    d["sections"][4]["hash"] = "0" * 64  # the last one: the final hash tells
    assert ev.verify_document(d, environ={})[0].startswith("section 4 ('prove'): hash was edited")
    d = copy.deepcopy(doc)
    d["sections"][2]["previous"] = "0" * 64
    assert ev.verify_document(d, environ={})[0].startswith("section 2 ('plan'): previous (its link to the "
                                                           "section before) was edited")
    d = copy.deepcopy(doc)
    d["sections"][2]["name"] = "plans"
    assert ev.verify_document(d, environ={})[0].startswith("section 2 ('plans'): its name or recordedAt was edited")
    d = copy.deepcopy(doc)
    d["chain"]["final"] = "0" * 64
    assert ev.verify_document(d, environ={}) == [
        f"the chain: final is {'0' * 64}, the sections hash to {doc['chain']['final']}: the final hash was edited, "
        "or sections were added or removed at the end"]


def test_reordered_sections_fail(tmp_path: Path, doc: dict):
    d = copy.deepcopy(doc)
    d["sections"][1], d["sections"][2] = d["sections"][2], d["sections"][1]
    path = written(tmp_path, d)
    code, lines = ev.verify_command(path, environ={})
    assert code == 1
    assert f"{path}: section 1 ('plan'): the sections were reordered: it links to section 2 ('source') as the " \
           "section before it, not to section 0 ('run')" in lines


def test_a_removed_or_added_section_fails(doc: dict):
    d = copy.deepcopy(doc)
    del d["sections"][2]
    problems = ev.verify_document(d, environ={})
    assert problems[0].startswith("section 2 ('check'): the section recorded before it is missing"), problems
    assert any(p.startswith("the chain: it records 5 section(s), the file has 4") for p in problems)
    d = copy.deepcopy(doc)
    del d["sections"][-1]
    d["chain"]["sections"] = 4
    assert ev.verify_document(d, environ={})[0].startswith("the chain: final is")
    d = copy.deepcopy(doc)
    extra = ev.build([*sample_sections(), ("drift", {"drifted": 0})], now=clock(), environ={})["sections"][-1]
    d["sections"].append(extra)
    assert any(p.startswith("the chain:") for p in ev.verify_document(d, environ={}))


def test_a_rewrite_that_recomputes_the_chain_passes_so_anchor_the_final_hash(doc: dict):
    # What docs/evidence.md says: the chain shows edits, not a consistent rewrite; the final hash changes.
    sections = sample_sections()
    sections[3][1]["summary"]["mandatory"] = 0
    forged = ev.build(sections, now=clock(), environ={})
    assert ev.verify_document(forged, ev.render(forged), environ={}) == []
    assert forged["chain"]["final"] != doc["chain"]["final"]


def test_the_schema_is_valid_and_a_built_document_follows_it(doc: dict):
    schema = ev.schema()
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(doc)
    bad = copy.deepcopy(doc)
    bad["sections"][2]["data"]["digest"]["value"] = "not hex"
    assert list(Draft202012Validator(schema).iter_errors(bad))
    assert ev.verify_document(bad, environ={})[0].startswith("section 2 ('plan'): data.digest.value: 'not hex' "
                                                             "does not match")
    extra = copy.deepcopy(doc)
    extra["note"] = "x"
    assert ev.verify_document(extra, environ={}) == [
        "the document: Additional properties are not allowed ('note' was unexpected)"]


def test_the_schema_ships_as_package_data():
    from importlib import resources

    assert resources.files("aigw.prove").joinpath("evidence.schema.json").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"prove/*.json"' in pyproject


@pytest.mark.parametrize(("content", "words"), [
    (b"not json at all", "1:1: not JSON (Expecting value): not an evidence file"),
    (b"", "1:1: not JSON (Expecting value)"),
    (b"\xff\xfe{}", "not UTF-8 text (byte 0)"),
    (b"[1, 2]", "not an aigw evidence file"),
    (b'{"format": "something-else"}', "not an aigw evidence file"),
    (b'{"a": 1, "a": 2}', "the key 'a' appears twice in one object"),
])
def test_unreadable_or_not_evidence_exits_2(tmp_path: Path, content: bytes, words: str):
    path = tmp_path / "e.json"
    path.write_bytes(content)
    code, lines = ev.verify_command(path, environ={})
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith(f"{path}") and words in lines[0], lines


def test_a_missing_file_exits_2(tmp_path: Path):
    code, lines = ev.verify_command(tmp_path / "nope.json", environ={})
    assert (code, lines) == (2, [f"{tmp_path / 'nope.json'}: cannot read: No such file or directory"])


def test_an_evidence_file_with_a_broken_structure_is_tampered(tmp_path: Path, doc: dict):
    d = copy.deepcopy(doc)
    d["sections"] = "gone"
    path = tmp_path / "e.json"
    path.write_text(json.dumps(d))
    code, lines = ev.verify_command(path, environ={})
    assert code == 1 and any("sections: 'gone' is not of type 'array'" in line for line in lines), lines


def test_hmac_with_a_key_from_the_environment(tmp_path: Path):
    keyed = ev.build(sample_sections(), now=clock(), environ={ev.KEY_ENV: KEY})
    assert keyed["chain"]["hmac"]["algorithm"] == "hmac-sha256"
    path = written(tmp_path, keyed)
    assert ev.verify_command(path, environ={ev.KEY_ENV: KEY})[0] == 0
    code, lines = ev.verify_command(path, environ={})
    assert code == 0 and "HMAC not checked (AIGW_EVIDENCE_KEY is not set)" in lines[0]
    code, lines = ev.verify_command(path, environ={ev.KEY_ENV: "x" * 40})
    assert code == 1 and "the HMAC does not match" in lines[0]
    plain = written(tmp_path, ev.build(sample_sections(), now=clock(), environ={}), "plain.json")
    code, lines = ev.verify_command(plain, environ={ev.KEY_ENV: KEY})
    assert code == 1 and "AIGW_EVIDENCE_KEY is set but the file carries no HMAC" in lines[0]


def test_a_short_key_is_refused_without_showing_it():
    with pytest.raises(ev.EvidenceError) as err:
        ev.build(sample_sections(), environ={ev.KEY_ENV: "short-secret"})
    assert err.value.lines == ["AIGW_EVIDENCE_KEY: 12 characters (value not shown): an HMAC key has at least 32; "
                               "unset it for no HMAC"]
    assert "short-secret" not in str(err.value)


@pytest.mark.parametrize(("sections", "words"), [
    ([], "sections: none given"),
    ([("Bad Name", {})], "sections[0]: name 'Bad Name': allowed: a lowercase letter"),
    ([("a", {}), ("a", {})], "sections[1]: name 'a': given twice"),
    ([("a", [1])], "sections[0] (a): data is list: allowed: a JSON object (dict)"),
    ([("a", {"x": {1, 2}})], "sections[0] (a): data is not JSON"),
    ([("plan", {"stack": "prod"})], "section 0 ('plan'): data: 'digest' is a required property"),
])
def test_build_refuses_bad_sections(sections, words):
    with pytest.raises(ev.EvidenceError) as err:
        ev.build(sections, environ={})
    assert any(line.startswith(words) for line in err.value.lines), err.value.lines


def test_write_replaces_the_file_at_once(tmp_path: Path, doc: dict):
    path = tmp_path / "e.json"
    path.write_text("old")
    ev.write(path, doc)
    assert path.read_text(encoding="utf-8") == ev.render(doc)
    assert [p.name for p in tmp_path.iterdir()] == ["e.json"]  # no temporary file left


@pytest.mark.slow
def test_offline_sections_of_the_repo_prod_stack(tmp_path: Path):
    sections = ev.offline_sections(ROOT, "prod")
    assert [name for name, _ in sections] == ["run", "source", "plan", "check"]
    data = dict(sections)
    assert data["run"]["stack"] == "prod" and data["run"]["production"] is True
    assert data["run"]["tool"]["version"] == ev.tool_version()
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    # Other commits may land while the test runs: the commit is HEAD's at some point, a 40-hex id.
    assert len(data["source"]["commit"]) == 40 and isinstance(data["source"]["dirty"], bool)
    assert data["source"]["commit"] == head or len(head) == 40
    # The plan digest is the one anyone recomputes from `aigw plan prod --format json`.
    proc = aigw("plan", "prod", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (stack,) = json.loads(proc.stdout)["stacks"]
    recomputed = hashlib.sha256(json.dumps(stack, sort_keys=True, separators=(",", ":"),
                                           ensure_ascii=False).encode()).hexdigest()
    assert data["plan"]["digest"] == {"algorithm": "sha256", "value": recomputed}
    assert data["plan"]["resources"] == len(stack["resources"])
    # The check section is `aigw check prod --format json`, with the controls of each finding's rule.
    checked = json.loads(aigw("check", "prod", "--format", "json").stdout)
    assert {k: v for k, v in data["check"].items() if k not in ("policyConfig", "reviewDate")} == checked
    assert data["check"]["reviewDate"] == "2026-12-01"  # AIGW_TODAY of the suite
    path = written(tmp_path, ev.build(sections, environ={}))
    assert ev.verify_command(path, environ={})[0] == 0
    # A caller that planned the stack already (aigw prove) passes its plan: the same sections, no plan run.
    again = dict(ev.offline_sections(ROOT, "prod", plan=stack))
    assert (again["plan"], again["check"]) == (data["plan"], data["check"])
    with pytest.raises(ev.EvidenceError) as err:
        ev.offline_sections(ROOT, "dev", plan=stack)
    assert err.value.exit_code == 4 and "the plan given is stack 'prod', not 'dev'" in err.value.lines[0]


@pytest.mark.slow
def test_aigw_prove_verify(tmp_path: Path, doc: dict):
    path = written(tmp_path, doc)
    proc = aigw("prove", "--verify", str(path), env={ev.KEY_ENV: ""})
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    assert proc.stdout.startswith(f"{path}: evidence intact: 5 section(s)")
    path.write_text(path.read_text(encoding="utf-8").replace('"mandatory": 1', '"mandatory": 0'), encoding="utf-8")
    proc = aigw("prove", "--verify", str(path), env={ev.KEY_ENV: ""})
    assert proc.returncode == 1
    assert f"{path}: section 3 ('check'): data.summary was edited" in proc.stderr
    assert "Traceback" not in proc.stderr
    path.write_text("{not json", encoding="utf-8")
    proc = aigw("prove", "--verify", str(path), env={ev.KEY_ENV: ""})
    assert proc.returncode == 2 and "not JSON" in proc.stderr, proc.stderr


def test_offline_sections_of_an_unknown_stack_is_an_input_error():
    with pytest.raises(ev.EvidenceError) as err:
        ev.offline_sections(ROOT, "nosuchstack")
    assert err.value.exit_code == 2
    assert err.value.lines[0].startswith("nosuchstack: no such stack")


def test_git_source_outside_a_repository(tmp_path: Path):
    source = ev.git_source(tmp_path)
    assert source["commit"] is None and source["dirty"] is None and source["note"].startswith("no git commit")
