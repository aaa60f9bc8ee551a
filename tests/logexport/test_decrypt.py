"""aigw.logexport.decrypt: fields, records, files (plain and gzipped), the private key."""

from __future__ import annotations

import base64
import gzip
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from aigw.logexport import InvalidInput
from aigw.logexport.decrypt import (
    MAX_DEPTH,
    MAX_LINE_BYTES,
    FieldError,
    Summary,
    decrypt_field,
    decrypt_files,
    decrypt_record,
    decrypt_stream,
    is_encrypted,
    load_private_key,
)
from aigw.logexport.keys import KeyPair

from .encryptor import LAYOUTS, encrypt_field, encrypt_record, flip_byte, ndjson, plain_record


def run(data: bytes, private_key: Any, name: str = "f.ndjson") -> tuple[list[dict[str, Any]], list[str], Summary]:
    out = io.BytesIO()
    problems: list[str] = []
    summary = Summary()
    decrypt_stream(name, io.BytesIO(data), private_key, out, problems.append, summary)
    return [json.loads(line) for line in out.getvalue().splitlines()], problems, summary


# --------------------------------------------------------------------------- one field


def test_json_plaintext_becomes_json(key_pair: KeyPair, private_key: Any) -> None:
    field = encrypt_field(key_pair.public_pem, b'{"a": [1, 2.5, null], "b": "\xc3\xa9"}')
    assert decrypt_field(field, private_key) == {"a": [1, 2.5, None], "b": "é"}


def test_other_plaintext_stays_a_string(key_pair: KeyPair, private_key: Any) -> None:
    field = encrypt_field(key_pair.public_pem, "Bonjour, ça va ?".encode(), layout="script")
    assert decrypt_field(field, private_key) == "Bonjour, ça va ?"


def test_tampered_data_fails_the_tag(key_pair: KeyPair, private_key: Any) -> None:
    field = encrypt_field(key_pair.public_pem, b"{}")
    field["data"] = flip_byte(field["data"])
    with pytest.raises(FieldError, match=r"^authentication tag mismatch \(tampered data or a different key\)$"):
        decrypt_field(field, private_key)


def test_tampered_tag_fails_the_tag(key_pair: KeyPair, private_key: Any) -> None:
    field = encrypt_field(key_pair.public_pem, b"{}")
    field["data"] = flip_byte(field["data"], -1)
    with pytest.raises(FieldError, match="authentication tag mismatch"):
        decrypt_field(field, private_key)


def test_wrong_private_key_cannot_unwrap(other_key_pair: KeyPair, private_key: Any) -> None:
    field = encrypt_field(other_key_pair.public_pem, b"{}")
    with pytest.raises(FieldError, match="does not unwrap with this private key"):
        decrypt_field(field, private_key)


def test_key_of_another_size_is_named(private_key: Any) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = small.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(FieldError, match="wrapped AES key is 256 bytes, but this 4096-bit private key"):
        decrypt_field(encrypt_field(pem, b"{}"), private_key)


@pytest.mark.parametrize(("change", "reason"), [
    ({"iv": "not base64!"}, "`iv` is not valid base64"),
    ({"data": "@@@@"}, "`data` is not valid base64"),
    ({"key": 5}, "`key` is not a string (int)"),
    ({"iv": None}, "`iv` is not a string (NoneType)"),
    ({"data": "AAAA"}, "`data` is 3 bytes, shorter than the 16-byte GCM tag"),
    ({"iv": "AAAA"}, "`iv` is 3 bytes"),
])
def test_malformed_members_are_named(key_pair: KeyPair, private_key: Any, change: dict, reason: str) -> None:
    field = {**encrypt_field(key_pair.public_pem, b"{}"), **change}
    with pytest.raises(FieldError) as info:
        decrypt_field(field, private_key)
    assert str(info.value).startswith(reason)


def test_missing_member_of_a_typed_object(key_pair: KeyPair, private_key: Any) -> None:
    field = encrypt_field(key_pair.public_pem, b"{}")
    del field["iv"]
    assert is_encrypted(field)
    with pytest.raises(FieldError, match="`iv` is missing"):
        decrypt_field(field, private_key)


@pytest.mark.parametrize("value", [None, "text", {"requestId": "x"}, {"type": "plain", "iv": "b", "data": "c"},
                                   {"data": "c"}, [1], [{"key": "a"}]])
def test_values_that_are_not_encrypted_objects(value: Any) -> None:
    assert not is_encrypted(value)


