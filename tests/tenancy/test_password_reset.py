import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_password_reset_by_email_over_smtp(client, manager_a, smtp_inbox):
    response = client.post(
        reverse("password_reset"), {"email": "manager@alpha.example"}, follow=True
    )
    assert "Check your email" in response.content.decode()
    assert len(smtp_inbox.messages) == 1
    message = smtp_inbox.messages[0]
    assert message["To"] == "manager@alpha.example"
    assert message["Subject"] == "Reset your slaweb password"
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", message.get_content()).group(1)

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
    assert smtp_inbox.messages == []
