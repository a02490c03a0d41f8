"""Base class for tenant tasks: the first argument is the tenant id, the scope opens around the run."""

from celery.contrib.django.task import DjangoTask

from .context import Actor, tenant_scope
from .models import Tenant


class TenantTask(DjangoTask):
    """Use as `@shared_task(base=TenantTask)`; call with `task.delay_on_commit(tenant_id, ...)`.

    The task runs inside the tenant's scope but not inside a transaction: the service it
    calls opens its own short transactions (each one gets app.tenant_id), so a claim can
    commit before its side effect (sending a mail) happens.
    """

    def __call__(self, tenant_id: int, *args, **kwargs):
        actor = Actor(user_id=None, label=f"task {self.name}", via="task")
        with tenant_scope(int(tenant_id), actor):
            return super().__call__(tenant_id, *args, **kwargs)


def for_each_tenant(task: TenantTask) -> int:
    """Beat's dispatch: queue `task` once per tenant, each run in its own tenant's scope."""
    tenant_ids = list(Tenant.objects.order_by("pk").values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        task.delay(tenant_id)
    return len(tenant_ids)
