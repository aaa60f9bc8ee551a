"""Log export (``aigw:logpush``): the Logpush job, its destination, and the logs' public key."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .base import _Model
from .secrets import Secret, _credential

LOGPUSH_PUBLIC_KEY_LENGTH = (16, 1024)


def check_logpush_public_key(value: str) -> str:
    """The API takes an RSA public key in SPKI PEM of 16..1024 characters (4096 bits at most)."""
    low, high = LOGPUSH_PUBLIC_KEY_LENGTH
    if not low <= len(value) <= high:
        raise ValueError(
            f"must be {low}..{high} characters (an RSA public key in SPKI PEM of at most 4096 bits); "
            f"got {len(value)}"
        )
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if not value.lstrip().startswith("-----BEGIN PUBLIC KEY-----"):
        raise ValueError("must be an RSA public key in SPKI PEM ('-----BEGIN PUBLIC KEY-----')")
    try:
        key = load_pem_public_key(value.encode())
    except ValueError:
        raise ValueError("must be a PEM public key ('-----BEGIN PUBLIC KEY-----')") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("must be an RSA public key")
    return value




# --------------------------------------------------------------------------- log export

# Logpush job options (SDK 5.9.0 `logpush/job_create_params.py`): each is 0 (off) or in range.
# "5 MB" and "1 GB" are read as decimal units (unverified whether Cloudflare means MiB/GiB).
MAX_UPLOAD_BYTES = (5_000_000, 1_000_000_000)
MAX_UPLOAD_INTERVAL_SECONDS = (30, 300)
MAX_UPLOAD_RECORDS = (1_000, 1_000_000)
LOGPUSH_JOBS_PER_ACCOUNT = 4
R2_BUCKET_PATTERN = r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"


def _zero_or_range(value: int | None, bounds: tuple[int, int]) -> int | None:
    if value is None or value == 0 or bounds[0] <= value <= bounds[1]:
        return value
    raise ValueError(f"allowed: 0 (off) or {bounds[0]:,}..{bounds[1]:,}")


class R2DestinationSpec(_Model):
    """An R2 bucket this stack creates, with a lifecycle rule deleting objects after the retention."""

    bucket: str = Field(pattern=R2_BUCKET_PATTERN, description="Bucket name (3..63 of a-z, 0-9, -).")
    retention_days: Annotated[int, Field(ge=1, le=3650, strict=True)] = Field(
        description="Objects older than this are deleted by the bucket's lifecycle rule.")
    path: str = Field("ai-gateway", pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
                      description="Object key prefix; the job appends /{DATE}.")
    jurisdiction: Literal["default", "eu", "fedramp"] | None = None
    location: Literal["apac", "eeur", "enam", "weur", "wnam", "oc"] | None = None
    access_key_id: Secret = Field(description="R2 S3 access key id Logpush writes with (secret).")
    secret_access_key: Secret = Field(description="R2 S3 secret access key (secret).")

    @field_validator("access_key_id", "secret_access_key", mode="before")
    @classmethod
    def _credentials_are_secret(cls, value: Any, info: ValidationInfo) -> Any:
        return _credential(value, info)


class LogpushDestinationSpec(_Model):
    r2: R2DestinationSpec | None = None
    conf: Secret | None = Field(None, description="Any Logpush destination_conf (S3, GCS, Azure, HTTP, ...).")

    @field_validator("conf", mode="before")
    @classmethod
    def _conf_is_secret(cls, value: Any, info: ValidationInfo) -> Any:
        # A destination_conf usually carries credentials (keys, SAS tokens, auth headers).
        return None if value is None else _credential(value, info)

    @model_validator(mode="after")
    def _exactly_one(self) -> LogpushDestinationSpec:
        if (self.r2 is None) == (self.conf is None):
            raise ValueError("give exactly one of r2 (a bucket this stack creates) or conf (a destination_conf secret)")
        return self


class LogpushSpec(_Model):
    """The stack's Logpush export of AI Gateway logs (`aigw:logpush`)."""

    public_key: str | None = Field(None, description="Written by `aigw logpush keygen STACK`.")
    destination: LogpushDestinationSpec | None = None
    name: str | None = Field(None, max_length=512)
    filter: str | None = None
    ownership_challenge: str | None = None
    max_upload_bytes: Annotated[int, Field(strict=True)] | None = None
    max_upload_interval_seconds: Annotated[int, Field(strict=True)] | None = None
    max_upload_records: Annotated[int, Field(strict=True)] | None = None

    @field_validator("public_key")
    @classmethod
    def _pem(cls, value: str | None) -> str | None:
        return None if value is None else check_logpush_public_key(value)

    @field_validator("max_upload_bytes")
    @classmethod
    def _bytes(cls, value: int | None) -> int | None:
        return _zero_or_range(value, MAX_UPLOAD_BYTES)

    @field_validator("max_upload_interval_seconds")
    @classmethod
    def _interval(cls, value: int | None) -> int | None:
        return _zero_or_range(value, MAX_UPLOAD_INTERVAL_SECONDS)

    @field_validator("max_upload_records")
    @classmethod
    def _records(cls, value: int | None) -> int | None:
        return _zero_or_range(value, MAX_UPLOAD_RECORDS)
