from __future__ import annotations

import pytest

from slaweb.mail.signals import message_bounced


def answer_rcpt(inbox, replies: dict[str, list[str]]):
    """Make the real SMTP server answer RCPT TO for some addresses with the given replies,
    one per attempt (e.g. ["451 Try later", "250 OK"]); other addresses are accepted."""

    async def handle_RCPT(server, session, envelope, address, rcpt_options):  # noqa: N802
        queue = replies.get(address.lower())
        reply = queue.pop(0) if queue else "250 OK"
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    inbox.handle_RCPT = handle_RCPT  # aiosmtpd looks the hook up on each new connection
    return inbox


@pytest.fixture
def bounces():
    """What message_bounced was sent with."""
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    message_bounced.connect(receiver, dispatch_uid="tests-mail-bounces")
    yield seen
    message_bounced.disconnect(dispatch_uid="tests-mail-bounces")
