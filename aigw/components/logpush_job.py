"""`LogpushJob`: the stack's Logpush job, as a Pulumi dynamic resource over the official `cloudflare` SDK.

Why not `pulumi_cloudflare.LogpushJob`: its `dataset` input is checked against a fixed list
(pulumi-cloudflare 6.23.1 `logpush_job.py`, "Available values"; the bridged Terraform validator is
`stringvalidator.OneOfCaseInsensitive` in terraform-provider-cloudflare
`internal/services/logpush_job/schema.go`), run when the engine calls Check, i.e. at every preview,
and that list has no `ai_gateway_events`. Cloudflare documents the dataset (Cloudflare Logs docs,
"Datasets > Account > AI Gateway events":
developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/ai_gateway_events/), and the REST
API creates jobs with it (`POST /accounts/{account_id}/logpush/jobs`, API reference "Create Logpush job"), so the job is
managed here with `client.logpush.jobs.create/get/update/delete` of the `cloudflare` SDK, which
does not enforce its own `dataset` Literal at run time.

Properties are camelCase with the same names as pulumi-cloudflare's LogpushJob (`accountId`,
`dataset`, `destinationConf`, ...), so the policy rules, the plan, `aigw diff` and `aigw drift`
read the job exactly as before; only the type token differs (`LOGPUSH_JOB` in aigw_policy.rules).

Credentials: the provider runs in Pulumi's dynamic-provider host, not in the program. It reads the
stack's `cloudflare:apiToken` (dynamic providers receive the whole stack config in `configure`
since pulumi 3.140, pulumi/pulumi#17673) and otherwise `CLOUDFLARE_API_TOKEN`, as
pulumi-cloudflare does; `CLOUDFLARE_BASE_URL` overrides the API address (the SDK's own variable).
The token needs "Logs Write" (API reference, Logpush jobs: every job endpoint, list and get
included). `destinationConf` holds credentials: it is a secret input and an additional secret
output, so state keeps it encrypted; the serialized provider holds no credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from aigw_policy.vocabulary import LOGPUSH_JOB_MODULE, LOGPUSH_JOB_NAME

from .. import fields
from .sdk_provider import SdkProvider, api_error_text

# Inputs (camelCase, as pulumi-cloudflare names them) -> the API's field names: the LogpushJob field table
# (aigw/fields.py), but the account, which is the path of every call.
FIELDS: dict[str, str] = {f.prop: f.api for f in fields.LOGPUSH_JOB if f.prop != "accountId"}
# A change of account or dataset makes a new job: the update endpoint takes neither (the SDK's
# `logpush.jobs.update` has no `dataset`; the account is the path). The ownership challenge is
# only used when a job is created or its destination changes.
REPLACE_ON = fields.replaced_by(fields.LOGPUSH_JOB)
# The upload bounds of pulumi-cloudflare 6.23.1 `logpush_job.py` (0 = Cloudflare's default).
UPLOAD_BOUNDS: dict[str, tuple[int, int]] = {
    "maxUploadBytes": (5_000_000, 1_000_000_000),
    "maxUploadIntervalSeconds": (30, 300),
    "maxUploadRecords": (1_000, 1_000_000),
}
SECRET_OUTPUTS = fields.credential_props(fields.LOGPUSH_JOB)


def _error_text(exc: Exception) -> str:
    return api_error_text(exc, "Logs Write")


class LogpushJobProvider(SdkProvider):
    """Create, read, update and delete one Logpush job of an account through the `cloudflare` SDK."""

    WHAT = "the Logpush job"

    # --- the engine's calls ---------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        for key in ("accountId", "dataset", "destinationConf"):
            value = news.get(key)
            if not _unknown(value) and not (isinstance(value, str) and value):
                failures.append(CheckFailure(key, f"{key} is required (a non-empty string)"))
        for key, (low, high) in UPLOAD_BOUNDS.items():
            value = news.get(key)
            if value is None or _unknown(value):
                continue
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int) or not (value == 0 or low <= value <= high):
                failures.append(CheckFailure(key, f"{key} must be 0 or {low:,}..{high:,}, not {value!r}"))
        unknown_keys = sorted(set(news) - set(FIELDS) - {"accountId", "__provider"})
        failures += [CheckFailure(k, f"{k} is not a Logpush job field") for k in unknown_keys]
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("accountId", *FIELDS)
        changed = [k for k in keys if _normal(olds.get(k)) != _normal(news.get(k))]
        replaces = [k for k in changed if k in REPLACE_ON]
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        body = _body(props, create=True)
        try:
            job = self._client().logpush.jobs.create(account_id=props["accountId"], **body)
        except Exception as exc:  # noqa: BLE001 (the engine shows the message; keep the destination out of it)
            raise RuntimeError(f"creating Logpush job {props.get('name')!r}: {_error_text(exc)}") from None
        if job is None or job.id is None:
            raise RuntimeError(f"creating Logpush job {props.get('name')!r}: the API returned no job id")
        return CreateResult(str(job.id), _outputs(props, job))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        import cloudflare

        try:
            job = self._client().logpush.jobs.get(job_id=int(id_), account_id=props["accountId"])
        except cloudflare.NotFoundError:
            return ReadResult(None, {})  # gone: the engine drops it from state and plans a create
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"reading Logpush job {id_}: {_error_text(exc)}") from None
        if job is None:
            return ReadResult(None, {})
        return ReadResult(id_, _outputs(props, job))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        body = _body(news, create=False)
        try:
            job = self._client().logpush.jobs.update(job_id=int(id_), account_id=news["accountId"], **body)
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"updating Logpush job {id_}: {_error_text(exc)}") from None
        return UpdateResult(_outputs(news, job))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        import cloudflare

        try:
            self._client().logpush.jobs.delete(job_id=int(id_), account_id=props["accountId"])
        except cloudflare.NotFoundError:
            return  # already gone
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"deleting Logpush job {id_}: {_error_text(exc)}") from None


def _unknown(value: Any) -> bool:
    from pulumi.runtime import rpc

    return value is rpc.UNKNOWN or value == rpc.UNKNOWN


def _normal(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _body(props: Mapping[str, Any], create: bool) -> dict[str, Any]:
    """The SDK call's keyword arguments. An update sends every managed field, so a setting removed
    from config goes back to the API's default (no filter, 0 = default upload bounds) instead of
    silently keeping its old value; the dataset is never sent on update (immutable, REPLACE_ON)."""
    body: dict[str, Any] = {}
    for key, field in FIELDS.items():
        value = _normal(props.get(key))
        if value is not None:
            body[field] = value
        elif not create and key in UPLOAD_BOUNDS:
            body[field] = 0
        elif not create and key == "filter":
            body[field] = None
    if not create:
        body.pop("dataset", None)
    return body


def _outputs(props: Mapping[str, Any], job: Any) -> dict[str, Any]:
    """State: the declared inputs (what diff compares), plus the job id the API assigned.

    destinationConf is kept as declared: it is a secret, and the API's copy is never compared.
    The other fields come back as the API holds them, so a refresh shows changes made elsewhere.
    """
    outs = {k: _normal(v) for k, v in props.items() if k != "__provider" and v is not None}
    if job is not None:
        for key, field in FIELDS.items():
            if key in ("destinationConf", "ownershipChallenge"):
                continue
            live = getattr(job, field, None)
            if live is not None and key in outs:
                outs[key] = live
    return outs


class LogpushJob(pulumi.dynamic.Resource, module=LOGPUSH_JOB_MODULE, name=LOGPUSH_JOB_NAME):
    """The stack's Logpush job (type `pulumi-python:dynamic/aigw:LogpushJob`).

    ``props`` uses pulumi-cloudflare's LogpushJob names in camelCase: accountId, dataset,
    destinationConf (a secret), enabled, name, filter, ownershipChallenge, maxUploadBytes,
    maxUploadIntervalSeconds, maxUploadRecords.
    """

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        unknown = set(props) - set(FIELDS) - {"accountId"}
        if unknown:
            raise ValueError(f"not Logpush job fields: {sorted(unknown)}")
        secret = pulumi.ResourceOptions(additional_secret_outputs=SECRET_OUTPUTS)
        super().__init__(LogpushJobProvider(), name, dict(props),
                         secret if opts is None else opts.merge(secret))


TYPE = f"pulumi-python:{LogpushJob._resource_type_name}"
