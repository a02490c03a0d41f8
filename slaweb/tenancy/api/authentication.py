from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions


class TenantTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`; TenantMiddleware has already resolved the key."""

    keyword = "Token"

    def authenticate(self, request):
        django_request = request._request
        if getattr(django_request, "api_token_invalid", False):
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        token = getattr(django_request, "api_token", None)
        if token is None:
            return None
        return token.membership.user, token

    def authenticate_header(self, request):
        return self.keyword


class TenantTokenScheme(OpenApiAuthenticationExtension):
    target_class = TenantTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token-based authentication with the prefix `Token `, e.g. `Token slw_abc…`",
        }
