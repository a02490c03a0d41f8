"""Isolation of the report page and the files of a published revision: another tenant's
family, report or file is 404 (through either slug), its bytes are never served."""

from __future__ import annotations

from reports import periods
from tests.factories.reports import ReportFactory, ReportFileFactory
from tests.isolation import PageIsolationTests


class TestReportPageIsolation(PageIsolationTests):
    factory = ReportFactory
    url_names = ["reports:report"]

    def url_args(self, obj, tenant):
        return [obj.family, periods.label(obj.period_kind, obj.period_start)]


class TestLatestReportIsolation(PageIsolationTests):
    factory = ReportFactory
    url_names = ["reports:report-latest"]

    def url_args(self, obj, tenant):
        return [obj.family]


class TestFileRequestIsolation(PageIsolationTests):
    factory = ReportFactory
    post_url_names = ["reports:file-request"]


class TestReportFileIsolation(PageIsolationTests):
    factory = ReportFileFactory
    url_names = ["reports:file", "reports:file-download"]
