"""`providerKeys:` and `routes:` of a gateway (aigw/spec/routing.py): shapes as the API defines them,
refusals of what the API drops or rejects (cloudflare-docs PR #30453), the element graph's checks."""

from __future__ import annotations

import textwrap

from helpers.spec import stack

from aigw.spec import Secret
from aigw.spec.routing import route_providers, secret_name

ROUTE = """
support:
  elements:
    - {id: start, type: start, outputs: {next: {elementId: primary}}}
    - id: primary
      type: model
      properties: {provider: openai, model: gpt-4o, retries: 1, timeout: 30000}
      outputs: {success: {elementId: end}, fallback: {elementId: backup}}
    - id: backup
      type: model
      properties: {provider: anthropic, model: claude-sonnet-4-5, retries: 0, timeout: 30000}
      outputs: {success: {elementId: end}, fallback: {elementId: end}}
    - {id: end, type: end, outputs: {}}
"""


def gateway(body: str) -> str:
    return "main:\n" + textwrap.indent(textwrap.dedent(body), "  ")


def routes(text: str) -> str:
    return gateway("routes:\n" + textwrap.indent(textwrap.dedent(text), "  "))


def test_provider_keys_and_a_route_load(project):
    spec = project.load(stack(gateway("""
        id: main-gw
        providerKeys:
          - provider: openai
            key: {secure: v1:AAAAciphertext}
          - provider: anthropic
            alias: team-b
            key: {secure: v1:BBBBciphertext}
            rateLimit: {limit: 100, period: 60}
        """) + textwrap.indent(routes(ROUTE).split("\n", 1)[1], "")))
    gw = spec.gateways[0]
    openai, anthropic = gw.provider_keys
    assert (openai.provider, openai.alias, openai.default_config) == ("openai", "default", True)
    assert (anthropic.alias, anthropic.default_config, anthropic.rate_limit.limit) == ("team-b", False, 100)
    assert isinstance(openai.key, Secret) and "AAAA" not in repr(gw)
    assert secret_name(gw.id, anthropic.provider, anthropic.alias) == "main-gw_anthropic_team-b"
    route = gw.routes["support"]
    assert [e.type for e in route.elements] == ["start", "model", "model", "end"]
    assert route_providers(route) == ["openai", "anthropic"]


def test_a_plaintext_key_is_refused_without_echoing_it(project):
    (line,) = project.errors(stack(gateway("""
        providerKeys:
          - provider: openai
            key: sk-live-123
        """)))
    assert "providerKeys[0].key: [secret]: a credential must be stored as a secret" in line
    assert "sk-live-123" not in line


def test_one_config_per_provider_and_alias_and_one_default_per_provider(project):
    lines = project.errors(stack(gateway("""
        providerKeys:
          - {provider: openai, key: {secure: v1:A}}
          - {provider: openai, key: {secure: v1:B}}
          - {provider: anthropic, alias: a, default: true, key: {secure: v1:C}}
          - {provider: anthropic, alias: b, default: true, key: {secure: v1:D}}
        """)))
    text = "\n".join(lines)
    assert "providerKeys[1].alias: 'default': providerKeys[0] is already openai alias default" in text
    assert "providerKeys[3].default: true: providerKeys[2] is already the default anthropic key" in text
    (line,) = project.errors(stack(gateway("""
        providerKeys:
          - {provider: open_ai, key: {secure: v1:E}}
        """)))
    assert "providerKeys[0].provider: 'open_ai': must match" in line


def test_properties_the_api_drops_or_rejects_are_refused(project):
    # cloudflare-docs PR #30453: `condition` dropped, `else` rejected, `rate_limit`/`interval` rejected,
    # `technique` dropped, an end without outputs rejected.
    text = "\n".join(project.errors(stack(routes("""
        r:
          elements:
            - {id: start, type: start, outputs: {next: {elementId: c}}}
            - id: c
              type: conditional
              properties: {condition: {metadata.plan: {$eq: free}}}
              outputs: {true: {elementId: m}, false: {elementId: rl}}
            - {id: rl, type: rate_limit, properties: {interval: 60}, outputs: {}}
            - id: rate
              type: rate
              properties: {key: user, limit: 10, limitType: count, window: 60, technique: sliding}
              outputs: {success: {elementId: m}, fallback: {elementId: end}}
            - id: m
              type: model
              properties: {provider: openai, model: gpt-4o, retries: 0, timeout: 1000}
              outputs: {success: {elementId: end}, fallback: {elementId: end}}
            - {id: end, type: end}
        """))))
    assert "elements[1].properties.condition: " in text and "unknown key; allowed keys: conditions" in text
    assert "elements[2]: " in text and "'rate_limit' is 'rate'" in text
    assert "elements[3].properties.technique: 'sliding': unknown key" in text
    assert "elements[5].outputs: missing: required key is missing" in text


