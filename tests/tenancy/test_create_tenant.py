from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Membership, Tenant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_existing_accounts_password_is_not_reset():
    user = UserFactory(email="boss@acme.example")
    out = StringIO()
    call_command(
        "create_tenant",
        "acme",
        name="Acme",
        admin_email="Boss@Acme.example",
        password="Takeover-2026",
        stdout=out,
    )
    user.refresh_from_db()
    assert user.check_password("pw-for-tests-1")
    assert not user.check_password("Takeover-2026")
    assert "its password was left unchanged" in out.getvalue()
    with tenant_context(Tenant.objects.get(slug="acme")):
        assert Membership.objects.get().user == user


def test_a_new_account_gets_the_password():
    out = StringIO()
    call_command(
        "create_tenant", "acme", name="Acme", admin_email="new@acme.example", password="Pw-2026-x!"
    )
    assert get_user_model().objects.get(email="new@acme.example").check_password("Pw-2026-x!")
    assert "left unchanged" not in out.getvalue()
