"""Access rules: every RPC's declared AccessRule (from its proto options) and what it admits."""

from __future__ import annotations

from google.protobuf.descriptor import ServiceDescriptor

from simpletuner.api.common.v1 import access_pb2
from simpletuner.libs import permissions
from simpletuner.libs.context import Caller


def access_rules(descriptor: ServiceDescriptor) -> dict[str, access_pb2.AccessRule]:
    """Each method's declared AccessRule, keyed by its gRPC path (/package.Service/Method)."""
    return {
        f"/{descriptor.full_name}/{method.name}": method.GetOptions().Extensions[access_pb2.access]  # type: ignore[index]
        for method in descriptor.methods
    }


def admits(rule: access_pb2.AccessRule, who: Caller) -> bool:
    """Whether `who` satisfies `rule` (the one place the audience semantics live)."""
    user_ok = not who.is_service and (not rule.permission or who.holds(permissions.dotted(rule.permission)))
    if rule.audience == access_pb2.AUDIENCE_SERVICE:
        return who.is_service
    if rule.audience == access_pb2.AUDIENCE_USER:
        return user_ok
    if rule.audience == access_pb2.AUDIENCE_SERVICE_OR_USER:
        return who.is_service or user_ok
    return rule.audience == access_pb2.AUDIENCE_SELF_AUTHENTICATING
