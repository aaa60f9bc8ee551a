"""Which compliance controls each rule and each `aigw prove` check supports (docs/policy.md, "Controls").

Standard library only and no import of `aigw`: the pack stays publishable on its own. A mapping says that the
rule or check produces evidence an auditor can use for the control; it is not a claim that passing it meets the
control (every control asks for more than one setting).

Titles, from the public texts:
- SOC 2: AICPA, 2017 Trust Services Criteria for Security, Availability, Processing Integrity, Confidentiality,
  and Privacy (TSP section 100, revised points of focus 2022), https://www.aicpa-cima.com/resources/download/
  get-the-2017-trust-services-criteria. SOC 2 criteria have no short titles: the title here is the criterion.
- ISO/IEC 27001:2022 Annex A (the control names; the standard is sold by ISO, https://www.iso.org/standard/27001).
- GDPR: Regulation (EU) 2016/679, https://eur-lex.europa.eu/eli/reg/2016/679/oj.
- EU AI Act: Regulation (EU) 2024/1689, https://eur-lex.europa.eu/eli/reg/2024/1689/oj (Articles 12 and 19
  oblige high-risk AI systems and their providers).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Control:
    id: str
    framework: str
    title: str
    source: str


SOC2 = "https://www.aicpa-cima.com/resources/download/get-the-2017-trust-services-criteria"
ISO27001 = "https://www.iso.org/standard/27001"
GDPR = "https://eur-lex.europa.eu/eli/reg/2016/679/oj"
AI_ACT = "https://eur-lex.europa.eu/eli/reg/2024/1689/oj"

CONTROLS: dict[str, Control] = {c.id: c for c in (
    Control("SOC2-CC6.1", "SOC 2 (AICPA TSC 2017)",
            "The entity implements logical access security software, infrastructure, and architectures over "
            "protected information assets to protect them from security events to meet the entity's objectives.",
            SOC2),
    Control("SOC2-CC7.2", "SOC 2 (AICPA TSC 2017)",
            "The entity monitors system components and the operation of those components for anomalies that are "
            "indicative of malicious acts, natural disasters, and errors affecting the entity's ability to meet its "
            "objectives; anomalies are analyzed to determine whether they represent security events.", SOC2),
    Control("ISO27001-A.8.10", "ISO/IEC 27001:2022 Annex A", "Information deletion", ISO27001),
    Control("ISO27001-A.8.11", "ISO/IEC 27001:2022 Annex A", "Data masking", ISO27001),
    Control("ISO27001-A.8.15", "ISO/IEC 27001:2022 Annex A", "Logging", ISO27001),
    Control("GDPR-5(1)(c)", "GDPR (Regulation (EU) 2016/679)",
            "Art. 5(1)(c) Principles relating to processing of personal data: data minimisation", GDPR),
    Control("GDPR-25", "GDPR (Regulation (EU) 2016/679)", "Art. 25 Data protection by design and by default", GDPR),
    Control("GDPR-32", "GDPR (Regulation (EU) 2016/679)", "Art. 32 Security of processing", GDPR),
    Control("AIACT-12", "EU AI Act (Regulation (EU) 2024/1689)", "Art. 12 Record-keeping", AI_ACT),
    Control("AIACT-19", "EU AI Act (Regulation (EU) 2024/1689)", "Art. 19 Automatically generated logs", AI_ACT),
)}


@dataclass(frozen=True)
class Mapping:
    controls: tuple[str, ...]
    why: str


# Every rule of rules.py (tests/policy/test_controls.py fails on a rule without an entry). An empty tuple: the
# rule supports none of these controls directly, said with the reason.
RULE_CONTROLS: dict[str, Mapping] = {
    "production-payloads-not-stored": Mapping(
        ("GDPR-5(1)(c)", "GDPR-25", "GDPR-32", "ISO27001-A.8.11", "SOC2-CC6.1"),
        "prompts and responses are kept out of the logs (only metadata is stored), by default on every request "
        "through the edge Worker; authentication and Run tokens held only by edge Workers restrict who can "
        "turn payload logging back on"),
    "production-no-payload-export": Mapping(
        ("GDPR-5(1)(c)", "GDPR-25", "ISO27001-A.8.11"),
        "no log classification of stored prompts and no OpenTelemetry spans (which carry prompts and "
        "completions) to hosts outside allowedOtelHosts"),
    "production-authentication-required": Mapping(
        ("SOC2-CC6.1", "GDPR-32"),
        "only holders of a Run token can send traffic through a production gateway or set its logging headers"),
    "production-rate-limited": Mapping(
        ("GDPR-32",),
        "a rate limit bounds abuse of the gateway (Art. 32(1)(b): availability and resilience of processing "
        "systems)"),
    "secrets-not-plaintext": Mapping(
        ("SOC2-CC6.1", "GDPR-32"),
        "credentials (OTel and Stripe authorization, Logpush destination, Worker secrets) are encrypted in the "
        "Pulumi state, not readable by whoever reads the state or the repository"),
    "no-default-gateway": Mapping(
        (),
        "configuration hygiene (Cloudflare re-creates the 'default' gateway): `aigw prove`'s prove-entry-paths "
        "check, not this rule, reports a live default gateway as a way in"),
    "logpush-complete": Mapping(
        ("ISO27001-A.8.15", "AIACT-12", "AIACT-19", "SOC2-CC7.2", "GDPR-32"),
        "the gateway's logs are exported, encrypted with the stack's public key, to a destination the "
        "organisation keeps them in (log collection, retention and monitoring outside Cloudflare)"),
    "tokens-least-privilege": Mapping(
        ("SOC2-CC6.1", "GDPR-32"),
        "tokens are scoped to the stack's account, only deploy tokens write, and lifetimes are bounded"),
    "log-retention-keeps-newest": Mapping(
        ("ISO27001-A.8.15", "ISO27001-A.8.10", "AIACT-12", "AIACT-19", "SOC2-CC7.2"),
        "a full log store deletes the oldest logs (or exports them) instead of silently recording nothing new"),
    "gateway-id-naming": Mapping((), "a naming convention: it supports none of these controls directly"),
    "cache-ttl-bounded": Mapping(
        ("ISO27001-A.8.10",),
        "cached responses, which may hold personal data, are deleted after at most maxCacheTtl seconds"),
    "production-dlp-enabled": Mapping(
        ("GDPR-25", "GDPR-32"),
        "DLP profiles check prompts and responses for personal data and block them (ISO/IEC 27001:2022 A.8.12 "
        "Data leakage prevention fits too, but is not among the controls mapped here)"),
    "production-spend-limits": Mapping(
        (), "cost control: it supports none of these controls directly"),
    "production-guardrails": Mapping(
        (), "content safety of prompts and responses: it supports none of these controls directly"),
    "tokens-not-expiring": Mapping(
        ("SOC2-CC6.1",),
        "tokens are rotated before they expire (credential life cycle), so access keeps to declared tokens"),
    "production-provider-keys-stored": Mapping(
        ("SOC2-CC6.1", "GDPR-32"),
        "provider keys are encrypted in a Secrets Store the gateway alone reads, never in request headers or in "
        "plain text"),
    "production-routes-allowed-providers": Mapping(
        ("GDPR-25", "GDPR-32"),
        "production prompts reach only the providers the organisation approved, fallbacks included"),
    "byok-keys-cover-routes": Mapping(
        (),
        "availability of a route's branches under byokOnly: it supports none of these controls directly"),
    "relaxations-waived": Mapping(
        (),
        "governance of the rules themselves: it keeps the other rules' mappings true in production (no rule "
        "silently disabled; every waiver has an owner, a reason and an expiry)"),
}

# The checks of `aigw prove` (docs/prove.md), by their ids.
PROVE_CONTROLS: dict[str, Mapping] = {
    "prove-sample": Mapping(
        ("GDPR-5(1)(c)", "GDPR-25", "ISO27001-A.8.11", "SOC2-CC7.2"),
        "the logs the account actually stores are sampled: a stored request or response body is found and "
        "named (monitoring that the minimisation holds in operation)"),
    "prove-canary": Mapping(
        ("GDPR-5(1)(c)", "GDPR-25", "ISO27001-A.8.11", "ISO27001-A.8.15", "AIACT-12", "SOC2-CC7.2"),
        "a marked request through every declared entry path is logged with its metadata (events are recorded) "
        "and without its bodies (payloads are not)"),
    "prove-entry-paths": Mapping(
        ("SOC2-CC6.1", "GDPR-25", "GDPR-32"),
        "every way into a production gateway that the account shows is listed: unauthenticated gateways, the "
        "default gateway, tokens beyond the declared edge token, the REST route"),
}


def controls_for(check_id: str) -> list[str]:
    """The control ids a rule or prove check supports ([] for one that supports none). KeyError if unknown."""
    mapping = RULE_CONTROLS.get(check_id) or PROVE_CONTROLS[check_id]
    return list(mapping.controls)


def describe(control_id: str) -> str:
    """'GDPR-25: GDPR (Regulation (EU) 2016/679) Art. 25 Data protection by design and by default'."""
    c = CONTROLS[control_id]
    return f"{c.id}: {c.framework} {c.title}"
