"""AI Gateways as code: the spec, the Pulumi program and the `aigw` command line."""
