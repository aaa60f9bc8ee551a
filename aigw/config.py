"""Loading the `aigw` config from its two sources into a :class:`~aigw.spec.StackSpec`.

* Offline (``aigw plan``, tests): :func:`load_stack_file` reads ``Pulumi.yaml`` and
  ``Pulumi.<stack>.yaml`` from disk. ``secure:`` values cannot be decrypted here and become
  redacted :class:`~aigw.spec.Secret` placeholders.
* Under the Pulumi CLI: :func:`load_pulumi_config` reads the stack's keys from the runtime
  config (decrypted), and the org defaults from ``Pulumi.yaml`` on disk, because Pulumi lets a
  stack's ``aigw:defaults`` replace the project's value wholesale while we deep-merge them.

Both end in :func:`~aigw.spec.build_stack_spec`, so the same files give the same spec.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError

from . import yamlfast
from .spec import (
    NAMESPACE,
    PROJECT_ONLY_KEYS,
    PROVIDER_NAMESPACE,
    Problem,
    RawConfig,
    Secret,
    SpecError,
    StackSpec,
    build_stack_spec,
    is_plaintext_credential,
)

PROJECT_FILE = "Pulumi.yaml"


def stack_file_name(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def stack_name_of(path: Path) -> str:
    name = path.name
    if not (name.startswith("Pulumi.") and name.endswith((".yaml", ".yml"))) or name.count(".") < 2:
        raise SpecError([Problem(str(path), "(file name)", name, "a stack file is named Pulumi.<stack>.yaml")])
    return name[len("Pulumi."): name.rindex(".")]


def find_project_dir(start: Path) -> Path:
    for directory in (start, *start.parents):
        if (directory / PROJECT_FILE).is_file():
            return directory
    raise SpecError([Problem(str(start), "(project)", str(start), f"no {PROJECT_FILE} here or in a parent directory")])


def program_dir(project_dir: Path) -> Path:
    """The directory the Pulumi engine runs the program (and its providers) in: `main:` when it
    names a directory (Pulumi.yaml), else the project root."""
    try:
        doc = yamlfast.load(yamlfast.read_text(project_dir / PROJECT_FILE))
    except yaml.YAMLError:
        return project_dir
    main = doc.get("main") if isinstance(doc, dict) else None
    if isinstance(main, str) and (project_dir / main).is_dir():
        return (project_dir / main).resolve()
    return project_dir


PROGRAM_FILE = "__main__.py"


def missing_program_warning(project_dir: Path) -> str | None:
    """A warning when the project has no Python program of its own (no __main__.py in its program folder):
    `aigw plan`/`check` plan its stacks with the installed aigw program, but `pulumi up` would run nothing.
    None when the program is there (or `main:` names a file)."""
    try:
        doc = yamlfast.load(yamlfast.read_text(project_dir / PROJECT_FILE))
    except (yaml.YAMLError, yamlfast.InputRefused, OSError, ValueError):
        return None  # the plan reports an unreadable Pulumi.yaml itself
    main = doc.get("main") if isinstance(doc, dict) else None
    if isinstance(main, str) and (project_dir / main).is_file():
        return None
    folder = program_dir(project_dir)
    if (folder / PROGRAM_FILE).is_file():
        return None
    code = "`from aigw.program import main` and `main()`"
    if not isinstance(main, str):
        what = f"no `main:` and no {PROGRAM_FILE} in the project root"
        fix = f"add infra/{PROGRAM_FILE} holding {code}, and `main: infra/` to it"
    else:
        what = f"`main: {main}` names no folder" if folder == project_dir else f"`main: {main}` has no {PROGRAM_FILE}"
        fix = f"add {Path(main) / PROGRAM_FILE} holding {code}"
    return (f"warning: {_display(project_dir / PROJECT_FILE)}: {what}: aigw plans these stacks with its installed "
            f"program, but `pulumi up` would run no program here; {fix} (as `aigw init` writes them)")


def _stack_candidates(project_dir: Path) -> list[Path]:
    return sorted(p for p in project_dir.glob("Pulumi.*.yaml") if p.name != PROJECT_FILE)


def list_stacks(project_dir: Path) -> list[Path]:
    """The project's stack files: every Pulumi.*.yaml that is a regular file (or a symlink to one).

    Anything else by that name (a FIFO, a device, a socket, a directory, a symlink loop or a
    dangling symlink) is left out without being opened (opening a FIFO blocks);
    :func:`skipped_stack_files` names them.
    """
    return [p for p in _stack_candidates(project_dir) if yamlfast.not_a_file(p) is None]


def skipped_stack_files(project_dir: Path) -> list[Problem]:
    """One problem per Pulumi.*.yaml that :func:`list_stacks` leaves out, saying what it is."""
    problems = []
    for path in _stack_candidates(project_dir):
        reason = yamlfast.not_a_file(path)
        if reason is not None:
            problems.append(Problem(_display(path), "(file)", "not a regular file", reason))
    return problems


# --------------------------------------------------------------------------- offline


def _read_text(path: Path, display: str) -> str:
    """A regular UTF-8 file of bounded size (yamlfast.read_text); anything else is a problem naming it."""
    try:
        return yamlfast.read_text(path)
    except yamlfast.InputRefused as exc:
        raise SpecError([Problem(display, "(file)", exc.what, exc.problem, exc.line)]) from None


def _parse(text: str, display: str) -> Any:
    """Values only, fast (libyaml, YAML 1.2 scalars)."""
    try:
        return yamlfast.load(text)
    except yamlfast.DuplicateKey as exc:
        path = f"{exc.path}.{exc.key}" if exc.path else str(exc.key)
        path = path[len("config."):] if path.startswith("config.") else path
        raise SpecError([Problem(
            display, path, str(exc.key),
            f"given twice in one mapping, on {display}:{exc.first_line} and {display}:{exc.line}: a key may appear "
            "once per mapping (YAML would keep only the last and silently drop the first); remove or rename one",
            exc.line)]) from None
    except yamlfast.InputRefused as exc:
        raise SpecError([Problem(display, "(yaml)", exc.what, exc.problem, exc.line)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError([Problem(display, "(yaml)", "invalid YAML", reason, line)]) from None


def _plain(node: Any) -> Any:
    """`{secure: ...}` -> a redacted Secret (the ciphertext cannot be decrypted offline)."""
    if isinstance(node, dict):
        if set(node) == {"secure"}:
            return Secret(None)
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _namespace_values(config: Any, file: str, project_level: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if config is None:
        return values
    if not isinstance(config, dict):
        raise SpecError([Problem(file, "config", config, "`config:` must be a mapping of keys to values")])
    for key, value in config.items():
        key = str(key)
        if not key.startswith(NAMESPACE + ":"):
            continue
        if project_level and isinstance(value, dict) and "value" in value:
            # Project-level config wraps object values in `value:` (Pulumi.yaml format).
            value = value["value"]
        elif project_level and isinstance(value, dict) and "default" in value:
            value = value["default"]
        values[key[len(NAMESPACE) + 1:]] = _plain(value)
    return values


def _provider_values(config: Any) -> dict[str, Any]:
    """The Cloudflare provider's `cloudflare:*` keys of a `config:` mapping (prefix dropped)."""
    if not isinstance(config, dict):
        return {}
    prefix = PROVIDER_NAMESPACE + ":"
    return {str(k)[len(prefix):]: _plain(v) for k, v in config.items() if str(k).startswith(prefix)}


