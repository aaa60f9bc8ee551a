"""`aigw import` hardened (issue 12): no live credential reaches a file or the terminal, gateways
another stack declares are left to it, nothing is written unless everything can be, writes keep the
file's mode and symlink, and a rerun still gives a complete import file.

Against the API stand-in (tests/helpers/standin.py), `aigw` in a subprocess as a user runs it.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import yaml
from helpers.live import aigw, new_project
from helpers.standin import DEFAULT_ACCOUNT, READ_TOKEN, StandIn

from aigw.live import importer

PROD = DEFAULT_ACCOUNT
OTHER = "0123456789abcdef0123456789abcdef"
AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"


def run_import(api: StandIn, project: Path, *args: str):
    return aigw("import", "--account", PROD, "--stack", "newstack", *args, token=READ_TOKEN, api=api, cwd=project)


def seed(api: StandIn, gateway_id: str, **settings) -> None:
    """A gateway whose record says authentication is on (no note about it to check)."""
    api.seed_gateway(gateway_id, **{"authentication": True, **settings})


def adopted_ids(path: Path) -> list[str]:
    return [r["id"] for r in json.loads(path.read_text())["resources"] if not r.get("component")]


def assert_absent(values: list[str], *texts: str) -> None:
    for text in texts:
        for value in values:
            assert value not in text, f"the live credential {value!r} was written or printed"


# --------------------------------------------------------------------------- credentials


def test_every_otel_header_value_is_a_placeholder_whatever_its_name(standin: StandIn, tmp_path: Path) -> None:
    """Honeycomb's `x-honeycomb-team` and a plain-looking `x-scope` carry keys: a name says nothing."""
    live = {"x-honeycomb-team": "hcaik_live_0123456789", "x-scope": "tenant-7:live-scope-key", "X-Api-Key": "k-live-3"}
    seed(standin, "newstack-traced", otel=[{"url": "https://api.honeycomb.io/v1/traces", "headers": live}])
    project = new_project(tmp_path / "p")
    proc = run_import(standin, project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (project / "Pulumi.newstack.yaml").read_text()
    assert_absent(list(live.values()), text, proc.stdout, proc.stderr, (project / "import-newstack.json").read_text())
    otel = yaml.safe_load(text)["config"]["aigw:gateways"]["traced"]["otel"][0]
    assert otel["headers"] == {name: {"secure": importer.PLACEHOLDER} for name in live}
    for name in live:
        command = f"pulumi config set -s newstack --secret --path 'aigw:gateways.traced.otel[0].headers.{name}' <value>"
        assert f"  set the credential: {command}" in proc.stdout and f"# {command}" in text
    # The placeholders are secrets to `aigw drift`: compared by presence, so the adopted stack shows none.
    proc = aigw("drift", "newstack", token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_absent(list(live.values()), proc.stdout, proc.stderr)


def test_credentials_in_an_otel_url_are_placeholders_and_reported(standin: StandIn, tmp_path: Path) -> None:
    url = ("https://ingest:pa55-live-w0rd@otlp.example.com/v1/traces?region=eu&api_key=live-url-key-1"
           "&Signature=live-sig-2&dd-api-key=live-dd-3")
    live = ["pa55-live-w0rd", "live-url-key-1", "live-sig-2", "live-dd-3"]
    seed(standin, "newstack-traced", otel=[{"url": url, "headers": {}}])
    project = new_project(tmp_path / "p")
    proc = run_import(standin, project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (project / "Pulumi.newstack.yaml").read_text()
    assert_absent(live, text, proc.stdout, proc.stderr)
    otel = yaml.safe_load(text)["config"]["aigw:gateways"]["traced"]["otel"][0]
    # Left out, not replaced in place: `aigw plan` refuses a credential in a URL, placeholder or not.
    assert otel["url"] == "https://otlp.example.com/v1/traces?region=eu"
    note = ("otel[0].url: the live URL carries credentials (userinfo, query parameters api_key, Signature, "
            "dd-api-key), left out of the stack file; before `pulumi up` (which would send the URL without them) "
            "send the credential in otel[0].authorization or a header, as a secret: `pulumi config set --secret "
            "--path 'aigw:gateways.traced.otel[0].headers.<Header>' <value>`")
    assert f"  newstack-traced: {note}" in proc.stderr.splitlines()
    assert note in " ".join(line.strip().removeprefix("# ") for line in text.splitlines())
    # The stack plans; drift names the URL (the live one differs) and shows none of its credentials.
    proc = aigw("drift", "newstack", token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert_absent(live, proc.stdout, proc.stderr)
    drifted = [line for line in proc.stdout.splitlines() if line.startswith("  ") and "otels" in line]
    assert drifted and all("otels[0].url" in line for line in drifted), proc.stdout
    assert "[secret]" in proc.stdout


# --------------------------------------------------------------------------- other stacks


SIBLING = f"""\
config:
  aigw:accountId: {PROD}
  aigw:environment: staging
  aigw:gateways:
    team-bot:
      cache: {{ttl: 60}}
    renamed:
      id: newstack-shared
"""


def test_a_gateway_another_stack_declares_is_skipped_with_a_note(standin: StandIn, tmp_path: Path) -> None:
    for gateway_id in ("staging-team-bot", "newstack-shared", "newstack-mine"):
        seed(standin, gateway_id)
    seed(standin, "staging-team-bot", account_id=OTHER)
    project = new_project(tmp_path / "p")
    (project / "Pulumi.staging.yaml").write_text(SIBLING)
    # The same id declared for another account is another gateway: not a reason to skip.
    (project / "Pulumi.elsewhere.yaml").write_text(
        f"config:\n  aigw:accountId: {OTHER}\n  aigw:environment: newstack\n  aigw:gateways:\n    mine: {{}}\n")
    proc = run_import(standin, project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [
        "aigw: skipped newstack-shared: stack staging already declares it (Pulumi.staging.yaml, "
        "aigw:gateways.renamed)",
        "aigw: skipped staging-team-bot: stack staging already declares it (Pulumi.staging.yaml, "
        "aigw:gateways.team-bot)",
    ]
    gateways = yaml.safe_load((project / "Pulumi.newstack.yaml").read_text())["config"]["aigw:gateways"]
    assert list(gateways) == ["mine"]
    assert adopted_ids(project / "import-newstack.json") == [f"{PROD}/newstack-mine"]
    assert (project / "Pulumi.staging.yaml").read_text() == SIBLING


def test_when_every_gateway_is_declared_elsewhere_nothing_is_written_and_it_says_so(standin: StandIn,
                                                                                    tmp_path: Path) -> None:
    seed(standin, "staging-team-bot")
    project = new_project(tmp_path / "p")
    (project / "Pulumi.staging.yaml").write_text(SIBLING)
    proc = run_import(standin, project, "--gateway", "staging-team-bot")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        "aigw: nothing to import into Pulumi.newstack.yaml: no gateway chosen can be adopted (see above); "
        "no file written")
    assert sorted(p.name for p in project.iterdir()) == ["Pulumi.staging.yaml", "Pulumi.yaml"]


def test_an_unreadable_sibling_stack_stops_the_import_before_anything_is_written(standin: StandIn,
                                                                                 tmp_path: Path) -> None:
    """Which gateways it declares cannot be known: importing might adopt one of them twice."""
    seed(standin, "newstack-mine")
    project = new_project(tmp_path / "p")
    (project / "Pulumi.broken.yaml").write_text("config:\n  aigw:gateways: [unclosed\n")
    proc = run_import(standin, project)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("aigw: Pulumi.broken.yaml:3: (yaml): ")
    assert proc.stderr.rstrip().endswith("cannot tell which gateways it declares; fix it (or move it away) and "
                                         "import again")
    assert not (project / "Pulumi.newstack.yaml").exists() and not (project / "import-newstack.json").exists()


# --------------------------------------------------------------------------- validate, then write


def test_an_import_file_that_cannot_be_written_leaves_the_stack_file_untouched(standin: StandIn,
                                                                               tmp_path: Path) -> None:
    seed(standin, "newstack-mine")
    project = new_project(tmp_path / "p")
    stack_file = project / "Pulumi.newstack.yaml"
    stack_file.write_text(f"config:\n  aigw:accountId: {PROD}\n  aigw:environment: newstack\n")
    before = stack_file.read_bytes()
    missing = project / "no-such-dir" / "import.json"
    proc = run_import(standin, project, "--import-file", str(missing))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == f"aigw: --import-file {missing}: the directory {missing.parent} does not exist\n"
    assert stack_file.read_bytes() == before
    (project / "a-dir").mkdir()
    proc = run_import(standin, project, "--import-file", str(project / "a-dir"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"'--import-file': File '{project / 'a-dir'}' is a directory" in proc.stderr
    proc = run_import(standin, project, "--import-file", str(stack_file))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == f"aigw: --import-file {stack_file}: is the stack file itself\n"
    assert stack_file.read_bytes() == before


def test_a_stack_file_that_is_not_yaml_is_exit_2_and_left_as_it_is(standin: StandIn, tmp_path: Path) -> None:
    seed(standin, "newstack-mine")
    project = new_project(tmp_path / "p")
    stack_file = project / "Pulumi.newstack.yaml"
    for content in (b"config:\n  aigw:environment: [newstack\n", b"config:\n  aigw:environment: caf\xe9\n"):
        stack_file.write_bytes(content)
        proc = run_import(standin, project)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr and proc.stderr.startswith(f"aigw: {stack_file}:")
        assert stack_file.read_bytes() == content and not (project / "import-newstack.json").exists()


# --------------------------------------------------------------------------- how files are written


def test_writes_keep_the_files_mode(standin: StandIn, tmp_path: Path) -> None:
    seed(standin, "newstack-mine")
    project = new_project(tmp_path / "p")
    stack_file, import_path = project / "Pulumi.newstack.yaml", project / "import-newstack.json"
    stack_file.write_text(f"config:\n  aigw:accountId: {PROD}\n  aigw:environment: newstack\n")
    import_path.write_text("{}\n")
    stack_file.chmod(0o640)
    import_path.chmod(0o604)
    proc = run_import(standin, project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert stat.S_IMODE(stack_file.stat().st_mode) == 0o640
    assert stat.S_IMODE(import_path.stat().st_mode) == 0o604
    assert adopted_ids(import_path) == [f"{PROD}/newstack-mine"]


def test_a_new_file_gets_the_usual_mode_not_a_temporary_files(standin: StandIn, tmp_path: Path) -> None:
    seed(standin, "newstack-mine")
    project = new_project(tmp_path / "p")
    proc = run_import(standin, project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    umask = os.umask(0)
    os.umask(umask)
    for name in ("Pulumi.newstack.yaml", "import-newstack.json"):
        assert stat.S_IMODE((project / name).stat().st_mode) == 0o666 & ~umask, name


def test_a_symlinked_stack_file_stays_a_link_and_its_target_is_written(standin: StandIn, tmp_path: Path) -> None:
    seed(standin, "newstack-mine")
    project = new_project(tmp_path / "p")
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "newstack.yaml"
    target.write_text(f"config:\n  aigw:accountId: {PROD}\n  aigw:environment: newstack\n")
    link = project / "Pulumi.newstack.yaml"
    link.symlink_to(target)
    proc = run_import(standin, project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert list(yaml.safe_load(target.read_text())["config"]["aigw:gateways"]) == ["mine"]
    assert sorted(p.name for p in shared.iterdir()) == ["newstack.yaml"]  # no temporary file left


# --------------------------------------------------------------------------- rerun


def test_a_rerun_writes_a_complete_import_file(standin: StandIn, tmp_path: Path) -> None:
    seed(standin, "newstack-a")
    seed(standin, "newstack-b")
    project = new_project(tmp_path / "p")
    import_path = project / "import-newstack.json"
    proc = run_import(standin, project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = json.loads(import_path.read_text())
    assert adopted_ids(import_path) == [f"{PROD}/newstack-a", f"{PROD}/newstack-b"]
    proc = run_import(standin, project)  # both are declared now: kept, and still to adopt
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(import_path.read_text()) == first
    assert "kept aigw:gateways.a (newstack-a): already declared in Pulumi.newstack.yaml" in proc.stderr
    assert proc.stdout.rstrip().endswith(
        "wrote import-newstack.json (Pulumi.newstack.yaml unchanged); then: pulumi import -s newstack --file "
        "import-newstack.json")


def test_a_declared_name_with_another_id_is_not_adopted_under_it(standin: StandIn, tmp_path: Path) -> None:
    """`team-bot` in the file is another gateway (its own id): importing the live one into it would
    adopt the wrong gateway."""
    seed(standin, "newstack-team-bot")
    project = new_project(tmp_path / "p")
    stack_file = project / "Pulumi.newstack.yaml"
    stack_file.write_text(f"config:\n  aigw:accountId: {PROD}\n  aigw:environment: newstack\n"
                          "  aigw:gateways:\n    team-bot:\n      id: legacy-bot\n")
    before = stack_file.read_text()
    proc = run_import(standin, project)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [
        "aigw: kept aigw:gateways.team-bot: it declares the gateway legacy-bot, not newstack-team-bot "
        "(--force overwrites)",
        "aigw: nothing to import into Pulumi.newstack.yaml: no gateway chosen can be adopted (see above); "
        "no file written"]
    assert stack_file.read_text() == before and not (project / "import-newstack.json").exists()


# --------------------------------------------------------------------------- in-process: the URL scan


def test_url_credentials_keep_everything_else_byte_for_byte() -> None:
    from aigw.live.mapping import url_credentials

    url = "https://u:p@h.example:4318/v1/traces?a=%20x&api%5Fkey=k1&empty_token=&X-Amz-Signature=s#frag"
    assert url_credentials(url) == ("https://h.example:4318/v1/traces?a=%20x&empty_token=#frag",
                                    ["userinfo", "api_key", "X-Amz-Signature"])
    assert url_credentials(url, "[secret]")[0] == (
        "https://[secret]:[secret]@h.example:4318/v1/traces?a=%20x&api%5Fkey=[secret]&empty_token="
        "&X-Amz-Signature=[secret]#frag")
    assert url_credentials("https://h.example/v1/traces?token=t") == ("https://h.example/v1/traces", ["token"])
    assert url_credentials("https://h.example/v1/traces") == ("https://h.example/v1/traces", [])


def test_an_account_with_nothing_to_adopt_writes_no_empty_import_file(standin: StandIn, tmp_path: Path) -> None:
    standin.seed_default_gateway()  # skipped unless named
    project = new_project(tmp_path / "p")
    proc = run_import(standin, project)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        f"aigw: nothing to import into Pulumi.newstack.yaml: account {PROD} has no gateway to adopt; no file written")
    assert sorted(p.name for p in project.iterdir()) == ["Pulumi.yaml"]


def test_drift_compares_a_declared_secret_header_and_url_credentials_by_presence() -> None:
    from aigw.live.mapping import SECRET_FIELD, differences

    declared = {"otels": [{"url": "https://h.example/v1/traces?region=eu", "headers": {"x-team": "[secret]"}}]}
    live = {"otels": [{"url": "https://h.example/v1/traces?region=eu&api_key=live-k", "headers": {"x-team": "v"}}]}
    assert differences(declared, live) == [
        ("otels[0].url", "https://h.example/v1/traces?region=eu", "https://h.example/v1/traces?region=eu&api_key=[secret]")]
    live["otels"][0] = {"url": "https://h.example/v1/traces?region=eu", "headers": {}}
    assert ("otels[0].headers.x-team", SECRET_FIELD, None) in differences(declared, live)  # gone: a difference


def test_a_fifo_beside_the_stacks_is_never_opened(standin: StandIn, tmp_path: Path) -> None:
    """Opening a FIFO blocks: it is not a stack file (aigw/config.py list_stacks leaves it out by its stat)."""
    seed(standin, "newstack-mine")
    project = new_project(tmp_path / "p")
    os.mkfifo(project / "Pulumi.pipe.yaml")
    proc = aigw("import", "--account", PROD, "--stack", "newstack", token=READ_TOKEN, api=standin, cwd=project,
                timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert adopted_ids(project / "import-newstack.json") == [f"{PROD}/newstack-mine"]


# --------------------------------------------------------------------------- the bounded reader


def _import_into(standin: StandIn, tmp_path: Path, stack_bytes: bytes):
    seed(standin, "newstack-mine")
    project = new_project(tmp_path / "p")
    (project / "Pulumi.newstack.yaml").write_bytes(stack_bytes)
    proc = aigw("import", "--account", PROD, "--stack", "newstack", token=READ_TOKEN, api=standin, cwd=project,
                timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert (project / "Pulumi.newstack.yaml").read_bytes() == stack_bytes  # nothing written
    assert not (project / "import-newstack.json").exists()
    (line,) = proc.stderr.splitlines()
    return line


def test_import_refuses_a_stack_file_with_a_duplicate_key_naming_both_lines(standin: StandIn, tmp_path: Path) -> None:
    line = _import_into(standin, tmp_path, b"config:\n  aigw:environment: a\n  aigw:environment: b\n")
    assert "Pulumi.newstack.yaml:3: aigw:environment: 'aigw:environment': given twice in one mapping, on " in line
    assert "Pulumi.newstack.yaml:2 and " in line


def test_import_refuses_a_stack_file_that_is_not_utf8_with_its_line(standin: StandIn, tmp_path: Path) -> None:
    """Before: "not UTF-8 (byte 27)", from its own decode, without the line; now the bounded reader's words."""
    line = _import_into(standin, tmp_path, b"config:\n  aigw:environment: d\xe9v\n")
    assert "Pulumi.newstack.yaml:2: (file): 'not UTF-8': byte 0xe9 at column 22 is not UTF-8 (Latin-1 or another " \
           "encoding?): allowed: UTF-8" in line


def test_import_refuses_a_utf16_stack_file(standin: StandIn, tmp_path: Path) -> None:
    """Before: UTF-16 read as "not UTF-8 (byte 0)"."""
    line = _import_into(standin, tmp_path, "config:\n  aigw:environment: dev\n".encode("utf-16"))
    assert "Pulumi.newstack.yaml: (file): 'not UTF-8': UTF-16 or UTF-32 text: allowed: UTF-8" in line


def test_import_refuses_an_oversized_stack_file(standin: StandIn, tmp_path: Path) -> None:
    """Before: a file of any size was read whole."""
    from aigw.yamlfast import MAX_FILE_BYTES

    line = _import_into(standin, tmp_path, b"config: {}\n" + b"#" * MAX_FILE_BYTES + b"\n")
    assert "Pulumi.newstack.yaml: (file): 'file too large': larger than 4 MiB: allowed: at most 4,194,304 bytes" \
           in line
