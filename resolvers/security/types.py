"""GraphQL types of account security. A login event is an audit row about the user's account,
shown to them alone; a session is theirs (and SECURITY staff's); a security event names nobody."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from models.accounts import Session, User
from models.audit import AuditAction, AuditEntry, LoginMethod
from models.security import SecurityEvent, SecurityEventKind
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.nodes import ModelNode
from resolvers.pagination import After, Before, CountedConnection, First, Last
from resolvers.permissions import registry_field, rows_of
from services.access.registry import LOGIN_HISTORY
from services.security import logins, sessions

LoginMethodEnum = described_enum(
    LoginMethod,
    name="LoginMethod",
    description="How a log-in proved who it was.",
    values={
        LoginMethod.PASSWORD: "The account's email address and password.",
        LoginMethod.GOOGLE: "A Google account (third-party login).",
        LoginMethod.GITHUB: "A GitHub account (third-party login).",
        LoginMethod.X: "An X (Twitter) account (third-party login).",
        LoginMethod.OPENID_CONNECT: "An account at an OpenID Connect provider we trust.",
    },
)
SecurityEventKindEnum = described_enum(
    SecurityEventKind,
    name="SecurityEventKind",
    description="What kind of abuse was detected.",
    values={
        SecurityEventKind.CREDENTIAL_STUFFING: (
            "One network failed to log in to many different accounts in a short time: "
            "passwords leaked elsewhere, tried here."
        )
    },
)


@strawberry.type(
    name="LoginEvent",
    description="A log-in to your account, or a failed attempt on it: when, how, from which "
    "network and browser family. No location, no full address, no User-Agent.",
)
class LoginEventType:
    @strawberry.field(description="When it happened.")
    def occurred_at(self, root: AuditEntry) -> datetime:
        return root.created_at

    @strawberry.field(description="How it tried to prove who it was.")
    def method(self, root: AuditEntry) -> LoginMethodEnum:  # type: ignore[valid-type]
        return logins.method_of(root)

    @strawberry.field(description="True when it opened a session; false for a failed attempt.")
    def succeeded(self, root: AuditEntry) -> bool:
        return root.action is AuditAction.LOGIN

    ip_prefix: str | None = registry_field(
        AuditEntry, "ip_prefix", "The network it came from (/24 or /48), never the address."
    )
    browser_family: str | None = registry_field(
        AuditEntry,
        "browser_family",
        "The browser's family, e.g. Firefox (Other when unrecognised); null for log-ins "
        "recorded before browsers were.",
    )


# A login event has no ID of its own (node() must not reach audit rows); Strawberry's
# connections page through any type at run time, only their annotation asks for nodes.
@strawberry.type(name="LoginEventConnection", description="A page of login events.")
class LoginEventConnection(CountedConnection[LoginEventType]):
    pass


@strawberry.type(
    name="Session",
    description="A signed-in device of yours: opened by a log-in, open until it expires or is "
    "revoked. Revoke one you do not recognise with revokeSession.",
)
class SessionType(ModelNode):
    model = Session

    id: relay.NodeID[int]
    created_at: datetime = strawberry.field(description="When it was opened.")
    expires_at: datetime = strawberry.field(description="When it ends by itself.")
    ip_prefix: str | None = registry_field(
        Session, "ip_prefix", "The network it was opened from (/24 or /48)."
    )

    @registry_field(
        Session,
        "user_agent",
        "The family of the browser it was opened with, e.g. Firefox (Other when "
        "unrecognised); never the User-Agent itself.",
    )
    def browser_family(self, root: Session) -> str | None:
        return logins.family_of(root.user_agent)

    @strawberry.field(description="True for the session this request is made with.")
    def current(self, root: Session, info: Info) -> bool:
        session = info.context.viewer.session
        return session is not None and session.id == root.id


@strawberry.type(name="SessionConnection", description="A page of sessions.")
class SessionConnection(CountedConnection[SessionType]):
    pass


@strawberry.type(
    name="SecurityEvent",
    description="Abuse detected across accounts, for staff with SECURITY to investigate. It "
    "names no account and no address that was tried.",
)
class SecurityEventType(ModelNode):
    model = SecurityEvent

    id: relay.NodeID[int]
    kind: SecurityEventKindEnum = strawberry.field(  # type: ignore[valid-type]
        description="What was detected."
    )
    ip_prefix: str = strawberry.field(description="The network (/24 or /48) it came from.")
    window_start: datetime = strawberry.field(description="The earliest attempt it counted.")
    window_end: datetime = strawberry.field(description="The attempt that raised it.")
    account_count: int = strawberry.field(
        description="How many different accounts the network failed to log in to in between."
    )
    detected_at: datetime = strawberry.field(description="When it was raised.")


@strawberry.type(name="SecurityEventConnection", description="A page of security events.")
class SecurityEventConnection(CountedConnection[SecurityEventType]):
    pass


@strawberry.type
class UserSecurityFields:
    """Security fields of the User type: the user's own log-ins and sessions."""

    @strawberry.field(
        description="Your log-ins and the failed attempts on your account, newest first; "
        "yours alone.",
        extensions=[rows_of(AuditEntry, view=LOGIN_HISTORY)],
    )
    async def login_history(
        self,
        root: User,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> LoginEventConnection | None:
        return await LoginEventConnection.resolve_connection(
            logins.history(info.context.access, root.id),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="Your sessions that are still open (not revoked, not expired), newest first.",
        extensions=[rows_of(Session)],
    )
    async def sessions(
        self,
        root: User,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> SessionConnection | None:
        return await SessionConnection.resolve_connection(
            sessions.live(info.context.access, root.id),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )
