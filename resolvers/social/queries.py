from __future__ import annotations

import strawberry

from resolvers.context import Info
from resolvers.social.types import AuthProviderType


@strawberry.type
class SocialQueries:
    @strawberry.field(
        description="The third-party login providers configured here; the web client shows "
        "a button for each."
    )
    def auth_providers(self, info: Info) -> list[AuthProviderType]:
        settings = info.context.runtime.settings
        return [
            AuthProviderType(
                name=p.name, title=p.title, login_url=f"{settings.public_url}/auth/login/{p.name}"
            )
            for p in settings.social_providers
        ]
