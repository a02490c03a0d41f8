"""The customer's approval through an emailed link (no account needed).

The link carries a signed, timestamped token (django.core.signing, salt below): tenant,
agreement, contact and the moment the agreement was submitted. It is valid while that
submission is in review, its customer side is not approved yet and the contact is still
the agreement's customer contact, for LINK_MAX_AGE. Approving or declining ends the
review round, so the link works once; a resubmission gets a new link.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slaweb.mail.services import enqueue

from ..choices import AgreementStatus, Side
from ..models import Agreement, AgreementApproval
from .base import atomic_service
from .workflow import approve, send_back

SALT = "agreements.approval-link"
LINK_MAX_AGE = dt.timedelta(days=14)
EMAIL_KIND = "agreement-approval-request"


@dataclass(frozen=True)
class LinkPayload:
    tenant_id: int
    agreement_id: int
    contact_id: int
    submitted: str


def _submitted(agreement: Agreement) -> str:
    return agreement.submitted_at.isoformat() if agreement.submitted_at else ""


def make_token(agreement: Agreement) -> str:
    data = {
        "t": agreement.tenant_id,
        "a": agreement.pk,
        "c": agreement.customer_contact_id,
        "s": _submitted(agreement),
    }
    return signing.dumps(data, salt=SALT, compress=True)


def read_token(token: str) -> LinkPayload | None:
    """The token's content, or None when tampered with or expired (no tenant needed)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
        return LinkPayload(int(data["t"]), int(data["a"]), int(data["c"]), str(data["s"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def pending_agreement(payload: LinkPayload) -> Agreement | None:
    """Inside the payload's tenant: the agreement the link still approves, else None."""
    agreement = (
        Agreement.objects.select_related("customer", "customer_contact")
        .filter(pk=payload.agreement_id, status=AgreementStatus.IN_REVIEW)
        .first()
    )
    if (
        agreement is None
        or agreement.customer_contact_id != payload.contact_id
        or _submitted(agreement) != payload.submitted
        or agreement.approvals.filter(side=Side.CUSTOMER).exists()
    ):
        return None
    return agreement


def link_key(agreement: Agreement) -> str:
    """The outbox key: one email per review round."""
    return f"{EMAIL_KIND}:{agreement.pk}:{_submitted(agreement)}"


@atomic_service
def request_customer_approval(agreement: Agreement, *, base_url: str):
    """Email the agreement's customer contact a link to approve or decline (once per round)."""
    fresh = Agreement.objects.select_related("customer_contact", "customer").get(pk=agreement.pk)
    if fresh.status != AgreementStatus.IN_REVIEW:
        raise ValidationError(
            _("Only an agreement in review can be sent for approval."), code="invalid_transition"
        )
    contact = fresh.customer_contact
    if contact is None:
        raise ValidationError(
            {"customer_contact": _("Choose the customer's responsible contact first.")}
        )
    if fresh.approvals.filter(side=Side.CUSTOMER).exists():
        raise ValidationError(_("The customer side has already approved."))
    url = base_url.rstrip("/") + reverse("agreement-approval-link", args=[make_token(fresh)])
    context = {
        "agreement": fresh,
        "contact": contact,
        "url": url,
        "expires": timezone.localtime(timezone.now() + LINK_MAX_AGE),
        "site_name": getattr(settings, "SITE_NAME", "slaweb"),
    }
    return enqueue(
        EMAIL_KIND,
        contact.email,
        context,
        key=link_key(fresh),
        language=contact.language,
        erase_body_after_send=True,
    )


@atomic_service
def approve_by_link(agreement: Agreement, *, comment: str = "") -> AgreementApproval:
    return approve(agreement, side=Side.CUSTOMER, comment=comment, via_link=True)


@atomic_service
def decline_by_link(agreement: Agreement, *, reason: str) -> Agreement:
    """The contact declines: the agreement goes back to draft with their reason."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say what should change.")})
    contact = agreement.customer_contact
    text = _("Declined by %(name)s: %(reason)s") % {"name": contact.name, "reason": reason.strip()}
    return send_back(agreement, reason=str(text))
