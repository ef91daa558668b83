"""The loopback Twilio server and SMTP relay in a child process, for measuring throughput.

In the test process the servers share the interpreter (and its GIL) with the dispatcher they
serve, which measures the fake as much as the pipeline. The bench runs them in a child instead,
as a remote provider would be: `python -m tests.support.loopback_process FOLDER` prints the
addresses as one JSON line, answers each `counts` or `accepted` line on stdin with a JSON line,
and stops at end of input.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tests.support.settings import FROM_NUMBER
from tests.support.smtp_server import PASSWORD, USERNAME

if TYPE_CHECKING:
    from tests.support.twilio_server import TwilioServer


@dataclass(frozen=True)
class Loopback:
    twilio_base_url: str
    account_sid: str
    auth_token: str
    smtp_port: int
    cert_path: str


@dataclass(frozen=True)
class Counts:
    texts: int
    texts_most_per_message: int
    emails: int
    server_cpu_seconds: float  # what the two fakes cost, so a slow fake is not blamed on us


def settings_values(servers: Loopback) -> dict[str, str]:
    """The `Settings` fields that point Twilio and SMTP at these servers (no rate limit set)."""
    return {
        "sms_provider": "twilio",
        "twilio_account_sid": servers.account_sid,
        "twilio_auth_token": servers.auth_token,
        "twilio_from_number": FROM_NUMBER,
        "twilio_base_url": servers.twilio_base_url,
        "public_base_url": "https://pathway.example.org",
        "email_provider": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(servers.smtp_port),
        "smtp_username": USERNAME,
        "smtp_password": PASSWORD,
        "smtp_cert_bundle": servers.cert_path,
        "smtp_from": "attendance@brookfield.example.org",
    }


def _serve(folder: Path) -> None:
    from tests.support.smtp_server import SmtpSink
    from tests.support.twilio_server import TwilioServer

    with TwilioServer() as twilio, SmtpSink(folder) as sink:
        where = Loopback(
            twilio.base_url, twilio.account_sid, twilio.auth_token, sink.port, str(sink.cert_path)
        )
        print(json.dumps(asdict(where)), flush=True)
        for line in sys.stdin:
            if line.strip() == "counts":
                most = max(twilio.per_message().values(), default=0)
                got = Counts(len(twilio.received), most, len(sink.received), time.process_time())
                print(json.dumps(asdict(got)), flush=True)
            elif line.strip() == "accepted":
                print(json.dumps(_accepted(twilio)), flush=True)
            else:
                break


def _accepted(twilio: TwilioServer) -> dict[str, list[float]]:
    """When each text was accepted (Unix time), by the outbox message id it carries."""
    times: dict[str, list[float]] = {}
    with twilio.lock:
        for sms in twilio.received:
            times.setdefault(str(sms.message_id), []).append(sms.created_at.timestamp())
    return times


class LoopbackProcess:
    """The running child: `servers` says where it listens, `counts()` what it has received."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.stdin: IO[str] = process.stdin  # type: ignore[assignment]
        self.stdout: IO[str] = process.stdout  # type: ignore[assignment]
        self.servers = Loopback(**json.loads(self.stdout.readline()))

    def _ask(self, question: str) -> Any:
        self.stdin.write(f"{question}\n")
        self.stdin.flush()
        return json.loads(self.stdout.readline())

    def counts(self) -> Counts:
        return Counts(**self._ask("counts"))

    def accepted(self) -> dict[int, list[float]]:
        """When the Twilio server accepted each text (Unix time), by outbox message id."""
        return {int(k): v for k, v in self._ask("accepted").items() if k != "None"}


@contextmanager
def loopback_servers(folder: Path) -> Iterator[LoopbackProcess]:
    """Start both servers in a child process for the length of the block."""
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "tests.support.loopback_process", str(folder)]
    process = subprocess.Popen(
        command, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        yield LoopbackProcess(process)
    finally:
        process.stdin.close()  # type: ignore[union-attr]
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    _serve(Path(sys.argv[1]))
