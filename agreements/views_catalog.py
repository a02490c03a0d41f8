"""Catalog pages: customers (with their contacts), services and business calendars.

Viewers read; managers and admins write (TenantPageMixin's write_role). Records are
archived rather than deleted; deleting is offered, and refused with a message naming the
agreements that use the record. Contacts are edited inline with HTMX (the same views
answer plain form posts with a redirect, so the pages work without JavaScript).
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, ProtectedError, Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from slaweb.tenancy.models import Role
from slaweb.tenancy.pages import TenantPageMixin
from slaweb.tenancy.views import tenant_url

from .filtersets import BusinessCalendarFilterSet, CustomerFilterSet, ServiceFilterSet
from .forms_catalog import (
    PRESETS,
    CalendarEditor,
    CatalogFilterForm,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    ServiceForm,
    holiday_subdivisions,
)
from .listing import SortableListMixin
from .models import Agreement, BusinessCalendar, Contact, Customer, Service

PAGE_SIZE = 25
PREVIEW_DAYS = 14
NS = "agreements:"


def _next_url(request, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


# --------------------------------------------------------------------------
# Shared shapes


# The lists filter through the API's FilterSets, so page and API share one set of rules.
FILTERSETS = {
    BusinessCalendar: BusinessCalendarFilterSet,
    Customer: CustomerFilterSet,
    Service: ServiceFilterSet,
}


class CatalogListView(SortableListMixin, TenantPageMixin, ListView):
    paginate_by = PAGE_SIZE
    filter_form_class = CatalogFilterForm
    sorts = {"name": ("name",), "agreements": ("agreement_count", "name")}
    default_sort = "name"

    def with_counts(self, queryset):
        """The list's annotations (and prefetches) on the tenant's rows."""
        return queryset

    def scope_queryset(self, queryset):
        self.filter_form = self.filter_form_class(self.request.GET or None)
        filterset = FILTERSETS[self.model](self.filter_form.filter_params(), queryset=queryset)
        return self.sort(self.with_counts(filterset.qs))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["filtered"] = any(self.request.GET.get(name) for name in self.filter_form.fields)
        return context


class ModelFormPageView(TenantPageMixin, View):
    """Create (no pk) or edit (pk) one record on its own page; managers and admins only."""

    read_role = write_role = Role.MANAGER
    model = None
    form_class = None
    template_name = ""
    detail_url_name = ""
    created_message = ""
    saved_message = ""

    def get_instance(self):
        """The URL's record (edit), or None (create)."""
        return self.get_object() if self.kwargs.get("pk") is not None else None

    def render_form(self, form, obj, status=200):
        context = {"form": form, "object": obj, "can_write": True}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk=None):
        obj = self.get_instance()
        return self.render_form(self.form_class(instance=obj), obj)

    def post(self, request, pk=None):
        obj = self.get_instance()
        form = self.form_class(request.POST, instance=obj)
        if not form.is_valid():
            return self.render_form(form, obj, status=400)
        saved = form.save()
        message = self.saved_message if obj else self.created_message
        messages.success(request, message % {"name": saved})
        return redirect(tenant_url(request, self.detail_url_name, saved.pk))


class ArchiveView(TenantPageMixin, View):
    """POST: archive (or unarchive) one record."""

    model = None
    archived = True
    list_url_name = ""

    def post(self, request, pk):
        obj = self.get_object()
        if obj.archived != self.archived:
            obj.archived = self.archived
            obj.save(update_fields=["archived", "updated_at"])
        if self.archived:
            messages.success(
                request,
                _("“%(name)s” was archived. It stays readable, and in the agreements that use it.")
                % {"name": obj},
            )
        else:
            messages.success(request, _("“%(name)s” is in use again.") % {"name": obj})
        return redirect(_next_url(request, tenant_url(request, self.list_url_name)))


def _referrers(error: ProtectedError) -> list[str]:
    """The agreements (or other records) that keep a record from being deleted."""
    names = []
    for obj in error.protected_objects:
        owner = obj.agreement if hasattr(obj, "agreement_id") else obj
        label = str(owner)
        if label not in names:
            names.append(label)
    return sorted(names)


