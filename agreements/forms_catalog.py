"""Forms of the catalog pages: customers, contacts, services and business calendars.

Uniqueness is checked here (the unique constraints start with `tenant`, which is not a
form field, so ModelForm would skip them and the database would answer with an error).
The weekly slots, extra holidays and extra working days of a calendar are plain formsets
that describe the whole calendar as edited; they are validated together (overlaps, a date
both off and on, what the business-time engine accepts) and saved by difference.
"""

from __future__ import annotations

import functools
import re
from datetime import time

import holidays as holidays_lib
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

from slaweb.tenancy.forms import TenantModelForm
from slaweb.tenancy.models import TIME_ZONE_CHOICES, tenant_rows

from .choices import CustomerKind, Weekday
from .forms import NoSilentCutMixin
from .models import (
    BusinessCalendar,
    Contact,
    Customer,
    Service,
    check_slots,
    engine_calendar,
)

TIME_INPUT = {"type": "time", "step": 60}
PHONE = re.compile(r"\+?[0-9 ()\-./]+(?: ?(?:ext\.?|x|#) ?[0-9]{1,6})?", re.IGNORECASE)
DATE_INPUT = {"type": "date"}


def _camel_words(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


def holiday_country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """Countries whose public holidays the `holidays` package knows, one entry each (by
    their two-letter code), named in the page's language (Babel's CLDR names)."""
    names = _country_names(to_locale(language or get_language() or "en"))
    # Two-letter codes the registry names ("UK" is only an alias of "GB").
    codes = [code for code in holidays_lib.list_supported_countries() if code in names]
    return sorted(((code, names.get(code, code)) for code in codes), key=lambda c: c[1])


@functools.lru_cache(maxsize=8)
def _country_names(locale: str) -> dict[str, str]:
    from babel import Locale, UnknownLocaleError
    from holidays.registry import COUNTRIES

    fallback = {entry[1]: _camel_words(entry[0]) for entry in COUNTRIES.values()}
    try:
        territories = Locale.parse(locale).territories
    except (UnknownLocaleError, ValueError):
        territories = {}
    return {code: territories.get(code, name) for code, name in fallback.items() if len(code) == 2}


def holiday_subdivisions(country: str) -> list[tuple[str, str]]:
    """(code, name) of a country's subdivisions with known holidays, for a datalist."""
    supported = holidays_lib.list_supported_countries()
    codes = supported.get((country or "").upper(), [])
    if not codes:
        return []
    try:
        aliases = holidays_lib.country_holidays(country.upper()).subdivisions_aliases
    except (NotImplementedError, AttributeError):
        aliases = {}
    names: dict[str, str] = {}
    for name, code in aliases.items():
        names.setdefault(code, name)
    return [(code, names.get(code, "")) for code in codes]


def _name_taken(rows, name: str, instance) -> bool:
    taken = rows.filter(name=name)
    if instance.pk:
        taken = taken.exclude(pk=instance.pk)
    return taken.exists()


class UniqueNameMixin:
    """A name is unique per tenant (checked among the form's tenant's rows)."""

    duplicate_message = _("This name is already used.")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if name and _name_taken(tenant_rows(self._meta.model, self.tenant_id), name, self.instance):
            raise ValidationError(self.duplicate_message, code="unique")
        return name


# --------------------------------------------------------------------------
# Filters of the list pages


class CatalogFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    archived = forms.BooleanField(label=_("Show archived"), required=False)

    def filter_params(self) -> dict:
        """The choices as parameters of the model's API FilterSet (one home for the rules):
        archived rows are hidden unless asked for."""
        data = self.cleaned_data if self.is_valid() else {}
        params = {"name": (data.get("q") or "").strip()}
        if not data.get("archived"):
            params["archived"] = False
        return {name: value for name, value in params.items() if value != ""}


class CustomerFilterForm(CatalogFilterForm):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any"))] + CustomerKind.choices
    )

    field_order = ["q", "kind", "archived"]

    def filter_params(self) -> dict:
        params = super().filter_params()
        if self.is_valid() and self.cleaned_data.get("kind"):
            params["kind"] = self.cleaned_data["kind"]
        return params


# --------------------------------------------------------------------------
# Customers, contacts, services


