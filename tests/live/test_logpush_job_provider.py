"""The Logpush job's dynamic provider (aigw/components/logpush_job.py), driven as the engine drives it.

Pulumi runs a Python dynamic resource's code in its own provider host, `python -m pulumi.dynamic`
(pulumi/dynamic/__main__.py): the engine starts it, reads its port from stdout, sends Configure
with the stack's config, then Check/Diff/Create/Read/Update/Delete over gRPC with the serialized
provider in the `__provider` property. These tests start that very host in a fresh process (so
the provider must unpickle there from its importable module) and point the official `cloudflare`
SDK inside it at the API stand-in with CLOUDFLARE_BASE_URL (the SDK's own variable).
"""

from __future__ import annotations

import asyncio
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from helpers.standin import DEFAULT_ACCOUNT, GATEWAYS_ONLY_TOKEN, WRITE_TOKEN, StandIn
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from aigw.components.logpush_job import FIELDS, LogpushJobProvider

R2_CONF = ("r2://acme-logs/ai-gateway/{DATE}?account-id=9a8b7c6d5e4f30210f1e2d3c4b5a6978"
           "&access-key-id=AKIDEXAMPLE&secret-access-key=S3CR3T-DO-NOT-PRINT")
URN = "urn:pulumi:prod::ai-gateways::aigw:index:LogExport$pulumi-python:dynamic/aigw:LogpushJob::logpush-job"


def declared(**changes: Any) -> dict[str, Any]:
    props = {"accountId": DEFAULT_ACCOUNT, "dataset": "ai_gateway_events", "destinationConf": R2_CONF,
             "enabled": True, "name": "aigw-prod-ai-gateway-logs", "maxUploadIntervalSeconds": 300}
    props.update(changes)
    return {k: v for k, v in props.items() if v is not None}


def struct(props: dict[str, Any], provider: str | None = None) -> struct_pb2.Struct:
    """Properties in the wire form the engine sends (the serialized provider under `__provider`)."""
    if provider is not None:
        props = {**props, "__provider": provider}
    # A loop of its own, never made current: asyncio.run would leave the thread without a current
    # loop, and the Pulumi mock tests that run later in the same worker need one.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def plain(message: struct_pb2.Struct) -> dict[str, Any]:
    return {k: v for k, v in rpc.deserialize_properties(message).items() if k != "__provider"}


class Host:
    """`python -m pulumi.dynamic` in its own process, configured as the engine configures it."""

    def __init__(self, env: dict[str, str]):
        self.proc = subprocess.Popen([sys.executable, "-m", "pulumi.dynamic"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        port = self.proc.stdout.readline().decode().strip()  # type: ignore[union-attr]
        assert port.isdigit(), self.proc.stderr.read().decode()  # type: ignore[union-attr]
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.provider = serialize_provider(LogpushJobProvider())

    def configure(self, config: dict[str, Any]) -> None:
        self.stub.Configure(provider_pb2.ConfigureRequest(args=struct(config)))

    def check(self, news: dict[str, Any], olds: dict[str, Any] | None = None) -> provider_pb2.CheckResponse:
        return self.stub.Check(provider_pb2.CheckRequest(urn=URN, olds=struct(olds or {}, self.provider),
                                                         news=struct(news, self.provider)))

    def create(self, props: dict[str, Any]) -> provider_pb2.CreateResponse:
        return self.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=struct(props, self.provider)))

    def diff(self, job_id: str, olds: dict[str, Any], news: dict[str, Any]) -> provider_pb2.DiffResponse:
        return self.stub.Diff(provider_pb2.DiffRequest(id=job_id, urn=URN, olds=struct(olds, self.provider),
                                                       news=struct(news, self.provider)))

    def update(self, job_id: str, olds: dict[str, Any], news: dict[str, Any]) -> provider_pb2.UpdateResponse:
        return self.stub.Update(provider_pb2.UpdateRequest(id=job_id, urn=URN, olds=struct(olds, self.provider),
                                                           news=struct(news, self.provider)))

    def read(self, job_id: str, props: dict[str, Any]) -> provider_pb2.ReadResponse:
        return self.stub.Read(provider_pb2.ReadRequest(id=job_id, urn=URN, properties=struct(props, self.provider)))

    def delete(self, job_id: str, props: dict[str, Any]) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(id=job_id, urn=URN, properties=struct(props, self.provider)))

    def close(self) -> str:
        self.channel.close()
        self.proc.kill()
        self.proc.wait(timeout=10)
        return self.proc.stderr.read().decode()  # type: ignore[union-attr]


@pytest.fixture
def host(standin: StandIn) -> Iterator[Host]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "PULUMI_"))}
    env["CLOUDFLARE_BASE_URL"] = standin.base_url
    started = Host(env)
    yield started
    started.close()


def configured(host: Host, token: str = WRITE_TOKEN) -> Host:
    # The engine hands a dynamic provider the whole stack config, namespaces kept (pulumi/pulumi#17673);
    # the token is a secret there.
    host.configure({"cloudflare:apiToken": rpc.wrap_rpc_secret(token), "aigw:environment": "prod"})
    return host


def only_job(standin: StandIn) -> dict[str, Any]:
    [job] = standin.logpush_jobs.values()
    return job


# --------------------------------------------------------------------------- create, read, update, delete


