"""The one refusal of the analytics: an option, a date or the data cannot give a meaningful result.

Every analytics command, job and page turns it into one readable line (the CLI) or a 400 with the message
(the API, through :class:`lottocrm.errors.ServiceError`); the message says which input and why.
"""

from __future__ import annotations

from lottocrm.errors import ServiceError


class AnalyticsInputError(ServiceError, ValueError):
    code = "analytics_input"
