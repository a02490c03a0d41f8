from django.utils.functional import SimpleLazyObject

from .selectors import memberships_of


def tenancy(request):
    user = getattr(request, "user", None)
    membership = getattr(request, "membership", None)
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "is_manager": bool(membership and membership.has_role("manager")),
        "is_admin": bool(membership and membership.has_role("admin")),
        "switchable_memberships": SimpleLazyObject(lambda: memberships_of(user))
        if user is not None and user.is_authenticated
        else [],
    }
