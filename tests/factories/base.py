import factory

from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Tenant


class TenantFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")
    time_zone = "Asia/Shanghai"
    language = "en"
    country = "CN"

    class Meta:
        model = Tenant
        django_get_or_create = ["slug"]


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    tenant = factory.SubFactory(TenantFactory)

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["tenant"]):
            return super()._create(model_class, *args, **kwargs)
