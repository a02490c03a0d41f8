"""Business calendars: the service windows agreements and tiers are measured in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

import holidays as holidays_lib
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from slaweb.tenancy.models import TIME_ZONE_CHOICES, TenantOwned

from ..choices import (
    Weekday,
)
from .base import DAY_MINUTES, WEEK_MINUTES, TimeStamped, check_same_tenant


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def slot_minutes(start: time, end: time) -> tuple[int, int]:
    """(start, end) in minutes after midnight; an end not after the start is the next day
    (00:00-00:00 is the whole day), as in metrics.business_time."""
    begin, finish = _minutes(start), _minutes(end)
    if finish <= begin:
        finish += DAY_MINUTES
    return begin, finish


def _fmt(weekday: int, start: time, end: time) -> str:
    return f"{Weekday(weekday).label} {start:%H:%M}-{end:%H:%M}"


def check_slots(slots: Iterable[tuple[int, time, time]]) -> None:
    """Weekly slots (weekday, start, end) must not overlap, also across midnight and Sunday->Monday."""
    spans = []
    for weekday, start, end in slots:
        if weekday not in Weekday.values:
            raise ValidationError(_("Weekday must be 0 (Monday) to 6 (Sunday)."), code="weekday")
        begin, finish = slot_minutes(start, end)
        spans.append(
            (weekday * DAY_MINUTES + begin, weekday * DAY_MINUTES + finish, (weekday, start, end))
        )
    spans.sort(key=lambda span: span[:2])
    pairs = list(zip(spans, spans[1:], strict=False))
    if len(spans) > 1:
        first = spans[0]
        pairs.append((spans[-1], (first[0] + WEEK_MINUTES, first[1] + WEEK_MINUTES, first[2])))
    for (_b, end_a, slot_a), (start_b, _f, slot_b) in pairs:
        if start_b < end_a:
            raise ValidationError(
                _("Time slots overlap: %(a)s and %(b)s.")
                % {"a": _fmt(*slot_a), "b": _fmt(*slot_b)},
                code="overlap",
            )


def check_holiday_region(country: str, subdivision: str) -> None:
    errors = {}
    supported = holidays_lib.list_supported_countries()
    if subdivision and not country:
        errors["subdivision"] = _("A subdivision needs a country.")
    elif country and country not in supported:
        errors["country"] = _("Public holidays are not known for the country code '%(code)s'.") % {
            "code": country
        }
    elif country and subdivision and subdivision not in supported[country]:
        errors["subdivision"] = _(
            "'%(sub)s' is not a subdivision of %(country)s with known holidays."
        ) % {
            "sub": subdivision,
            "country": country,
        }
    if errors:
        raise ValidationError(errors)


class BusinessCalendar(TimeStamped, TenantOwned):
    """A service window: weekly slots in a time zone, public holidays of a country, own days."""

    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Asia/Shanghai"
    )
    is_24x7 = models.BooleanField(
        _("24x7"),
        default=False,
        help_text=_("Every minute counts; slots and holidays are ignored."),
    )
    country = models.CharField(
        _("country for public holidays"),
        max_length=2,
        blank=True,
        help_text=_("ISO 3166 code, e.g. CN, DE, US"),
    )
    subdivision = models.CharField(
        _("subdivision"), max_length=10, blank=True, help_text=_("e.g. a province or state code")
    )
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="calendar_unique_name")
        ]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        # Upper-case only plain ASCII codes ("ß".upper() is "SS": it could outgrow the column).
        if (self.country or "").isascii():
            self.country = (self.country or "").upper()
        if (self.subdivision or "").isascii():
            self.subdivision = (self.subdivision or "").upper()
        check_holiday_region(self.country, self.subdivision)

    def to_engine_calendar(self):
        """The immutable value metrics.business_time computes with."""
        return engine_calendar(
            time_zone=self.time_zone,
            is_24x7=self.is_24x7,
            slots=[(s.weekday, s.start_time, s.end_time) for s in self.slots.all()],
            country=self.country,
            subdivision=self.subdivision,
            holidays=[h.date for h in self.holidays.all()],
            working_days=[d.date for d in self.working_days.all()],
        )


def engine_calendar(
    *,
    time_zone: str,
    is_24x7: bool = False,
    slots: Iterable[tuple[int, time, time]] = (),
    country: str = "",
    subdivision: str = "",
    holidays: Iterable = (),
    working_days: Iterable = (),
):
    """The one adapter from a stored (or submitted) calendar to the engine's Calendar, used by
    the model, the service, the form and the preview. The engine's refusal becomes a
    ValidationError, so a calendar is valid exactly when the engine can compute with it."""
    from metrics.business_time import Calendar

    if is_24x7:
        return Calendar.always(time_zone)
    week: list[list[tuple[int, int]]] = [[] for _day in range(7)]
    for weekday, start, end in slots:
        week[weekday].append(slot_minutes(start, end))
    working_days = frozenset(working_days)
    try:
        return Calendar(
            time_zone,
            tuple(tuple(day) for day in week),
            country=country or None,
            subdiv=subdivision or None,
            extra_holidays=frozenset(holidays),
            extra_working_days=working_days,
        )
    except ValueError as error:
        if working_days and not week[0]:
            raise ValidationError(
                {
                    "working_days": _(
                        "Extra working days use Monday's hours, but Monday has no time slot. "
                        "Add one, or remove the extra working days."
                    )
                },
                code="engine",
            ) from error
        raise ValidationError(str(error), code="engine") from error


class CalendarSlot(TenantOwned):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="slots", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("start"))
    end_time = models.TimeField(
        _("end"),
        help_text=_("An end before the start means the next day; 00:00-00:00 is the whole day."),
    )

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name = _("time slot")
        verbose_name_plural = _("time slots")

    def __str__(self) -> str:
        return _fmt(self.weekday, self.start_time, self.end_time)

    def clean(self) -> None:
        super().clean()
        check_same_tenant(self, "calendar")
        if self.calendar_id and self.start_time is not None and self.end_time is not None:
            siblings = CalendarSlot.objects.filter(calendar_id=self.calendar_id).exclude(pk=self.pk)
            check_slots(
                [(s.weekday, s.start_time, s.end_time) for s in siblings]
                + [(self.weekday, self.start_time, self.end_time)]
            )


class CalendarDate(TenantOwned):
    """A dated exception of a calendar; a date cannot be both a day off and a working day."""

    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()

    def other_kind(self) -> tuple[type[CalendarDate], str]:
        raise NotImplementedError

    def clean(self) -> None:
        super().clean()
        check_same_tenant(self, "calendar")
        other_model, message = self.other_kind()
        if (
            self.calendar_id
            and self.date
            and other_model.objects.filter(calendar_id=self.calendar_id, date=self.date).exists()
        ):
            raise ValidationError({"date": message})


class CalendarHoliday(CalendarDate):
    """An extra day off of this calendar (on top of the country's public holidays)."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="holidays",
        verbose_name=_("calendar"),
    )

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "calendar", "date"], name="calendarholiday_unique_date"
            )
        ]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def other_kind(self):
        return CalendarWorkingDay, _("This date is already an extra working day of the calendar.")


class CalendarWorkingDay(CalendarDate):
    """An extra working day, e.g. a Chinese make-up Saturday (调休)."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="working_days",
        verbose_name=_("calendar"),
    )

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "calendar", "date"], name="calendarworkingday_unique_date"
            )
        ]
        verbose_name = _("extra working day")
        verbose_name_plural = _("extra working days")

    def other_kind(self):
        return CalendarHoliday, _("This date is already a holiday of the calendar.")
