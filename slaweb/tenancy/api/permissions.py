from rest_framework import permissions

from ..models import Role


class TenantRolePermission(permissions.BasePermission):
    """Members of the token's tenant only; reads need `read_role`, writes `write_role`.

    Views set `read_role` / `write_role` (defaults: viewer reads, manager writes).
    """

    def has_permission(self, request, view):
        membership = getattr(request, "membership", None)
        if request.auth is None or membership is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            required = getattr(view, "read_role", Role.VIEWER)
        else:
            required = getattr(view, "write_role", Role.MANAGER)
        return membership.has_role(required)
