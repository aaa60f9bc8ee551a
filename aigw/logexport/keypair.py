"""The Logpush key pair: an RSA key whose public half the gateway wraps each exported log's AES key with,
and its fingerprint (SHA-256 of the DER SubjectPublicKeyInfo)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..keyprint import public_key_fingerprint  # one fingerprint everywhere (keygen, diff, compare)
from ..spec import LOGPUSH_PUBLIC_KEY_LENGTH

RSA_BITS = 4096
RSA_PUBLIC_EXPONENT = 65537
# The API's limit for logpush_public_key; a 4096-bit SPKI PEM is 800 characters.
PUBLIC_KEY_MAX_CHARS = LOGPUSH_PUBLIC_KEY_LENGTH[1]


# --------------------------------------------------------------------------- the key pair


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes = field(repr=False)  # PKCS#8, unencrypted
    public_pem: str  # SPKI ("-----BEGIN PUBLIC KEY-----")
    fingerprint: str  # SHA-256 of the DER SPKI, hex


def generate_key_pair(bits: int = RSA_BITS) -> KeyPair:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private_key = rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=bits)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    if len(public_pem) > PUBLIC_KEY_MAX_CHARS:
        # Not an assert: this must hold even under `python -O`.
        raise RuntimeError(
            f"the {bits}-bit public key is {len(public_pem)} characters in PEM; "
            f"Cloudflare accepts at most {PUBLIC_KEY_MAX_CHARS}"
        )
    return KeyPair(private_pem, public_pem, public_key_fingerprint(public_pem))


def _fingerprint_or_none(pem: str) -> str | None:
    try:
        return public_key_fingerprint(pem)
    except (ValueError, TypeError, UnicodeError):
        return None
