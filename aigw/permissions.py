"""What each API token purpose may do: the one table of token permissions.

Permission group names are Cloudflare's API names, matched exactly at deploy time against the
account's list from `get_account_api_token_permission_groups_list` (aigw/components/tokens.py);
the offline plan answers that lookup from this table, so this is the only list of names.
Sources: Cloudflare docs "API token permissions" (fundamentals/api/reference/permissions) and the
"Accepted Permissions" of each pulumi-cloudflare 6.23.1 resource this project manages.
Every token is scoped to its stack's account only. docs/tokens.md renders this table.
"""

from __future__ import annotations

from typing import Literal

Purpose = Literal["run", "read", "deploy"]

PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Call the stack's gateways (cf-aig-authorization). Account-wide: a Run token can call
    # every gateway in the account (no per-gateway scoping exists).
    "run": ("AI Gateway Run",),
    # Read gateway settings and logs (GET gateways, logs, log bodies): observability imports.
    "read": ("AI Gateway Read",),
    # What `pulumi up` of this project needs: gateways, the Logpush job, the R2 log bucket and
    # its lifecycle, account tokens (and reading permission groups), Workers scripts.
    "deploy": (
        "AI Gateway Write",
        "Logs Write",
        "Workers R2 Storage Write",
        "Account API Tokens Write",
        "Account API Tokens Read",
        "Workers Scripts Write",
    ),
}

DESCRIPTIONS: dict[str, str] = {
    "run": "call the stack's gateways (clients, edge Workers)",
    "read": "read gateway settings and logs (observability imports)",
    "deploy": "run `pulumi up` for this project (CI)",
}

# Only `deploy` may hold permissions that change anything.
WRITE_PURPOSES = frozenset({"deploy"})


def is_write_permission(name: str) -> bool:
    """Cloudflare's API names end in Write (the dashboard says Edit) for changing permissions."""
    return name.endswith((" Write", " Edit"))


def account_resource(account_id: str) -> str:
    """The token policy `resources` key that scopes a token to one account."""
    return f"com.cloudflare.api.account.{account_id}"
