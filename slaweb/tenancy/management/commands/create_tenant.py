from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from slaweb.tenancy.context import Actor, tenant_context
from slaweb.tenancy.models import Role, Tenant
from slaweb.tenancy.services import add_member, find_user


class Command(BaseCommand):
    help = "Create a tenant with its first admin."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument(
            "--password",
            help="Password of a new admin account (an existing account keeps its own); "
            "without it the admin uses 'Forgot password?'.",
        )
        parser.add_argument("--time-zone", default="Asia/Shanghai")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])
        parser.add_argument("--country", default="CN")

    @transaction.atomic
    def handle(
        self, *args, slug, name, admin_email, password, time_zone, language, country, **options
    ):
        if Tenant.objects.filter(slug=slug).exists():
            raise CommandError(f"A tenant with slug '{slug}' exists already.")
        tenant = Tenant(
            slug=slug, name=name, time_zone=time_zone, language=language, country=country.upper()
        )
        try:
            tenant.full_clean()
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            ) from error
        tenant.save()
        existing = find_user(admin_email)
        with tenant_context(tenant, Actor(None, "create_tenant", "command")):
            add_member(tenant, admin_email, Role.ADMIN, None if existing else password)
        self.stdout.write(self.style.SUCCESS(f"Created tenant '{slug}' with admin {admin_email}."))
        if existing and password:
            self.stdout.write(
                self.style.WARNING(
                    f"{admin_email} has an account already: its password was left unchanged "
                    "(--password applies to new accounts only)."
                )
            )
