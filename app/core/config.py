"""All settings in one place, read from the environment (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
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
    CONVERSATIONS_PER_MINUTE: int = Field(
        default=30,
        ge=0,
        description="New chatbot conversations per minute per client IP (0 = no limit)",
    )
    REDIS_URL: str | None = Field(
        default=None,
        description="redis://host:port/db: rate-limit counters shared by every worker (else in "
        "each worker's memory)",
    )
    REDIS_KEY_PREFIX: str = Field(
        default="madoguchi",
        description="Prefix of this deployment's keys in Redis (two deployments, two prefixes)",
    )
    FORWARDED_ALLOW_IPS: str = Field(
        default="",
        description="Comma-separated proxy addresses or networks whose X-Forwarded-For is "
        "trusted for the client address; empty = none (behind no proxy)",
    )
    METRICS_ALLOW_IPS: str = Field(
        default="127.0.0.1,::1",
        description="Comma-separated addresses or networks that may read /metrics; * = anyone",
    )
    BOOTSTRAP_ADMIN_KEY: str | None = Field(
        default=None,
        description="When set, an admin API key with exactly this secret is accepted",
    )
    READ_CACHE_BYTES: int = Field(
        default=16 * 1024 * 1024,
        ge=0,
        description="Bytes of finished public list answers each worker keeps for the current "
        "directory generation, answered again without routing or rendering (0 = off)",
    )
    MATCH_CACHE_BYTES: int = Field(
        default=8 * 1024 * 1024,
        ge=0,
        description="Bytes of POST /v1/match answers each worker keeps for the current directory "
        "generation, keyed by a hash of the text (0 = off)",
    )
    SNAPSHOT_CHECK_SECONDS: float = Field(
        default=0.25,
        description="How often a worker asks the database whether the directory changed",
    )
    API_KEY_CACHE_SECONDS: float = Field(
        default=0.25,
        ge=0,
        description="How long a worker trusts an API key it read from the database before "
        "reading it again: a key revoked by another process (a worker, the CLI) is refused "
        "within this time, in the revoking process at once; 0 = read on every request",
    )
    # A request that needs PostgreSQL answers within about 5 s whatever the database does (see
    # docs/operations.md): in flight, DB_RESPONSE_TIMEOUT_SECONDS; new, pool wait + ping + connect.
    DB_CONNECT_TIMEOUT_SECONDS: int = Field(
        default=3,
        ge=2,
        description="PostgreSQL connect timeout (libpq's minimum is 2 s); then 503",
    )
    DB_RESPONSE_TIMEOUT_SECONDS: float = Field(
        default=4.0,
        gt=0,
        description="Longest wait for any answer from PostgreSQL on an open connection (a frozen "
        "proxy, a network partition, a database stuck on I/O); then the connection is closed "
        "and the request answers 503. Keep it above DB_STATEMENT_TIMEOUT_SECONDS",
    )
    DB_STATEMENT_TIMEOUT_SECONDS: float = Field(
        default=3.0,
        ge=0,
        description="PostgreSQL statement_timeout: the server cancels a longer statement "
        "(503); 0 = no limit",
    )
    DB_LOCK_TIMEOUT_SECONDS: float = Field(
        default=2.0,
        ge=0,
        description="PostgreSQL lock_timeout: a write waiting longer for a row or table lock "
        "fails (503); 0 = no limit",
    )
    DB_POOL_TIMEOUT_SECONDS: float = Field(
        default=2.0,
        gt=0,
        description="Longest wait for a free pooled connection when all are in use; then 503",
    )
    DB_PING_TIMEOUT_SECONDS: float = Field(
        default=1.0,
        gt=0,
        description="Longest wait for the ping that checks a pooled connection before use; a "
        "silent one is dropped with the rest of the pool and a new connection is opened",
    )
    DB_PING_IDLE_SECONDS: float = Field(
        default=1.0,
        ge=0,
        description="A pooled connection is pinged before use only when it has been idle in the "
        "pool this long (one that answered a moment ago is handed out as it is: the ping would "
        "double the round trips of a short write); 0 = before every use",
    )
    DB_KEEPALIVES_IDLE_SECONDS: int = Field(
        default=10, ge=1, description="TCP keepalive: idle seconds before the first probe"
    )
    DB_KEEPALIVES_INTERVAL_SECONDS: int = Field(
        default=3, ge=1, description="TCP keepalive: seconds between probes"
    )
    DB_KEEPALIVES_COUNT: int = Field(
        default=3, ge=1, description="TCP keepalive: unanswered probes before the link is dead"
    )
    DB_TCP_USER_TIMEOUT_SECONDS: float = Field(
        default=5.0,
        ge=0,
        description="TCP_USER_TIMEOUT: sent data unacknowledged this long closes the link; 0 = "
        "the system's default",
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
    CONVERSATION_PURGE_SECONDS: float = Field(
        default=300,
        ge=0,
        description="How often each worker deletes expired conversations (0 = only when a "
        "conversation starts)",
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
    JGRANTS_BASE_URL: str = Field(
        default="https://api.jgrants-portal.go.jp/exp/v1/public",
        description="Base URL of the public jGrants API (its /subsidies list); tests point it "
        "at a local fake",
    )
    JGRANTS_TIMEOUT_SECONDS: float = Field(
        default=20.0,
        gt=0,
        description="Longest wait for each jGrants request (connect, read); then the sync fails "
        "and the last good data stays",
    )
    JGRANTS_KEYWORDS: str = Field(
        default="事業,補助,助成",
        description="Comma-separated search keywords (jGrants requires one of 2+ characters); "
        "a subsidy found by any of them is kept",
    )
    NATIONAL_SYNC_HOURS: float = Field(
        default=0,
        ge=0,
        description="Sync the national subsidies from jGrants every this many hours, in each "
        "worker's background (a worker skips a sync another one made within the interval); "
        "0 = off (`make sync-national` syncs once)",
    )
    NEED_CLASSIFIER: bool = Field(
        default=True,
        description="A second reader beside the rules: the classifier trained on the development "
        "sets (app/matching/classifier.py) gives an inferred need where no rule matched and "
        "weighs in on the rules' candidates (matcher.second_opinion). It costs about 160 MB more "
        "per worker (scikit-learn and the model of ~4,000 texts) and 5-10 s at start-up; false: "
        "the rules alone",
    )

    @property
    def jgrants_keywords(self) -> list[str]:
        return [k.strip() for k in self.JGRANTS_KEYWORDS.split(",") if k.strip()]

    @property
    def forwarded_allow_ips(self) -> list[str]:
        return [ip.strip() for ip in self.FORWARDED_ALLOW_IPS.split(",") if ip.strip()]

    @model_validator(mode="after")
    def _jgrants_keywords(self) -> Settings:
        # jGrants answers 400 to a keyword shorter than 2 characters
        if not self.jgrants_keywords or any(len(k) < 2 for k in self.jgrants_keywords):
            raise ValueError("JGRANTS_KEYWORDS: one or more keywords of 2+ characters")
        return self

    @model_validator(mode="after")
    def _response_outlasts_statement(self) -> Settings:
        # A slow statement on a live server must be cancelled by the server (statement_timeout)
        # before the client gives up on the connection, or the server keeps running it.
        statement = self.DB_STATEMENT_TIMEOUT_SECONDS
        if statement and statement >= self.DB_RESPONSE_TIMEOUT_SECONDS:
            raise ValueError(
                "DB_RESPONSE_TIMEOUT_SECONDS must be greater than DB_STATEMENT_TIMEOUT_SECONDS"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
