from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "slaweb.tenancy"
    label = "tenancy"
    verbose_name = _("Tenancy")

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from . import audit, context, db_security

        audit.connect_signals()
        post_migrate.connect(db_security.on_post_migrate, dispatch_uid="tenancy-db-security")
        # Every transaction opened inside a tenant scope sets app.tenant_id first.
        connection_created.connect(context.install_tenant_setting, dispatch_uid="tenancy-setting")
