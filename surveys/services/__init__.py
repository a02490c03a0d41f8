"""Writes of the surveys domain (each atomic). Split by subject; import from here."""

from .campaigns import save_campaign  # noqa: F401
from .dispatch import (  # noqa: F401
    claim_and_run_due,
    dispatch_due_campaigns,
    invite_after_tickets,
    mark_bounced,
    next_run_after,
    opt_out,
    period_for_run,
    run_campaign,
    send_reminders,
)
from .followups import close_follow_up, escalate_overdue, open_follow_up  # noqa: F401
from .questionnaires import (  # noqa: F401
    DEFAULT_DIMENSIONS,
    EXTRA_DIMENSIONS,
    add_dimension,
    create_default_questionnaire,
    delete_question,
    editable_version,
    save_question,
)
from .responses import (  # noqa: F401
    AlreadyAnswered,
    LinkInvalid,
    find_invitation,
    find_link,
    invitation_for_link,
    submit_response,
)
from .workdays import add_working_days  # noqa: F401
