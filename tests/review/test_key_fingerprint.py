"""One fingerprint for a public key: what `aigw diff` and `aigw compare` show for the Logpush key is
what `aigw logpush keygen` prints for it (`Fingerprint: SHA256:<hex>`: the SHA-256 of the DER
SubjectPublicKeyInfo, aigw/logexport/keys.py), whatever the PEM's spelling."""

from __future__ import annotations

import copy
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from helpers.review import GATEWAY, edited, props
from ruamel.yaml import YAML

from aigw.keyprint import public_key_fingerprint
from aigw.logexport import keys
from aigw.review.compare import compare
from aigw.review.diff import diff_plans

ROOT = Path(__file__).resolve().parents[2]


def repo_prod_public_key() -> str:
    config = YAML(typ="safe").load((ROOT / "Pulumi.prod.yaml").read_text(encoding="utf-8"))["config"]
    return str(config["aigw:logpush"]["publicKey"])


def test_the_repo_prod_key_reads_in_diff_and_compare_as_keygen_prints_it(prod_plan):
    pem = repo_prod_public_key()
    keygen = f"SHA256:{keys.public_key_fingerprint(pem)}"  # what keygen prints and --force names
    exporting = [r["name"] for r in prod_plan["resources"]
                 if r["type"] == GATEWAY and r["props"].get("logpushPublicKey")]
    assert exporting, "the prod stack exports logs of some gateway"
    assert all(props(prod_plan, GATEWAY, name)["logpushPublicKey"].strip() == pem.strip() for name in exporting)
    rows = [r for r in compare(prod_plan, prod_plan) if r.setting == "logpush public key" and r.left != "none"]
    assert {r.subject for r in rows} == set(exporting)
    assert {(r.left, r.right) for r in rows} == {(f"set ({keygen})", f"set ({keygen})")}
    # A gateway created with the key lists the same words in a diff.
    head = copy.deepcopy(prod_plan)
    new = copy.deepcopy([r for r in head["resources"] if r["type"] == GATEWAY and r["name"] == exporting[0]][0])
    new["name"], new["props"]["aiGatewayId"] = "new-bot", "prod-new-bot"
    head["resources"].append(new)
    (change,) = diff_plans(prod_plan, head)
    assert dict((s, n) for s, _, n in change.settings)["logpush public key"] == f"set ({keygen})"


def test_the_fingerprint_is_of_the_key_not_of_its_pem_spelling():
    pem = repo_prod_public_key()
    der = serialization.load_pem_public_key(pem.encode()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    respelled = pem.strip().replace("\n", "\r\n")  # CRLF, no trailing newline: the same key
    assert public_key_fingerprint(pem) == public_key_fingerprint(der) == public_key_fingerprint(respelled) \
        == keys.public_key_fingerprint(pem)


def test_a_respelled_key_is_no_change_in_a_diff(prod_plan):
    name = next(r["name"] for r in prod_plan["resources"]
                if r["type"] == GATEWAY and r["props"].get("logpushPublicKey"))
    pem = props(prod_plan, GATEWAY, name)["logpushPublicKey"]
    head = edited(prod_plan, GATEWAY, name, logpushPublicKey=pem.strip().replace("\n", "\r\n"))
    changes = diff_plans(prod_plan, head)
    assert [s for c in changes for s in c.settings if s[0] == "logpush public key"] == []
