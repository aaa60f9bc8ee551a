"""`production-no-payload-export`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

from rule_fixtures import (
    ALLOW_OTEL,
    GW,
    SUPPORT_BOT,
    assert_finding,
    changed,
    of_rule,
    only,
    otel,
    run,
)

from aigw_policy.values import Secret


def test_log_classification_on():
    finding = only(run(changed(*GW, "logClassification", True)), "production-no-payload-export")
    assert_finding(finding, "production-no-payload-export", "mandatory", GW,
                   SUPPORT_BOT, "has log classification on", "Set logging.classification: false.")


def test_otel_exporter_to_a_host_not_allowed():
    finding = only(run(changed(*GW, "otels", otel())), "production-no-payload-export")
    assert_finding(finding, "production-no-payload-export", "mandatory", GW,
                   SUPPORT_BOT, "exports OpenTelemetry spans", "to 'otlp.example.com'",
                   "not in allowedOtelHosts (none)", "Remove otel[0] or add the host to allowedOtelHosts")


def test_otel_exporter_to_an_allowed_host():
    stack = changed(*GW, "otels", otel())
    assert of_rule(run(stack, config=ALLOW_OTEL), "production-no-payload-export") == []
    other = {"production-no-payload-export": {"allowedOtelHosts": ["other.example.com"]}}
    finding = only(run(stack, config=other), "production-no-payload-export")
    assert "not in allowedOtelHosts (other.example.com)" in finding.message


def test_otel_exporters_inside_a_secret_are_still_seen():
    finding = only(run(changed(*GW, "otels", Secret(otel()))), "production-no-payload-export")
    assert_finding(finding, "production-no-payload-export", "mandatory", GW, "to 'otlp.example.com'")


def test_each_otel_exporter_is_checked():
    exporters = otel() + [{"url": "https://collector.evil.example:4318/v1/traces", "contentType": "json"}]
    finding = only(run(changed(*GW, "otels", exporters), config=ALLOW_OTEL), "production-no-payload-export")
    assert_finding(finding, "production-no-payload-export", "mandatory", GW,
                   "to 'collector.evil.example'", "Remove otel[1]")


def test_otel_host_is_the_url_host_not_its_user_info():
    exporters = [{"url": "https://otlp.example.com@collector.evil.example/v1/traces"}]
    finding = only(run(changed(*GW, "otels", exporters), config=ALLOW_OTEL), "production-no-payload-export")
    assert "to 'collector.evil.example'" in finding.message
