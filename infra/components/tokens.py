"""`ApiToken`: one least-privilege account token of the stack, by purpose (infra/permissions.py)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

import pulumi
import pulumi_cloudflare as cloudflare

from ..permissions import PERMISSIONS, account_resource
from ..spec import StackSpec, TokenSpec

PERMISSION_GROUPS_INVOKE = (
    "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList"
)


class PermissionGroupNotFound(Exception):
    pass


def permission_group_id(account_id: str, name: str) -> str:
    """The id of the account-token permission group called exactly ``name``.

    The API's `name` filter must be URL-encoded (reference section 5); it may match more than
    one group, so the exact name is picked from the results.
    """
    found = cloudflare.get_account_api_token_permission_groups_list(account_id=account_id, name=quote(name))
    for group in found.results or []:
        if group.name == name:
            return group.id
    raise PermissionGroupNotFound(
        f"no account API token permission group named {name!r} in account {account_id}; "
        "check infra/permissions.py against GET /accounts/{id}/tokens/permission_groups")


def offline_permission_groups(args: dict[str, Any]) -> dict[str, Any]:
    """The answer to the permission-groups invoke when there is no account to ask (plan, tests):
    one group named as asked, with a placeholder id that says which group it stands for."""
    name = unquote(args.get("name") or "")
    return {"results": [{"id": f"pg:{name}", "name": name, "scopes": ["com.cloudflare.api.account"]}]}


def token_name(stack: StackSpec, token: TokenSpec) -> str:
    return f"aigw-{stack.stack}-{token.name}"


class ApiToken(pulumi.ComponentResource):
    """An account token scoped to the stack's account only; its value is a secret output."""

    TYPE = "aigw:index:ApiToken"

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
        self.resource = cloudflare.AccountToken(
            token.name, **args,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["value"],
                                        replace_on_changes=["notBefore", "expiresOn"]))
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
