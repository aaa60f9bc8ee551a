"""The test suite's shared helpers, one package on pytest's `pythonpath` (pyproject.toml: "tests"):
`from helpers.plan import aigw` and so on.

- plan: the real `aigw` command line in a subprocess (the one way every layer runs it);
- plan_server: the plan fork server the suite plans through (aigw/plan/server.py);
- spec: a project in a temporary directory and stack files for the spec tests (`Project`);
- schema: the SDK's types as a checker of API bodies, and props -> API body;
- wire: Pulumi's wire signatures (secrets), checked against pulumi's own;
- check, review: the `aigw check` and `aigw diff` / `compare` layers' shared setup;
- standin: the Cloudflare API stand-in (real HTTP on 127.0.0.1); live: seeding it and `aigw` pointed at it.
"""
