"""The files of a new project, rendered in memory from the templates in aigw/init/templates (package data).

Nothing here touches the disk but reading the templates: :func:`render_project` validates the options and
returns every file's path and text, so that :mod:`.write` can refuse before anything exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..spec import ACCOUNT_ID_PATTERN, DEFAULT_PRODUCTION_ENVIRONMENTS, ENVIRONMENT_PATTERN
from ..spec.logpush import R2_BUCKET_PATTERN

DEFAULT_ENVIRONMENTS = ("dev", "staging", "prod")
# Written when no --account (--production-account) is given: valid for `aigw plan` and `aigw check`, marked
# REPLACE in every stack file; two of them, so that production is not planned on the account of the others.
PLACEHOLDER_ACCOUNT = "0" * 32
PLACEHOLDER_PRODUCTION_ACCOUNT = "f" * 32
ENVIRONMENT_MAX = 32
# Pulumi's rule for project names: alphanumerics, hyphens, underscores and periods, at most 100 characters.
PROJECT_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,100}$"
DEFAULT_PROJECT_NAME = "ai-gateways"
DISTRIBUTION = "aigw-infra"
_PLACEHOLDER = re.compile(r"@@([a-z_]+)@@")


class InitError(Exception):
    """Invalid options or target (exit 2): one line per problem."""

    def __init__(self, lines: list[str] | str):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True)
class Settings:
    project: str
    environments: tuple[str, ...]
    production: tuple[str, ...]
    account: str | None  # None: the placeholder
    version: str
    today: str  # YYYY-MM-DD: the tokens' validFrom
    logpush: bool  # production stacks export logs (the public key is added by the writer)
    production_account: str | None = None  # None: --account, else the production placeholder

    def account_of(self, environment: str) -> str:
        if environment not in self.production:
            return self.account or PLACEHOLDER_ACCOUNT
        return self.production_account or self.account or PLACEHOLDER_PRODUCTION_ACCOUNT

    def placeholder(self, environment: str) -> bool:
        """Whether the stack gets a placeholder account id (no option gave it one)."""
        if environment in self.production:
            return self.production_account is None and self.account is None
        return self.account is None


@dataclass(frozen=True)
class ProjectFile:
    path: str  # relative, with "/"
    text: str


# --------------------------------------------------------------------------- options


def installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        raise InitError(f"{DISTRIBUTION} is not installed as a distribution (no version to pin in requirements.txt); "
                        "install it with pip") from None


def parse_environments(value: str | None, option: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of environment names (also the stack names), each valid once."""
    if value is None:
        return default
    names = [n.strip() for n in value.split(",")]
    names = [n for n in names if n]
    if not names:
        raise InitError(f"{option} {value!r}: no environment given; allowed: a comma-separated list such as "
                        "dev,staging,prod")
    problems = []
    for name in names:
        if not re.match(ENVIRONMENT_PATTERN, name) or len(name) > ENVIRONMENT_MAX:
            problems.append(f"{option} {value}: {name!r}: not a valid environment name; allowed: lowercase letters "
                            f"and digits in runs joined by single hyphens ({ENVIRONMENT_PATTERN}), at most "
                            f"{ENVIRONMENT_MAX} characters (it is the stack name and the gateway ids' prefix)")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(f"{option} {value}: {name!r} is given twice")
        seen.add(name)
    if problems:
        raise InitError(problems)
    return tuple(dict.fromkeys(names))


def production_of(environments: tuple[str, ...], value: str | None) -> tuple[str, ...]:
    """--production: a subset of the environments (default: those named prod or production). An environment
    named prod or production must be in it: the policy's rules treat it as production whatever Pulumi.yaml says."""
    if value is None:
        return tuple(e for e in environments if e in DEFAULT_PRODUCTION_ENVIRONMENTS)
    production = parse_environments(value, "--production", ())
    problems = [f"--production {value}: {name!r} is not one of --environments ({', '.join(environments)})"
                for name in production if name not in environments]
    problems += [f"--production {value}: {name!r} is missing: the policy's rules treat an environment named "
                 f"{' or '.join(DEFAULT_PRODUCTION_ENVIRONMENTS)} as production whatever Pulumi.yaml says, so its "
                 "stack must get production settings; add it"
                 for name in environments if name in DEFAULT_PRODUCTION_ENVIRONMENTS and name not in production]
    if problems:
        raise InitError(problems)
    return production


def parse_account(value: str | None, option: str = "--account") -> str | None:
    if value is None:
        return None
    account = value.strip().lower()
    if not re.match(ACCOUNT_ID_PATTERN, account):
        raise InitError(f"{option} {value}: not a Cloudflare account id; allowed: 32 hexadecimal characters "
                        f"({ACCOUNT_ID_PATTERN}), as in the dashboard's URL dash.cloudflare.com/<account id>")
    return account


def project_name(value: str | None, directory: Path) -> str:
    """--name, else the directory's name made a valid Pulumi project name."""
    if value is not None:
        if not re.match(PROJECT_NAME_PATTERN, value):
            raise InitError(f"--name {value}: not a valid Pulumi project name; allowed: letters, digits, '-', '_' "
                            "and '.', 1..100 characters")
        return value
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", directory.resolve().name).strip("-.")[:100]
    return name or DEFAULT_PROJECT_NAME


def bucket_name(project: str, environment: str) -> str:
    """The R2 bucket of a production stack's log export: <project>-<environment>-ai-gateway-logs, made valid."""
    suffix = f"-{environment}-ai-gateway-logs"
    base = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", project.lower()))[: 63 - len(suffix)].strip("-")
    name = f"{base}{suffix}" if base else suffix[1:]
    if not re.match(R2_BUCKET_PATTERN, name):  # not reached: environment names are valid bucket name parts
        raise InitError(f"cannot make an R2 bucket name of project {project!r} and environment {environment!r}")
    return name