@pytest.mark.parametrize("value", [{"key": "a"}, {"key": "a", "iv": "b"}, {"type": "plain", "key": "a", "iv": "b"},
                                   {"type": "encrypted"}, {"type": "encrypted", "data": "c"}])
def test_any_object_carrying_key_or_typed_encrypted_is_an_encrypted_field(value: Any) -> None:
    """Cloudflare's decryption script decrypts every field object that has a `key`."""
    assert is_encrypted(value)


# --------------------------------------------------------------------------- the documented layouts


@pytest.mark.parametrize("layout", LAYOUTS)
def test_records_round_trip_in_every_documented_layout(key_pair: KeyPair, private_key: Any, layout: str) -> None:
    plains = [plain_record(n) for n in range(3)]
    records = [encrypt_record(key_pair.public_pem, p, layout=layout) for p in plains]
    out, problems, summary = run(ndjson(records), private_key)
    assert problems == []
    assert out == plains
    assert (summary.records, summary.decrypted_fields, summary.failed_records, summary.ok) == (3, 9, 0, True)


def test_the_dataset_layout_carries_key_iv_and_ciphertext_in_data(key_pair: KeyPair, private_key: Any) -> None:
    field = encrypt_field(key_pair.public_pem, b'{"prompt": "hi"}', layout="dataset")
    assert set(field) == {"type", "data"}
    assert decrypt_field(field, private_key) == {"prompt": "hi"}


@pytest.mark.parametrize(("index", "reason"), [
    (3, "the AES key does not unwrap with this private key"),  # inside the wrapped key
    (512 + 5, "authentication tag mismatch"),  # inside the iv
    (-1, "authentication tag mismatch"),  # inside the tag
])
def test_a_tampered_dataset_layout_field_is_named(key_pair: KeyPair, private_key: Any, index: int,
                                                  reason: str) -> None:
    field = encrypt_field(key_pair.public_pem, b"{}", layout="dataset")
    field["data"] = flip_byte(field["data"], index)
    with pytest.raises(FieldError) as info:
        decrypt_field(field, private_key)
    assert str(info.value).startswith(
        'no `key`: read as Cloudflare\'s dataset layout {"type": "encrypted", "data": base64(RSA-OAEP-wrapped '
        "AES key || 12-byte iv || AES-GCM ciphertext)}, an unverified reading: ")
    assert reason in str(info.value)


@pytest.mark.parametrize(("data", "reason"), [
    ("AAAA", "`data` is 3 bytes, shorter than a 512-byte wrapped key, a 12-byte iv and a 16-byte GCM tag"),
    ("@@@@", "`data` is not valid base64"),
    (None, "`data` is missing"),
    (7, "`data` is not a string (int)"),
])
def test_an_undecryptable_dataset_layout_field_says_the_layout_is_unverified(private_key: Any, data: Any,
                                                                             reason: str) -> None:
    field = {"type": "encrypted"} if data is None else {"type": "encrypted", "data": data}
    with pytest.raises(FieldError) as info:
        decrypt_field(field, private_key)
    assert "an unverified reading" in str(info.value)
    assert str(info.value).endswith(reason)


def test_a_tampered_json_dataset_layout_field_names_that_reading(key_pair: KeyPair, private_key: Any) -> None:
    field = encrypt_field(key_pair.public_pem, b"{}", layout="dataset-json")
    inner = json.loads(base64.b64decode(field["data"]))
    inner["data"] = flip_byte(inner["data"])
    field["data"] = base64.b64encode(json.dumps(inner).encode()).decode()
    with pytest.raises(FieldError) as info:
        decrypt_field(field, private_key)
    assert str(info.value) == (
        'no `key`: read as Cloudflare\'s dataset layout {"type": "encrypted", "data": base64(JSON {"key", "iv", '
        '"data"})}, an unverified reading: authentication tag mismatch (tampered data or a different key)')


def test_an_object_carrying_key_with_other_members_is_decrypted(key_pair: KeyPair, private_key: Any) -> None:
    field = {**encrypt_field(key_pair.public_pem, b'{"a": 1}', layout="script"), "version": 2}
    record = {"Gateway": "g", "RequestBody": field}
    out, failures = decrypt_record(record, private_key)
    assert failures == [] and out == {"Gateway": "g", "RequestBody": {"a": 1}}


