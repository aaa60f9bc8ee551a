"""One fingerprint for a public key, wherever aigw shows one (keygen, diff, compare).

The SHA-256 of the key's DER SubjectPublicKeyInfo, lowercase hex: the same as
``openssl pkey -pubin -in KEY.pem -outform DER | sha256sum`` (OpenSSL docs, openssl-pkey:
https://docs.openssl.org/master/man1/openssl-pkey/). A PEM's text can change (line length,
trailing newline, CRLF) without the key changing; the DER form cannot, so the fingerprint
names the key, not its spelling.
"""

from __future__ import annotations

import hashlib

PREFIX = "SHA256:"


def public_key_fingerprint(key: str | bytes) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo of ``key`` (PEM text, PEM bytes or DER bytes), hex.

    Raises ValueError when ``key`` is not a public key."""
    from cryptography.hazmat.primitives import serialization

    data = key.encode("ascii", "replace") if isinstance(key, str) else bytes(key)
    if data.lstrip().startswith(b"-----BEGIN"):
        public = serialization.load_pem_public_key(data)
    else:
        public = serialization.load_der_public_key(data)
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def shown(key: str | bytes) -> str:
    """The fingerprint as aigw prints it: ``SHA256:<hex>``."""
    return PREFIX + public_key_fingerprint(key)
