import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from slaweb.tenancy.models import (
    ApiToken,
    AuditEvent,
    MemberInvitation,
    Membership,
    Role,
    hash_token,
)

from .base import TenantFactory, TenantOwnedFactory

__all__ = [
    "ApiTokenFactory",
    "AuditEventFactory",
    "MemberInvitationFactory",
    "MembershipFactory",
    "TenantFactory",
    "UserFactory",
]


class UserFactory(factory.django.DjangoModelFactory):
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.LazyAttribute(lambda o: o.email)
    password = factory.django.Password("pw-for-tests-1")

    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]


class MembershipFactory(TenantOwnedFactory):
    user = factory.SubFactory(UserFactory)
    role = Role.MANAGER

    class Meta:
        model = Membership


class ApiTokenFactory(TenantOwnedFactory):
    membership = factory.SubFactory(MembershipFactory, tenant=factory.SelfAttribute("..tenant"))
    name = "factory token"
    prefix = "slw_test"
    digest = factory.Sequence(lambda n: hash_token(f"factory-key-{n}"))

    class Meta:
        model = ApiToken


class AuditEventFactory(TenantOwnedFactory):
    action = AuditEvent.Action.UPDATE
    model = "tests.thing"
    object_id = factory.Sequence(str)
    object_repr = "a thing"
    actor_label = "factory"

    class Meta:
        model = AuditEvent


class MemberInvitationFactory(TenantOwnedFactory):
    email = factory.Sequence(lambda n: f"invited{n}@example.com")
    role = Role.VIEWER
    token_digest = factory.Sequence(lambda n: hash_token(f"factory-invitation-{n}"))
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))

    class Meta:
        model = MemberInvitation
