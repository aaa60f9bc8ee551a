"""Entry point for the Pulumi CLI (`main: infra/`): load the stack's config, then deploy it."""

from infra.config import load_pulumi_config
from infra.program import deploy

deploy(load_pulumi_config())
