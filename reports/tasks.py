"""Report tasks: thin (tenant id and ids in, open the scope, call a service)."""

from celery import shared_task

from slaweb.tenancy.tasks import TenantTask, for_each_tenant


@shared_task(base=TenantTask, name="reports.dispatch_reports_for_tenant", ignore_result=True)
def dispatch_reports_for_tenant(tenant_id: int) -> int:
    from .services.delivery import dispatch

    return dispatch()


@shared_task(name="reports.dispatch_due_reports", ignore_result=True)
def dispatch_due_reports() -> int:
    """Beat, daily: publish and email each tenant's due reports, one task per tenant."""
    return for_each_tenant(dispatch_reports_for_tenant)


@shared_task(base=TenantTask, name="reports.build_report_file", ignore_result=True)
def build_report_file(tenant_id: int, report_file_id: int) -> bool:
    """Render a published revision as PDF, workbook or CSV and store it (once)."""
    from .services.files import build_file

    return build_file(report_file_id)


@shared_task(base=TenantTask, name="reports.send_report", ignore_result=True)
def send_report(tenant_id: int, report_id: int) -> int:
    """Mail a published revision to its recipients (a retry sends nothing twice)."""
    from .models import Report
    from .services.delivery import send

    return len(send(Report.objects.get(pk=report_id)))
