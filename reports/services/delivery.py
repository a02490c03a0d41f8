"""Scheduled delivery of period reports (decision 010, "Delivery").

Daily, per tenant: each agreement family whose last closed month (and quarter or year,
per its `report_periods`) is due (today, in the agreement's time zone, on or after its
`report_day_of_month` of the month after the period) and has no revision yet is published (`publishing.publish(..., scheduled=True)`, idempotent)
and mailed through the outbox to the report recipients of the version in force, on both
sides, the PDF attached. Each recipient is a `ReportDelivery` (unique per report and
address) with a signed link that expires; members of the tenant are sent to the report
page instead. One outbox key per delivery, so a retried or doubled run sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from agreements.choices import MeasurementPeriod, ReportPeriods
from agreements.models import Agreement, ReportRecipient
from agreements.selectors import IN_FORCE_STATUSES
from metrics.periods import agreement_time_zone, period_end, period_start, previous
from slaweb.mail import services as mail
from slaweb.tenancy.models import Membership, Tenant

from ..choices import FileFormat, FileState, Health
from ..models import Report, ReportDelivery, ReportFile
from ..periods import label as period_label

log = logging.getLogger(__name__)

SALT = "reports.delivery-link"
EMAIL_KIND = "report-published"
PDF_MIMETYPE = "application/pdf"
MONTH = MeasurementPeriod.MONTH.value
LANGUAGES = ("en", "zh-hans")
HEALTH_WORDS = {
    Health.GREEN: _("green"),
    Health.AMBER: _("amber"),
    Health.RED: _("red"),
    Health.NONE: _("no data"),
}


def link_max_age() -> dt.timedelta:
    """How long a delivery's link works (settings.REPORT_LINK_DAYS, default 60 days)."""
    return dt.timedelta(days=int(getattr(settings, "REPORT_LINK_DAYS", 60)))


# -- what is due -------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    agreement: Agreement  # the version in force in the period
    period_kind: str
    period_start: dt.date


def due_period(local_today: dt.date, report_day: int, kind: str = MONTH) -> dt.date:
    """The last period of `kind` whose report is due on `local_today`: a period is due on
    `report_day` of the month after it ends; before that day the one before it is the last
    due (a missed run catches up, never further)."""
    current = period_start(local_today, kind)
    last = previous(current, kind)
    due_on = current + dt.timedelta(days=report_day - 1)
    return last if local_today >= due_on else previous(last, kind)


def in_force(versions: list[Agreement], start: dt.date, end: dt.date) -> Agreement | None:
    """The version in force in [start, end): on its last day, else the latest overlapping."""
    last_day = end - dt.timedelta(days=1)
    overlapping = [
        v
        for v in versions
        if v.effective_from
        and v.effective_from < end
        and (v.effective_to is None or v.effective_to >= start)
    ]
    on_last = [v for v in overlapping if v.effective_to is None or v.effective_to >= last_day]
    found = on_last or overlapping
    return max(found, key=lambda v: v.version) if found else None


def due_reports(now: dt.datetime | None = None) -> list[Due]:
    """The open tenant's period reports (monthly, and quarterly or yearly where the
    agreement asks) due at `now` that have no revision yet."""
    now = now or timezone.now()
    # A due year ended at most ~14 months ago: older versions cannot be in force in it.
    horizon = now.date() - dt.timedelta(days=430)
    versions = (
        Agreement.objects.filter(status__in=IN_FORCE_STATUSES, effective_from__isnull=False)
        .exclude(effective_to__lt=horizon)
        .select_related("default_calendar", "tenant")
        .order_by("family", "version")
    )
    families: dict = {}
    for version in versions:
        families.setdefault(version.family, []).append(version)
    candidates = []
    for family_versions in families.values():
        latest = family_versions[-1]
        local_today = now.astimezone(ZoneInfo(agreement_time_zone(latest))).date()
        for kind in ReportPeriods.kinds(latest.report_periods):
            start = due_period(local_today, latest.report_day_of_month, kind)
            version = in_force(family_versions, start, period_end(start, kind))
            if version is not None:
                candidates.append(Due(version, kind, start))
    published = set(
        Report.objects.filter(
            family__in=[d.agreement.family for d in candidates],
            period_start__in={d.period_start for d in candidates},
        ).values_list("family", "period_kind", "period_start")
    )
    return [
        d
        for d in candidates
        if (d.agreement.family, d.period_kind, d.period_start) not in published
    ]


# -- dispatch ----------------------------------------------------------------------------


def _lock_family(tenant_id: int, family) -> None:
    """Serialise concurrent dispatches of one family (released at the transaction's end)."""
    key = int.from_bytes(hashlib.sha256(f"report:{tenant_id}:{family}".encode()).digest()[:8])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key - (1 << 63)])


