"""Runtime settings: one `Settings` from `PATHWAY_*` environment variables per entrypoint."""

from __future__ import annotations

import os
from datetime import date, time
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
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
    # Where the audit chain's head is appended after each commit (docs/decisions/0009); keep
    # it where the database's users cannot write, or copy it off the machine.
    audit_anchor_file: Path | None = None

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
    # Processes a sweep's schools are swept in, in-process or in the daily-sweep flow (its tasks
    # hand their schools over): 0 = one per core once a session has
    # casework.service.sweeping.processes.MANY_SCHOOLS schools to sweep; 1 = the sweep's own
    # process.
    sweep_workers: int = Field(default=0, ge=0)
    # PATHWAY_AS_OF=YYYY-MM-DD: look at the records as they stood at the end of that school day
    # (a replayed history, a past week). The web app shows it in a banner and takes no changes;
    # the CLI uses it as today's date.
    as_of: date | None = None

    # --- sign-in (casework/service/login_throttle.py) ---
    # Failed sign-ins allowed in the window, per account and per source address (a password
    # spray tries many accounts from one address); then 429 until the oldest ages out or an
    # admin clears the account (`pathway users unlock`).
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=10, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    # Reverse proxies whose X-Forwarded-For is believed, as comma-separated addresses or CIDR
    # networks (e.g. "10.0.0.5,10.1.0.0/16"). Empty: the header is ignored from everyone.
    trusted_proxies: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ip_network(part.strip(), strict=False)  # ValueError names the bad entry
        return value

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

    @cached_property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """`trusted_proxies` parsed; a bad entry is a clear error at start-up."""
        names = [part.strip() for part in self.trusted_proxies.split(",") if part.strip()]
        return tuple(ip_network(name, strict=False) for name in names)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def audit_anchor_path(self) -> Path:
        return self.audit_anchor_file or self.var_dir / "audit-anchor.jsonl"

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
    # An optional cap on tries (0 = none): the policy's retry horizon (72 h) is what decides.
    dispatch_max_attempts: int = 0
    dispatch_backoff_seconds: float = 60.0  # first retry delay, doubling per attempt
    dispatch_stale_after_seconds: float = 600.0  # 'sending' longer than this -> 'unknown'
    provider_timeout_seconds: float = 10.0  # one Twilio or SMTP call
    dispatch_concurrency: int = 8  # provider calls in flight at once (one SMTP connection each)
    smtp_cert_bundle: str = ""  # extra CA file to trust for the relay's certificate


PRIVATE_UMASK = 0o077  # new files 0600, new folders 0700


def make_var_private(settings: Settings) -> None:
    """Everything this process writes is readable by its own user only (issue 19).

    The var folder holds the database, letters, messages, bundles and reports: special-category
    and criminal-offence data. New files are created 0600 and folders 0700 (the umask), the var
    folder itself is made 0700 (so nothing older inside it is reachable by other users), and an
    existing SQLite database and its journals are made 0600.
    """
    os.umask(PRIVATE_UMASK)
    var = settings.var_dir
    var.mkdir(parents=True, exist_ok=True, mode=0o700)
    var.chmod(0o700)
    database = var / "pathway.db"
    for path in (
        database,
        database.with_name("pathway.db-wal"),
        database.with_name("pathway.db-shm"),
    ):
        if path.exists():
            path.chmod(0o600)
