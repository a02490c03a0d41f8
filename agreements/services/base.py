"""What every agreements service shares: one transaction, and the database's refusal to
change an agreement that has left draft turned into a ValidationError."""

from __future__ import annotations

import functools

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

# The constraint name the triggers of migration 0004_frozen_agreements raise with.
FROZEN_CONSTRAINT = "agreement_frozen"


class FrozenError(ValidationError):
    """The database refused to change an agreement (or a part of one) that has left draft."""


def is_frozen_refusal(error: BaseException) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == FROZEN_CONSTRAINT


def atomic_service(func):
    """Run the service in a transaction (a savepoint inside a request's); a write the
    immutability triggers refuse rolls back and raises FrozenError, never a 500."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except IntegrityError as error:
            if is_frozen_refusal(error):
                raise FrozenError(
                    _(
                        "This agreement has left the draft stage, so it and its parts can no "
                        "longer change. Create a new version to change it."
                    ),
                    code="frozen",
                ) from error
            raise

    return wrapper
