from django.core.management.base import BaseCommand, CommandError

from slaweb.tenancy.context import Actor, tenant_context
from slaweb.tenancy.models import ApiToken, Membership, Tenant


class Command(BaseCommand):
    help = "Create an API token for a member of a tenant; prints the key once."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--email", required=True, help="the member the token acts as")
        parser.add_argument("--name", default="command line")

    def handle(self, *args, tenant, email, name, **options):
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError(f"No tenant '{tenant}'.")
        with tenant_context(tenant_obj, Actor(None, "create_api_token", "command")):
            membership = Membership.objects.filter(user__email__iexact=email).first()
            if membership is None:
                raise CommandError(f"{email} is not a member of '{tenant}'.")
            _token, key = ApiToken.issue(membership, name)
        self.stdout.write(key)
