from django.utils.functional import SimpleLazyObject
from django_scopes import scopes_disabled

from .models import Membership


def _switchable(user):
    with scopes_disabled():  # RLS: the user's own memberships only
        return list(
            Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name")
        )


def tenancy(request):
    user = getattr(request, "user", None)
    membership = getattr(request, "membership", None)
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "is_manager": bool(membership and membership.has_role("manager")),
        "is_admin": bool(membership and membership.has_role("admin")),
        "switchable_memberships": SimpleLazyObject(lambda: _switchable(user))
        if user is not None and user.is_authenticated
        else [],
    }