def test_create_sends_the_ai_gateway_dataset_and_the_destination(standin, host):
    configured(host)
    created = host.create(declared())
    job = only_job(standin)
    assert created.id == str(job["id"])
    assert job["dataset"] == "ai_gateway_events" and job["destination_conf"] == R2_CONF
    assert job["enabled"] is True and job["name"] == "aigw-prod-ai-gateway-logs"
    assert job["max_upload_interval_seconds"] == 300
    outs = plain(created.properties)
    assert outs["dataset"] == "ai_gateway_events" and outs["destinationConf"] == R2_CONF
    [request] = [r for r in standin.requests if r.method == "POST"]
    assert request.path == f"/accounts/{DEFAULT_ACCOUNT}/logpush/jobs"


def test_read_refreshes_what_changed_elsewhere_and_keeps_the_declared_destination(standin, host):
    configured(host)
    created = host.create(declared())
    job = only_job(standin)
    job["enabled"] = False  # turned off in the dashboard
    read = host.read(created.id, plain(created.properties))
    outs = plain(read.properties)
    assert read.id == created.id and outs["enabled"] is False
    assert outs["destinationConf"] == R2_CONF


def test_read_of_a_deleted_job_says_it_is_gone(standin, host):
    configured(host)
    created = host.create(declared())
    standin.logpush_jobs.clear()
    assert host.read(created.id, plain(created.properties)).id == ""


def test_update_sends_every_managed_field_and_clears_what_was_removed(standin, host):
    configured(host)
    old = declared(filter='{"where":{"key":"Gateway","operator":"eq","value":"prod-a"}}', maxUploadRecords=5000)
    created = host.create(old)
    new = declared(name="renamed", enabled=False)
    diff = host.diff(created.id, plain(created.properties), new)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    updated = host.update(created.id, plain(created.properties), new)
    job = only_job(standin)
    assert str(job["id"]) == created.id, "updated in place"
    assert job["name"] == "renamed" and job["enabled"] is False
    assert job["filter"] is None and job["max_upload_records"] == 0, "removed settings go back to the defaults"
    assert plain(updated.properties)["name"] == "renamed"
    [put] = [r for r in standin.requests if r.method == "PUT"]
    assert put.path == f"/accounts/{DEFAULT_ACCOUNT}/logpush/jobs/{created.id}"


@pytest.mark.parametrize("key", ["dataset", "accountId"])
def test_a_new_dataset_or_account_replaces_the_job(standin, host, key):
    configured(host)
    created = host.create(declared())
    value = "http_requests" if key == "dataset" else "0" * 32
    diff = host.diff(created.id, plain(created.properties), declared(**{key: value}))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == [key]


def test_no_change_is_no_diff(standin, host):
    configured(host)
    created = host.create(declared())
    diff = host.diff(created.id, plain(created.properties), declared())
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE


def test_delete_removes_the_job_and_a_missing_job_is_already_deleted(standin, host):
    configured(host)
    created = host.create(declared())
    host.delete(created.id, plain(created.properties))
    assert standin.logpush_jobs == {}
    host.delete(created.id, plain(created.properties))  # gone already: not an error


# --------------------------------------------------------------------------- check, errors, credentials


def test_check_reports_bad_inputs_per_property(host):
    configured(host)
    bad = declared(maxUploadRecords=10, destinationConf="", colour="blue")
    failures = {f.property: f.reason for f in host.check(bad).failures}
    assert set(failures) == {"maxUploadRecords", "destinationConf", "colour"}
    assert failures["maxUploadRecords"] == "maxUploadRecords must be 0 or 1,000..1,000,000, not 10"
    assert host.check(declared()).failures == []


def test_a_token_without_logs_write_fails_naming_the_permission_and_never_the_destination(standin, host):
    configured(host, GATEWAYS_ONLY_TOKEN)
    with pytest.raises(grpc.RpcError) as err:
        host.create(declared())
    message = err.value.details()
    assert "creating Logpush job 'aigw-prod-ai-gateway-logs': HTTP 403" in message
    assert '"Logs Write"' in message
    assert "S3CR3T" not in message and "AKIDEXAMPLE" not in message
    assert standin.logpush_jobs == {}


def test_the_api_token_comes_from_the_environment_without_cloudflare_api_token_config(standin):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "PULUMI_"))}
    env.update(CLOUDFLARE_BASE_URL=standin.base_url, CLOUDFLARE_API_TOKEN=WRITE_TOKEN)
    host = Host(env)
    try:
        host.configure({"aigw:environment": "prod"})
        host.create(declared())
    finally:
        host.close()
    assert only_job(standin)["dataset"] == "ai_gateway_events"


def test_no_token_at_all_is_a_clear_error(standin, host):
    host.configure({})
    with pytest.raises(grpc.RpcError) as err:
        host.create(declared())
    assert "no Cloudflare API token for the Logpush job" in err.value.details()
    assert standin.requests == []


def test_the_serialized_provider_never_holds_the_token():
    provider = LogpushJobProvider()
    provider._token = WRITE_TOKEN
    assert WRITE_TOKEN.encode() not in pickle.dumps(provider)
    import base64

    assert WRITE_TOKEN.encode() not in base64.b64decode(serialize_provider(provider))


def test_the_job_fields_are_the_stacks_logpush_settings():
    # Every aigw:logpush setting that reaches the job has a field here (and nothing else does).
    from aigw.spec import LogpushSpec

    settings = {"filter", "ownership_challenge", "max_upload_bytes", "max_upload_interval_seconds",
                "max_upload_records", "name"}
    assert settings <= set(LogpushSpec.model_fields)
    assert {FIELDS[k] for k in FIELDS} == settings | {"dataset", "destination_conf", "enabled"}
