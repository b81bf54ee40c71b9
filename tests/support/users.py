"""Making users directly, for tests whose subject is not sign-up itself."""

from __future__ import annotations

from dataclasses import dataclass

from core.runtime import Runtime
from models.accounts import StaffPermission, User
from services import accounts
from services.client import ClientInfo

PASSWORD = "correct horse battery staple"


@dataclass
class SignedIn:
    user: User
    token: str

    @property
    def global_id(self) -> str:
        from strawberry.relay import to_base64

        return to_base64("User", self.user.id)


class UserFactory:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._count = 0

    async def create(
        self,
        name: str = "",
        *,
        email: str | None = None,
        staff: list[StaffPermission] | None = None,
        verified: bool = True,
    ) -> SignedIn:
        """A user with a live session; the password is ``PASSWORD``."""
        self._count += 1
        user = await User.create(
            email=email or f"user{self._count}@example.com",
            name=name or f"User {self._count}",
            password_hash=await self.runtime.passwords.hash(PASSWORD),
            email_verified=verified,
            staff_permissions=[p.value for p in staff or []],
        )
        token, _ = await accounts.start_session(self.runtime, user, ClientInfo(ip="127.0.0.1"))
        return SignedIn(user=user, token=token)
