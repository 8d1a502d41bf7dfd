"""Refusals of the identity domain (see :mod:`lottocrm.errors`)."""

from __future__ import annotations

from lottocrm.errors import Conflict, NotFound, ServiceError


class IdentitySettingsError(ServiceError):
    code = "identity_settings"


class NoModelError(Conflict):
    code = "identity_no_model"


class ReviewItemNotFound(NotFound):
    code = "identity_review_not_found"


class TooFewPlayers(ServiceError):
    code = "identity_too_few_players"
