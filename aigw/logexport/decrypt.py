"""`aigw logs decrypt`: AI Gateway Logpush records back to plain NDJSON.

Where the format comes from, and how sure we are (public sources):

* Cloudflare's AI Gateway Logpush page (developers.cloudflare.com/ai-gateway/observability/logging/logpush,
  source ``src/content/docs/ai-gateway/observability/logging/logpush.mdx`` in cloudflare/cloudflare-docs)
  describes hybrid encryption: every log gets a random AES key that encrypts the data, and that
  key is wrapped with the RSA public key set on the gateway. Its Node.js decryption script reads
  ``Metadata``, ``RequestBody`` and ``ResponseBody``; for each it returns the value unchanged when
  it has no ``key`` member, else unwraps ``key`` with ``crypto.privateDecrypt`` and
  ``oaepHash: "SHA256"`` (RSA-OAEP, SHA-256 for OAEP and MGF1) and AES-GCM-decrypts ``data`` with
  ``iv`` through WebCrypto (default 128-bit tag appended to the ciphertext). Records are NDJSON,
  gzipped; "each exported log can be up to 1 MB".
* Cloudflare's dataset page for ``ai_gateway_events`` (developers.cloudflare.com/logs/logpush/
  logpush-job/datasets/account/ai_gateway_events/) shows ``RequestBody`` and ``ResponseBody`` as
  ``{"type":"encrypted","data":"base64"}`` and ``Metadata`` as a plain object; it does not say
  where the wrapped key and the iv are.
* Third-party decrypters (for example the Worker in github.com/mkusaka/cf-aigw-logpush-dd-decripter)
  see ``{"type": "encrypted", "key", "iv", "data"}``: both pages at once.

So a field is decrypted when it is an object carrying ``key`` (Cloudflare's script) or typed
``"encrypted"``. With ``key``: ``{key: b64(RSA-OAEP(aesKey)), iv: b64, data: b64(ciphertext||tag)}``.
Without ``key`` (the dataset page taken literally) ``data`` alone must hold everything; **this
reading is unverified** (no public source shows such a record): ``data`` is taken as either a
base64 JSON object ``{key, iv, data}``, or base64 of the RSA-wrapped AES key (exactly the private
key's modulus size, 512 bytes for RSA 4096) followed by a 12-byte iv and the AES-GCM ciphertext
with its 16-byte tag. A failure under this reading says so.

Any field that is still encrypted afterwards is reported (file, line, field, reason) and left as
it was, so nothing is lost and the rest of the file still decrypts. Each line is read with a
bound (:data:`MAX_LINE_BYTES`) and its JSON nesting checked (:data:`MAX_DEPTH`) before parsing,
so a gzip bomb or a deeply nested line costs a report, not the process.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from . import InvalidInput

# The fields Cloudflare's decryption script decrypts (an object carrying `key`). Any other
# top-level field typed {"type": "encrypted"} is decrypted too.
ENCRYPTED_FIELDS = ("Metadata", "RequestBody", "ResponseBody")
_GZIP_MAGIC = b"\x1f\x8b"
_GCM_TAG_BYTES = 16
_BLOB_IV_BYTES = 12  # the iv WebCrypto AES-GCM users pick; the dataset layout is unverified
# One line of NDJSON at most: Cloudflare exports at most 1 MB per log, which base64 and the JSON
# around it make about 1.4 MB per body; 8 MiB leaves room and bounds the memory one line costs.
MAX_LINE_BYTES = 8 * 2**20
# Arrays and objects nested deeper than this are refused before parsing (a record is a few levels
# deep; a decrypted body deeper than this stays a string), far below Python's recursion limit.
MAX_DEPTH = 64
_READ_CHUNK = 2**20
# What a field without `key` was read as (Cloudflare's dataset page; unverified), to start its failure message.
_DATASET_LAYOUT = ('no `key`: read as Cloudflare\'s dataset layout {"type": "encrypted", "data": '
                   "base64(RSA-OAEP-wrapped AES key || 12-byte iv || AES-GCM ciphertext)}, an unverified reading: ")
_DATASET_JSON_LAYOUT = ('no `key`: read as Cloudflare\'s dataset layout {"type": "encrypted", "data": '
                        'base64(JSON {"key", "iv", "data"})}, an unverified reading: ')


class FieldError(Exception):
    """One encrypted field that cannot be decrypted; the message is the reason."""


# --------------------------------------------------------------------------- the private key


def load_private_key(path: Path) -> Any:
    """The RSA private key in ``path`` (PEM, PKCS#8 or PKCS#1, unencrypted), or InvalidInput."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"--key {path}: cannot be read: {exc.strerror}") from None
    try:
        key = load_pem_private_key(pem, password=None)
    except TypeError:
        raise InvalidInput(f"--key {path}: is protected by a passphrase; aigw reads unencrypted PEM private keys "
                           "(as `aigw logpush keygen` writes them)") from None
    except (ValueError, UnsupportedAlgorithm):
        if b"PUBLIC KEY-----" in pem:
            raise InvalidInput(f"--key {path}: is a public key; decrypting needs the private key "
                               "(the .pem file `aigw logpush keygen` wrote)") from None
        raise InvalidInput(f"--key {path}: is not a PEM private key "
                           "(expected '-----BEGIN PRIVATE KEY-----' or '-----BEGIN RSA PRIVATE KEY-----')") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidInput(f"--key {path}: holds {_kind(key)} private key, not an RSA private key")
    return key


def _kind(key: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, x448, x25519

    kinds = ((ec.EllipticCurvePrivateKey, "an EC"), (dsa.DSAPrivateKey, "a DSA"),
             (ed25519.Ed25519PrivateKey, "an Ed25519"), (ed448.Ed448PrivateKey, "an Ed448"),
             (x25519.X25519PrivateKey, "an X25519"), (x448.X448PrivateKey, "an X448"))
    return next((name for cls, name in kinds if isinstance(key, cls)), "another kind of")


# --------------------------------------------------------------------------- one field


def is_encrypted(value: Any) -> bool:
    """An encrypted-field object: one carrying ``key`` (as Cloudflare's script reads them), or typed ``encrypted``."""
    return isinstance(value, dict) and ("key" in value or value.get("type") == "encrypted")


def decrypt_field(value: dict[str, Any], private_key: Any, unwrapped: dict[str, bytes] | None = None) -> Any:
    """The plaintext of one encrypted field (parsed JSON, else the string); FieldError with a reason."""
    if "key" in value:
        return _decrypt_members(value, private_key, unwrapped)
    return _decrypt_blob(value, private_key)


def _decrypt_members(value: dict[str, Any], private_key: Any, unwrapped: dict[str, bytes] | None) -> Any:
    for member in ("key", "iv", "data"):
        _require_string(value, member)
    wrapped, iv, data = (_b64(value, member) for member in ("key", "iv", "data"))

    cache_key = value["key"]
    aes_key = unwrapped.get(cache_key) if unwrapped is not None else None
    if aes_key is None:
        aes_key = _unwrap(wrapped, private_key)
        if unwrapped is not None:
            unwrapped[cache_key] = aes_key
    return _open(aes_key, iv, data)


def _decrypt_blob(value: dict[str, Any], private_key: Any) -> Any:
    """``data`` alone: base64 of a JSON ``{key, iv, data}``, or of wrapped key || iv || ciphertext."""
    try:
        _require_string(value, "data")
        blob = _b64(value, "data")
    except FieldError as exc:
        raise FieldError(_DATASET_LAYOUT + str(exc)) from None
    if blob[:1] == b"{":
        try:
            inner = json.loads(blob) if not _too_deep(blob.decode("utf-8"), MAX_DEPTH) else None
        except (UnicodeDecodeError, ValueError):
            inner = None  # an RSA-wrapped key may start with the byte "{" too
        if isinstance(inner, dict) and "key" in inner:
            try:
                return _decrypt_members(inner, private_key, None)
            except FieldError as exc:
                raise FieldError(_DATASET_JSON_LAYOUT + str(exc)) from None
    size = private_key.key_size // 8
    try:
        if len(blob) < size + _BLOB_IV_BYTES + _GCM_TAG_BYTES:
            raise FieldError(f"`data` is {len(blob)} bytes, shorter than a {size}-byte wrapped key, "
                             f"a {_BLOB_IV_BYTES}-byte iv and a {_GCM_TAG_BYTES}-byte GCM tag")
        wrapped, iv, data = blob[:size], blob[size:size + _BLOB_IV_BYTES], blob[size + _BLOB_IV_BYTES:]
        return _open(_unwrap(wrapped, private_key), iv, data)
    except FieldError as exc:
        raise FieldError(_DATASET_LAYOUT + str(exc)) from None


def _unwrap(wrapped: bytes, private_key: Any) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    size = private_key.key_size // 8
    if len(wrapped) != size:
        raise FieldError(f"the wrapped AES key is {len(wrapped)} bytes, but this {private_key.key_size}-bit "
                         f"private key unwraps {size}-byte keys (a different key pair?)")
    try:
        aes_key: bytes = private_key.decrypt(wrapped, padding.OAEP(
            mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    except ValueError:
        raise FieldError("the AES key does not unwrap with this private key "
                         "(RSA-OAEP-SHA256 failed: a different key pair, or a tampered `key`)") from None
    if len(aes_key) not in (16, 24, 32):
        raise FieldError(f"the unwrapped AES key is {len(aes_key)} bytes; AES-256-GCM needs 32")
    return aes_key


def _open(aes_key: bytes, iv: bytes, data: bytes) -> Any:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(data) < _GCM_TAG_BYTES:
        raise FieldError(f"`data` is {len(data)} bytes, shorter than the {_GCM_TAG_BYTES}-byte GCM tag")
    if not 8 <= len(iv) <= 128:
        raise FieldError(f"`iv` is {len(iv)} bytes; AES-GCM here takes 8..128 (WebCrypto uses 12)")
    try:
        plaintext = AESGCM(aes_key).decrypt(iv, data, None)
    except InvalidTag:
        raise FieldError("authentication tag mismatch (tampered data or a different key)") from None
    try:
        text = plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise FieldError("decrypted, but the plaintext is not UTF-8 text (left encrypted)") from None
    if _too_deep(text, MAX_DEPTH):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _require_string(value: dict[str, Any], member: str) -> None:
    if not isinstance(value.get(member), str):
        what = "missing" if member not in value else f"not a string ({type(value[member]).__name__})"
        raise FieldError(f"`{member}` is {what}")


def _b64(value: dict[str, Any], member: str) -> bytes:
    try:
        return base64.b64decode(value[member], validate=True)
    except (binascii.Error, ValueError):
        raise FieldError(f"`{member}` is not valid base64") from None


# Strings (with their escapes) matched possessively: no backtracking state on a multi-megabyte string.
_JSON_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _too_deep(text: str, limit: int) -> bool:
    """Whether JSON ``text`` nests arrays and objects more than ``limit`` levels deep, without parsing it."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


# --------------------------------------------------------------------------- records and files


@dataclass
class Summary:
    records: int = 0
    failed_records: int = 0  # records with a field that did not decrypt, or lines that are no record
    decrypted_fields: int = 0
    failed_fields: int = 0
    unreadable_files: int = 0

    @property
    def ok(self) -> bool:
        return not (self.failed_records or self.unreadable_files)


def encrypted_fields(record: dict[str, Any]) -> list[str]:
    """The record's fields to decrypt: the three of Cloudflare's script when they carry ``key`` or are
    typed ``encrypted``, and any other top-level field typed ``encrypted``."""
    return [name for name, value in record.items()
            if is_encrypted(value) and (name in ENCRYPTED_FIELDS or value.get("type") == "encrypted")]


def decrypt_record(record: dict[str, Any], private_key: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The record with its encrypted fields decrypted, and (field, reason) for each one left encrypted."""
    out = dict(record)
    failures: list[tuple[str, str]] = []
    unwrapped: dict[str, bytes] = {}  # a wrapped key repeated within a record is unwrapped once
    for name in encrypted_fields(record):
        try:
            out[name] = decrypt_field(record[name], private_key, unwrapped)
        except FieldError as exc:
            failures.append((name, str(exc)))
    return out, failures


def open_records(stream: IO[bytes]) -> IO[bytes]:
    """The stream itself, or its gunzipped view when it starts with the gzip magic bytes 1f 8b."""
    buffered = stream if hasattr(stream, "peek") else io.BufferedReader(stream)  # type: ignore[arg-type]
    if buffered.peek(2)[:2] == _GZIP_MAGIC:  # type: ignore[union-attr]
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered


def decrypt_stream(name: str, stream: IO[bytes], private_key: Any, out: IO[bytes],
                   report: Callable[[str], None], summary: Summary) -> None:
    """Decrypt one NDJSON (or gzipped NDJSON) stream into ``out``; problems go to ``report``.

    Only errors reading ``stream`` are reported here; errors writing ``out`` propagate.
    """
    for number, line in _read_lines(name, stream, report, summary):
        if line is not None and not line.strip():
            continue
        summary.records += 1
        where = f"{name}:{number}"
        if line is None:
            summary.failed_records += 1
            report(f"{where}: too long: more than {MAX_LINE_BYTES // 2**20} MiB without a line break "
                   "(Cloudflare exports at most 1 MB per log; skipped)")
            continue
        record = _parse_line(line, where, report)
        if record is None:
            summary.failed_records += 1
            continue
        decrypted, failures = decrypt_record(record, private_key)
        summary.decrypted_fields += len(encrypted_fields(record)) - len(failures)
        if failures:
            summary.failed_records += 1
            summary.failed_fields += len(failures)
            for field_name, reason in failures:
                report(f"{where}: {field_name}: cannot decrypt: {reason}")
        out.write(json.dumps(decrypted, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")


def _read_lines(name: str, stream: IO[bytes], report: Callable[[str], None],
                summary: Summary) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line without its newline), the line None when longer than MAX_LINE_BYTES."""
    number = 0
    try:
        for number, line in enumerate(_bounded_lines(open_records(stream), MAX_LINE_BYTES), start=1):
            yield number, line
    except (OSError, EOFError, zlib.error) as exc:
        summary.unreadable_files += 1
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        report(f"{name}: cannot be read to the end (after line {number}): {reason}")


def _bounded_lines(stream: IO[bytes], limit: int) -> Iterator[bytes | None]:
    """The lines of ``stream`` read in chunks, never more than ``limit`` bytes of one line held.

    A longer line (a gzip bomb inflating to gigabytes of one line, say) is read through to its end
    and discarded, and comes out as None, so the lines after it still count and decrypt.
    """
    pending = bytearray()
    overlong = False
    while chunk := stream.read(_READ_CHUNK):
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if not overlong and len(pending) + end - start <= limit:
                pending += chunk[start:end]
                yield bytes(pending)
            else:
                yield None
            pending.clear()
            overlong = False
            start = end + 1
        if not overlong:
            if len(pending) + len(chunk) - start > limit:
                overlong = True
                pending.clear()
            else:
                pending += chunk[start:]
    if overlong:
        yield None
    elif pending:
        yield bytes(pending)


def decrypt_files(paths: Iterable[Path | str], private_key: Any, out: IO[bytes],
                  report: Callable[[str], None], stdin: IO[bytes] | None = None) -> Summary:
    """Every file in turn (``-`` is ``stdin``), into one NDJSON output."""
    summary = Summary()
    for path in paths:
        if str(path) == "-" and stdin is not None:
            decrypt_stream("<stdin>", stdin, private_key, out, report, summary)
            continue
        try:
            stream = open(path, "rb")
        except OSError as exc:
            summary.unreadable_files += 1
            report(f"{path}: cannot be read: {exc.strerror}")
            continue
        with stream:
            decrypt_stream(str(path), stream, private_key, out, report, summary)
    return summary


def _parse_line(line: bytes, where: str, report: Callable[[str], None]) -> dict[str, Any] | None:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        report(f"{where}: not UTF-8 text (skipped)")
        return None
    if _too_deep(text, MAX_DEPTH):
        report(f"{where}: too deeply nested: JSON arrays and objects more than {MAX_DEPTH} levels deep (skipped)")
        return None
    try:
        record = json.loads(text)
    except ValueError as exc:
        report(f"{where}: not JSON: {getattr(exc, 'msg', exc)} (skipped)")
        return None
    if not isinstance(record, dict):
        report(f"{where}: not a JSON object but {type(record).__name__} (skipped)")
        return None
    return record