class DeleteView(TenantPageMixin, View):
    """POST: delete a record that nothing refers to; otherwise say what uses it."""

    model = None
    list_url_name = ""
    detail_url_name = ""

    def delete(self, obj):
        obj.delete()

    def post(self, request, pk):
        obj = self.get_object()
        name = str(obj)
        try:
            with transaction.atomic():
                self.delete(obj)
        except ProtectedError as error:
            referrers = _referrers(error)
            shown = ", ".join(referrers[:5]) + (" …" if len(referrers) > 5 else "")
            messages.error(
                request,
                _("“%(name)s” cannot be deleted: it is used by %(used_by)s. Archive it instead.")
                % {"name": name, "used_by": shown},
            )
            return redirect(tenant_url(request, self.detail_url_name, pk))
        messages.success(request, _("“%(name)s” was deleted.") % {"name": name})
        return redirect(tenant_url(request, self.list_url_name))


# --------------------------------------------------------------------------
# Customers


class CustomerListView(CatalogListView):
    model = Customer
    template_name = "agreements/catalog/customer_list.html"
    filter_form_class = CustomerFilterForm
    sorts = {
        **CatalogListView.sorts,
        "kind": ("kind", "name"),
        "contacts": ("contact_count", "name"),
    }

    def with_counts(self, queryset):
        return queryset.annotate(
            contact_count=Count("contacts", filter=Q(contacts__archived=False), distinct=True),
            agreement_count=Count("agreements", distinct=True),
        )


class CustomerDetailView(TenantPageMixin, DetailView):
    model = Customer
    template_name = "agreements/catalog/customer_detail.html"
    context_object_name = "customer"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(contacts_context(self.request, self.object))
        context["agreements"] = (
            self.tenant_rows(Agreement)
            .filter(customer=self.object)
            .only("reference", "version", "title", "status")
            .order_by("reference", "-version")
        )
        return context


def contacts_context(request, customer, form=None) -> dict:
    can_write = request.membership.has_role(Role.MANAGER)
    return {
        "customer": customer,
        "contacts": list(customer.contacts.all().order_by("archived", "name", "pk")),
        "contact_form": form
        if form is not None
        else (ContactForm(customer=customer, prefix="new") if can_write else None),
        "can_write": can_write,
    }


class CustomerFormView(ModelFormPageView):
    model = Customer
    form_class = CustomerForm
    template_name = "agreements/catalog/customer_form.html"
    detail_url_name = NS + "catalog-customer-detail"
    created_message = gettext_lazy("Customer “%(name)s” was created.")
    saved_message = gettext_lazy("Customer “%(name)s” was saved.")


class CustomerArchiveView(ArchiveView):
    model = Customer
    list_url_name = NS + "catalog-customer-list"


class CustomerUnarchiveView(CustomerArchiveView):
    archived = False


class CustomerDeleteView(DeleteView):
    model = Customer
    list_url_name = NS + "catalog-customer-list"
    detail_url_name = NS + "catalog-customer-detail"

    def delete(self, obj):
        # Its contacts go with it, unless an agreement names one of them.
        for contact in obj.contacts.all():
            contact.delete()
        obj.delete()


# --------------------------------------------------------------------------
# Contacts (inline on the customer page; HTMX swaps a row or the section)


def _contact_row(request, contact, status=200, warning=""):
    context = {
        "contact": contact,
        "can_write": request.membership.has_role(Role.MANAGER),
        "warning": warning,
    }
    return render(request, "agreements/catalog/_contact_row.html", context, status=status)


def _customer_page(request, customer):
    return tenant_url(request, NS + "catalog-customer-detail", customer.pk)


