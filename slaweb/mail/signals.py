"""Signals other apps listen to (the outbox never imports them)."""

from django.dispatch import Signal

# Sent when the SMTP server permanently refuses a recipient (5xx); the address is then
# suppressed as bounced. kwargs: tenant_id, address, message (OutboxMessage).
message_bounced = Signal()

# Sent when an address is suppressed for any reason. kwargs: tenant_id, address, reason.
address_suppressed = Signal()

# Sent when an admin lets a suppressed address receive mail again. kwargs: tenant_id, address.
address_unsuppressed = Signal()
