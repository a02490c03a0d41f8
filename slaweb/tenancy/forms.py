"""Forms of the tenancy pages, and the base forms of every tenant form.

`TenantForm` / `TenantModelForm` narrow every ModelChoiceField and
ModelMultipleChoiceField whose model is a TenantOwned model to one tenant, in one place:

- the form takes `tenant=` (a Tenant or its id; default: the open tenant context);
- when the form is built, each such field starts with all of the tenant's rows (with the
  model field's limit_choices_to); a subclass's __init__ may narrow further
  (`self.fields["customer"].queryset = self.fields["customer"].queryset.filter(archived=False)`)
  or assign a queryset of its own;
- after the whole __init__ chain has run (a metaclass __call__), the tenant filter is
  applied once more to whatever queryset each field then has, so a hand-written queryset
  can never offer or accept another tenant's row;
- model fields pointing at tenant models need no SafeModelChoiceField: the metaclass
  builds them with a none() placeholder (scoped managers refuse class-level querysets);
  a declared field uses `queryset=Model.objects.none()` as its placeholder;
- formsets pass the tenant with `form_kwargs={"tenant": tenant}` (or rely on the open
  tenant context);
- TenantModelForm sets the instance's tenant on create.
"""

import uuid

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.forms.forms import DeclarativeFieldsMetaclass
from django.forms.models import ModelFormMetaclass, apply_limit_choices_to_to_formfield
from django.urls import reverse
from django.utils.translation import get_language, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from django_scopes.manager import DisabledQuerySet

from .context import TenantContextError, current_tenant_id
from .models import AuditEvent, Membership, Role, TenantOwned, tenant_rows


def _tenant_choice_fields(fields):
    for name, field in fields.items():
        if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
            if issubclass(field.queryset.model, TenantOwned):
                yield name, field


def _make_class_querysets_safe(base_fields):
    # A scoped manager outside a scope gives a queryset that refuses even the
    # deepcopy each form instance makes; none() is a plain, safe placeholder.
    for _name, field in _tenant_choice_fields(base_fields):
        if isinstance(field.queryset, DisabledQuerySet):
            field.queryset = field.queryset.none()


class _NarrowAfterInit:
    def __new__(mcs, name, bases, attrs):
        cls = super().__new__(mcs, name, bases, attrs)
        _make_class_querysets_safe(cls.base_fields)
        return cls

    def __call__(cls, *args, **kwargs):
        form = super().__call__(*args, **kwargs)
        form._narrow_to_tenant()
        return form


class TenantFormMetaclass(_NarrowAfterInit, DeclarativeFieldsMetaclass):
    pass


def _safe_formfield_callback(callback):
    def formfield(db_field, **kwargs):
        model = db_field.related_model if db_field.is_relation else None
        if model is not None and issubclass(model, TenantOwned):
            kwargs.setdefault("queryset", model._default_manager.none())
        return callback(db_field, **kwargs) if callback else db_field.formfield(**kwargs)

    formfield._tenant_safe = True
    return formfield


class TenantModelFormMetaclass(_NarrowAfterInit, ModelFormMetaclass):
    def __new__(mcs, name, bases, attrs):
        meta = attrs.get("Meta")
        callback = getattr(meta, "formfield_callback", None)
        if meta is not None and not getattr(callback, "_tenant_safe", False):
            meta.formfield_callback = _safe_formfield_callback(callback)
        return super().__new__(mcs, name, bases, attrs)


class TenantFormMixin:
    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        if tenant is None:
            tenant = current_tenant_id()
        if tenant is None:
            raise TenantContextError(f"{type(self).__name__} needs a tenant")
        self.tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        for _name, field in _tenant_choice_fields(self.fields):
            field.queryset = tenant_rows(field.queryset.model, self.tenant_id)
            apply_limit_choices_to_to_formfield(field)

    def _narrow_to_tenant(self):
        for _name, field in _tenant_choice_fields(self.fields):
            field.queryset = tenant_rows(field.queryset, self.tenant_id)


class TenantForm(TenantFormMixin, forms.Form, metaclass=TenantFormMetaclass):
    """A plain form whose model choice fields offer and accept the tenant's rows only."""


class TenantModelForm(TenantFormMixin, forms.ModelForm, metaclass=TenantModelFormMetaclass):
    """A model form whose related-object fields offer and accept the tenant's rows only."""

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        if isinstance(self.instance, TenantOwned) and self.instance.tenant_id is None:
            self.instance.tenant_id = self.tenant_id


class AddMemberForm(forms.Form):
    """Invite a person by email (pages and API call services.invite_member)."""

    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)


# Django 5.2 changed this message's msgid and its own zh_Hans catalog has not caught up;
# this marker puts it in the project's catalog, so the error is translated.
PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "n",
)


class AcceptInvitationForm(forms.Form):
    """A new person's name and first password, on the invitation's page."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_password2(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data["password2"]
        if first and first != second:
            raise forms.ValidationError(_("The two passwords differ."))
        user = get_user_model()(username=self.email, email=self.email)
        user.first_name = self.cleaned_data.get("name", "")
        password_validation.validate_password(second, user)
        return second


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's password reset, with the mail stored and sent by the outbox (account mail
    belongs to no tenant: slaweb.mail's platform outbox)."""

    def get_users(self, email):
        # Unlike Django's, also accounts without a usable password: members attached
        # before invitations existed got none, and this is how they choose one.
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in users if user.email.lower() == email.lower())

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from slaweb.mail.services import enqueue_platform

        path = reverse(
            "password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        enqueue_platform(
            "password-reset",
            to_email,
            {"reset_url": f"{context['protocol']}://{context['domain']}{path}"},
            key=f"password-reset:{uuid.uuid4()}",
            language=get_language() or "en",
        )


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.user.email} ({obj.get_role_display()})"


class TokenForm(TenantForm):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. “ticket sync”.")
    )
    membership = MembershipChoiceField(
        label=_("Acts as member"),
        queryset=Membership.objects.none(),
        help_text=_("The token has this member's role."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        membership = self.fields["membership"]
        membership.queryset = membership.queryset.select_related("user")


class AuditFilterForm(forms.Form):
    """The audit page's filters; the record type is chosen from the audited models by name."""

    def __init__(self, *args, **kwargs):
        from .audit_display import record_type_choices

        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("Any"))] + record_type_choices()

    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any"))] + AuditEvent.Action.choices
    )
    model = forms.ChoiceField(label=_("Record type"), required=False, choices=())
    actor = forms.CharField(label=_("Who"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def apply(self, queryset):
        data = self.cleaned_data
        if data["action"]:
            queryset = queryset.filter(action=data["action"])
        if data["model"]:
            queryset = queryset.filter(model=data["model"])
        if data["actor"]:
            queryset = queryset.filter(actor_label__icontains=data["actor"])
        if data["since"]:
            queryset = queryset.filter(at__date__gte=data["since"])
        if data["until"]:
            queryset = queryset.filter(at__date__lte=data["until"])
        return queryset