class ContactCreateView(TenantPageMixin, View):
    """POST a new contact of a customer. HTMX: the contacts section comes back."""

    model = Customer
    read_role = write_role = Role.MANAGER

    def get(self, request, pk):
        customer = self.get_object()
        form = ContactForm(customer=customer)
        return render(
            request, "agreements/catalog/contact_form.html", {"form": form, "customer": customer}
        )

    def post(self, request, pk):
        customer = self.get_object()
        prefix = "new" if any(key.startswith("new-") for key in request.POST) else None
        form = ContactForm(request.POST, customer=customer, prefix=prefix)
        if form.is_valid():
            contact = form.save()
            message = _("Contact “%(name)s” was added.") % {"name": contact.name}
            if request.htmx:
                context = contacts_context(request, customer)
                context["status_message"] = message
                context["warning_message"] = form.warning
                return render(request, "agreements/catalog/_contacts.html", context)
            messages.success(request, message)
            if form.warning:
                messages.warning(request, form.warning)
            return redirect(_customer_page(request, customer) + "#contacts")
        if request.htmx:
            return render(
                request,
                "agreements/catalog/_contacts.html",
                contacts_context(request, customer, form),
            )
        if prefix is None:
            return render(
                request,
                "agreements/catalog/contact_form.html",
                {"form": form, "customer": customer},
                status=400,
            )
        view = CustomerDetailView()
        view.setup(request, pk=pk)
        view.object = customer
        context = view.get_context_data(object=customer)
        context["contact_form"] = form
        return render(request, CustomerDetailView.template_name, context, status=400)


class ContactPageMixin(TenantPageMixin):
    model = Contact

    def scope_queryset(self, queryset):
        return queryset.select_related("customer")


class ContactRowView(ContactPageMixin, View):
    """GET one contact's row (HTMX: "cancel" of an inline edit); a page visit goes to the
    customer."""

    def get(self, request, pk):
        contact = self.get_object()
        if request.htmx:
            return _contact_row(request, contact)
        return HttpResponseRedirect(
            _customer_page(request, contact.customer) + f"#contact-{contact.pk}"
        )


class ContactEditView(ContactPageMixin, View):
    read_role = write_role = Role.MANAGER

    def get(self, request, pk):
        contact = self.get_object()
        form = ContactForm(instance=contact, customer=contact.customer, prefix=f"c{contact.pk}")
        return self.show(request, contact, form)

    def show(self, request, contact, form, status=200):
        context = {"contact": contact, "form": form, "customer": contact.customer}
        if request.htmx:
            return render(request, "agreements/catalog/_contact_edit_row.html", context)
        return render(request, "agreements/catalog/contact_form.html", context, status=status)

    def post(self, request, pk):
        contact = self.get_object()
        form = ContactForm(
            request.POST, instance=contact, customer=contact.customer, prefix=f"c{contact.pk}"
        )
        if not form.is_valid():
            return self.show(request, contact, form, status=400)
        contact = form.save()
        if request.htmx:
            return _contact_row(request, contact, warning=form.warning)
        messages.success(request, _("Contact “%(name)s” was saved.") % {"name": contact.name})
        if form.warning:
            messages.warning(request, form.warning)
        return redirect(_customer_page(request, contact.customer) + f"#contact-{contact.pk}")


class ContactArchiveView(ContactPageMixin, View):
    archived = True

    def post(self, request, pk):
        contact = self.get_object()
        if contact.archived != self.archived:
            contact.archived = self.archived
            contact.save(update_fields=["archived", "updated_at"])
        if request.htmx:
            return _contact_row(request, contact)
        if self.archived:
            messages.success(
                request,
                _("Contact “%(name)s” was archived; they receive no more email.")
                % {"name": contact.name},
            )
        else:
            messages.success(
                request, _("Contact “%(name)s” is active again.") % {"name": contact.name}
            )
        return redirect(_customer_page(request, contact.customer) + f"#contact-{contact.pk}")


class ContactUnarchiveView(ContactArchiveView):
    archived = False


# --------------------------------------------------------------------------
# Services


class ServiceListView(CatalogListView):
    model = Service
    template_name = "agreements/catalog/service_list.html"

    def with_counts(self, queryset):
        return queryset.annotate(agreement_count=Count("agreement_links__agreement", distinct=True))


class ServiceFormView(ModelFormPageView):
    model = Service
    form_class = ServiceForm
    template_name = "agreements/catalog/service_form.html"
    detail_url_name = NS + "catalog-service-edit"
    created_message = gettext_lazy("Service “%(name)s” was created.")
    saved_message = gettext_lazy("Service “%(name)s” was saved.")

    def render_form(self, form, obj, status=200):
        context = {"form": form, "object": obj, "can_write": True}
        if obj is not None:
            context["agreements"] = (
                self.tenant_rows(Agreement)
                .filter(service_links__service=obj)
                .only("reference", "version", "title", "status")
                .order_by("reference", "-version")
            )
        return render(self.request, self.template_name, context, status=status)


