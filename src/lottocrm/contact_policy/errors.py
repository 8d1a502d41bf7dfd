"""The contact policy's refusals."""

from __future__ import annotations

from lottocrm.errors import NotFound, ServiceError


class ContactPolicyError(ServiceError):
    code = "invalid_contact_request"


class UnknownPlayer(ContactPolicyError, NotFound):
    code = "player_not_found"
