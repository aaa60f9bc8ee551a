"""A test stand-in for the gateway's side of Logpush encryption.

Encrypts a field exactly as the format in ``aigw/logexport/decrypt.py`` describes it: a fresh
AES-256-GCM key and 12-byte iv per field, the ciphertext with its 16-byte tag appended (as
WebCrypto produces it), the AES key wrapped with RSA-OAEP (MGF1-SHA256, SHA-256, no label).
Written against the ``cryptography`` primitives directly, not against the decryptor's code.

Layouts (``layout=``):

* ``"typed"``: ``{"type": "encrypted", "key", "iv", "data"}`` (what third-party decrypters see);
* ``"script"``: ``{"key", "iv", "data"}`` (what Cloudflare's decryption script reads);
* ``"dataset"``: ``{"type": "encrypted", "data": b64(wrapped key || iv || ciphertext+tag)}``, the
  reading of Cloudflare's ai_gateway_events dataset page that aigw implements (unverified);
* ``"dataset-json"``: ``{"type": "encrypted", "data": b64(JSON {"key", "iv", "data"})}``, the other
  reading aigw accepts.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FIELDS = ("Metadata", "RequestBody", "ResponseBody")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


LAYOUTS = ("typed", "script", "dataset", "dataset-json")


def encrypt_field(public_pem: str, plaintext: bytes, *, layout: str = "typed") -> dict[str, str]:
    public_key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    aes_key = os.urandom(32)
    iv = os.urandom(12)
    data = AESGCM(aes_key).encrypt(iv, plaintext, None)  # ciphertext || 16-byte tag
    wrapped = public_key.encrypt(  # type: ignore[union-attr]
        aes_key, padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    )
    field = {"key": _b64(wrapped), "iv": _b64(iv), "data": _b64(data)}
    if layout == "typed":
        return {"type": "encrypted", **field}
    if layout == "script":
        return field
    if layout == "dataset":
        return {"type": "encrypted", "data": _b64(wrapped + iv + data)}
    if layout == "dataset-json":
        return {"type": "encrypted", "data": _b64(json.dumps(field).encode("ascii"))}
    raise ValueError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")


def plain_record(number: int) -> dict[str, Any]:
    """A record as the gateway would log it, before encryption."""
    return {
        "Gateway": "dev-support-bot",
        "Provider": "openai",
        "Model": "gpt-4.1-mini",
        "Endpoint": "chat/completions",
        "StatusCode": 200,
        "Cached": False,
        "RateLimited": False,
        "Datetime": f"2026-01-02T03:04:{number:02d}Z",
        "Metadata": {"requestId": f"req-{number}", "dlp": []},
        "RequestBody": {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": f"question {number} ✓"}]},
        "ResponseBody": f"plain text answer {number}: not JSON",
    }


def encrypt_record(public_pem: str, record: dict[str, Any], *, layout: str = "typed",
                   fields: tuple[str, ...] = FIELDS) -> dict[str, Any]:
    out = dict(record)
    for name in fields:
        if name in record:
            value = record[name]
            text = value if isinstance(value, str) else json.dumps(value)
            out[name] = encrypt_field(public_pem, text.encode("utf-8"), layout=layout)
    return out


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in records)


def flip_byte(b64: str, index: int = 0) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[index] ^= 0x01
    return _b64(bytes(raw))