class CustomerForm(NoSilentCutMixin, UniqueNameMixin, TenantModelForm):
    duplicate_message = _("A customer with this name already exists.")

    class Meta:
        model = Customer
        fields = ["name", "kind", "notes"]
        help_texts = {
            "name": _("The department or company, as it appears in agreements and reports."),
            "kind": _("An internal department of your organisation or an external client."),
            "notes": _("Anything service managers should know; not shown to the customer."),
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class ContactForm(NoSilentCutMixin, TenantModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "language", "title", "phone", "email_status"]
        help_texts = {
            "email": _("Surveys and reports are sent to this address."),
            "language": _("Emails and surveys go out in this language."),
            "title": _("e.g. IT manager, head of finance"),
            "email_status": _("Bounced and opted-out addresses receive no more email."),
        }

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.customer = customer
        self.customer = customer

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        contacts = tenant_rows(Contact, self.tenant_id)
        taken = contacts.filter(customer=self.customer, email__iexact=email)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(
                _("This customer already has a contact with this email address."), code="unique"
            )
        # Allowed (one person may speak for two customers), but said after saving.
        self.shared_with = sorted(
            set(
                contacts.filter(email__iexact=email)
                .exclude(customer=self.customer)
                .values_list("customer__name", flat=True)[:5]
            )
        )
        return email

    def clean_phone(self):
        phone = " ".join(self.cleaned_data.get("phone", "").split())
        digits = sum(char.isdigit() for char in phone)
        if phone and (not PHONE.fullmatch(phone) or not 5 <= digits <= 20):
            raise ValidationError(
                _("Enter a phone number of digits, spaces and + ( ) - /, e.g. +86 21 5555 0100."),
                code="invalid",
            )
        return phone

    @property
    def warning(self) -> str:
        """Said after saving: the address also belongs to another customer's contact."""
        names = getattr(self, "shared_with", [])
        if not names:
            return ""
        return _("This email address is also used by a contact of %(customers)s.") % {
            "customers": ", ".join(names)
        }


class ServiceForm(NoSilentCutMixin, UniqueNameMixin, TenantModelForm):
    duplicate_message = _("A service with this name already exists.")

    class Meta:
        model = Service
        fields = ["name", "description"]
        help_texts = {
            "name": _(
                "e.g. server operations support, monthly finance report, customer support hotline"
            ),
            "description": _("What the service is; agreements say what they include and exclude."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


# --------------------------------------------------------------------------
# Business calendars

PRESETS = {
    "business": (_("Mon–Fri 09:00–18:00"), [(day, time(9), time(18)) for day in range(5)]),
    "lunch": (
        _("Mon–Fri 09:00–12:00 + 13:00–18:00"),
        [
            slot
            for day in range(5)
            for slot in ((day, time(9), time(12)), (day, time(13), time(18)))
        ],
    ),
    "24x7": (_("24×7"), []),
}


class CalendarForm(NoSilentCutMixin, UniqueNameMixin, TenantModelForm):
    duplicate_message = _("A calendar with this name already exists.")

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIME_ZONE_CHOICES,
        initial="Asia/Shanghai",
        help_text=_(
            "Working hours and holidays are read in this time zone (the customer's, usually)."
        ),
    )
    country = forms.ChoiceField(
        label=_("Country for public holidays"),
        required=False,
        help_text=_(
            "Its public holidays are days off; its official make-up working days are working days."
        ),
    )

    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "is_24x7", "country", "subdivision"]
        labels = {"is_24x7": _("24×7 (every minute counts)")}
        help_texts = {
            "name": _("e.g. Shanghai office hours, P1 faults 24×7"),
            "is_24x7": _("Every minute counts; time slots and holidays are ignored."),
            "subdivision": _(
                "Optional: a province or state code whose own holidays also count, "
                "e.g. BY for Bavaria."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = holiday_country_choices()
        saved = self.instance.country
        if saved and saved not in dict(countries):
            countries.append((saved, saved))  # an older three-letter code stays choosable
        self.fields["country"].choices = [("", _("No public holidays"))] + countries
        self.fields["subdivision"].widget.attrs["list"] = "subdivision-options"

    def clean_subdivision(self):
        return (self.cleaned_data.get("subdivision") or "").strip().upper()


class SlotForm(forms.Form):
    """One weekly time slot; a row left empty is no slot."""

    weekday = forms.TypedChoiceField(
        label=_("Weekday"), coerce=int, required=False, choices=[("", "—")] + Weekday.choices
    )
    start_time = forms.TimeField(
        label=_("Start"), required=False, widget=forms.TimeInput(attrs=TIME_INPUT, format="%H:%M")
    )
    end_time = forms.TimeField(
        label=_("End"), required=False, widget=forms.TimeInput(attrs=TIME_INPUT, format="%H:%M")
    )

    def clean(self):
        data = super().clean()
        values = [data.get("weekday"), data.get("start_time"), data.get("end_time")]
        if all(value in (None, "") for value in values) and not self.errors:
            data["empty"] = True
            return data
        for name, value in zip(("weekday", "start_time", "end_time"), values, strict=True):
            if value in (None, "") and name not in self.errors:
                self.add_error(name, _("This field is required."))
        return data

    @property
    def slot(self):
        data = getattr(self, "cleaned_data", {})
        slot = (data.get("weekday"), data.get("start_time"), data.get("end_time"))
        if data.get("empty") or data.get("DELETE") or None in slot:
            return None  # an untouched empty row is not even cleaned
        return slot


class DayForm(NoSilentCutMixin, forms.Form):
    """An extra holiday or an extra working day; a row left empty is nothing."""

    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d")
    )
    name = forms.CharField(label=_("Name"), required=False, max_length=200)

    def clean(self):
        data = super().clean()
        if not data.get("date") and "date" not in self.errors:
            if data.get("name"):
                self.add_error("date", _("This field is required."))
            else:
                data["empty"] = True
        return data

    @property
    def day(self):
        data = getattr(self, "cleaned_data", {})
        if data.get("empty") or data.get("DELETE") or not data.get("date"):
            return None  # an untouched empty row is not even cleaned
        return data["date"], data.get("name", "")


class BaseRowFormSet(forms.BaseFormSet):
    """Every row may be left empty: the formset describes the whole list as edited."""

    def _construct_form(self, i, **kwargs):
        kwargs["empty_permitted"] = True
        kwargs["use_required_attribute"] = False
        return super()._construct_form(i, **kwargs)

    def rows(self):
        return [
            form for form in self.forms if form.is_valid() and not self._should_delete_form(form)
        ]


class BaseSlotFormSet(BaseRowFormSet):
    def clean(self):
        if any(self.errors):
            return
        slots = [(form, form.slot) for form in self.rows() if form.slot]
        seen = {}
        for index, (form, slot) in enumerate(slots):
            # Report each overlap beside the later slot (in the order of the rows).
            for _other_form, other in slots[:index]:
                try:
                    check_slots([other, slot])
                except ValidationError as error:
                    form.add_error(None, error.messages[0])
                    seen[form] = True
                    break
        if seen:
            raise ValidationError(
                _("Some time slots overlap; see the marked rows."), code="overlap"
            )

    @property
    def slots(self):
        return sorted({form.slot for form in self.rows() if form.slot})


class BaseDayFormSet(BaseRowFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.rows():
            day = form.day
            if day is None:
                continue
            if day[0] in seen:
                form.add_error("date", _("This date is listed twice."))
            seen.add(day[0])
        if any(self.errors):
            raise ValidationError(_("Some dates are listed twice."), code="duplicate")

    @property
    def days(self) -> dict:
        return {form.day[0]: form.day[1] for form in self.rows() if form.day}


SlotFormSet = forms.formset_factory(
    SlotForm, formset=BaseSlotFormSet, extra=2, can_delete=True, max_num=70
)
DayFormSet = forms.formset_factory(
    DayForm, formset=BaseDayFormSet, extra=2, can_delete=True, max_num=400
)


class CalendarEditor:
    """The calendar form and its three formsets, validated together and saved by difference."""

    prefixes = ("slots", "holidays", "workdays")

    def __init__(
        self,
        data=None,
        *,
        instance: BusinessCalendar | None = None,
        preset: str | None = None,
        add: str | None = None,
    ):
        self.instance = instance or BusinessCalendar()
        saved = self.instance.pk is not None
        if data is not None and (preset or add):
            # Re-shown, not saved: keep what was typed, apply the quick choice or add a row.
            self.form, slots, holidays, workdays = self._initial_from_data(data)
            if preset in PRESETS:
                slots = [
                    {"weekday": d, "start_time": s, "end_time": e} for d, s, e in PRESETS[preset][1]
                ]
                self.form.initial["is_24x7"] = preset == "24x7"
            self.slots = SlotFormSet(prefix="slots", initial=slots)
            self.holidays = DayFormSet(prefix="holidays", initial=holidays)
            self.workdays = DayFormSet(prefix="workdays", initial=workdays)
            extras = {"slots": self.slots, "holidays": self.holidays, "workdays": self.workdays}
            if add in extras:
                extras[add].extra += 1
            self.bound = False
            return
        self.bound = data is not None
        self.form = CalendarForm(data, instance=self.instance, prefix=None)
        slots = (
            [
                {"weekday": s.weekday, "start_time": s.start_time, "end_time": s.end_time}
                for s in self.instance.slots.all()
            ]
            if saved
            else []
        )
        holidays = (
            [{"date": h.date, "name": h.name} for h in self.instance.holidays.all()]
            if saved
            else []
        )
        workdays = (
            [{"date": w.date, "name": w.name} for w in self.instance.working_days.all()]
            if saved
            else []
        )
        if data is None and not saved:
            slots = [
                {"weekday": d, "start_time": s, "end_time": e} for d, s, e in PRESETS["business"][1]
            ]
        if self.bound:
            # The posted rows are the whole list: no initial, so an unchanged row is still
            # cleaned (an "unchanged" row compared with its initial would be skipped and lost).
            slots = holidays = workdays = None
        self.slots = SlotFormSet(data, prefix="slots", initial=slots)
        self.holidays = DayFormSet(data, prefix="holidays", initial=holidays)
        self.workdays = DayFormSet(data, prefix="workdays", initial=workdays)

    def _initial_from_data(self, data):
        names = CalendarForm.base_fields
        initial = {name: data.get(name, "") for name in names if name != "is_24x7"}
        initial["is_24x7"] = bool(data.get("is_24x7"))
        form = CalendarForm(instance=self.instance, initial=initial)

        def rows(prefix, fields):
            try:
                total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), 400)
            except ValueError:
                total = 0
            found = []
            for i in range(total):
                if data.get(f"{prefix}-{i}-DELETE"):
                    continue
                row = {field: data.get(f"{prefix}-{i}-{field}", "") for field in fields}
                if any(row.values()):
                    found.append(row)
            return found

        return (
            form,
            rows("slots", ("weekday", "start_time", "end_time")),
            rows("holidays", ("date", "name")),
            rows("workdays", ("date", "name")),
        )

    @property
    def formsets(self):
        return [self.slots, self.holidays, self.workdays]

    def is_valid(self) -> bool:
        if not self.bound:
            return False
        valid = self.form.is_valid()
        valid = all([formset.is_valid() for formset in self.formsets]) and valid
        if not valid:
            return False
        both = set(self.holidays.days) & set(self.workdays.days)
        if both:
            for form in self.workdays.rows():
                if form.day and form.day[0] in both:
                    form.add_error(
                        "date", _("This date is also an extra holiday; a day is either off or on.")
                    )
            return False
        return self._check_with_engine()

    def _check_with_engine(self) -> bool:
        """What the business-time engine accepts (e.g. extra working days need Monday's hours),
        checked by the one adapter the model and the service use."""
        data = self.form.cleaned_data
        try:
            engine_calendar(
                time_zone=data["time_zone"],
                is_24x7=data["is_24x7"],
                slots=self.slots.slots,
                country=data.get("country") or "",
                subdivision=data.get("subdivision") or "",
                holidays=self.holidays.days,
                working_days=self.workdays.days,
            )
        except ValidationError as error:
            for message in error.messages:
                self.form.add_error(None, message)
            return False
        return True

    def mark_errors(self) -> None:
        """Point the inputs of a row with a row-level error (an overlap) at that error."""
        if not self.bound:
            return
        for formset in self.formsets:
            for form in formset.forms:
                if not form.non_field_errors():
                    continue
                for name, field in form.fields.items():
                    ids = [f"{form[name].auto_id}_error"] if name in form.errors else []
                    ids.append(f"{form.prefix}-errors")
                    field.widget.attrs["aria-describedby"] = " ".join(ids)
                    field.widget.attrs["aria-invalid"] = "true"

    @property
    def has_errors(self) -> bool:
        return self.bound and (
            bool(self.form.errors) or any(formset.total_error_count() for formset in self.formsets)
        )

    def save(self) -> BusinessCalendar:
        """Save through services.save_calendar (atomic; unchanged rows are kept, so the
        audit trail records only what changed). A ValidationError lands on the form."""
        from . import services

        calendar = self.form.instance  # construct_instance ran in is_valid()
        try:
            with transaction.atomic():
                return services.save_calendar(
                    calendar,
                    slots=[
                        {"weekday": d, "start_time": s, "end_time": e}
                        for d, s, e in self.slots.slots
                    ],
                    holidays=[
                        {"date": day, "name": name}
                        for day, name in sorted(self.holidays.days.items())
                    ],
                    working_days=[
                        {"date": day, "name": name}
                        for day, name in sorted(self.workdays.days.items())
                    ],
                )
        except ValidationError as error:
            self.form.add_error(None, error.messages)
            return None
