"""Two concurrent demotions or removals never leave a tenant without an admin: the
service locks the tenant's admin rows before it checks (two real connections)."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from slaweb.tenancy import services
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Membership, Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_thread(action, hold=None):
    """Run action(membership) in a tenant transaction of its own connection; if `hold`
    is given, keep the transaction open until it is set."""
    outcome = {}
    done = threading.Event()

    def body():
        try:
            with tenant_context(action.tenant_id):
                action()
                outcome["ok"] = True
                done.set()
                if hold is not None:
                    hold.wait(10)
        except ValidationError as error:
            outcome["error"] = error
            done.set()
        finally:
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread, outcome, done


class Action:
    def __init__(self, tenant_id, fn):
        self.tenant_id, self.fn = tenant_id, fn

    def __call__(self):
        self.fn()


@pytest.mark.parametrize("how", ["demote", "remove"])
def test_two_concurrent_requests_cannot_remove_both_admins(tenant_a, how):
    one = MembershipFactory(tenant=tenant_a, role=Role.ADMIN, user__email="one@a.example")
    two = MembershipFactory(tenant=tenant_a, role=Role.ADMIN, user__email="two@a.example")

    def change(membership):
        if how == "demote":
            return lambda: services.change_role(membership, Role.VIEWER)
        return lambda: services.remove_member(membership)

    # Each request loaded its membership before either wrote (as two requests do).
    with tenant_context(tenant_a):
        first_row, second_row = (Membership.objects.get(pk=m.pk) for m in (one, two))
    release = threading.Event()
    first, first_outcome, first_done = run_in_thread(
        Action(tenant_a.pk, change(first_row)), hold=release
    )
    assert first_done.wait(10)  # the first has changed its row and holds its transaction
    second, second_outcome, second_done = run_in_thread(Action(tenant_a.pk, change(second_row)))
    time.sleep(0.5)
    assert not second_done.is_set()  # the second waits for the lock
    release.set()
    first.join(10)
    second.join(10)

    assert first_outcome == {"ok": True}
    assert "at least one admin" in str(second_outcome["error"])
    with tenant_context(tenant_a):
        assert Membership.objects.filter(role=Role.ADMIN).count() == 1
