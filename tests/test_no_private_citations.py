"""No tracked file cites notes its readers do not have.

Every source a comment or a doc relies on must be public: a Cloudflare docs page or changelog entry, a
file of an installed package (`cloudflare`, `pulumi_cloudflare`, `pulumi`), a provider's schema file
in its public repository, or this repository's own docs. Paths to the authors' private notes, and
numbered pointers into them, mean nothing to a user of the project.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Built from pieces so that this file does not match itself.
PRIVATE = re.compile(
    "|".join([
        re.escape("/work/" + "shared"),
        re.escape("shared/" + "reference"),
        re.escape("DESIGN" + ".md"),
        re.escape("pulumi-" + "offline.md"),
        "reference,? " + "section",
    ]),
    re.IGNORECASE,
)

SKIPPED = {"package-lock.json"}

# Files still citing private notes: being converted; remove entries as they are fixed.
PENDING: set[str] = set()


def tracked_text_files() -> dict[str, str]:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    texts = {}
    for name in names.decode().split("\0"):
        path = ROOT / name
        if not name or Path(name).name in SKIPPED or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary
        try:
            texts[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # binary
    return texts


def hits(text: str) -> list[str]:
    return [f"line {n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1) if PRIVATE.search(line)]


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    found = tracked_text_files()
    assert "README.md" in found and "aigw/cli/__init__.py" in found
    return found


def test_the_pattern_catches_each_kind_of_private_citation():
    for cited in ["see /work/" + "shared/notes.md", "shared/" + "reference/cloudflare-ai-gateway.md",
                  "DESIGN" + ".md section 6", "(reference: pulumi-" + "offline.md)", "(Reference " + "section 3)",
                  "(reference, " + "section 8)"]:
        assert hits(cited), cited
    for public in ["(Cloudflare docs, AI Gateway > Logging)", "docs/configuration.md (reference)",
                   "the reference measurement", "Policy reference"]:
        assert not hits(public), public


def test_no_tracked_file_cites_private_notes(files):
    offending = {name: hits(text) for name, text in sorted(files.items()) if name not in PENDING}
    offending = {name: found for name, found in offending.items() if found}
    assert not offending, "cite the public source instead:\n" + "\n".join(
        f"{name}: {line}" for name, found in offending.items() for line in found)


def test_every_pending_file_still_has_a_private_citation(files):
    fixed = sorted(name for name in PENDING if not hits(files.get(name, "")))
    assert not fixed, f"no private citation left in {fixed}: remove them from PENDING"
