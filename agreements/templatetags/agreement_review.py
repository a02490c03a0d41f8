"""{% review_panel agreement %}: the approvals of a version and, for managers while it is in
review, the forms to record an approval, email the customer's link or send it back."""

from django import template

from slaweb.tenancy.audit_display import present, tenant_zone
from slaweb.tenancy.models import Role

from ..choices import AgreementStatus
from ..forms_workflow import RecordApprovalForm, SendBackForm
from ..views_workflow import review_state

register = template.Library()


@register.inclusion_tag("agreements/approval_panel.html", takes_context=True)
def review_panel(context, agreement):
    request = context["request"]
    membership = getattr(request, "membership", None)
    state = review_state(agreement)
    in_review = agreement.status == AgreementStatus.IN_REVIEW
    can_act = in_review and membership is not None and membership.has_role(Role.MANAGER)
    return {
        "request": request,
        "agreement": agreement,
        "can_act": can_act,
        "record_form": RecordApprovalForm(
            agreement=agreement, missing=state["missing_sides"], auto_id="approval-%s"
        )
        if can_act and state["missing_sides"]
        else None,
        "send_back_form": SendBackForm(auto_id="send-back-%s") if can_act else None,
        "zone": tenant_zone(getattr(request, "tenant", None)),
        **state,
    }


@register.simple_tag(takes_context=True)
def audit_rows(context, events):
    """{% audit_rows history as rows %}: events for people (slaweb.tenancy.audit_display)."""
    return present(events, context["request"].tenant)


@register.simple_tag(takes_context=True)
def tenant_time_zone(context):
    return tenant_zone(context["request"].tenant)
