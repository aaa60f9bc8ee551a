"""Fast YAML reading with YAML 1.2 core-schema scalars (as Pulumi's own Go parser reads them).

ruamel.yaml's round-trip loader gives positions and keeps comments, but is pure Python and
slow (about 0.6 s for a 1,000-gateway stack file). Reading values goes through libyaml
(PyYAML's C parser) with the YAML 1.1 extras removed: `yes`, `no`, `on`, `off` stay strings,
`1:20` is not sexagesimal, dates stay strings, `010` is not octal. ruamel (also YAML 1.2) is
used only when positions are needed: to report errors with line numbers, or to write files.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Yaml12Loader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader with YAML 1.2 core-schema implicit resolvers."""


Yaml12Loader.yaml_implicit_resolvers = {}
_RESOLVERS = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+0123456789.")),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]
for _tag, _pattern, _first in _RESOLVERS:
    Yaml12Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_int(loader: Any, node: Any) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load(text: str) -> Any:
    """Parse YAML text into plain Python values. Raises yaml.YAMLError on bad syntax."""
    return yaml.load(text, Loader=Yaml12Loader)  # noqa: S506 (a SafeLoader subclass)
