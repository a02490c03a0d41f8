"""Validation rules of one row, with the messages a manager reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from agreements import services
from agreements.choices import Direction, MetricKind
from agreements.models import (
    Agreement,
    BusinessCalendar,
    CalendarSlot,
    Customer,
    MetricDefinition,
    PriorityTier,
    check_slots,
    validate_credit_tiers,
    validate_metric_tiers,
)
from metrics.business_time import due
from slaweb.tenancy.context import tenant_context
from tests.factories.agreements import BusinessCalendarFactory, CustomerFactory

from .conftest import business_calendar

pytestmark = pytest.mark.django_db


def errors_of(instance, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean(**kwargs)
    return caught.value.message_dict


def metric(draft, **fields) -> MetricDefinition:
    values = {
        "name": "m",
        "kind": MetricKind.AVAILABILITY_PERCENT,
        "target": Decimal("99.5"),
        "minimum_acceptable": Decimal("99"),
    }
    return MetricDefinition(tenant_id=draft.tenant_id, agreement=draft, **{**values, **fields})


class TestMetricValues:
    def test_lower_is_better_target_must_not_exceed_minimum(self, draft):
        with tenant_context(draft.tenant_id):
            bad = metric(
                draft,
                kind=MetricKind.RESPONSE_TIME,
                target=Decimal("150"),
                minimum_acceptable=Decimal("120"),
            )
            message = errors_of(bad)["target"][0]
        assert "Lower is better" in message and "150" in message and "120" in message
        assert bad.direction == Direction.LOWER_IS_BETTER  # defaulted from the kind

    def test_higher_is_better_target_must_reach_minimum(self, draft):
        with tenant_context(draft.tenant_id):
            bad = metric(
                draft,
                kind=MetricKind.FIRST_CONTACT_RESOLUTION_RATE,
                target=Decimal("70"),
                minimum_acceptable=Decimal("75"),
            )
            assert "Higher is better" in errors_of(bad)["target"][0]

    def test_equal_target_and_minimum_are_fine_and_unit_is_defaulted(self, draft):
        with tenant_context(draft.tenant_id):
            ok = metric(draft, name="equal", target=Decimal("99"), minimum_acceptable=Decimal("99"))
            ok.full_clean()
        assert ok.unit == "%"

    def test_explicit_direction_overrides_the_kind(self, draft):
        with tenant_context(draft.tenant_id):
            custom = metric(
                draft,
                kind=MetricKind.CUSTOM_SAMPLE,
                direction=Direction.LOWER_IS_BETTER,
                target=Decimal("5"),
                minimum_acceptable=Decimal("3"),
            )
            assert "Lower is better" in errors_of(custom)["target"][0]

    @pytest.mark.parametrize(
        "kind",
        [MetricKind.AVAILABILITY_PERCENT, MetricKind.ACCURACY, MetricKind.ON_TIME_DELIVERY_RATE],
    )
    def test_percentages_stay_within_0_and_100(self, draft, kind):
        with tenant_context(draft.tenant_id):
            errors = errors_of(
                metric(draft, kind=kind, target=Decimal("101"), minimum_acceptable=Decimal("-1"))
            )
        assert errors["target"] == ["A percentage must be between 0 and 100."]
        assert errors["minimum_acceptable"] == ["A percentage must be between 0 and 100."]

    def test_satisfaction_is_on_the_five_point_scale(self, draft):
        with tenant_context(draft.tenant_id):
            errors = errors_of(
                metric(
                    draft,
                    kind=MetricKind.SATISFACTION_SCORE,
                    target=Decimal("6"),
                    minimum_acceptable=Decimal("4"),
                )
            )
        assert "between 1 and 5" in errors["target"][0]

    def test_time_thresholds_are_positive(self, draft):
        with tenant_context(draft.tenant_id):
            errors = errors_of(
                metric(
                    draft,
                    kind=MetricKind.RESOLUTION_TIME,
                    target=Decimal("0"),
                    minimum_acceptable=Decimal("60"),
                )
            )
        assert "more than 0 minutes" in errors["target"][0]

    @pytest.mark.parametrize("goal", [Decimal("0"), Decimal("100.5")])
    def test_attainment_goal_is_a_percentage(self, draft, goal):
        with tenant_context(draft.tenant_id):
            errors = errors_of(metric(draft, attainment_goal_percent=goal))
        assert "attainment_goal_percent" in errors

    def test_ticket_metrics_need_a_tier(self):
        with pytest.raises(ValidationError) as caught:
            validate_metric_tiers(MetricKind.RECURRENCE_COUNT, [])
        assert "choose at least one priority tier" in caught.value.message_dict["tiers"][0]
        validate_metric_tiers(
            MetricKind.AVAILABILITY_PERCENT, []
        )  # not ticket-based: no tier needed

    def test_the_service_refuses_a_ticket_metric_without_tiers(self, draft):
        with tenant_context(draft.tenant_id), pytest.raises(ValidationError) as caught:
            services.save_metric(
                metric(
                    draft,
                    name="FCR",
                    kind=MetricKind.FIRST_CONTACT_RESOLUTION_RATE,
                    target=Decimal("85"),
                    minimum_acceptable=Decimal("75"),
                ),
                tiers=[],
            )
        assert "tiers" in caught.value.message_dict


class TestTiers:
    def test_minutes_must_be_positive_and_in_order(self, draft):
        with tenant_context(draft.tenant_id):
            zero = PriorityTier(
                tenant_id=draft.tenant_id,
                agreement=draft,
                code="P1",
                name="x",
                response_minutes=0,
                resolution_minutes=10,
            )
            assert "response_minutes" in errors_of(zero, exclude=["agreement"])
            reversed_ = PriorityTier(
                tenant_id=draft.tenant_id,
                agreement=draft,
                code="P1",
                name="x",
                response_minutes=60,
                resolution_minutes=30,
            )
            assert errors_of(reversed_, exclude=["agreement"])["resolution_minutes"] == [
                "The resolution time cannot be shorter than the response time."
            ]

    def test_default_tiers_follow_the_requirements(self, draft):
        with tenant_context(draft.tenant_id):
            tiers = {t.code: t for t in draft.tiers.select_related("calendar")}
            assert [
                (c, t.response_minutes, t.resolution_minutes) for c, t in sorted(tiers.items())
            ] == [("P1", 15, 120), ("P2", 30, 240), ("P3", 120, 480), ("P4", 240, 1440)]
            assert tiers["P1"].calendar.is_24x7
            assert (
                tiers["P3"].calendar is None
                and tiers["P3"].effective_calendar == draft.default_calendar
            )
            assert {e.kind for e in draft.exclusions.all()} == {
                "planned_maintenance",
                "force_majeure",
            }


class TestAgreementRules:
    def test_effective_to_cannot_be_before_effective_from(self, draft):
        with tenant_context(draft.tenant_id):
            draft.effective_to = draft.effective_from - dt.timedelta(days=1)
            assert errors_of(draft)["effective_to"] == [
                "The end date cannot be before the start date."
            ]

    def test_a_one_day_agreement_passes_clean_and_the_check_constraint(self, draft):
        """clean() and the constraint agreement_dates_in_order agree on effective_to == effective_from."""
        with tenant_context(draft.tenant_id):
            draft.effective_to = draft.effective_from
            draft.full_clean()
            draft.save()
            assert Agreement.objects.get(pk=draft.pk).effective_to == draft.effective_from

    def test_percentages_of_the_commercial_terms(self, draft):
        with tenant_context(draft.tenant_id):
            draft.credit_percent, draft.credit_cap_percent = Decimal("120"), Decimal("-5")
            errors = errors_of(draft)
        assert "credit_percent" in errors and "credit_cap_percent" in errors

    @pytest.mark.parametrize(
        "value, fragment",
        [
            ({"x": 1}, "must be a list"),
            ([{"breached_metrics": 0, "percent": 5}], "whole number from 1"),
            ([{"breached_metrics": 1, "percent": 150}], "between 0 and 100"),
            (
                [{"breached_metrics": 2, "percent": 5}, {"breached_metrics": 1, "percent": 10}],
                "increasing order",
            ),
            ([{"breached_metrics": 1}], "exactly the keys"),
        ],
    )
    def test_tiered_credits_are_validated(self, value, fragment):
        with pytest.raises(ValidationError) as caught:
            validate_credit_tiers(value)
        assert fragment in caught.value.messages[0]

    def test_valid_tiered_credits(self):
        validate_credit_tiers(
            [{"breached_metrics": 1, "percent": 5}, {"breached_metrics": 3, "percent": 10.5}]
        )

    def test_reference_is_unique_per_tenant_but_shared_by_versions(self, draft, tenant_b):
        with tenant_context(draft.tenant_id):
            other = Agreement(reference=draft.reference, title="x", customer=draft.customer)
            assert (
                "Another agreement already uses the reference" in errors_of(other)["reference"][0]
            )
        with tenant_context(tenant_b):  # another tenant may use the same reference
            customer = Customer.objects.create(name="B customer")
            Agreement(reference=draft.reference, title="x", customer=customer).full_clean()

    def test_related_rows_must_be_of_the_same_tenant(self, draft, tenant_b):
        foreign_calendar = BusinessCalendarFactory(tenant=tenant_b)
        with tenant_context(draft.tenant_id):
            draft.default_calendar = foreign_calendar
            assert "This object does not exist." in errors_of(draft)["default_calendar"]

    def test_contact_must_belong_to_the_customer(self, draft):
        other_customer = CustomerFactory(tenant=draft.tenant)
        with tenant_context(draft.tenant_id):
            draft.customer = other_customer
            assert "customer_contact" in errors_of(draft)

    def test_dates_stay_in_a_sane_range(self, draft):
        with tenant_context(draft.tenant_id):
            draft.effective_to = dt.date(9999, 12, 31)
            assert "effective_to" in errors_of(draft)


class TestCalendars:
    @pytest.mark.parametrize(
        "slots",
        [
            [(0, dt.time(9), dt.time(12)), (0, dt.time(11), dt.time(14))],
            [
                (0, dt.time(22), dt.time(6)),
                (1, dt.time(5), dt.time(7)),
            ],  # the night shift runs into Tuesday
            [(6, dt.time(20), dt.time(2)), (0, dt.time(1), dt.time(3))],  # Sunday night into Monday
            [
                (2, dt.time(0), dt.time(0)),
                (2, dt.time(9), dt.time(10)),
            ],  # 00:00-00:00 is the whole day
        ],
    )
    def test_overlapping_slots_are_refused(self, slots):
        with pytest.raises(ValidationError) as caught:
            check_slots(slots)
        assert caught.value.messages[0].startswith("Time slots overlap:")

    def test_adjacent_and_cross_midnight_slots_are_fine(self):
        check_slots(
            [
                (0, dt.time(9), dt.time(12)),
                (0, dt.time(12), dt.time(18)),
                (0, dt.time(22), dt.time(6)),
                (1, dt.time(6), dt.time(8)),
            ]
        )

    def test_a_slot_overlapping_a_stored_one_is_refused(self, tenant_a):
        with tenant_context(tenant_a):
            calendar = business_calendar()
            slot = CalendarSlot(
                tenant_id=tenant_a.pk,
                calendar=calendar,
                weekday=0,
                start_time=dt.time(17),
                end_time=dt.time(19),
            )
            assert "Monday 09:00-12:00" not in str(errors_of(slot))
            assert (
                "Time slots overlap: Monday 13:00-18:00 and Monday 17:00-19:00."
                in errors_of(slot)["__all__"]
            )

    def test_country_and_subdivision_must_be_known(self, tenant_a):
        with tenant_context(tenant_a):
            assert "country" in errors_of(BusinessCalendar(name="x", country="QQ"))
            assert "subdivision" in errors_of(
                BusinessCalendar(name="y", country="", subdivision="BY")
            )
            assert "subdivision" in errors_of(
                BusinessCalendar(name="z", country="DE", subdivision="XX")
            )
            BusinessCalendar(name="ok", country="de", subdivision="by").full_clean()

    def test_engine_calendar_counts_business_hours_and_holidays(self, tenant_a):
        tz = dt.timezone(dt.timedelta(hours=8))
        with tenant_context(tenant_a):
            calendar = business_calendar()
            engine = calendar.to_engine_calendar()
            # Friday 17:30 + 1 business hour -> Monday 09:30.
            assert due(engine, dt.datetime(2026, 3, 6, 17, 30, tzinfo=tz), 60) == dt.datetime(
                2026, 3, 9, 9, 30, tzinfo=tz
            )
            # China's National Day week is off (public holidays from the `holidays` package).
            assert due(engine, dt.datetime(2026, 9, 30, 17, 30, tzinfo=tz), 60).date() > dt.date(
                2026, 10, 7
            )
            services.save_calendar(
                calendar, holidays=[{"date": dt.date(2026, 3, 9), "name": "Company day"}]
            )
            assert due(
                calendar.to_engine_calendar(), dt.datetime(2026, 3, 6, 17, 30, tzinfo=tz), 60
            ) == dt.datetime(2026, 3, 10, 9, 30, tzinfo=tz)
            always = BusinessCalendar.objects.create(
                name="always", is_24x7=True
            ).to_engine_calendar()
            assert always.is_always

    def test_a_date_cannot_be_holiday_and_working_day(self, tenant_a):
        with tenant_context(tenant_a), pytest.raises(ValidationError) as caught:
            services.save_calendar(
                business_calendar(),
                holidays=[{"date": dt.date(2026, 5, 1), "name": ""}],
                working_days=[{"date": dt.date(2026, 5, 1), "name": ""}],
            )
        assert "both a holiday and a working day" in caught.value.message_dict["working_days"][0]
