import re

import pytest
from django.urls import reverse

from slaweb.mail import services as mail
from slaweb.mail.models import PlatformMessage

pytestmark = pytest.mark.django_db(transaction=True)


def send_queued_account_mail():
    """What the worker does with the platform outbox's queued rows."""
    for pk in PlatformMessage.objects.filter(status="queued").values_list("pk", flat=True):
        mail.deliver_platform(pk)


def test_password_reset_by_email_over_smtp(client, manager_a, smtp_inbox):
    response = client.post(
        reverse("password_reset"), {"email": "manager@alpha.example"}, follow=True
    )
    assert "Check your email" in response.content.decode()
    stored = PlatformMessage.objects.get()  # through the outbox, not sent from the request
    assert (stored.kind, stored.to_address, stored.status) == (
        "password-reset",
        "manager@alpha.example",
        "queued",
    )
    assert smtp_inbox.messages == []
    send_queued_account_mail()
    assert len(smtp_inbox.messages) == 1
    assert PlatformMessage.objects.get().body_text == ""  # the link is not kept once sent
    message = smtp_inbox.messages[0]
    assert message["To"] == "manager@alpha.example"
    assert message["Subject"] == "Reset your slaweb password"
    link = re.search(
        r"https?://[^/]+(/accounts/reset/\S+/)", message.get_body(("plain",)).get_content()
    ).group(1)

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Fresh-pass-2026", "new_password2": "Fresh-pass-2026"},
        follow=True,
    )
    assert "Password set" in done.content.decode()
    assert client.login(username="manager@alpha.example", password="Fresh-pass-2026")


def test_an_unknown_address_sends_nothing_and_reveals_nothing(client, smtp_inbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@x.example"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert not PlatformMessage.objects.exists()
    send_queued_account_mail()
    assert smtp_inbox.messages == []


def test_the_reset_mail_is_in_the_language_of_the_request(client, manager_a, smtp_inbox):
    client.post(
        reverse("password_reset"),
        {"email": "manager@alpha.example"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    send_queued_account_mail()
    assert smtp_inbox.messages[0]["Subject"] == "重置您的 slaweb 密码"


def test_an_account_without_a_usable_password_can_choose_one(client, smtp_inbox):
    """Members attached before invitations existed have no usable password."""
    from tests.factories import UserFactory

    user = UserFactory(email="legacy@alpha.example")
    user.set_unusable_password()
    user.save()
    client.post(reverse("password_reset"), {"email": "Legacy@alpha.example"})
    send_queued_account_mail()
    assert [m["To"] for m in smtp_inbox.messages] == ["legacy@alpha.example"]


def test_the_too_short_password_error_is_translated():
    """Django 5.2's zh_Hans catalog lacks this message's new msgid; ours has it."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        validate_password("Ab1!")
    assert "密码太短" in error.value.messages[0]