def test_metadata_carrying_key_that_does_not_decrypt_is_a_failure(private_key: Any) -> None:
    """As Cloudflare's script would, an object with `key` is taken as encrypted: never passed on silently."""
    record = {"Gateway": "g", "Metadata": {"key": "customer-7"}}
    out, failures = decrypt_record(record, private_key)
    assert failures == [("Metadata", "`iv` is missing")]
    assert out == record


def test_any_field_left_encrypted_is_a_failure(key_pair: KeyPair, private_key: Any) -> None:
    """A typed-encrypted object in a field aigw does not know is decrypted too, or reported; never passed on."""
    record = {"Gateway": "g", "Prompt": encrypt_field(key_pair.public_pem, b'"hi"'),
              "Summary": {"type": "encrypted", "data": "AAAA"}, "Extra": {"key": "not", "nested": True}}
    out, failures = decrypt_record(record, private_key)
    assert out["Prompt"] == "hi" and out["Summary"] == record["Summary"] and out["Extra"] == record["Extra"]
    assert [name for name, _ in failures] == ["Summary"]
    problems: list[str] = []
    summary = Summary()
    decrypt_stream("f", io.BytesIO(ndjson([record])), private_key, io.BytesIO(), problems.append, summary)
    assert len(problems) == 1 and problems[0].startswith("f:1: Summary: cannot decrypt: no `key`: ")
    assert (summary.decrypted_fields, summary.failed_fields, summary.failed_records) == (1, 1, 1)


# --------------------------------------------------------------------------- bounded lines and nesting


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_deeply_nested_line_is_named_and_the_rest_decrypt(key_pair: KeyPair, private_key: Any) -> None:
    plains = [plain_record(n) for n in range(3)]
    good = [json.dumps(encrypt_record(key_pair.public_pem, p)).encode() for p in plains]
    deep = f'{{"Gateway": "g", "RequestBody": {nested(1000)}}}'.encode()
    very_deep = nested(200_000).encode()
    edge = f'{{"Gateway": "g", "Extra": {nested(MAX_DEPTH - 1)}}}'.encode()  # exactly MAX_DEPTH levels
    data = b"\n".join([good[0], deep, good[1], very_deep, edge, good[2]]) + b"\n"
    out, problems, summary = run(data, private_key)
    message = f"too deeply nested: JSON arrays and objects more than {MAX_DEPTH} levels deep (skipped)"
    assert problems == [f"f.ndjson:2: {message}", f"f.ndjson:4: {message}"]
    assert out == [plains[0], plains[1], json.loads(edge), plains[2]]
    assert (summary.records, summary.failed_records) == (6, 2)


def test_brackets_inside_strings_do_not_count_as_nesting(private_key: Any) -> None:
    record = {"Gateway": "[[[[" * 100, "Note": 'a \\" {{{{' * 100}
    out, problems, _ = run(ndjson([record]), private_key)
    assert problems == [] and out == [record]


def test_a_deeply_nested_plaintext_stays_a_string(key_pair: KeyPair, private_key: Any) -> None:
    text = f'{{"messages": {nested(500)}}}'
    field = encrypt_field(key_pair.public_pem, text.encode())
    assert decrypt_field(field, private_key) == text


def test_a_line_longer_than_the_bound_is_named_and_the_rest_decrypt(key_pair: KeyPair, private_key: Any) -> None:
    plains = [plain_record(n) for n in range(3)]
    good = [json.dumps(encrypt_record(key_pair.public_pem, p)).encode() for p in plains]
    padded = json.dumps({**plains[2], "Pad": ""}).encode()
    fitting = padded.replace(b'"Pad": ""', b'"Pad": "' + b"x" * (MAX_LINE_BYTES - len(padded)) + b'"')
    assert len(fitting) == MAX_LINE_BYTES
    data = b"\n".join([good[0], b"0" * (MAX_LINE_BYTES + 1), good[1], fitting, good[2]])  # no final newline
    out, problems, summary = run(data, private_key)
    assert problems == [f"f.ndjson:2: too long: more than {MAX_LINE_BYTES // 2**20} MiB without a line break "
                        "(Cloudflare exports at most 1 MB per log; skipped)"]
    assert out == [plains[0], plains[1], json.loads(fitting), plains[2]]
    assert (summary.records, summary.failed_records) == (5, 1)


def test_an_overlong_last_line_without_a_newline_is_named(private_key: Any) -> None:
    out, problems, summary = run(b'{"a": 1}\n' + b" " * (MAX_LINE_BYTES + 10), private_key)
    assert out == [{"a": 1}]
    assert len(problems) == 1 and problems[0].startswith("f.ndjson:2: too long: ")
    assert (summary.records, summary.failed_records) == (2, 1)


