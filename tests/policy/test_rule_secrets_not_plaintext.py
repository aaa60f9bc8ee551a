"""`secrets-not-plaintext`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

import pytest
from rule_fixtures import (
    ALLOW_OTEL,
    EDGE_BINDINGS,
    GW,
    JOB,
    R2_DESTINATION_CONF,
    SCRIPT,
    assert_finding,
    binding_path,
    changed,
    edge_script,
    environments,
    of_rule,
    only,
    otel,
    run,
)

from aigw_policy.values import Secret


def gw_words(env, what):
    return (f"AiGateway 'support-bot': {what} is in plain text", "stored unencrypted in the Pulumi state",
            f"pulumi config set --secret --path 'aigw:gateways.support-bot.{what}' <value>")


@environments
def test_plaintext_otel_authorization(env):
    findings = run(changed(*GW, "otels", otel(authorization="Bearer plain"), env), env)
    assert_finding(only(findings, "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", GW,
                   *gw_words(env, "otel[0].authorization"))


@environments
def test_secret_otel_authorization(env):
    findings = run(changed(*GW, "otels", otel(authorization=Secret("Bearer x")), env), env)
    assert of_rule(findings, "secrets-not-plaintext") == []


@pytest.mark.parametrize("header", ["authorization", "x-api-key", "api_key", "X-Auth-Token", "x-client-secret",
                                    "Cookie"])
@environments
def test_plaintext_credential_otel_header(env, header):
    findings = run(changed(*GW, "otels", otel(headers={"x-team": "search", header: "plain"}), env), env)
    assert_finding(only(findings, "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", GW,
                   *gw_words(env, f"otel[0].headers.{header}"))


@pytest.mark.parametrize("header", ["x-team", "content-type", "x-scope-orgid"])
def test_other_otel_headers_may_be_plain(header):
    assert of_rule(run(changed(*GW, "otels", otel(headers={header: "plain"}))), "secrets-not-plaintext") == []


def test_secret_credential_otel_header():
    stack = changed(*GW, "otels", otel(headers={"x-api-key": Secret("k")}))
    assert of_rule(run(stack), "secrets-not-plaintext") == []


def test_a_whole_secret_otel_list_is_not_plain_text():
    # The Python SDK sends the whole list as one secret when any element is a secret.
    stack = changed(*GW, "otels", Secret(otel(authorization="Bearer x", headers={"x-api-key": "k"})))
    assert of_rule(run(stack, config=ALLOW_OTEL), "secrets-not-plaintext") == []


@environments
def test_plaintext_stripe_authorization(env):
    stack = changed(*GW, "stripe", {"authorization": "sk_live_plain", "usageEvents": [{"payload": "{}"}]}, env)
    assert_finding(only(run(stack, env), "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", GW,
                   *gw_words(env, "stripe.authorization"))


@pytest.mark.parametrize("stripe", [{"authorization": Secret("sk_live_x"), "usageEvents": []},
                                    Secret({"authorization": "sk_live_x", "usageEvents": []})])
def test_secret_stripe_authorization(stripe):
    assert of_rule(run(changed(*GW, "stripe", stripe)), "secrets-not-plaintext") == []


@environments
def test_secret_text_binding_in_plain_text(env):
    findings = run(changed(*SCRIPT, binding_path("AIG_TOKEN"), "cf-run-token-plain", env), env)
    assert_finding(only(findings, "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", SCRIPT,
                   "WorkersScript 'support-bot': secret_text binding AIG_TOKEN is in plain text",
                   "Pass its text as a secret (a `secure:` value).")


def test_secret_text_binding_inside_a_whole_secret_binding_list():
    bindings = [dict(b) for b in edge_script("support-bot").props["bindings"]]
    bindings[EDGE_BINDINGS.index("AIG_TOKEN")]["text"] = "value shown by the source"
    assert run(changed(*SCRIPT, "bindings", Secret(bindings))) == []


@environments
def test_plain_text_binding_named_like_a_credential(env):
    findings = run(changed(*SCRIPT, binding_path("APP", "name"), "OPENAI_API_KEY", env), env)
    assert_finding(only(findings, "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", SCRIPT,
                   "WorkersScript 'support-bot': binding OPENAI_API_KEY (plain_text) is in plain text",
                   "Make OPENAI_API_KEY a secret_text binding (aigw:workers.<name>.secrets)")


@environments
def test_logpush_destination_with_credentials_in_plain_text(env):
    findings = run(changed(*JOB, "destinationConf", R2_DESTINATION_CONF, env), env)
    assert_finding(only(findings, "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", JOB,
                   "LogpushJob 'logpush-job': destinationConf (with access-key-id, secret-access-key) is in plain text",
                   "Pass destination_conf as a secret, as aigw:logpush does.")


@pytest.mark.parametrize(("conf", "params"), [
    ("azure://logs/ai?sv=2022-11-02&ss=b&sig=c2lnbmF0dXJl", "sig"),
    ("splunk://splunk.example.com:8088/services/collector/raw?channel=1&header_Authorization=Splunk%20abc",
     "header_Authorization"),
    ("https://logs.example.com/ingest?header_X-Token=abc&tags=ai", "header_X-Token"),
])
def test_other_logpush_destination_credentials(conf, params):
    finding = only(run(changed(*JOB, "destinationConf", conf)), "secrets-not-plaintext")
    assert f"destinationConf (with {params})" in finding.message


@pytest.mark.parametrize("conf", ["gs://acme-logs/ai?x=1", "https://logs.example.com/ingest?tags=ai"])
def test_a_plain_logpush_destination_without_credentials(conf):
    assert of_rule(run(changed(*JOB, "destinationConf", conf)), "secrets-not-plaintext") == []


def test_a_secret_logpush_destination_is_fine_even_redacted():
    assert run(changed(*JOB, "destinationConf", Secret())) == []


@environments
def test_logpush_destination_with_a_password_in_its_userinfo(env):
    findings = run(changed(*JOB, "destinationConf", "https://ingest:hunter2@logs.example.com/ai?tags=ai", env), env)
    assert_finding(only(findings, "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", JOB,
                   "LogpushJob 'logpush-job': destinationConf (with userinfo) is in plain text")
    assert "hunter2" not in only(findings, "secrets-not-plaintext").message


@pytest.mark.parametrize(("url", "what"), [
    ("https://team:hunter2@otlp.example.net/v1/traces", "userinfo"),
    ("https://otlp.example.net/v1/traces?api_key=hunter2", "api_key"),
    ("https://otlp.example.net/v1/traces?env=prod&token=hunter2&sig=abc", "sig, token"),
])
@environments
def test_an_otel_url_with_a_credential_in_plain_text(env, url, what):
    findings = run(changed(*GW, "otels", otel(url=url, authorization=Secret("Bearer x")), env), env)
    finding = only(findings, "secrets-not-plaintext")
    assert_finding(finding, "secrets-not-plaintext", "mandatory", GW,
                   f"AiGateway 'support-bot': otel[0].url (with {what}) is in plain text",
                   "Send the credential in otel[].authorization or a header, as a `secure:` value.")
    assert "hunter2" not in finding.message


@pytest.mark.parametrize("url", ["https://otlp.example.net/v1/traces?env=prod", Secret("https://u:p@otlp.example")])
def test_an_otel_url_without_a_plain_credential_is_fine(url):
    stack = changed(*GW, "otels", otel(url=url, authorization=Secret("Bearer x")))
    assert of_rule(run(stack), "secrets-not-plaintext") == []
