"""Business calendars: a calendar and its slots, holidays and working days saved as one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import (
    BusinessCalendar,
    CalendarHoliday,
    CalendarSlot,
    CalendarWorkingDay,
    check_slots,
    engine_calendar,
)
from .base import atomic_service
from .editing import _validate


@atomic_service
def save_calendar(
    calendar: BusinessCalendar,
    *,
    slots: Sequence[Mapping] | None = None,
    holidays: Sequence[Mapping] | None = None,
    working_days: Sequence[Mapping] | None = None,
) -> BusinessCalendar:
    """Create or change a calendar; given child lists replace the stored ones."""
    _validate(calendar)
    calendar.save()
    if slots is not None:
        check_slots([(item["weekday"], item["start_time"], item["end_time"]) for item in slots])
        _replace(
            calendar,
            calendar.slots.all(),
            CalendarSlot,
            slots,
            ("weekday", "start_time", "end_time"),
        )
    holiday_dates = (
        [item["date"] for item in holidays]
        if holidays is not None
        else list(calendar.holidays.values_list("date", flat=True))
    )
    working_dates = (
        [item["date"] for item in working_days]
        if working_days is not None
        else list(calendar.working_days.values_list("date", flat=True))
    )
    both = sorted(set(holiday_dates) & set(working_dates))
    if both:
        raise ValidationError(
            {
                "working_days": _("A date cannot be both a holiday and a working day: %(dates)s.")
                % {"dates": ", ".join(d.isoformat() for d in both)}
            }
        )
    for field, dates in (("holidays", holiday_dates), ("working_days", working_dates)):
        repeated = sorted({d for d in dates if dates.count(d) > 1})
        if repeated:
            raise ValidationError(
                {
                    field: _("Each date may appear once: %(dates)s.")
                    % {"dates": ", ".join(d.isoformat() for d in repeated)}
                }
            )
    if holidays is not None:
        _replace(calendar, calendar.holidays.all(), CalendarHoliday, holidays, ("date", "name"))
    if working_days is not None:
        _replace(
            calendar,
            calendar.working_days.all(),
            CalendarWorkingDay,
            working_days,
            ("date", "name"),
        )
    _check_with_engine(calendar)
    return calendar


def _check_with_engine(calendar: BusinessCalendar) -> None:
    """Valid means: the business-time engine accepts it (read back from the rows just saved)."""
    engine_calendar(
        time_zone=calendar.time_zone,
        is_24x7=calendar.is_24x7,
        slots=CalendarSlot.objects.filter(calendar=calendar).values_list(
            "weekday", "start_time", "end_time"
        ),
        country=calendar.country,
        subdivision=calendar.subdivision,
        holidays=CalendarHoliday.objects.filter(calendar=calendar).values_list("date", flat=True),
        working_days=CalendarWorkingDay.objects.filter(calendar=calendar).values_list(
            "date", flat=True
        ),
    )


def _replace(calendar, current, model, items, fields) -> None:
    """Replace a calendar's children, keeping rows that did not change (a quieter audit trail).

    A field an item leaves out (a partial API update) takes the model's default."""
    defaults = {f: model._meta.get_field(f).get_default() for f in fields}
    items = [{**defaults, **item} for item in items]
    key = lambda obj: tuple(obj[f] if isinstance(obj, Mapping) else getattr(obj, f) for f in fields)  # noqa: E731
    existing = {key(row): row for row in current}
    wanted = {key(item): item for item in items}
    for k, row in existing.items():
        if k not in wanted:
            row.delete()
    for k, item in wanted.items():
        if k in existing:
            continue
        model(
            tenant_id=calendar.tenant_id,
            calendar=calendar,
            **{f: item[f] for f in fields},
        ).save()
