"""Personal links: 32 random bytes, only the SHA-256 digest is kept (SurveyLink)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.urls import reverse

from ..models import Invitation, SurveyLink


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(invitation: Invitation) -> str:
    """A new token for the invitation (one per mail); returns the plain token."""
    token = secrets.token_urlsafe(32)
    SurveyLink.objects.create(
        digest=digest(token), tenant_id=invitation.tenant_id, invitation=invitation
    )
    return token


def site_url() -> str:
    return (getattr(settings, "SITE_URL", "") or "http://localhost:8000").rstrip("/")


def answer_url(token: str) -> str:
    return site_url() + reverse("survey-answer", args=[token])


def unsubscribe_url(token: str) -> str:
    return site_url() + reverse("survey-unsubscribe", args=[token])
