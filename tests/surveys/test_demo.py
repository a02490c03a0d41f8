"""The demo tenant gets survey campaigns with a year of rounds, low scores and follow-ups."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from metrics.models import Sample
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Tenant
from surveys import results
from surveys.demo import MONTHLY, QUARTERLY
from surveys.models import Campaign, FollowUp, Response, Round


def test_seed_demo_adds_a_year_of_survey_rounds_and_is_idempotent(db):
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    with tenant_context(Tenant.objects.get(slug="demo")):
        monthly = Campaign.objects.get(name=MONTHLY)
        assert Round.objects.filter(campaign=monthly).count() == 12
        assert Round.objects.filter(campaign__name=QUARTERLY).count() >= 3
        assert Response.objects.count() > 30
        assert FollowUp.objects.filter(status="open").exists()
        assert FollowUp.objects.filter(status="closed").exists()
        # quarterly satisfaction metric: one sample per quarter the rounds fall in
        samples = Sample.objects.filter(metric_name="客户满意度 Satisfaction")
        assert samples.count() >= 4
        assert all(s.period_start.month in (1, 4, 7, 10) for s in samples)
        figures = results.for_campaign(monthly)
        assert figures.overall.value is not None and figures.top_terms