def test_percentage_outputs_else_and_totals(project):
    text = "\n".join(project.errors(stack(routes("""
        r:
          elements:
            - {id: start, type: start, outputs: {next: {elementId: p}}}
            - {id: p, type: percentage, outputs: {"70%": {elementId: m}, else: {elementId: m}}}
            - {id: q, type: percentage, outputs: {"70%": {elementId: m}, "20%": {elementId: m}}}
            - id: m
              type: model
              properties: {provider: openai, model: gpt-4o, retries: 0, timeout: 1000}
              outputs: {success: {elementId: end}, fallback: {elementId: end}}
            - {id: end, type: end, outputs: {}}
        """))))
    assert "elements[1].outputs: " in text and "not 'else'; the API rejects 'else'" in text
    assert "elements[2].outputs: " in text and "must total 100% (they total 90%)" in text


SPLIT = """
r:
  elements:
    - {id: start, type: start, outputs: {next: {elementId: p}}}
    - {id: p, type: percentage, outputs: {"70%": {elementId: a}, "30%": {elementId: b}}}
    - id: a
      type: model
      properties: {provider: openai, model: gpt-4o, retries: 0, timeout: 1000}
      outputs: {success: {elementId: end}, fallback: {elementId: b}}
    - id: b
      type: model
      properties: {provider: anthropic, model: claude-sonnet-4-5, retries: 0, timeout: 1000}
      outputs: {success: {elementId: end}, fallback: {elementId: end}}
    - {id: end, type: end, outputs: {}}
"""


def test_a_valid_percentage_split_is_accepted(project):
    """A split deploys (aigw/components/route.py, over the SDK): it loads, its outputs as written."""
    spec = project.load(stack(routes(SPLIT)))
    route = spec.gateways[0].routes["r"]
    split = route.element("p")
    assert split.type == "percentage"
    assert {share: out.element_id for share, out in split.outputs.items()} == {"70%": "a", "30%": "b"}
    assert route_providers(route) == ["openai", "anthropic"]


def test_a_split_is_still_held_to_the_graph_checks(project):
    """Accepting splits does not loosen the graph: a split branch that ends without a model is refused."""
    text = "\n".join(project.errors(stack(routes(SPLIT.replace('"30%": {elementId: b}', '"30%": {elementId: end}')
                                                .replace("fallback: {elementId: b}", "fallback: {elementId: end}")))))
    assert "the path start -> p -> end reaches this end without a model" in text
    assert "elements[3].id: 'b': not reachable from the start element 'start'" in text


def test_the_graph_is_checked_before_any_call(project):
    text = "\n".join(project.errors(stack(routes("""
        r:
          elements:
            - {id: start, type: start, outputs: {next: {elementId: c}}}
            - id: c
              type: conditional
              properties: {conditions: {metadata.plan: {$eq: free}}}
              outputs: {true: {elementId: m}, false: {elementId: end}}
            - id: m
              type: model
              properties: {provider: openai, model: gpt-4o, retries: 0, timeout: 1000}
              outputs: {success: {elementId: end}, fallback: {elementId: c}}
            - {id: lost, type: end, outputs: {}}
            - {id: end, type: end, outputs: {}}
        """))))
    assert "elements[2].outputs.fallback.elementId: 'c': this output closes a loop (start -> c -> m -> c)" in text
    assert "elements[3].id: 'lost': not reachable from the start element 'start'" in text
    assert "elements[4]: 'end': the path start -> c -> end reaches this end without a model" in text


def test_references_and_starts(project):
    text = "\n".join(project.errors(stack(routes("""
        r:
          elements:
            - {id: start, type: start, outputs: {next: {elementId: nowhere}}}
            - {id: start2, type: start, outputs: {next: {elementId: end}}}
            - {id: end, type: end, outputs: {}}
            - {id: end, type: end, outputs: {}}
        """))))
    assert "elements[0].outputs.next.elementId: 'nowhere': no element of this route has id 'nowhere'" in text
    assert "a route has exactly one start element (it has 2: elements [0, 1])" in text
    assert "elements[3].id: 'end': already the id of elements[2]" in text


def test_route_names_are_what_clients_call(project):
    (line,) = project.errors(stack(routes("Bad Name:" + ROUTE.split("support:", 1)[1])))
    assert "routes.Bad Name: 'Bad Name': a route name is lowercase letters and digits" in line
