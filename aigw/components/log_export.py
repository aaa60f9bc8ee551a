"""`LogExport`: the stack's Logpush job for AI Gateway logs, and the R2 bucket it may write to."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pulumi
import pulumi_cloudflare as cloudflare

from aigw_policy.rules import AI_GATEWAY_LOGPUSH_DATASET
from aigw_policy.vocabulary import LOG_EXPORT

from ..spec import LogpushSpec, StackSpec
from .gateway import secret
from .logpush_job import LogpushJob

# The job is a dynamic resource (`.logpush_job`): pulumi-cloudflare 6.23.1's LogpushJob rejects the
# `ai_gateway_events` dataset at every preview (its `dataset` enum, `logpush_job.py`), and no newer
# pulumi-cloudflare exists. The dataset name lives with the rules (logpush-complete checks it).
RETENTION_RULE_ID = "aigw-log-retention"


def r2_destination_conf(account_id: str, spec: LogpushSpec) -> pulumi.Output[str]:
    """`r2://<bucket>/<path>/{DATE}?account-id=&access-key-id=&secret-access-key=` (a secret)."""
    r2 = spec.destination.r2  # type: ignore[union-attr]
    assert r2 is not None
    return pulumi.Output.all(secret(r2.access_key_id), secret(r2.secret_access_key)).apply(
        lambda keys: (
            f"r2://{r2.bucket}/{r2.path}/{{DATE}}?account-id={account_id}"
            f"&access-key-id={quote(keys[0], safe='')}&secret-access-key={quote(keys[1], safe='')}"
        )
    )


class LogExport(pulumi.ComponentResource):
    """Logpush export of the stack's gateway logs, encrypted with the stack's public key.

    The job is enabled only while at least one gateway has `logging.logpush: true`.
    """

    TYPE = LOG_EXPORT

    def __init__(self, stack: StackSpec, opts: pulumi.ResourceOptions | None = None):
        spec = stack.logpush
        assert spec is not None and spec.destination is not None
        super().__init__(self.TYPE, "log-export", None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.exporting = sorted(gw.id for gw in stack.gateways if gw.logging.logpush)
        self.bucket: cloudflare.R2Bucket | None = None
        depends: list[pulumi.Resource] = []
        r2 = spec.destination.r2
        if r2 is not None:
            bucket_args: dict[str, Any] = {"account_id": stack.account_id, "name": r2.bucket}
            if r2.jurisdiction is not None:
                bucket_args["jurisdiction"] = r2.jurisdiction
            if r2.location is not None:
                bucket_args["location"] = r2.location
            # Deleting the bucket deletes the exported logs: protected like production gateways.
            self.bucket = cloudflare.R2Bucket(
                "log-bucket", **bucket_args,
                opts=pulumi.ResourceOptions(parent=self, protect=stack.production))
            lifecycle_args: dict[str, Any] = {
                "account_id": stack.account_id,
                "bucket_name": r2.bucket,
                "rules": [{
                    "id": RETENTION_RULE_ID,
                    "enabled": True,
                    "conditions": {"prefix": f"{r2.path}/"},
                    # R2 lifecycle ages are in seconds.
                    "delete_objects_transition": {"condition": {"type": "Age", "max_age": r2.retention_days * 86400}},
                }],
            }
            if r2.jurisdiction is not None:
                lifecycle_args["jurisdiction"] = r2.jurisdiction
            lifecycle = cloudflare.R2BucketLifecycle(
                "log-retention", **lifecycle_args, opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket]))
            depends = [self.bucket, lifecycle]
            destination = r2_destination_conf(stack.account_id, spec)
        else:
            assert spec.destination.conf is not None
            destination = secret(spec.destination.conf)

        job_props: dict[str, Any] = {
            "accountId": stack.account_id,
            "dataset": AI_GATEWAY_LOGPUSH_DATASET,
            "destinationConf": destination,
            "enabled": bool(self.exporting),
            "name": spec.name or f"aigw-{stack.stack}-ai-gateway-logs",
        }
        for field, prop in (("filter", "filter"), ("ownership_challenge", "ownershipChallenge"),
                            ("max_upload_bytes", "maxUploadBytes"),
                            ("max_upload_interval_seconds", "maxUploadIntervalSeconds"),
                            ("max_upload_records", "maxUploadRecords")):
            value = getattr(spec, field)
            if value is not None:
                job_props[prop] = value
        self.job = LogpushJob("logpush-job", job_props, opts=child.merge(pulumi.ResourceOptions(depends_on=depends)))

    def exports(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"dataset": AI_GATEWAY_LOGPUSH_DATASET, "gateways": self.exporting}
        if self.bucket is not None:
            spec["bucket"] = self.bucket.name
        return spec