def _positions(text: str, file: str, project_level: bool, out: dict[tuple[str, str], int]) -> None:
    """Line numbers of every config key path, from ruamel's round-trip parse (errors only)."""
    try:
        doc = _positions_yaml().load(text)
    except (YAMLError, ValueError):
        return
    config = doc.get("config") if isinstance(doc, CommentedMap) else None
    if not isinstance(config, CommentedMap):
        return
    for key, value in config.items():
        key = str(key)
        if key.startswith(PROVIDER_NAMESPACE + ":"):
            out[(file, key)] = config.lc.key(key)[0] + 1
        if not key.startswith(NAMESPACE + ":"):
            continue
        out[(file, key)] = config.lc.key(key)[0] + 1
        if project_level and isinstance(value, CommentedMap) and "value" in value:
            value = value["value"]
        _walk_positions(value, key, file, out)


def _positions_yaml() -> YAML:
    """ruamel round-trip, but dates stay text (as in the value parse): an impossible date such
    as 2026-02-30 is then the spec's problem to report, with its line, not a parser crash."""
    yaml_rt = YAML(typ="rt")
    yaml_rt.constructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)
    return yaml_rt


def _walk_positions(node: Any, path: str, file: str, out: dict[tuple[str, str], int]) -> None:
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            child = f"{path}.{key}"
            try:
                out[(file, child)] = node.lc.key(key)[0] + 1
            except (KeyError, TypeError, AttributeError):
                pass
            _walk_positions(value, child, file, out)
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            child = f"{path}[{index}]"
            try:
                out[(file, child)] = node.lc.item(index)[0] + 1
            except (KeyError, TypeError, AttributeError, IndexError):
                pass
            _walk_positions(value, child, file, out)


def _project_doc(project_path: Path) -> tuple[str, Any, str]:
    display = _display(project_path)
    text = _read_text(project_path, display)
    doc = _parse(text, display)
    if not isinstance(doc, dict) or "name" not in doc:
        raise SpecError([Problem(display, "name", None, "Pulumi.yaml must name the project")])
    return display, doc, text


