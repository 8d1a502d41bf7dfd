"""The contact centre's refusals (a message for a person, a stable code, the HTTP status it means)."""

from __future__ import annotations

from lottocrm.errors import Conflict, NotFound, ServiceError


class ContactCentreError(ServiceError):
    code = "invalid_contact_centre_request"


class UnknownRecord(ContactCentreError, NotFound):
    code = "not_found"


class OverlappingHours(ContactCentreError):
    code = "overlapping_working_hours"


class InvalidHours(ContactCentreError):
    code = "invalid_working_hours"


class MergeRefused(ContactCentreError, Conflict):
    code = "merge_refused"


class StateRefused(ContactCentreError, Conflict):
    code = "state_refused"


class NotYours(ContactCentreError):
    code, http_status = "forbidden", 403