def dispatch(now: dt.datetime | None = None) -> int:
    """Publish and mail the open tenant's due reports, one transaction each; returns how
    many reports were sent. A broken agreement is logged and retried by the next run."""
    from .publishing import publish

    now = now or timezone.now()
    done: set[int] = set()
    for due in due_reports(now):
        try:
            with transaction.atomic():
                _lock_family(due.agreement.tenant_id, due.agreement.family)
                report = publish(due.agreement, due.period_kind, due.period_start, scheduled=True)
                send(report, now=now)
            done.add(report.pk)
        except Exception:
            log.exception(
                "report of %s for %s could not be dispatched", due.agreement, due.period_start
            )
    return len(done)


def publish_and_send(
    agreement, period_kind: str, period_start: dt.date, *, user=None, reason: str = "", send: bool
) -> Report:
    """Publish by hand (publishing.publish) and, if asked, mail the revision to the
    recipients from a task once the publication is committed (the PDF is built there).
    The dispatcher skips a period published by hand, so this is how such a report goes out."""
    from ..tasks import send_report
    from .publishing import publish

    report = publish(agreement, period_kind, period_start, user=user, reason=reason)
    if send:
        send_report.delay_on_commit(report.tenant_id, report.pk)
    return report


# -- sending -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Recipient:
    side: str
    name: str
    email: str
    language: str


def recipients_of(report: Report, tenant: Tenant) -> list[_Recipient]:
    """The report recipients of the version in force, one per address (first one wins)."""
    found: dict[str, _Recipient] = {}
    rows = ReportRecipient.objects.filter(agreement_id=report.agreement_id).select_related(
        "contact"
    )
    for row in rows:
        contact = row.contact
        if contact is not None and contact.archived:
            continue
        email = mail.normalise(row.address or "")
        if not email or email in found:
            continue
        language = contact.language if contact is not None else tenant.language
        found[email] = _Recipient(
            side=row.side,
            name=(contact.name if contact is not None else row.name)[:200],
            email=email,
            language=language if language in LANGUAGES else "zh-hans",
        )
    return list(found.values())


@transaction.atomic  # the PDF row is held while it is built; the mails queue on commit
def send(report: Report, *, now: dt.datetime | None = None) -> list[ReportDelivery]:
    """Mail `report` to its recipients once each (inside the report's tenant context)."""
    now = now or timezone.now()
    tenant = Tenant.objects.get(pk=report.tenant_id)
    wanted = recipients_of(report, tenant)
    if not wanted:
        return []
    ReportDelivery.objects.bulk_create(
        [
            ReportDelivery(
                tenant_id=report.tenant_id,
                report=report,
                side=r.side,
                name=r.name,
                email=r.email,
                language=r.language,
                expires_at=now + link_max_age(),
            )
            for r in wanted
        ],
        ignore_conflicts=True,  # sent before: the stored row (and its outbox key) stays
    )
    deliveries = list(
        ReportDelivery.objects.filter(report=report, email__in=[r.email for r in wanted])
    )
    members = set(
        mail.normalise(email)
        for email in Membership.objects.filter(tenant_id=report.tenant_id).values_list(
            "user__email", flat=True
        )
    )
    pdfs: dict[str, tuple[str, bytes]] = {}
    for delivery in deliveries:
        if delivery.language not in pdfs:
            pdfs[delivery.language] = (
                attachment_name(report),
                pdf_content(report, delivery.language),
            )
        name, content = pdfs[delivery.language]
        _enqueue(report, tenant, delivery, delivery.email in members, (name, content))
    return deliveries


def outbox_key(delivery: ReportDelivery) -> str:
    return f"{EMAIL_KIND}:{delivery.pk}"


def _enqueue(report, tenant, delivery, is_member: bool, pdf: tuple[str, bytes]):
    snapshot = report.snapshot or {}
    agreement = snapshot.get("agreement") or {}
    with translation.override(delivery.language):
        url = member_url(report, tenant) if is_member else None
        if url is None:
            url = public_url(delivery)
            is_member = False
        context = {
            "name": delivery.name,
            "tenant_name": tenant.name,
            "title": agreement.get("title") or str(report.agreement),
            "reference": agreement.get("reference", ""),
            "period": period_name(report),
            "health": str(HEALTH_WORDS.get(report.health, "")),
            "health_code": report.health,
            "summary": summary_of(snapshot),
            "revision": report.revision,
            "url": url,
            "is_member": is_member,
            "expires": formats.date_format(
                timezone.localtime(delivery.expires_at, ZoneInfo(tenant.time_zone)),
                "DATE_FORMAT",
            ),
        }
    provider_email = getattr(report.agreement, "provider_contact_email", "") or ""
    return mail.enqueue(
        EMAIL_KIND,
        delivery.email,
        context,
        key=outbox_key(delivery),
        language=delivery.language,
        from_name=tenant.name[:100],
        reply_to=provider_email,
        attachments=[(pdf[0], pdf[1], PDF_MIMETYPE)],
        erase_body_after_send=not is_member,  # the link is the reader's key
    )


