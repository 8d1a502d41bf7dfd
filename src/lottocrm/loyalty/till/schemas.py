"""Request and response bodies of the till API. Amounts are strict integers: "5" or 5.0 is refused."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator


def _storable(value: str) -> str:
    """Text both stores can keep: PostgreSQL's text holds no NUL (JSON can carry one as \\u0000), and a lone
    surrogate escape, which FastAPI's JSON parser lets through, is no text any driver can send."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be Unicode text (it holds a lone surrogate)") from None
    return value


# A string the till stores (a receipt, a reward code); OpenAPI states the NUL rule as a pattern.
StoredText = Annotated[str, AfterValidator(_storable), Field(json_schema_extra={"pattern": "^[^\\x00]*$"})]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberRef(_Body):
    """Exactly one way to find the member: the card number typed in, the phone, or the scanned barcode/QR."""

    card_number: str | None = Field(default=None, max_length=32, examples=["7789000012345674"])
    phone: str | None = Field(default=None, max_length=32, examples=["+79161234567"])
    barcode: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _exactly_one(self) -> MemberRef:
        given = [name for name in ("card_number", "phone", "barcode") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of card_number, phone, barcode")
        return self

    def lookup(self) -> dict[str, str | None]:
        return {"card_number": self.card_number, "phone": self.phone, "barcode": self.barcode}


class EarnRequest(MemberRef):
    purchase_kopecks: StrictInt = Field(gt=0, le=10**12, description="Purchase amount in kopecks")
    receipt: StoredText | None = Field(default=None, max_length=120)


class AuthorizeRequest(MemberRef):
    points: StrictInt = Field(gt=0, le=10**12)
    receipt: StoredText | None = Field(default=None, max_length=120)


class CaptureRequest(_Body):
    points: StrictInt | None = Field(default=None, gt=0, le=10**12, description="Default: the whole hold")


class VoidRequest(_Body):
    pass


class RefundRequest(_Body):
    points: StrictInt = Field(gt=0, le=10**12)


class MemberOut(BaseModel):
    card_number: str = Field(description="Masked: only the last 4 digits", examples=["************5674"])
    balance: int = Field(
        description="Points in the account, including any not yet expired by the nightly job"
    )
    spendable: int = Field(description="Points that can be redeemed now")
    tier: str | None


class EarnOut(BaseModel):
    operation_id: int
    points: int
    balance: int


class HoldOut(BaseModel):
    hold_id: int
    status: str
    points: int
    captured_points: int
    refunded_points: int
    expires_at: dt.datetime
    balance: int


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


class ReturnRequest(_Body):
    returned_kopecks: StrictInt = Field(
        gt=0, le=10**12, description="Kopecks refunded to the customer for the returned goods"
    )
    allow_shortfall: StrictBool = Field(
        default=False,
        description="Write off points the member already spent (after holding their value back from the"
        " cash refund) instead of refusing with points_already_spent",
    )
    receipt: StoredText | None = Field(default=None, max_length=120, description="The return receipt")


class ReturnOut(BaseModel):
    operation_id: int
    earn_operation_id: int
    returned_kopecks: int = Field(description="Kopecks returned by this call")
    points: int = Field(description="Points taken back by this call")
    shortfall: int = Field(description="Points due back that the member had already spent, written off")
    purchase_kopecks: int
    returned_kopecks_total: int = Field(
        description="Kopecks of the purchase returned so far, this call included"
    )
    points_earned: int = Field(description="Points the purchase earned")
    balance: int


class CatalogueRequest(MemberRef):
    include_out_of_stock: StrictBool = False


class RewardOfferOut(BaseModel):
    code: str
    name: str
    points_price: int
    stock: int
    min_tier: str | None
    affordable: bool = Field(description="The member has the spendable points for it now")


class CatalogueOut(BaseModel):
    tier: str | None
    spendable: int
    rewards: list[RewardOfferOut]


class OrderRequest(MemberRef):
    reward_code: StoredText = Field(min_length=1, max_length=40)


class CancelOrderRequest(_Body):
    pass


class OrderOut(BaseModel):
    order_id: int
    reward_code: str
    status: str
    points: int
    hold_id: int
    hold_expires_at: dt.datetime
    balance: int
