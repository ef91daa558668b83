"""Runtime settings: one `Settings` from `PATHWAY_*` environment variables per entrypoint."""

from __future__ import annotations

from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LONDON = ZoneInfo("Europe/London")


class Settings(BaseSettings):
    """Everything an entrypoint needs to know about where it runs; the core never sees it."""

    model_config = SettingsConfigDict(env_prefix="PATHWAY_", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str = ""
    timezone: str = "Europe/London"
    policy_file: Path | None = None

    sms_provider: Literal["file", "twilio"] = "file"
    email_provider: Literal["file", "smtp"] = "file"
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_from_number: str = ""
    twilio_base_url: str = ""  # empty = Twilio's own API; tests point it at a loopback server
    public_base_url: str = "http://127.0.0.1:8000"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_start_tls: bool = True
    smtp_from: str = "attendance@pathway.invalid"
    secret_key: SecretStr = SecretStr("")
    # How `pathway sweep` / `simulate` run: `auto` = through the Prefect flow when PREFECT_API_URL
    # names a server, else in-process (an ephemeral Prefect start costs 15–30 s per CLI call);
    # `prefect` = always through the flow; `inline` = never (docs/orchestration.md).
    orchestrator: Literal["auto", "prefect", "inline"] = "auto"
    # Processes an in-process sweep uses: 0 = one per core once a session has
    # casework.service.sweeping.sweep.MANY_SCHOOLS schools to sweep, else this process alone.
    sweep_workers: int = Field(default=0, ge=0)
    # PATHWAY_AS_OF=YYYY-MM-DD: look at the records as they stood at the end of that school day
    # (a replayed history, a past week). The web app shows it in a banner and takes no changes;
    # the CLI uses it as today's date.
    as_of: date | None = None

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        # Accept the URLs people paste (postgres://, postgresql://) and use psycopg 3 for them.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @cached_property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite database in the var folder."""
        return self.database_url or f"sqlite:///{(self.var_dir / 'pathway.db').resolve()}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    @property
    def letters_dir(self) -> Path:
        return self.var_dir / "letters"

    @property
    def reports_dir(self) -> Path:
        return self.var_dir / "reports"

    @property
    def import_reports_dir(self) -> Path:
        return self.var_dir / "imports"

    # --- dispatch (notifications/dispatch.py) ---
    # No SMS to families between these London times; held until the end of the window.
    sms_quiet_start: time = time(21, 0)
    sms_quiet_end: time = time(8, 0)
    dispatch_rate_per_second: float = 50.0  # per provider and process; 0 = no limit
    dispatch_max_attempts: int = 5  # then technical_failure
    dispatch_backoff_seconds: float = 60.0  # first retry delay, doubling per attempt
    dispatch_stale_after_seconds: float = 600.0  # 'sending' longer than this -> 'unknown'
    provider_timeout_seconds: float = 10.0  # one Twilio or SMTP call
    dispatch_concurrency: int = 8  # provider calls in flight at once (one SMTP connection each)
    smtp_cert_bundle: str = ""  # extra CA file to trust for the relay's certificate
