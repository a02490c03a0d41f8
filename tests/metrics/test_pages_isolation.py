"""Isolation classes of the metrics pages (tests/isolation.py): another tenant's rows are 404
and never listed."""

from __future__ import annotations

from tests.factories.metrics import (
    ComplianceResultFactory,
    DeliveryFactory,
    ImprovementActionFactory,
    OutageFactory,
    SampleFactory,
    TicketClockFactory,
    TicketFactory,
)
from tests.factories.metrics_surfaces import (
    ClockRecomputeFactory,
    ImportJobFactory,
    WebhookEventFactory,
)
from tests.isolation import PageIsolationTests


class RunningClockFactory(TicketClockFactory):
    state = "running"
    stopped_at = None
    elapsed = None


class TestResultPagesIsolation(PageIsolationTests):
    factory = ComplianceResultFactory
    url_names = ["metrics:result"]


class TestGridIsolation(PageIsolationTests):
    factory = ComplianceResultFactory
    url_names = ["metrics:grid"]

    def url_args(self, obj, tenant):
        return [obj.agreement_id]


class TestActionPagesIsolation(PageIsolationTests):
    factory = ImprovementActionFactory
    url_names = ["metrics:action-edit"]
    post_url_names = ["metrics:action-edit"]
    list_url_names = ["metrics:action-list"]

    def marker(self, obj):
        return obj.metric_name


class TestTicketListIsolation(PageIsolationTests):
    factory = TicketFactory
    list_url_names = ["metrics:tickets"]

    def marker(self, obj):
        return obj.external_id


class TestDeliveryListIsolation(TestTicketListIsolation):
    factory = DeliveryFactory
    list_url_names = ["metrics:deliveries"]


class TestOutageListIsolation(TestTicketListIsolation):
    factory = OutageFactory
    list_url_names = ["metrics:outages"]


class TestSampleListIsolation(TestTicketListIsolation):
    factory = SampleFactory
    list_url_names = ["metrics:samples"]


class TestBoardIsolation(PageIsolationTests):
    factory = RunningClockFactory
    list_url_names = ["metrics:board"]

    def marker(self, obj):
        return obj.ticket.external_id


class TestImportPagesIsolation(PageIsolationTests):
    factory = ImportJobFactory
    url_names = ["metrics:import-job", "metrics:import-errors"]
    post_url_names = ["metrics:import-job"]
    list_url_names = ["metrics:import"]

    def marker(self, obj):
        return obj.filename


class TestWebhookSettingsIsolation(PageIsolationTests):
    factory = WebhookEventFactory
    list_url_names = ["metrics:webhook"]

    def marker(self, obj):
        return obj.event_id


class TestClockRecomputeIsolation(PageIsolationTests):
    factory = ClockRecomputeFactory
    post_url_names = ["metrics:recompute-run-again"]
    list_url_names = ["metrics:recompute", "metrics:board"]

    def marker(self, obj):
        return obj.subject
