"""Every refusal the loyalty domain can give, each with a stable code a till can switch on.

A service raises one of these before anything is flushed or the caller rolls back, so a refusal never
leaves a posting behind.
"""

from __future__ import annotations

from lottocrm.errors import ServiceError


class LoyaltyError(ServiceError):
    code = "loyalty_error"
    http_status = 400


class UnknownCard(LoyaltyError):
    code, http_status = "unknown_card", 404


class PhoneNeedsCode(LoyaltyError):
    """Points spent on a phone number alone: anyone can say a number, so a redemption needs the card (or its
    scan). By phone it will need a one-time code sent to the member by SMS, once the SMS channel exists."""

    code, http_status = "phone_needs_code", 403


class BlockedCard(LoyaltyError):
    code, http_status = "blocked_card", 403


class InsufficientPoints(LoyaltyError):
    code, http_status = "insufficient_points", 409


class HoldNotFound(LoyaltyError):
    code, http_status = "hold_not_found", 404


class HoldExpired(LoyaltyError):
    code, http_status = "hold_expired", 409


class HoldNotOpen(LoyaltyError):
    """Capture or void of a hold already captured or voided."""

    code, http_status = "hold_not_open", 409


class AmountAboveHold(LoyaltyError):
    code, http_status = "amount_above_hold", 422


class RefundAboveCapture(LoyaltyError):
    code, http_status = "refund_above_capture", 422


class PartnerNotAllowed(LoyaltyError):
    code, http_status = "partner_not_allowed", 403


class InvalidAmount(LoyaltyError):
    code, http_status = "invalid_amount", 422


class VelocityLimit(LoyaltyError):
    code, http_status = "velocity_limit", 429


class OutOfStock(LoyaltyError):
    code, http_status = "out_of_stock", 409


class NotFound(LoyaltyError):
    code, http_status = "not_found", 404


class AlreadyDone(LoyaltyError):
    """A one-off operation (a reversal, a welcome bonus) that has already happened."""

    code, http_status = "already_done", 409
