"""The invitation link's page (outside any tenant's URLs: the person is not a member yet).

The token names its tenant (`<tenant id>.<secret>`), so the page opens that tenant's
context and finds the invitation by the secret's digest, with RLS on.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from . import services
from .context import Actor, tenant_context
from .forms import AcceptInvitationForm
from .models import MemberInvitation, Tenant

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


@method_decorator(never_cache, name="dispatch")
class InvitationAcceptView(View):
    template_name = "tenancy/invitation_accept.html"

    def dispatch(self, request, token):
        parsed = services.split_token(token)
        tenant = Tenant.objects.filter(pk=parsed[0]).first() if parsed else None
        if tenant is None:
            return self.invalid(request)
        user = request.user if request.user.is_authenticated else None
        actor = Actor(user.pk if user else None, user.email if user else _("invited person"), "web")
        with tenant_context(tenant, actor):
            invitation = MemberInvitation.objects.filter(token_digest=parsed[1]).first()
            if invitation is None or not invitation.is_open:
                return self.invalid(request)
            self.tenant, self.invitation = tenant, invitation
            return super().dispatch(request, token)

    def invalid(self, request):
        return render(request, "tenancy/invitation_invalid.html", status=404)

    def mode(self) -> str:
        user = self.request.user
        if user.is_authenticated:
            return "join" if user.email.lower() == self.invitation.email else "other"
        existing = services.find_user(self.invitation.email)
        return "login" if existing and existing.has_usable_password() else "new"

    def page(self, form=None, status=200, error=""):
        mode = self.mode()
        if mode == "new" and form is None:
            form = AcceptInvitationForm(email=self.invitation.email)
        context = {
            "invitation": self.invitation,
            "inviting_tenant": self.tenant,
            "mode": mode,
            "form": form,
            "error": error,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, token):
        return self.page()

    def post(self, request, token):
        mode = self.mode()
        if mode not in ("join", "new"):
            return self.page(status=400)
        form = None
        try:
            if mode == "join":
                membership = services.accept_invitation(self.invitation, request.user)
            else:
                form = AcceptInvitationForm(request.POST, email=self.invitation.email)
                if not form.is_valid():
                    return self.page(form, status=400)
                membership = services.accept_invitation(
                    self.invitation,
                    name=form.cleaned_data["name"],
                    password=form.cleaned_data["password1"],
                )
                login(request, membership.user, backend=LOGIN_BACKEND)
        except ValidationError as error:
            return self.page(form, status=400, error=" ".join(error.messages))
        messages.success(request, _("Welcome to %(tenant)s.") % {"tenant": self.tenant.name})
        return redirect("tenancy:dashboard", self.tenant.slug)
