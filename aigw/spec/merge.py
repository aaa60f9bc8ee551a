"""Merging ``aigw:defaults`` (Pulumi.yaml) with each gateway's own settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# --------------------------------------------------------------------------- merging


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else (lists, scalars, null) in ``override`` replaces.

    Returns new dicts along merged paths; leaves are shared, never mutated (validation copies).
    """
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = value
    return out


def _merge_settings(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """deep_merge of gateway settings, except that a DLP block of the other API shape replaces."""
    merged = deep_merge(base, override)
    dlp, base_dlp = override.get("dlp"), base.get("dlp")
    if isinstance(dlp, Mapping) and isinstance(base_dlp, Mapping):
        shape, base_shape = _dlp_keys(dlp), _dlp_keys(base_dlp)
        if shape and base_shape and shape != base_shape:
            merged["dlp"] = dlp  # mixing {action, profiles} with {policies} is neither shape
    return merged


def _dlp_keys(dlp: Mapping[str, Any]) -> str | None:
    """The DLP shape a (possibly partial) block is written in; None when it does not say."""
    if "policies" in dlp:
        return "policies"
    if "action" in dlp or "profiles" in dlp:
        return "profiles"
    return None