# --------------------------------------------------------------------------- rendering


def template(name: str) -> str:
    return resources.files("aigw.init").joinpath("templates", name).read_text(encoding="utf-8")


def fill(text: str, values: dict[str, str], name: str) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template {name}: no value for @@{key}@@")
        return values[key]

    return _PLACEHOLDER.sub(one, text)


def _flow_list(names: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(names) + "]"


def _project_production(settings: Settings) -> list[str]:
    """aigw:productionEnvironments: the production environments, and the rules' defaults (prod, production),
    so that a stack added later under either name is production for the program as for the rules."""
    return list(dict.fromkeys([*settings.production, *DEFAULT_PRODUCTION_ENVIRONMENTS]))


_ACCOUNT_PLACEHOLDER_COMMENT = (
    "  # REPLACE: a placeholder account id (`aigw init` was run without --account). Your account's id is\n"
    "  # in the dashboard's URL, dash.cloudflare.com/<account id>; give production an account of its own.\n")


def stack_text(settings: Settings, environment: str) -> str:
    production = environment in settings.production
    values = {"environment": environment, "account": settings.account_of(environment), "today": settings.today,
              "account_comment": _ACCOUNT_PLACEHOLDER_COMMENT if settings.placeholder(environment) else ""}
    if not production:
        return fill(template("stack.yaml.tmpl"), values, "stack.yaml.tmpl")
    if settings.logpush:
        values["logpush"] = fill(template("logpush.yaml.tmpl"),
                                 {"bucket": bucket_name(settings.project, environment), "environment": environment},
                                 "logpush.yaml.tmpl")
        values["logging_logpush"] = ("    logging:\n"
                                     "      logpush: true              # every gateway exports its logs "
                                     "(aigw:logpush below)\n")
    else:
        values["logpush"] = ""
        values["logging_logpush"] = ""
    return fill(template("stack-production.yaml.tmpl"), values, "stack-production.yaml.tmpl")


def _deploy_workflow(settings: Settings) -> str:
    jobs = []
    previous = None
    for environment in settings.environments:
        if previous is None:
            needs = ("    # Deploys come from main only, also when started by hand.\n"
                     "    if: ${{ github.ref == 'refs/heads/main' }}\n")
        else:
            needs = f"    needs: deploy-{previous}\n"
        if environment in settings.production:
            needs += "    # Required reviewers on this environment are the approval: the job waits for one of them.\n"
        jobs.append(fill(template("deploy-job.yml.tmpl"),
                         {"job": f"deploy-{environment}", "environment": environment, "needs": needs},
                         "deploy-job.yml.tmpl"))
        previous = environment
    return fill(template("deploy.yml.tmpl"),
                {"order": " -> ".join(settings.environments), "jobs": "\n".join(jobs).rstrip("\n") + "\n"},
                "deploy.yml.tmpl").rstrip("\n") + "\n"


def _readme(settings: Settings) -> str:
    production = ", ".join(settings.production) or "none"
    stack_init = "; ".join(f"`pulumi stack init {e}`" for e in settings.environments)
    logpush_note = ""
    if settings.logpush:
        logpush_note = (
            "\n   Log export: the production stacks (" + production + ") export their gateways' logs to an R2 bucket,\n"
            "   encrypted with the public key in their stack files. Before their first `pulumi up`, set the R2\n"
            "   credentials that replace the placeholders (the commands are in the stack files), and keep the\n"
            "   private key in your secrets manager: `aigw logs decrypt --key KEY.pem FILE` reads the exported logs.\n")
    return fill(template("README.md.tmpl"), {
        "project": settings.project, "version": settings.version,
        "environments": ", ".join(settings.environments), "production": production,
        "order": " -> ".join(settings.environments), "first": settings.environments[0],
        "stack_init": stack_init, "logpush_note": logpush_note,
        "account_note": (" (they hold a placeholder now, marked REPLACE)"
                         if any(settings.placeholder(e) for e in settings.environments) else ""),
    }, "README.md.tmpl")


def render_project(settings: Settings) -> list[ProjectFile]:
    """Every file of the new project, in the order they are listed."""
    version = {"version": settings.version}
    files = [
        ProjectFile("Pulumi.yaml", fill(template("Pulumi.yaml.tmpl"), {
            "project": settings.project,
            "production_environments": _flow_list(_project_production(settings))}, "Pulumi.yaml.tmpl")),
        *(ProjectFile(f"Pulumi.{e}.yaml", stack_text(settings, e)) for e in settings.environments),
        ProjectFile("infra/__main__.py", template("infra-main.py.tmpl")),
        ProjectFile("requirements.txt", fill(template("requirements.txt.tmpl"), version, "requirements.txt")),
        ProjectFile("policy/PulumiPolicy.yaml", fill(template("policy-PulumiPolicy.yaml.tmpl"), version,
                                                     "policy-PulumiPolicy.yaml.tmpl")),
        ProjectFile("policy/__main__.py", template("policy-main.py.tmpl")),
        ProjectFile("policy/requirements.txt", fill(template("policy-requirements.txt.tmpl"), version,
                                                    "policy-requirements.txt.tmpl")),
        ProjectFile(".github/workflows/review.yml", template("review.yml.tmpl")),
        ProjectFile(".github/workflows/deploy.yml", _deploy_workflow(settings)),
        ProjectFile(".github/scripts/post-diff-comments.cjs", template("post-diff-comments.cjs")),
        ProjectFile(".github/CODEOWNERS", template("CODEOWNERS.tmpl")),
        ProjectFile(".gitignore", template("gitignore.tmpl")),
        ProjectFile("README.md", _readme(settings)),
    ]
    return files
