"""Shared set-up of the delivery tests: an active agreement with report recipients on both
sides (a Chinese contact, an English contact, a provider address, a member of the tenant)."""

from __future__ import annotations

import datetime as dt

from agreements import services as agreement_services
from agreements.choices import CustomerKind, Side
from agreements.models import BusinessCalendar, Contact, Customer
from slaweb.mail import services as mail
from slaweb.tenancy.context import tenant_context
from tests.agreements.conftest import make_draft

MEMBER_EMAIL = "manager@alpha.example"  # manager_a's address (tests/conftest.py)


def calendar_in(zone: str) -> BusinessCalendar:
    name = f"Office hours {zone}"
    found = BusinessCalendar.objects.filter(name=name).first()
    if found:
        return found
    slots = [
        {"weekday": day, "start_time": dt.time(9), "end_time": dt.time(17)} for day in range(5)
    ]
    return agreement_services.save_calendar(
        BusinessCalendar(name=name, time_zone=zone, country="CN"), slots=slots
    )


def reporting_agreement(tenant, reference="SLA-R1", *, zone=None, member=False, **fields):
    """Active from 2026-01-01 (open-ended), reports due on the 5th; recipients on both
    sides: Li Lei (contact, Chinese), Anna Smith (contact, English), Zhang Wei (provider
    address, listed twice), and with `member` the tenant's manager."""
    with tenant_context(tenant):
        customer = Customer.objects.create(
            name=f"Reader of {reference}", kind=CustomerKind.EXTERNAL
        )
        li = Contact.objects.create(
            customer=customer, name="Li Lei", email=f"li.{reference.lower()}@customer.example"
        )
        anna = Contact.objects.create(
            customer=customer,
            name="Anna Smith",
            email=f"anna.{reference.lower()}@customer.example",
            language="en",
        )
        recipients = [
            {"side": Side.CUSTOMER, "contact": li},
            {"side": Side.CUSTOMER, "contact": anna},
            {"side": Side.PROVIDER, "name": "Zhang Wei", "email": "zhang.wei@provider.example"},
            {"side": Side.PROVIDER, "name": "Zhang W.", "email": "Zhang.Wei@provider.example"},
        ]
        if member:
            recipients.append({"side": Side.PROVIDER, "name": "Mia", "email": MEMBER_EMAIL})
        if zone:
            fields["default_calendar"] = calendar_in(zone)
    agreement = make_draft(
        tenant,
        reference,
        customer=customer,
        customer_contact=li,
        provider_contact_email="zhang.wei@provider.example",
        recipients=recipients,
        **{"effective_to": None, **fields},
    )
    with tenant_context(tenant):
        agreement_services.submit(agreement)
        agreement_services.approve(agreement, side=Side.PROVIDER, name="Zhang Wei")
        agreement_services.approve(agreement, side=Side.CUSTOMER, name="Li Lei")
        return agreement_services.activate(agreement)


def queued_sends(monkeypatch) -> list:
    """The outbox's tasks queued on commit, to run in-process instead of via the broker."""
    calls: list = []
    monkeypatch.setattr(mail, "_queue", lambda name, *args, **kw: calls.append((name, args)))
    return calls


def run_queued(calls: list) -> None:
    while calls:
        name, args = calls.pop(0)
        assert name == "send_message"
        mail.deliver(*args)
