from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from slaweb.mail.services import is_suppressed

from . import dashboard, services
from .audit_display import present, tenant_zone
from .forms import AddMemberForm, AuditFilterForm, ChangeRoleForm, TokenForm
from .models import ApiToken, AuditEvent, MemberInvitation, Membership, Role
from .pages import TenantPageMixin
from .selectors import memberships_of, open_invitations


def tenant_url(request, name: str, *args) -> str:
    return reverse(name, args=[request.tenant.slug, *args])


@login_required
def home(request):
    """Tenant switcher: straight to the only tenant, else a list to choose from."""
    memberships = memberships_of(request.user)
    if len(memberships) == 1:
        return redirect("tenancy:dashboard", memberships[0].tenant.slug)
    return render(request, "tenancy/home.html", {"memberships": memberships})


class DashboardView(TenantPageMixin, TemplateView):
    """Where every member lands: the panels the apps registered (slaweb/tenancy/dashboard.py)."""

    template_name = "tenancy/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["panels"] = dashboard.panels(self.request)
        context["panel_stylesheets"] = dashboard.stylesheets()
        return context


class MembersView(TenantPageMixin, ListView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    model = Membership
    template_name = "tenancy/members.html"
    paginate_by = 50

    def scope_queryset(self, queryset):
        return queryset.select_related("user").order_by("user__email")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", AddMemberForm())
        context["roles"] = Role.choices
        context["invitations"] = open_invitations()
        context["now"] = timezone.now()
        return context

    def post(self, request):
        form = AddMemberForm(request.POST)
        if form.is_valid():
            try:
                services.invite_member(
                    request.tenant,
                    form.cleaned_data["email"],
                    form.cleaned_data["role"],
                    invited_by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if is_suppressed(form.cleaned_data["email"]):
                    messages.warning(
                        request,
                        _(
                            "The invitation to %(email)s was not emailed: that address bounced "
                            "or opted out (see Outgoing email)."
                        )
                        % form.cleaned_data,
                    )
                else:
                    messages.success(
                        request, _("An invitation was sent to %(email)s.") % form.cleaned_data
                    )
                return redirect(tenant_url(request, "tenancy:members"))
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form), status=400)


class InvitationRevokeView(TenantPageMixin, View):
    read_role = write_role = Role.ADMIN
    model = MemberInvitation

    def post(self, request, pk):
        invitation = self.get_object()
        services.revoke_invitation(invitation)
        messages.success(
            request, _("The invitation to %(email)s was revoked.") % {"email": invitation.email}
        )
        return redirect(tenant_url(request, "tenancy:members"))


class MemberRoleView(TenantPageMixin, View):
    read_role = write_role = Role.ADMIN
    model = Membership

    def post(self, request, pk):
        membership = self.get_object()
        form = ChangeRoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a valid role."))
        else:
            try:
                services.change_role(membership, form.cleaned_data["role"])
                messages.success(request, _("Role changed."))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        return redirect(tenant_url(request, "tenancy:members"))


class MemberRemoveView(TenantPageMixin, View):
    read_role = write_role = Role.ADMIN
    model = Membership

    def post(self, request, pk):
        membership = self.get_object()
        try:
            services.remove_member(membership)
            messages.success(request, _("Member removed."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(tenant_url(request, "tenancy:members"))


NEW_TOKEN_SESSION_KEY = "tenancy.new_api_token"


class TokensView(TenantPageMixin, ListView):
    read_role = write_role = Role.ADMIN
    model = ApiToken
    template_name = "tenancy/tokens.html"
    paginate_by = 50

    def scope_queryset(self, queryset):
        return queryset.select_related("membership__user", "issued_by").order_by(
            "revoked_at", "-created_at"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "form",
            TokenForm(tenant=self.request.tenant, initial={"membership": self.request.membership}),
        )
        # A key just created is shown on the page the POST redirects to, once: it leaves the
        # (server-side) session as it is read, so a reload shows it no more.
        created = self.request.session.pop(NEW_TOKEN_SESSION_KEY, None)
        if created and created.get("tenant") == self.request.tenant.pk:
            context["new_token"] = ApiToken.objects.filter(pk=created["pk"]).first()
            context["new_key"] = created["key"] if context["new_token"] else None
        return context

    def post(self, request):
        form = TokenForm(request.POST, tenant=request.tenant)
        self.object_list = self.get_queryset()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        token, key = ApiToken.issue(
            form.cleaned_data["membership"], form.cleaned_data["name"], issued_by=request.user
        )
        # Redirected after the POST, so a reload cannot create a second token.
        request.session[NEW_TOKEN_SESSION_KEY] = {
            "tenant": request.tenant.pk,
            "pk": token.pk,
            "key": key,
        }
        return redirect(tenant_url(request, "tenancy:tokens"))


class TokenRevokeView(TenantPageMixin, View):
    read_role = write_role = Role.ADMIN
    model = ApiToken

    def post(self, request, pk):
        token = self.get_object()
        token.revoke()
        messages.success(request, _("Token “%(name)s” was revoked.") % {"name": token.name})
        return redirect(tenant_url(request, "tenancy:tokens"))


class AuditView(TenantPageMixin, ListView):
    read_role = write_role = Role.ADMIN
    model = AuditEvent
    template_name = "tenancy/audit.html"
    paginate_by = 50

    def scope_queryset(self, queryset):
        self.filter_form = AuditFilterForm(self.request.GET or None)
        if self.filter_form.is_valid():
            queryset = self.filter_form.apply(queryset)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["rows"] = present(context["object_list"], self.request.tenant)
        context["time_zone"] = tenant_zone(self.request.tenant)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        return context


def healthz(request):
    """Liveness for load balancers: database and Redis reachable."""
    import redis
    from django.conf import settings

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"error: {type(error).__name__}"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
        checks["redis"] = "ok"
    except Exception as error:  # noqa: BLE001
        checks["redis"] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            "checks": checks,
            "time": timezone.now().isoformat(),
        },
        status=200 if healthy else 503,
    )
