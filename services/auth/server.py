"""Builds the auth service's gRPC server."""

from simpletuner.api.auth.v1 import auth_pb2, auth_pb2_grpc, orgs_pb2, orgs_pb2_grpc
from simpletuner.libs.rpc.host import ServiceHost
from simpletuner.libs.rpc.identity import TokenVerifier
from simpletuner.libs.rpc.runner import ServiceSpec
from simpletuner.libs.rpc.runtime import ServiceRuntime

from .accounts import Accounts
from .api_keys import ApiKeys
from .audit import AuditLog
from .hub_logins import HubLogins
from .keys import audit_key, ensure_keys, hub_token_key, private_key_file
from .levels import Levels
from .models import MIGRATIONS
from .org_servicer import OrganizationServicer
from .organizations import Organizations
from .rules import ResourceRules
from .servicer import AuthDomain, AuthServicer
from .settings import AuthSettings
from .tokens import TokenIssuer


def build_server(settings: AuthSettings, runtime: ServiceRuntime) -> ServiceHost:
    """An unstarted server with the AuthService, health and reflection."""
    database = runtime.database
    audit = AuditLog(database, audit_key(settings))
    accounts = Accounts(database, audit)
    accounts.sync_levels()
    domain = AuthDomain(
        accounts=accounts,
        keys=ApiKeys(database, audit),
        tokens=TokenIssuer(private_key_file(settings).read_text(), settings.stack.load_service_secret()),
        audit=audit,
        levels=Levels(database, audit),
        rules=ResourceRules(database, audit),
        hub_logins=HubLogins(database, audit, hub_token_key(settings)),
    )
    # auth records its own refusals straight into its audit log
    host = ServiceHost(TokenVerifier(settings.stack.token_public_key_file), audit.denial_recorder())
    host.add(
        auth_pb2_grpc.add_AuthServiceServicer_to_server,
        AuthServicer(runtime, domain),
        auth_pb2.DESCRIPTOR.services_by_name["AuthService"],
    )
    host.add(
        orgs_pb2_grpc.add_OrganizationServiceServicer_to_server,
        OrganizationServicer(Organizations(database, audit)),
        orgs_pb2.DESCRIPTOR.services_by_name["OrganizationService"],
    )
    host.run_in_background(lambda: audit.publish_forever(runtime.bus))
    return host


SPEC = ServiceSpec(
    name="auth",
    settings_type=AuthSettings,
    migrations=MIGRATIONS,
    build_server=build_server,
    prepare=ensure_keys,
)
