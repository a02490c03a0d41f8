from __future__ import annotations

import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from .context import TenantContextError, current_tenant_id

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones())


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    VIEWER = "viewer", _("Viewer")


ROLE_RANK = {Role.VIEWER: 1, Role.MANAGER: 2, Role.ADMIN: 3}


def role_at_least(role: str, required: str) -> bool:
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[required]


class Tenant(models.Model):
    """An organisation using slaweb. Not tenant-scoped itself: it is the scope."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=50,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9-]*$", _("Use lower-case letters, digits and hyphens.")
            )
        ],
        help_text=_("Used in page addresses: /t/<slug>/"),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", choices=TIME_ZONE_CHOICES
    )
    language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    country = models.CharField(
        _("country for public holidays"),
        max_length=2,
        default="CN",
        help_text=_("ISO 3166 code, e.g. CN, DE, US"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name


class TenantOwned(models.Model):
    """Base for every tenant-owned model: non-null tenant, fail-closed scoped manager."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, editable=False, related_name="+")

    objects = ScopedManager(tenant="tenant")

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remember loaded values so the audit trail can record what changed.
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def save(self, *args, **kwargs):
        active = current_tenant_id()
        if self.tenant_id is None:
            if active is None:
                raise TenantContextError(f"{type(self).__name__} saved outside a tenant context")
            self.tenant_id = active
        elif active is not None and self.tenant_id != active:
            raise TenantContextError(
                f"{type(self).__name__} belongs to another tenant than the open context"
            )
        super().save(*args, **kwargs)


def tenant_rows(model_or_queryset, tenant):
    """The one narrowing used by the page, form and API bases: rows of `tenant` only.

    Takes a model, a manager or a queryset; `tenant` is a Tenant or its id; None gives no
    rows (fail closed).
    """
    if isinstance(model_or_queryset, models.Manager):
        model_or_queryset = model_or_queryset.all()
    if isinstance(model_or_queryset, models.QuerySet):
        queryset = model_or_queryset
    elif tenant is None:
        return model_or_queryset._default_manager.none()
    else:
        queryset = model_or_queryset._default_manager.all()
    if tenant is None:
        return queryset.none()
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    return queryset.filter(tenant_id=tenant_id)


class Membership(TenantOwned):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user.email} ({self.get_role_display()})"

    def has_role(self, required: str) -> bool:
        return role_at_least(self.role, required)


TOKEN_PREFIX = "slw_"


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(TenantOwned):
    """An API key of one membership. Only its SHA-256 digest is stored; the key is shown once."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("issued by"),
    )

    # Never copied into the audit trail.
    audit_secret_fields = ("digest", "prefix")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "digest"], name="apitoken_unique_digest")
        ]
        indexes = [models.Index(fields=["digest"], name="apitoken_digest_idx")]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, membership: Membership, name: str, issued_by=None) -> tuple[ApiToken, str]:
        """Create a token; return it with the plain key, which is never stored."""
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            tenant_id=membership.tenant_id,
            membership=membership,
            name=name,
            issued_by=issued_by,
            prefix=key[: len(TOKEN_PREFIX) + 6],
            digest=hash_token(key),
        )
        return token, key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


INVITATION_DAYS = 7


class MemberInvitation(TenantOwned):
    """An emailed offer to join the tenant. The link's token is `<tenant id>.<secret>`;
    only the secret's SHA-256 digest is stored."""

    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    token_digest = models.CharField(max_length=64, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    audit_secret_fields = ("token_digest",)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "token_digest"], name="invitation_unique_digest"
            ),
            # One open invitation per address: inviting again replaces it.
            models.UniqueConstraint(
                fields=["tenant", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class AuditEvent(TenantOwned):
    """One change to tenant data. The app role may insert and read, never update or delete."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    via = models.CharField(max_length=10, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    model = models.CharField(max_length=100, help_text="app_label.model")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["tenant", "model", "object_id"], name="audit_object_idx")]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Audit events are immutable.")
        super().save(*args, **kwargs)
