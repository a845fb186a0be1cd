"""All settings in one place, read from the environment (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    DATABASE_URL: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'madoguchi.db'}",
        description="SQLAlchemy URL; SQLite file under ./var/ by default, PostgreSQL in production",
    )
    HOST: str = "127.0.0.1"
    PORT: int = 8000
    WORKERS: int = 1
    LOG_LEVEL: str = "info"
    CORS_ORIGINS: list[str] = Field(default_factory=list)
    SEED_DIR: Path = PROJECT_ROOT / "seed"
    MAX_BODY_BYTES: int = Field(
        default=64 * 1024, description="Largest accepted request body in bytes (413 above)"
    )
    RATE_LIMIT_PER_MINUTE: int = Field(
        default=6000,
        description="Requests per minute allowed per API key and per client IP (0 = no limit)",
    )
    BOOTSTRAP_ADMIN_KEY: str | None = Field(
        default=None,
        description="When set, an admin API key with exactly this secret is accepted",
    )
    SNAPSHOT_CHECK_SECONDS: float = Field(
        default=0.5,
        description="How often a worker asks the database whether the directory changed",
    )
    DB_CONNECT_TIMEOUT_SECONDS: int = Field(
        default=5,
        ge=2,
        description="PostgreSQL connect timeout; an unreachable database answers 503, not a hang",
    )
    SQLITE_BUSY_TIMEOUT_SECONDS: float = Field(
        default=10.0,
        gt=0,
        description="How long a SQLite write waits for another writer's lock before 503",
    )
    CONVERSATION_TTL_MINUTES: float = Field(
        default=30,
        gt=0,
        description="Minutes a chatbot conversation lives after its last message (then 404)",
    )
    LINE_CHANNEL_SECRET: str | None = Field(
        default=None,
        description="LINE channel secret; enables POST /v1/integrations/line/webhook (else 404)",
    )
    LINE_CHANNEL_ACCESS_TOKEN: str | None = Field(
        default=None, description="LINE channel access token for the reply API"
    )
    LINE_REPLY_ENABLED: bool = Field(
        default=False,
        description="Send the webhook's replies to LINE's reply API (off: only log and return them)",
    )
    LINE_API_BASE: str = Field(
        default="https://api.line.me", description="Base URL of the LINE Messaging API"
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
