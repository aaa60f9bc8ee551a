"""`ApiToken`: one least-privilege account token of the stack, by purpose (aigw/permissions.py)."""

from __future__ import annotations

import json
import weakref
from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare
from pulumi.runtime import settings as pulumi_settings

from aigw_policy.vocabulary import API_TOKEN

from .. import fields
from ..permissions import PERMISSIONS, account_resource
from ..spec import StackSpec, TokenSpec

PERMISSION_GROUPS_INVOKE = (
    "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList"
)


class PermissionGroupNotFound(Exception):
    pass


# One lookup per account per program run: the engine connection (the monitor) is new for each
# run (and for each run under mocks), so a cached catalog never outlives the run that read it.
_catalogs: weakref.WeakKeyDictionary[Any, dict[str, dict[str, str]]] = weakref.WeakKeyDictionary()


def permission_groups(account_id: str) -> dict[str, str]:
    """Name -> id of every account-token permission group of the account, asked once per run.

    Unfiltered on purpose. The `name` filter of GET /accounts/{account_id}/tokens/permission_groups
    "must be URL-encoded" (Cloudflare API reference, Accounts > Tokens > Permission Groups > List
    Permission Groups; the same words in pulumi_cloudflare/get_account_api_token_permission_groups_list.py),
    but that is the HTTP level, and the provider encodes it already: terraform-provider-cloudflare
    v5.22.0 internal/services/account_api_token_permission_groups/list_data_source_model.go passes
    `name` unchanged as the `query:"name"` field of cloudflare-go's TokenPermissionGroupListParams,
    and cloudflare-go's internal/requestconfig/requestconfig.go (read in v6; the provider links
    v7.7.0, generated the same way) builds the URL with url.Values.Encode(). A name encoded here
    went out encoded twice ("AI%2520Gateway%2520Run") and matched nothing. The plain name
    would work, but the filter's matching (exact, substring, case) is not documented and it costs
    one request per name; one unfiltered list is one request per stack, and the exact match
    below is ours. The endpoint is not paginated (cloudflare-go `pagination.SinglePage`); the data
    source keeps at most `max_items` results (default 1000); the catalog's size is not
    documented, and a group cut off there would show up as PermissionGroupNotFound.
    """
    monitor = pulumi_settings.get_monitor()
    try:
        cached = _catalogs.setdefault(monitor, {})
    except TypeError:  # no engine connection (or one that cannot be weakly referenced): no cache
        cached = {}
    if account_id not in cached:
        found = cloudflare.get_account_api_token_permission_groups_list(account_id=account_id)
        ids: dict[str, str] = {}
        for group in found.results or []:
            ids.setdefault(group.name, group.id)
        cached[account_id] = ids
    return cached[account_id]


def permission_group_id(account_id: str, name: str) -> str:
    """The id of the account-token permission group called exactly ``name``."""
    group_id = permission_groups(account_id).get(name)
    if group_id is None:
        raise PermissionGroupNotFound(
            f"no account API token permission group named {name!r} in account {account_id}; "
            "check aigw/permissions.py against GET /accounts/{id}/tokens/permission_groups")
    return group_id


def offline_permission_groups(args: dict[str, Any]) -> dict[str, Any]:
    """The answer to the permission-groups invoke when there is no account to ask (plan, tests).

    It answers as the provider does: without `name`, every group (here: each name of
    aigw/permissions.py once, with a placeholder id `pg:<name>` that says which group it stands
    for); with `name`, only the groups called exactly that string as the API receives it. The
    provider's Go SDK encodes query values itself, so a name the program encoded (for example
    "AI%20Gateway%20Run") reaches the API with a literal %20 and finds nothing. Whether the real
    filter is exact, a substring or case-blind is not documented; exact is the strictest.
    """
    names = sorted({name for names in PERMISSIONS.values() for name in names})
    groups = [{"id": f"pg:{name}", "name": name, "scopes": ["com.cloudflare.api.account"]} for name in names]
    if args.get("name") is not None:
        groups = [group for group in groups if group["name"] == args["name"]]
    if args.get("scope") is not None:
        groups = [group for group in groups if args["scope"] in group["scopes"]]
    return {"results": groups}


def token_name(stack: StackSpec, token: TokenSpec) -> str:
    return f"aigw-{stack.stack}-{token.name}"


class ApiToken(pulumi.ComponentResource):
    """An account token scoped to the stack's account only; its value is a secret output."""

    TYPE = API_TOKEN

    def __init__(self, stack: StackSpec, token: TokenSpec, opts: pulumi.ResourceOptions | None = None):
        self.spec = token
        self.permissions = PERMISSIONS[token.purpose]
        # The component carries purpose and permission names: the AccountToken itself only has
        # permission group ids, and reviewers and policies reason in names.
        described = {
            "accountId": stack.account_id,
            "purpose": token.purpose,
            "permissionGroups": list(self.permissions),
            "notBefore": token.valid_from.isoformat(),
            "expiresOn": token.expires_on.isoformat(),
        }
        super().__init__(self.TYPE, token.name, described, opts)
        groups = [{"id": permission_group_id(stack.account_id, name)} for name in self.permissions]
        args: dict[str, Any] = {
            "account_id": stack.account_id,
            "name": token_name(stack, token),
            "policies": [{
                "effect": "allow",
                "permission_groups": groups,
                "resources": json.dumps({account_resource(stack.account_id): "*"}),
            }],
            "not_before": f"{token.valid_from.isoformat()}T00:00:00Z",
            "expires_on": f"{token.expires_on.isoformat()}T00:00:00Z",
        }
        if token.allow_ips or token.deny_ips:
            request_ip: dict[str, Any] = {}
            if token.allow_ips:
                request_ip["ins"] = list(token.allow_ips)
            if token.deny_ips:
                request_ip["not_ins"] = list(token.deny_ips)
            args["condition"] = {"request_ip": request_ip}
        # Moving validFrom forward is how a token is rotated: the provider would update the
        # validity window in place and keep the old secret, so a changed window replaces the
        # token instead (a new value; the new token is created before the old one is deleted).
        # (The table's program_replaces rows: notBefore, expiresOn.)
        self.resource = cloudflare.AccountToken(
            token.name, **fields.inputs(fields.ACCOUNT_TOKEN, **args),
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["value"],
                                        replace_on_changes=fields.program_replaced(fields.ACCOUNT_TOKEN)))
        # The same description as outputs: the engine gives policies a component's inputs in
        # Analyze and its outputs in AnalyzeStack (tokens-least-privilege reads them).
        self.register_outputs(described)

    def exports(self) -> dict[str, Any]:
        return {
            "purpose": self.spec.purpose,
            "permissions": list(self.permissions),
            "expiresOn": self.spec.expires_on.isoformat(),
            "id": self.resource.id,
            "value": pulumi.Output.secret(self.resource.value),
        }
