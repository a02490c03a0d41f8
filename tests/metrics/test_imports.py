"""CSV import: encoding detection, mapping remembered, all or nothing over several chunks,
rejected rows with line, column and reason; 'store the valid rows' keeps the good ones."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from metrics import imports
from metrics.models import ImportJob, ImportMapping, Outage, Ticket
from metrics.models.surfaces import ImportStatus

pytestmark = pytest.mark.django_db(transaction=False)

HEADER = "agreement,external_id,priority,kind,opened_at,first_response_at,resolved_at\n"


def row(n, **kw):
    values = {
        "agreement": "SLA-M1",
        "external_id": f"T-{n}",
        "priority": "P2",
        "kind": "incident",
        "opened_at": "2026-03-02T09:00:00+08:00",
        "first_response_at": "2026-03-02T09:45:00+08:00",
        "resolved_at": "2026-03-02T15:00:00+08:00",
        **kw,
    }
    return ",".join(values.values()) + "\n"


def upload(text: str, name="tickets.csv", encoding="utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def run(job, store_valid=False):
    imports.start_import(job, job.mapping, store_valid)
    return imports.run_import(job.pk)


def test_valid_file_is_imported_and_mapping_remembered(agreement, scope_a):
    job = imports.create_job("tickets", upload(HEADER + row(1) + row(2)))
    assert job.encoding == "utf-8" and job.columns[0] == "agreement"
    assert imports.preview(job)[1][1] == "T-2"
    job = run(job)
    assert job.status == ImportStatus.DONE and (job.created, job.error_count) == (2, 0)
    assert Ticket.objects.filter(source="csv").count() == 2
    assert ImportMapping.objects.get(kind="tickets").mapping["opened_at"] == "opened_at"
    # The same file again changes nothing.
    again = run(imports.create_job("tickets", upload(HEADER + row(1) + row(2))))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_gbk_excel_export_with_renamed_columns_uses_the_remembered_mapping(agreement, scope_a):
    header = "协议,编号,优先级,类型,开单时间,首次响应,解决时间\n"
    first = imports.create_job("tickets", upload(header + row(1), encoding="gbk"))
    assert first.encoding == "gbk" and first.columns[0] == "协议"
    assert first.mapping == {}  # nothing matches by name
    mapping = dict(zip(imports.FIELDS["tickets"][:3], ["协议", "编号", "优先级"], strict=True))
    mapping.update(kind="类型", opened_at="开单时间", first_response_at="首次响应")
    mapping["resolved_at"] = "解决时间"
    imports.start_import(first, mapping, False)
    assert imports.run_import(first.pk).created == 1
    second = imports.create_job("tickets", upload(header + row(2), encoding="gbk"))
    assert second.mapping == mapping
    bom = imports.create_job("tickets", upload("\ufeff" + HEADER + row(3)))
    assert bom.encoding == "utf-8-sig" and bom.columns[0] == "agreement"


@pytest.mark.parametrize(
    "bad_row, column, words",
    [
        (row(9, opened_at="02/03/2026 9:00"), "opened_at", ""),
        (row(9, resolved_at="2026-03-01T09:00:00+08:00"), "resolved_at", ""),
        (row(9, priority="P9"), "priority", ""),
        (row(9, agreement="NOPE"), "agreement", "NOPE"),
    ],
    ids=["bad date", "end before start", "unknown tier", "unknown agreement"],
)
def test_a_bad_row_anywhere_stores_nothing_and_is_reported(
    agreement, scope_a, monkeypatch, bad_row, column, words
):
    monkeypatch.setattr(imports, "CHUNK", 2)  # the bad row is in the third chunk
    text = HEADER + row(1) + row(2) + row(3) + row(4) + bad_row
    job = run(imports.create_job("tickets", upload(text)))
    assert job.status == ImportStatus.FAILED
    assert Ticket.objects.count() == 0
    assert (job.created, job.error_count, job.total, job.processed) == (0, 1, 5, 5)
    line, col, reason = job.errors[0]
    assert (line, col) == (6, column) and words in reason and reason
    csv_text = imports.errors_csv(job)
    assert csv_text.splitlines()[1].startswith(f"6,{column},")
    assert "nothing was stored" in job.message


def test_store_the_valid_rows_keeps_the_good_ones(agreement, scope_a, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 2)
    text = HEADER + row(1) + row(2, priority="P9") + row(3)
    job = run(imports.create_job("tickets", upload(text)), store_valid=True)
    assert job.status == ImportStatus.DONE and (job.created, job.error_count) == (2, 1)
    assert set(Ticket.objects.values_list("external_id", flat=True)) == {"T-1", "T-3"}
    assert job.errors == [[3, "priority", job.errors[0][2]]]


def test_wrong_columns_reject_every_row(agreement, scope_a):
    job = run(imports.create_job("tickets", upload("foo,bar\n1,2\n3,4\n")))
    assert job.status == ImportStatus.FAILED and job.error_count == 2
    assert Ticket.objects.count() == 0


def test_outage_ending_before_it_starts_stores_nothing(agreement, scope_a):
    text = (
        "agreement,external_id,start,end\n"
        "SLA-M1,O-1,2026-03-02T09:00:00+08:00,2026-03-02T10:00:00+08:00\n"
        "SLA-M1,O-2,2026-03-02T09:00:00+08:00,2026-03-02T08:00:00+08:00\n"
    )
    job = run(imports.create_job("outages", upload(text, "outages.csv")))
    assert job.status == ImportStatus.FAILED and job.errors[0][:2] == [3, "end"]
    assert Outage.objects.count() == 0


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"\xff\xfe\x00a\x00b\x81\x30", "UTF-8"),
        (b"a,a\n1,2\n", "same name"),
    ],
)
def test_unusable_files_are_refused_at_upload(scope_a, content, message):
    with pytest.raises(ValidationError) as error:
        imports.create_job("tickets", SimpleUploadedFile("x.csv", content))
    assert message in str(error.value)
    assert ImportJob.objects.count() == 0


def test_too_large_is_refused(scope_a, monkeypatch):
    monkeypatch.setattr(imports, "MAX_UPLOAD", 10)
    with pytest.raises(ValidationError, match="too large"):
        imports.create_job("tickets", upload(HEADER))


def test_a_job_runs_once(agreement, scope_a):
    job = run(imports.create_job("tickets", upload(HEADER + row(1))))
    assert imports.run_import(job.pk).created == 1  # not claimed again: counts unchanged
    assert Ticket.objects.count() == 1