def load_stack_file(path: str | Path, project_dir: Path | None = None, *,
                    plaintext_credentials_as_findings: bool = False) -> StackSpec:
    """Offline: the spec of the stack whose settings file is ``path``.

    ``plaintext_credentials_as_findings`` (`aigw check`): a credential in plain text is let through
    as a placeholder for the policy to report, instead of being an input error.
    """
    path = Path(path)
    stack = stack_name_of(path)
    project_dir = project_dir or find_project_dir(path.resolve().parent)
    project_display, project_doc, project_text = _project_doc(project_dir / PROJECT_FILE)
    stack_display = _display(path)
    stack_text = _read_text(path, stack_display)
    stack_doc = _parse(stack_text, stack_display)
    if stack_doc is None:
        stack_doc = {}
    if not isinstance(stack_doc, dict):
        raise SpecError([Problem(stack_display, "(file)", stack_doc, "a stack file is a mapping with `config:`")])
    raw = RawConfig(
        project=str(project_doc["name"]), stack=stack, project_file=project_display, stack_file=stack_display,
        project_config=_namespace_values(project_doc.get("config"), project_display, True),
        stack_config=_namespace_values(stack_doc.get("config"), stack_display, False),
        project_dir=str(project_dir),
        plaintext_credentials_as_findings=plaintext_credentials_as_findings,
        provider_config={project_display: _provider_values(project_doc.get("config")),
                         stack_display: _provider_values(stack_doc.get("config"))},
    )
    try:
        return build_stack_spec(raw)
    except SpecError:
        # Validate again with positions, so every problem names its line.
        _positions(project_text, project_display, True, raw.positions)
        _positions(stack_text, stack_display, False, raw.positions)
        return build_stack_spec(raw)


def load_stack_file_for_check(path: str | Path, project_dir: Path | None = None) -> tuple[StackSpec, list[Problem]]:
    """`aigw check`: the spec, and every credential in plain text as `aigw plan` refuses it (file:line,
    key path, fix; the value never shown).

    Secrets are judged here, on the config's own key paths, not on the offline plan: the Python SDK
    sends a list or mapping holding one secret as one whole secret, so a plain credential beside a
    `secure:` one would look secret there. The spec then carries each as a redacted secret.
    """
    try:
        return load_stack_file(path, project_dir), []
    except SpecError as exc:
        plaintext = [p for p in exc.problems if is_plaintext_credential(p)]
        if not plaintext:
            raise
    # Any other problem is an input error, raised here as `aigw plan` raises it.
    return load_stack_file(path, project_dir, plaintext_credentials_as_findings=True), plaintext


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13); named, not followed
        try:
            return str(Path(os.path.abspath(path)).relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- under the CLI


def load_pulumi_config() -> StackSpec:
    """Under the Pulumi CLI: the spec of the running stack, secrets decrypted."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    project_dir = Path(pulumi.get_root_directory() or ".")
    project_display, project_doc, _ = _project_doc(project_dir / PROJECT_FILE)
    project_values = _namespace_values(project_doc.get("config"), project_display, True)

    # Project-level values also reach the runtime config, unless the stack sets the same
    # key. Merging org defaults with themselves changes nothing, so no need to tell apart.
    stack_values, any_secret = runtime_stack_values(runtime_config)
    # Project-only keys arrive here too; only a value that differs came from the stack file.
    for key in PROJECT_ONLY_KEYS:
        if key in stack_values and stack_values[key] == project_values.get(key):
            del stack_values[key]
    stack = pulumi.get_stack()
    return build_stack_spec(RawConfig(
        project=pulumi.get_project(), stack=stack, project_file=project_display,
        stack_file=stack_file_name(stack), project_config=project_values, stack_config=stack_values,
        plaintext_credentials_are_secret=any_secret, project_dir=str(project_dir),
    ))


def runtime_stack_values(runtime_config: Any) -> tuple[dict[str, Any], bool]:
    """All `aigw:*` values the runtime holds, JSON-decoded, and whether any key is secret."""
    raw: dict[str, Any] = dict(runtime_config.get_config_env())
    raw.update(runtime_config.CONFIG.get())
    values: dict[str, Any] = {}
    any_secret = False
    for key, value in raw.items():
        if not key.startswith(NAMESPACE + ":"):
            continue
        short = key[len(NAMESPACE) + 1:]
        try:
            decoded = json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError:
            decoded = value
        # Pulumi passes plain strings unquoted; only objects, lists, numbers, bools decode.
        if isinstance(value, str) and not isinstance(decoded, (dict, list, bool, int, float)):
            decoded = value
        if isinstance(value, str) and isinstance(decoded, (int, float, bool)) and short in ("accountId", "environment"):
            decoded = value
        if runtime_config.is_config_secret(key):
            any_secret = True
            if not isinstance(decoded, (dict, list)):
                decoded = Secret(str(decoded))
        values[short] = decoded
    return values, any_secret