class ServiceArchiveView(ArchiveView):
    model = Service
    list_url_name = NS + "catalog-service-list"


class ServiceUnarchiveView(ServiceArchiveView):
    archived = False


class ServiceDeleteView(DeleteView):
    model = Service
    list_url_name = NS + "catalog-service-list"
    detail_url_name = NS + "catalog-service-edit"


# --------------------------------------------------------------------------
# Business calendars


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_slot(start: int, end: int) -> str:
    """(540, 1080) -> "09:00–18:00"; (0, 1440) -> "00:00–24:00"; past midnight gets "(+1)"."""
    if end > 1440:
        return f"{_hhmm(start)}–{_hhmm(end - 1440)} (+1)"
    return f"{_hhmm(start)}–{_hhmm(end)}"


def describe_week(slots) -> list[str]:
    """Slots (with weekday, start_time, end_time) -> ["Mon–Fri 09:00–18:00", "Sat 10:00–14:00"]."""
    from .models import slot_minutes

    per_day: list[tuple[str, ...]] = [() for _day in range(7)]
    for slot in slots:
        per_day[slot.weekday] += (format_slot(*slot_minutes(slot.start_time, slot.end_time)),)
    lines, day = [], 0
    while day < 7:
        last = day
        while last + 1 < 7 and per_day[last + 1] == per_day[day]:
            last += 1
        if per_day[day]:
            days = (
                str(WEEKDAYS_ABBR[day])
                if last == day
                else f"{WEEKDAYS_ABBR[day]}–{WEEKDAYS_ABBR[last]}"
            )
            lines.append(f"{days} {', '.join(per_day[day])}")
        day = last + 1
    return lines


@functools.lru_cache(maxsize=256)
def _holiday_names(
    country: str, subdiv: str, years: tuple[int, ...], language: str
) -> dict[date, str]:
    table = holidays_lib.country_holidays(country, subdiv=subdiv or None)
    supported = getattr(table, "supported_languages", ()) or ()
    wanted = {"zh-hans": ["zh_CN"], "en": ["en_US", "en_GB", "en"]}.get(language, [])
    chosen = next((code for code in wanted if code in supported), None)
    table = holidays_lib.country_holidays(
        country, subdiv=subdiv or None, years=years, language=chosen
    )
    return dict(table.items())


def calendar_preview(
    calendar: BusinessCalendar, today: date | None = None, days: int = PREVIEW_DAYS
) -> list[dict]:
    """The next `days` days of a saved calendar: working hours, holiday (with its name),
    weekend or extra working day, as computed by the business-time engine."""
    from metrics.business_time import window_minutes

    engine = calendar.to_engine_calendar()
    zone = engine.zone
    today = today or timezone.now().astimezone(zone).date()
    last = today + timedelta(days=days - 1)
    own_holidays = {h.date: h.name for h in calendar.holidays.all()}
    own_workdays = {w.date: w.name for w in calendar.working_days.all()}
    public = {}
    if calendar.country and not calendar.is_24x7:
        years = tuple(sorted({today.year, last.year}))
        public = _holiday_names(
            calendar.country, calendar.subdivision, years, get_language() or "en"
        )
    rows = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
        end = start + timedelta(days=1)
        end = datetime(end.year, end.month, end.day, tzinfo=zone)
        minutes = window_minutes(engine, start, end)
        slots = engine.slots_on(day)
        hours = ", ".join(format_slot(s, e) for s, e in slots)
        if calendar.is_24x7:
            kind, label = "always", _("24×7")
        elif day in own_holidays:
            kind, label = (
                "holiday",
                _("holiday: %(name)s") % {"name": own_holidays[day] or _("company day off")},
            )
        elif day in own_workdays:
            kind = "extra"
            label = _("extra working day") + (f": {own_workdays[day]}" if own_workdays[day] else "")
        elif day in public:
            kind, label = "holiday", _("holiday: %(name)s") % {"name": public[day]}
        elif slots and not engine.week[day.weekday()]:
            kind, label = "extra", _("extra working day (official make-up day)")
        elif slots:
            kind, label = "working", _("working day")
        elif day.weekday() >= 5:
            kind, label = "weekend", _("weekend")
        else:
            kind, label = "off", _("no working hours")
        rows.append(
            {
                "date": day,
                "kind": kind,
                "label": label,
                "hours": hours if slots else "",
                "minutes": round(minutes),
                "hours_total": f"{int(minutes // 60)}:{int(minutes % 60):02d}",
                "is_today": offset == 0,
            }
        )
    return rows


