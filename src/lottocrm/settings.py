"""The one settings object, read from ``LOTTOCRM_*`` variables.

Built by :func:`get_settings` on demand, never at import time, so a bad value fails the command that needs it
with a message naming the variable, and tests can point each run at its own data folder.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(RuntimeError):
    """A LOTTOCRM_* variable holds a value we cannot use."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOTTOCRM_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default=Path("./lottocrm-data"), description="Folder for the embedded store and lake"
    )
    database_url: str | None = Field(default=None, description="SQLAlchemy URL of the operational store")
    lake_dir: Path | None = Field(default=None, description="Folder of the Parquet fact lake")
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0, le=600_000)
    import_batch_rows: int = Field(default=1_000_000, ge=1_000, le=50_000_000)
    timezone: str = Field(default="Europe/Moscow")
    # Reverse proxies whose X-Forwarded-For / -Proto headers are believed (addresses or networks, comma
    # separated). None by default: otherwise anyone could name their own address and escape the per-address
    # sign-in limit.
    trusted_proxies: str = Field(default="")
    # Marketing only to players known to be adults: a player with no birth date is treated as a minor would
    # be. Switch off only where every account is age-verified at registration by other means.
    marketing_requires_known_adult: bool = Field(default=True)
    # A banner decision not made within this many milliseconds answers the placement's default banner.
    decision_time_budget_ms: int = Field(default=50, ge=1, le=10_000)
    # Signs unsubscribe links. Unset: a random key is made once and kept in the data folder, so links in
    # messages already sent keep working after a restart.
    secret_key: str | None = Field(default=None, min_length=32)
    # Where players reach the public pages (the unsubscribe link in every marketing message).
    public_url: str = Field(default="http://127.0.0.1:8000")

    @field_validator("database_url")
    @classmethod
    def _known_dialect(cls, url: str | None) -> str | None:
        if url is None:
            return None
        if not url.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite://, postgresql:// or postgresql+psycopg://")
        if url.startswith("postgresql://"):
            # psycopg 3 is the only PostgreSQL driver we ship; make the plain URL use it.
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {name!r}") from exc
        return name

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        import ipaddress

        names = [part.strip() for part in value.split(",") if part.strip()]
        for name in names:
            try:
                ipaddress.ip_network(name, strict=False)
            except ValueError:
                raise ValueError(
                    f"{name!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
                ) from None
        return ",".join(names)

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        data_dir = self.data_dir.expanduser().resolve()
        object.__setattr__(self, "data_dir", data_dir)
        if self.lake_dir is None:
            object.__setattr__(self, "lake_dir", data_dir / "lake")
        else:
            object.__setattr__(self, "lake_dir", self.lake_dir.expanduser().resolve())
        if self.database_url is None:
            object.__setattr__(self, "database_url", f"sqlite:///{data_dir / 'crm.sqlite3'}")
        return self

    @property
    def lake_path(self) -> Path:
        assert self.lake_dir is not None
        return self.lake_dir

    @property
    def db_url(self) -> str:
        assert self.database_url is not None
        return self.database_url

    @property
    def ground_truth_dir(self) -> Path:
        return self.data_dir / "ground-truth"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "settings"
        lines.append(f"LOTTOCRM_{field.upper()}: {problem['msg']} (got {problem.get('input')!r})")
    return "; ".join(lines)


def build_settings(**overrides: object) -> Settings:
    """Read the environment (and explicit overrides) into a validated Settings, or raise SettingsError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return build_settings()
