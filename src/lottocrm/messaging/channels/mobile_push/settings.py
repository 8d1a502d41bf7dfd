"""The mobile push channel's settings, read from ``LOTTOCRM_FCM_*`` variables.

``LOTTOCRM_FCM_ACCESS_TOKEN`` is an OAuth 2 bearer token for the Firebase project. Google issues it from a
service account key and it lives one hour; obtaining and refreshing it needs Google's token endpoint and is
not done here (nothing in this project may reach the network offline). A deployment that sends to the real
FCM refreshes the variable (or builds these settings with a fresh token) before it expires.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lottocrm.messaging.channels.webpush.settings import describe_settings_error
from lottocrm.settings import SettingsError

_SECRET_FIELDS = frozenset({"fcm_access_token"})


class FcmSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOTTOCRM_", extra="ignore", frozen=True)

    fcm_project: str = Field(min_length=1, pattern=r"^[a-z0-9-]+$")
    fcm_access_token: SecretStr
    # {project} is replaced by LOTTOCRM_FCM_PROJECT; the local push endpoint gives its own URL.
    fcm_endpoint: str = "https://fcm.googleapis.com/v1/projects/{project}/messages:send"
    fcm_concurrency: int = Field(default=64, ge=1, le=1024)
    fcm_timeout_seconds: float = Field(default=30.0, gt=0.0, le=600.0)
    # How long FCM keeps a message for a phone that is offline (android.ttl).
    fcm_ttl_seconds: int = Field(default=86_400, ge=0, le=2_419_200)
    fcm_android_priority: Literal["normal", "high"] = "normal"

    @field_validator("fcm_endpoint")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("must be an https URL (plain http only to this machine's local endpoint)")
        return value

    @property
    def send_url(self) -> str:
        return self.fcm_endpoint.replace("{project}", self.fcm_project)


def load_fcm_settings(**overrides: object) -> FcmSettings:
    """Read ``LOTTOCRM_FCM_*`` (and explicit overrides, by field name) or raise SettingsError."""
    try:
        return FcmSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_settings_error(exc, secret_fields=_SECRET_FIELDS)) from None