class CalendarListView(CatalogListView):
    model = BusinessCalendar
    template_name = "agreements/catalog/calendar_list.html"
    sorts = {
        **CatalogListView.sorts,
        "time_zone": ("time_zone", "name"),
        "country": ("country", "name"),
    }

    def with_counts(self, queryset):
        return queryset.annotate(
            agreement_count=Count("agreements", distinct=True)
        ).prefetch_related("slots")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for calendar in context["object_list"]:
            calendar.week_summary = describe_week(calendar.slots.all())
        return context


class CalendarDetailView(TenantPageMixin, DetailView):
    model = BusinessCalendar
    template_name = "agreements/catalog/calendar_detail.html"
    context_object_name = "calendar"

    def scope_queryset(self, queryset):
        return queryset.prefetch_related("slots", "holidays", "working_days")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        calendar = self.object
        context["week_summary"] = describe_week(calendar.slots.all())
        try:
            context["preview"] = calendar_preview(calendar)
        except ValueError as error:
            context["preview_error"] = str(error)
        context["zone_today"] = timezone.now().astimezone(ZoneInfo(calendar.time_zone))
        context["agreements"] = (
            self.tenant_rows(Agreement)
            .filter(Q(default_calendar=calendar) | Q(tiers__calendar=calendar))
            .distinct()
            .only("reference", "version", "title", "status")
            .order_by("reference", "-version")
        )
        return context


class CalendarFormView(TenantPageMixin, View):
    """Create or edit a calendar with its slots, holidays and working days.

    Quick choices and "add a row" re-show the form without saving (plain submit buttons;
    with HTMX only the form is swapped)."""

    model = BusinessCalendar
    read_role = write_role = Role.MANAGER
    template_name = "agreements/catalog/calendar_form.html"

    def scope_queryset(self, queryset):
        return queryset.prefetch_related("slots", "holidays", "working_days")

    def get_instance(self):
        """The URL's calendar (edit), or None (create)."""
        return self.get_object() if self.kwargs.get("pk") is not None else None

    def render_editor(self, editor, obj, status=200):
        country = editor.form["country"].value() or ""
        context = {
            "editor": editor,
            "form": editor.form,
            "object": obj,
            "presets": [(key, label) for key, (label, _slots) in PRESETS.items()],
            "subdivisions": holiday_subdivisions(country) if country else [],
            "can_write": True,
        }
        if obj is not None:
            try:
                context["preview"] = calendar_preview(obj)
            except ValueError as error:
                context["preview_error"] = str(error)
        editor.mark_errors()
        if self.request.htmx and status == 400:
            status = 200  # HTMX swaps only successful answers
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk=None):
        obj = self.get_instance()
        return self.render_editor(CalendarEditor(instance=obj), obj)

    def post(self, request, pk=None):
        obj = self.get_instance()
        preset = request.POST.get("preset")
        add = request.POST.get("add")
        if preset or add:
            return self.render_editor(
                CalendarEditor(request.POST, instance=obj, preset=preset, add=add), obj
            )
        editor = CalendarEditor(request.POST, instance=obj)
        if not editor.is_valid():
            return self.render_editor(editor, obj, status=400)
        calendar = editor.save()
        if calendar is None:
            return self.render_editor(editor, obj, status=400)
        if obj is None:
            messages.success(request, _("Calendar “%(name)s” was created.") % {"name": calendar})
        else:
            messages.success(request, _("Calendar “%(name)s” was saved.") % {"name": calendar})
        return redirect(tenant_url(request, NS + "catalog-calendar-detail", calendar.pk))


class CalendarArchiveView(ArchiveView):
    model = BusinessCalendar
    list_url_name = NS + "catalog-calendar-list"


class CalendarUnarchiveView(CalendarArchiveView):
    archived = False


class CalendarDeleteView(DeleteView):
    model = BusinessCalendar
    list_url_name = NS + "catalog-calendar-list"
    detail_url_name = NS + "catalog-calendar-detail"