def period_name(report: Report) -> str:
    """ "October 2026" / "2026年10月" in the active language."""
    try:
        from ..rendering.text import period_name as name

        return name(report.period_kind, report.period_start)
    except ImportError:
        return formats.date_format(report.period_start, "YEAR_MONTH_FORMAT")


def summary_of(snapshot: dict) -> str:
    try:
        from ..rendering.text import summary
    except ImportError:
        return ""
    try:
        return summary(snapshot)
    except Exception:  # a summary is a nicety; the mail goes without it
        log.exception("report summary failed")
        return ""


def attachment_name(report: Report) -> str:
    reference = (report.snapshot or {}).get("agreement", {}).get("reference") or "report"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", reference).strip("-") or "report"
    suffix = f"-r{report.revision}" if report.revision > 1 else ""
    return f"{safe}-{period_label(report.period_kind, report.period_start)}{suffix}.pdf"


def pdf_content(report: Report, language: str) -> bytes:
    """The revision's PDF in `language`, built once and stored as its ReportFile (the row
    reports.services.files builds and serves; held FOR UPDATE while it is built here, so a
    file task or a second dispatch finds it ready). No audit event: the bytes are the log."""
    ReportFile.objects.bulk_create(
        [
            ReportFile(
                tenant_id=report.tenant_id, report=report, format=FileFormat.PDF, language=language
            )
        ],
        ignore_conflicts=True,
    )
    row = (
        ReportFile.objects.select_for_update(of=("self",))
        .filter(report=report, format=FileFormat.PDF, language=language)
        .values("pk", "state", "content")
        .get()
    )
    if row["state"] == FileState.READY:
        return bytes(row["content"])
    from ..rendering.pdf import render_pdf

    content, pages = render_pdf(report.snapshot, language=language)
    ReportFile.objects.filter(pk=row["pk"]).update(
        state=FileState.READY,
        content=content,
        size=len(content),
        pages=pages,
        error="",
        built_at=timezone.now(),
    )
    return content


# -- links -------------------------------------------------------------------------------


def site_url() -> str:
    return (getattr(settings, "SITE_URL", "") or "http://localhost:8000").rstrip("/")


def make_token(delivery: ReportDelivery) -> str:
    return signing.dumps({"t": delivery.tenant_id, "d": delivery.pk}, salt=SALT, compress=True)


@dataclass(frozen=True)
class LinkPayload:
    tenant_id: int
    delivery_id: int


def read_token(token: str) -> LinkPayload | None:
    """The token's content, or None when tampered with or older than any link may live
    (each delivery's own expiry is checked by `open_delivery`)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=link_max_age())
        return LinkPayload(int(data["t"]), int(data["d"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def open_delivery(payload: LinkPayload, now: dt.datetime | None = None) -> ReportDelivery | None:
    """Inside the payload's tenant: the delivery if its link still works, else None."""
    now = now or timezone.now()
    return (
        ReportDelivery.objects.select_related("report")
        .filter(pk=payload.delivery_id, expires_at__gt=now)
        .first()
    )


def public_url(delivery: ReportDelivery) -> str:
    return site_url() + reverse("report-link", args=[make_token(delivery)])


def member_url(report: Report, tenant: Tenant) -> str | None:
    """The report page of this revision for members (None until the page exists)."""
    try:
        path = reverse(
            "reports:report",
            args=[
                tenant.slug,
                str(report.family),
                period_label(report.period_kind, report.period_start),
            ],
        )
    except NoReverseMatch:
        return None
    return f"{site_url()}{path}?revision={report.revision}"


def mark_opened(delivery: ReportDelivery, now: dt.datetime | None = None) -> None:
    """Record the first opening only (a conditional UPDATE: later visits change nothing)."""
    now = now or timezone.now()
    ReportDelivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(opened_at=now)


def acknowledge(delivery: ReportDelivery, name: str, now: dt.datetime | None = None) -> bool:
    """Record who acknowledged the report and when, once; False if it was already done."""
    now = now or timezone.now()
    done = ReportDelivery.objects.filter(pk=delivery.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_name=name.strip()[:200]
    )
    return bool(done)
