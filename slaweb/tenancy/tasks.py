"""Base class for tenant tasks: the first argument is the tenant id, the scope opens around the run."""

from celery import Task

from .context import Actor, tenant_context


class TenantTask(Task):
    """Use as `@shared_task(base=TenantTask)`; call with `task.delay_on_commit(tenant_id, ...)`."""

    def __call__(self, tenant_id: int, *args, **kwargs):
        actor = Actor(user_id=None, label=f"task {self.name}", via="task")
        with tenant_context(int(tenant_id), actor):
            return super().__call__(tenant_id, *args, **kwargs)
