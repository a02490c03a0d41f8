"""Demo tenant for `make run`: idempotent, so it can run on every start."""

from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

from slaweb.tenancy.context import Actor, tenant_context
from slaweb.tenancy.models import Membership, Role, Tenant
from slaweb.tenancy.services import get_or_create_user

DEMO_SLUG = "demo"
DEMO_PASSWORD = "slaweb-demo-2026"
DEMO_USERS = [
    ("admin@demo.example", Role.ADMIN, "Ada", "Admin"),
    ("manager@demo.example", Role.MANAGER, "Mia", "Manager"),
    ("viewer@demo.example", Role.VIEWER, "Victor", "Viewer"),
]
# Each app adds its demo data here as "module.function(tenant)"; they must be idempotent.
SEEDERS: list[str] = [
    "agreements.demo.seed",
    "metrics.demo.seed",
    "surveys.demo.seed",
    "reports.demo.seed",
]


class Command(BaseCommand):
    help = "Create or refresh the demo tenant with an admin, a manager and a viewer."

    @transaction.atomic
    def handle(self, *args, **options):
        tenant, _created = Tenant.objects.get_or_create(
            slug=DEMO_SLUG,
            defaults={
                "name": "Demo Co 演示公司",
                "time_zone": "Asia/Shanghai",
                "language": "zh-hans",
                "country": "CN",
            },
        )
        with tenant_context(tenant, Actor(None, "seed_demo", "command")):
            for email, role, first, last in DEMO_USERS:
                user = get_or_create_user(email, DEMO_PASSWORD)
                if not user.first_name:
                    user.first_name, user.last_name = first, last
                    user.save(update_fields=["first_name", "last_name"])
                Membership.objects.update_or_create(
                    tenant=tenant, user=user, defaults={"role": role}
                )
            for dotted in SEEDERS:
                module_name, function = dotted.rsplit(".", 1)
                getattr(import_module(module_name), function)(tenant)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo tenant at /t/{DEMO_SLUG}/ — password for every demo user: {DEMO_PASSWORD}"
            )
        )
        for email, role, *_names in DEMO_USERS:
            self.stdout.write(f"  {role:8} {email}")