# --------------------------------------------------------------------------- records and streams


def test_record_fields_decrypt_and_others_pass_through(key_pair: KeyPair, private_key: Any) -> None:
    plain = plain_record(1)
    record = encrypt_record(key_pair.public_pem, plain)
    record["Extra"] = {"key": "not", "nested": True}
    decrypted, failures = decrypt_record(record, private_key)
    assert failures == []
    assert decrypted == {**plain, "Extra": {"key": "not", "nested": True}}
    assert list(decrypted) == list(record)  # field order kept


def test_stream_reports_a_tampered_record_by_line_and_decrypts_the_rest(key_pair: KeyPair, private_key: Any) -> None:
    plains = [plain_record(n) for n in range(4)]
    records = [encrypt_record(key_pair.public_pem, p) for p in plains]
    records[2]["RequestBody"]["data"] = flip_byte(records[2]["RequestBody"]["data"], 5)
    data = ndjson(records[:2]) + b"\n" + ndjson(records[2:])  # a blank line 3: line numbers still count it
    out, problems, summary = run(data, private_key)
    assert problems == ["f.ndjson:4: RequestBody: cannot decrypt: authentication tag mismatch "
                        "(tampered data or a different key)"]
    assert out[0] == plains[0] and out[1] == plains[1] and out[3] == plains[3]
    assert out[2]["RequestBody"] == records[2]["RequestBody"]  # left as it was
    assert out[2]["Metadata"] == plains[2]["Metadata"] and out[2]["ResponseBody"] == plains[2]["ResponseBody"]
    assert (summary.records, summary.failed_records, summary.failed_fields, summary.ok) == (4, 1, 1, False)


def test_wrong_key_reports_every_encrypted_field(other_key_pair: KeyPair, private_key: Any) -> None:
    records = [encrypt_record(other_key_pair.public_pem, plain_record(n)) for n in range(3)]
    records.insert(1, {"Gateway": "g", "StatusCode": 500})  # nothing encrypted: fine
    out, problems, summary = run(ndjson(records), private_key)
    assert [p.split(": cannot decrypt: ")[0] for p in problems] == [
        f"f.ndjson:{line}: {field}" for line in (1, 3, 4) for field in ("Metadata", "RequestBody", "ResponseBody")
    ]
    assert all("does not unwrap with this private key" in p for p in problems)
    assert out == records
    assert (summary.records, summary.failed_records) == (4, 3)


def test_lines_that_are_not_records_are_reported_and_skipped(key_pair: KeyPair, private_key: Any) -> None:
    good = encrypt_record(key_pair.public_pem, plain_record(1))
    data = b"not json\n" + ndjson([good]) + b"[1, 2]\n" + b"\xff\xfe\n"
    out, problems, summary = run(data, private_key)
    assert problems == ["f.ndjson:1: not JSON: Expecting value (skipped)",
                        "f.ndjson:3: not a JSON object but list (skipped)",
                        "f.ndjson:4: not UTF-8 text (skipped)"]
    assert out == [plain_record(1)]
    assert (summary.records, summary.failed_records) == (4, 3)


def test_gzip_is_detected_by_magic_bytes_not_extension(key_pair: KeyPair, private_key: Any, tmp_path: Path) -> None:
    plains = [plain_record(n) for n in range(3)]
    data = ndjson([encrypt_record(key_pair.public_pem, p) for p in plains])
    gzipped = tmp_path / "batch.json"  # gzip content, no .gz
    gzipped.write_bytes(gzip.compress(data))
    plain = tmp_path / "batch.log.gz"  # plain content, .gz name
    plain.write_bytes(data)
    out = io.BytesIO()
    problems: list[str] = []
    summary = decrypt_files([gzipped, plain], private_key, out, problems.append)
    assert problems == [] and summary.ok
    assert [json.loads(line) for line in out.getvalue().splitlines()] == plains + plains


def test_multi_member_gzip_as_concatenated_batches(key_pair: KeyPair, private_key: Any) -> None:
    plains = [plain_record(n) for n in range(2)]
    data = b"".join(gzip.compress(ndjson([encrypt_record(key_pair.public_pem, p)])) for p in plains)
    out, problems, _ = run(data, private_key)
    assert problems == [] and out == plains


