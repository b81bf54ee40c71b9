"""The social-auth-core backend of each configured provider, with its URLs overridable.

A backend class is made per configured provider: its ``name`` is the provider's name (so the
library's settings and the route agree on it) and its endpoint attributes take the URLs the
operator configured. Google's and X's user-data URLs are fixed strings inside the library's
``user_data``; ``Relocated`` sends the library's own request there instead, so the library's
code runs unchanged against another host (a test's loopback peer).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from social_core.backends.base import BaseAuth
from social_core.backends.github import GithubOAuth2
from social_core.backends.google import GoogleOAuth2
from social_core.backends.open_id_connect import OpenIdConnectAuth
from social_core.backends.twitter_oauth2 import TwitterOAuth2

from core.settings import OIDC_BACKEND, SocialProvider


class Relocated:
    """Sends requests for the library's fixed ``FIXED_USERINFO_URL`` to ``USERINFO_URL``."""

    FIXED_USERINFO_URL = ""
    USERINFO_URL = ""

    def request(self, url: str, *args: Any, **kwargs: Any) -> Any:
        if url == self.FIXED_USERINFO_URL and self.USERINFO_URL:
            url = self.USERINFO_URL
        return super().request(url, *args, **kwargs)  # type: ignore[misc]


class GoogleLogin(Relocated, GoogleOAuth2):
    FIXED_USERINFO_URL = "https://www.googleapis.com/oauth2/v3/userinfo"


class XLogin(Relocated, TwitterOAuth2):
    FIXED_USERINFO_URL = "https://api.twitter.com/2/users/me"


BASES: dict[str, type[BaseAuth[Any]]] = {
    "google-oauth2": GoogleLogin,
    "github": GithubOAuth2,
    "twitter-oauth2": XLogin,
    OIDC_BACKEND: OpenIdConnectAuth,
}


@cache
def backend_class(provider: SocialProvider) -> type[BaseAuth[Any]]:
    base = BASES[provider.backend]
    attributes: dict[str, Any] = {"name": provider.name, "title": provider.title}
    attributes.update(dict(provider.endpoints))
    return type(f"{base.__name__}_{provider.name}", (base,), attributes)


def email_verified(provider: SocialProvider, response: dict[str, Any], email: str) -> bool:
    """Whether the provider says ``email`` is the person's, confirmed; unsure is no."""
    if provider.backend == "github":
        listed = [e for e in response.get("emails") or [] if isinstance(e, dict)]
        return any(e.get("email") == email and e.get("verified") is True for e in listed)
    if provider.backend == "twitter-oauth2":
        return False  # X sends no email at all
    # Google (whose backend refuses an unverified address) and OpenID Connect claims.
    return response.get("email_verified") is True
