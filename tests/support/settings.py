"""Settings pointing the real providers at the loopback servers in this package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casework.settings import Settings
from tests.support.smtp_server import PASSWORD, USERNAME, SmtpSink
from tests.support.twilio_server import TwilioServer

FROM_NUMBER = "+447700900999"


def loopback_settings(
    var_dir: Path,
    *,
    twilio: TwilioServer | None = None,
    smtp: SmtpSink | None = None,
    public_base_url: str = "https://pathway.example.org",
    **overrides: Any,
) -> Settings:
    """File providers unless a server is given; no rate limit unless `overrides` set one."""
    values: dict[str, Any] = {
        "var_dir": var_dir,
        "public_base_url": public_base_url,
        "dispatch_rate_per_second": 0,
        "dispatch_backoff_seconds": 30,
        "provider_timeout_seconds": 5,
    }
    if twilio is not None:
        values |= {
            "sms_provider": "twilio",
            "twilio_account_sid": twilio.account_sid,
            "twilio_auth_token": twilio.auth_token,
            "twilio_from_number": FROM_NUMBER,
            "twilio_base_url": twilio.base_url,
        }
    if smtp is not None:
        values |= {
            "email_provider": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_username": USERNAME,
            "smtp_password": PASSWORD,
            "smtp_start_tls": True,
            "smtp_cert_bundle": str(smtp.cert_path),
            "smtp_from": "attendance@brookfield.example.org",
        }
    return Settings(**(values | overrides))