def test_truncated_gzip_is_reported(key_pair: KeyPair, private_key: Any) -> None:
    data = gzip.compress(ndjson([encrypt_record(key_pair.public_pem, plain_record(n)) for n in range(20)]))
    out, problems, summary = run(data[: len(data) // 2], private_key, "cut.gz")
    assert len(problems) == 1 and problems[0].startswith("cut.gz: cannot be read to the end (after line ")
    assert not summary.ok and summary.unreadable_files == 1


# --------------------------------------------------------------------------- an independent encryptor


ENCRYPT_JS = r"""
import { readFileSync } from "node:fs";
const pem = readFileSync(process.argv[2], "utf8");
const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
const rsa = await crypto.subtle.importKey("spki", der, { name: "RSA-OAEP", hash: "SHA-256" }, false, ["encrypt"]);
const b64 = (buf) => Buffer.from(buf).toString("base64");
async function field(text) {
  const aes = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(text);
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, tagLength: 128 }, aes, plain);
  const key = await crypto.subtle.encrypt({ name: "RSA-OAEP" }, rsa, await crypto.subtle.exportKey("raw", aes));
  return { type: "encrypted", key: b64(key), iv: b64(iv), data: b64(data) };
}
for (const n of [1, 2]) {
  process.stdout.write(JSON.stringify({
    Gateway: "g", StatusCode: 200,
    Metadata: await field(JSON.stringify({ n })),
    RequestBody: await field(JSON.stringify({ prompt: `hello ${n}` })),
    ResponseBody: await field(`answer ${n}`),
  }) + "\n");
}
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="no node binary (WebCrypto)")
def test_records_encrypted_by_webcrypto_decrypt(key_pair: KeyPair, private_key: Any, tmp_path: Path) -> None:
    """WebCrypto (what Workers and the third-party decrypters use) as the encryptor, not our own helper."""
    (tmp_path / "pub.pem").write_text(key_pair.public_pem)
    (tmp_path / "encrypt.mjs").write_text(ENCRYPT_JS)
    data = subprocess.run(["node", str(tmp_path / "encrypt.mjs"), str(tmp_path / "pub.pem")],
                          capture_output=True, check=True).stdout
    out, problems, _ = run(data, private_key)
    assert problems == []
    assert out == [{"Gateway": "g", "StatusCode": 200, "Metadata": {"n": n},
                    "RequestBody": {"prompt": f"hello {n}"}, "ResponseBody": f"answer {n}"} for n in (1, 2)]


# --------------------------------------------------------------------------- the private key


def test_loads_pkcs8_and_pkcs1(key_pair: KeyPair, tmp_path: Path) -> None:
    pkcs8 = tmp_path / "k8.pem"
    pkcs8.write_bytes(key_pair.private_pem)
    key = load_private_key(pkcs8)
    pkcs1 = tmp_path / "k1.pem"
    pkcs1.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                        serialization.NoEncryption()))
    assert load_private_key(pkcs1).private_numbers() == key.private_numbers()


def _ec_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot be read: No such file or directory"),
    (b"hello", "is not a PEM private key"),
    ("public", "is a public key; decrypting needs the private key"),
    ("ec", "holds an EC private key, not an RSA private key"),
    ("passphrase", "is protected by a passphrase"),
])
def test_unusable_keys_are_usage_errors(key_pair: KeyPair, tmp_path: Path, content: Any, message: str) -> None:
    path = tmp_path / "key.pem"
    if content == "public":
        path.write_text(key_pair.public_pem)
    elif content == "ec":
        path.write_bytes(_ec_pem())
    elif content == "passphrase":
        key = serialization.load_pem_private_key(key_pair.private_pem, password=None)
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.BestAvailableEncryption(b"pw")))
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(InvalidInput) as info:
        load_private_key(path)
    assert info.value.lines == [info.value.lines[0]]
    assert info.value.lines[0].startswith(f"--key {path}: {message}")
    assert InvalidInput.exit_code == 2


def test_output_errors_are_not_blamed_on_the_input(key_pair: KeyPair, private_key: Any) -> None:
    class ClosedPipe(io.BytesIO):
        def write(self, data: Any) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    problems: list[str] = []
    data = ndjson([encrypt_record(key_pair.public_pem, plain_record(1))])
    with pytest.raises(BrokenPipeError):
        decrypt_stream("f", io.BytesIO(data), private_key, ClosedPipe(), problems.append, Summary())
    assert problems == []
