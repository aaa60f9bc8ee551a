"""Secrets in the config: the :class:`Secret` value, and how a credential written in plain text is refused
(also inside URLs: userinfo, credential-like query parameters)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import (
    ValidationError,
    ValidationInfo,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from aigw_policy.rules import is_credential_name, url_credentials
from aigw_policy.vocabulary import SECRET_MARK

if TYPE_CHECKING:
    from .errors import Problem

def _plain(value: Any) -> Any:
    if isinstance(value, Secret):
        return SECRET_MARK
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_MISSING = object()


class Secret:
    """A credential from a ``secure:`` config value.

    ``value`` is the plaintext under the Pulumi CLI; ``None`` offline, where the ciphertext
    cannot be decrypted. Never printed or serialised: ``repr``/``str`` are redacted and, not
    being a dataclass or model, pydantic's ``model_dump`` keeps the object instead of its fields.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | None = None):
        object.__setattr__(self, "_value", value)

    @property
    def value(self) -> str | None:
        return self._value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Secret is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __repr__(self) -> str:
        return "Secret([secret])"

    __str__ = __repr__


def _credentials_in(title: str, value: Any, info: ValidationInfo, is_credential: Callable[[Any], bool]) -> Any:
    """A mapping whose credential entries must be secrets (OTel headers, Worker secrets).

    Each problem is reported at <mapping>.<name>, so the key path, the line and the
    `pulumi config set --path` of the fix are the entry's own.
    """
    if not isinstance(value, Mapping):
        return value
    out: dict[Any, Any] = {}
    errors: list[InitErrorDetails] = []
    for name, entry in value.items():
        if not is_credential(name):
            out[name] = entry
            continue
        try:
            out[name] = _credential(entry, info)
        except ValueError as exc:
            errors.append(InitErrorDetails(
                type=PydanticCustomError("value_error", "{error}", {"error": str(exc)}),
                loc=(name,), input=entry))
    if errors:
        raise ValidationError.from_exception_data(title, errors)
    return out


_PLAINTEXT_CREDENTIAL = "a credential must be stored as a secret"
_REDACTED = Secret(None)


def is_plaintext_credential(problem: Problem) -> bool:
    """Whether a problem is a credential written in plain text (`aigw check` reports it as a finding)."""
    return _PLAINTEXT_CREDENTIAL in problem.allowed


def _credential(value: Any, info: ValidationInfo) -> Secret:
    if isinstance(value, Secret):
        return value
    if isinstance(value, str) and (info.context or {}).get("plaintext_credentials_are_secret"):
        # Under the CLI a nested secure value only marks its whole top-level key as
        # secret; the plaintext check is then done offline (aigw plan/check).
        return Secret(value)
    if isinstance(value, str) and (info.context or {}).get("plaintext_credentials_as_findings"):
        # `aigw check` reports it from the config's own key path (config.load_stack_file_for_check), with
        # its file:line; the offline plan then carries a redacted secret, never the text.
        return _REDACTED
    if isinstance(value, str):
        raise ValueError(
            f"{_PLAINTEXT_CREDENTIAL}, not in plain text; set it with "
            "`pulumi config set --secret --path '{path}' <value>`"
        )
    # Still a credential in the wrong form (a YAML number, say): the value is never echoed.
    raise ValueError(f"{_PLAINTEXT_CREDENTIAL} (a `secure:` string value)")


def _without_credentials(url: str) -> str:
    """``url`` without its userinfo and credential-like query parameters."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not url_credentials(f"?{k}=x")])
    return urlunsplit((parts.scheme, host, parts.path, query, parts.fragment))


def is_credential_header(name: str) -> bool:
    """Headers whose values are credentials and so must be secrets (matched by name, with the
    same test as the secrets-not-plaintext rule)."""
    return is_credential_name(name)
