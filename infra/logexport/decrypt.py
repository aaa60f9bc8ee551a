"""`aigw logs decrypt`: AI Gateway Logpush records back to plain NDJSON.

Where the format comes from, and how sure we are:

* Cloudflare's AI Gateway Logpush documentation (``ai-gateway/observability/logging/logpush``)
  describes hybrid encryption: every log gets a random AES-256-GCM key that encrypts the data,
  and that AES key is wrapped with the RSA public key set on the gateway using RSA-OAEP with
  SHA-256. Records arrive as NDJSON, usually gzipped. It does not show the JSON layout.
* The layout handled here comes from third-party implementations, not from Cloudflare: the fields
  ``Metadata``, ``RequestBody`` and ``ResponseBody`` each hold an object
  ``{"type": "encrypted", "key": b64(RSA-OAEP-SHA256(aesKey)), "iv": b64, "data": b64(ciphertext)}``
  where ``data`` is the AES-GCM ciphertext with its 16-byte tag appended, as WebCrypto produces
  and consumes it (for example the Worker in github.com/mkusaka/cf-aigw-logpush-dd-decripter,
  which decrypts with ``crypto.subtle`` RSA-OAEP/SHA-256 then AES-GCM, tagLength 128). The other
  fields (``Gateway``, ``Provider``, ``Model``, ``Endpoint``, ``StatusCode``, ...) are plain.
  **This layout is unverified against a live Logpush export**: check it on the first real file.

Decryption: unwrap the AES key with RSA-OAEP (MGF1-SHA256, SHA-256, empty label, as WebCrypto's
``RSA-OAEP`` with ``hash: SHA-256`` does), then AES-GCM decrypt ``data`` with ``iv``. The field is
replaced by the plaintext, parsed as JSON when it is JSON, else as the UTF-8 string. A field that
cannot be decrypted is reported (file, line, field, reason) and left as it was, so nothing is lost
and the rest of the file still decrypts.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from . import InvalidInput

ENCRYPTED_FIELDS = ("Metadata", "RequestBody", "ResponseBody")
_MEMBERS = frozenset({"key", "iv", "data"})
_GZIP_MAGIC = b"\x1f\x8b"
_GCM_TAG_BYTES = 16


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
    """An encrypted-field object: ``{key, iv, data}`` (and optionally ``type``), or ``type: encrypted``."""
    if not isinstance(value, dict):
        return False
    return value.get("type") == "encrypted" or value.keys() == _MEMBERS


def decrypt_field(value: dict[str, Any], private_key: Any, unwrapped: dict[str, bytes] | None = None) -> Any:
    """The plaintext of one encrypted field (parsed JSON, else the string); FieldError with a reason."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    for member in ("key", "iv", "data"):
        if not isinstance(value.get(member), str):
            what = "missing" if member not in value else f"not a string ({type(value[member]).__name__})"
            raise FieldError(f"`{member}` is {what}")
    wrapped, iv, data = (_b64(value, member) for member in ("key", "iv", "data"))

    cache_key = value["key"]
    aes_key = unwrapped.get(cache_key) if unwrapped is not None else None
    if aes_key is None:
        size = private_key.key_size // 8
        if len(wrapped) != size:
            raise FieldError(f"the wrapped AES key is {len(wrapped)} bytes, but this {private_key.key_size}-bit "
                             f"private key unwraps {size}-byte keys (a different key pair?)")
        try:
            aes_key = private_key.decrypt(wrapped, padding.OAEP(
                mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
        except ValueError:
            raise FieldError("the AES key does not unwrap with this private key "
                             "(RSA-OAEP-SHA256 failed: a different key pair, or a tampered `key`)") from None
        if unwrapped is not None:
            unwrapped[cache_key] = aes_key
    if len(aes_key) not in (16, 24, 32):
        raise FieldError(f"the unwrapped AES key is {len(aes_key)} bytes; AES-256-GCM needs 32")
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
    try:
        return json.loads(text)
    except ValueError:
        return text


def _b64(value: dict[str, Any], member: str) -> bytes:
    try:
        return base64.b64decode(value[member], validate=True)
    except (binascii.Error, ValueError):
        raise FieldError(f"`{member}` is not valid base64") from None


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


def decrypt_record(record: dict[str, Any], private_key: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The record with its encrypted fields decrypted, and (field, reason) for those that failed."""
    out = dict(record)
    failures: list[tuple[str, str]] = []
    unwrapped: dict[str, bytes] = {}  # a wrapped key repeated within a record is unwrapped once
    for name in ENCRYPTED_FIELDS:
        value = record.get(name)
        if not is_encrypted(value):
            continue
        try:
            out[name] = decrypt_field(value, private_key, unwrapped)
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
        if not line.strip():
            continue
        summary.records += 1
        record = _parse_line(line, f"{name}:{number}", report)
        if record is None:
            summary.failed_records += 1
            continue
        decrypted, failures = decrypt_record(record, private_key)
        summary.decrypted_fields += sum(is_encrypted(record.get(f)) for f in ENCRYPTED_FIELDS) - len(failures)
        if failures:
            summary.failed_records += 1
            summary.failed_fields += len(failures)
            for field_name, reason in failures:
                report(f"{name}:{number}: {field_name}: cannot decrypt: {reason}")
        out.write(json.dumps(decrypted, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")


def _read_lines(name: str, stream: IO[bytes], report: Callable[[str], None],
                summary: Summary) -> Iterator[tuple[int, bytes]]:
    number = 0
    try:
        for number, line in enumerate(open_records(stream), start=1):
            yield number, line
    except (OSError, EOFError, zlib.error) as exc:
        summary.unreadable_files += 1
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        report(f"{name}: cannot be read to the end (after line {number}): {reason}")


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
    try:
        record = json.loads(text)
    except ValueError as exc:
        report(f"{where}: not JSON: {getattr(exc, 'msg', exc)} (skipped)")
        return None
    if not isinstance(record, dict):
        report(f"{where}: not a JSON object but {type(record).__name__} (skipped)")
        return None
    return record
