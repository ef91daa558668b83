"""A loopback HTTP server that speaks enough of Twilio's Messages API for the real `twilio` client.

POST /2010-04-01/Accounts/{sid}/Messages.json with HTTP basic auth (sid:token) creates a message
and answers 201 with its JSON; GET on the same path lists them (newest first, `To` filter), which
is what the reconciliation check reads. It can be told to fail the next N POSTs with 5xx/429,
to refuse chosen numbers with a Twilio error code (21211, 21610, ...), and to answer slowly.
Everything it accepted is recorded, so a test can count what arrived per outbox message. Status
callbacks are built and signed with the auth token exactly as Twilio signs them; simulator
numbers (notifications.simulator) get their scripted outcome.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from twilio.request_validator import RequestValidator

from notifications.messages import MessageStatus
from notifications.simulator import TWILIO_ERROR_FOR, scripted_outcome

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "loopback-auth-token"


@dataclass(frozen=True)
class ReceivedSms:
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str
    created_at: datetime

    @property
    def message_id(self) -> int | None:
        """Our outbox id, from the status callback URL the dispatcher gave."""
        values = parse_qs(urlsplit(self.status_callback).query).get("message_id")
        return int(values[0]) if values else None


@dataclass(frozen=True)
class StatusCallback:
    url: str
    params: dict[str, str]
    signature: str


@dataclass
class _Script:
    failures: list[tuple[int, int | None]] = field(default_factory=list)  # (status, code)
    rejections: dict[str, int] = field(default_factory=dict)  # number -> Twilio error code
    delay_seconds: float = 0.0
    down_status: int | None = None  # while set, every POST is refused with it (an outage)
    stall_at: int | None = None  # the Nth accepted text is held unanswered until release()
    stalled: threading.Event = field(default_factory=threading.Event)
    stalled_sms: ReceivedSms | None = None
    released: threading.Event = field(default_factory=threading.Event)


class TwilioServer:
    """Start with `with TwilioServer() as server:`; `server.base_url` is what settings need."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.received: list[ReceivedSms] = []
        self.requests = 0
        self.script = _Script()
        self.lock = threading.Lock()
        self._sids = itertools.count(1)
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def messages_path(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> TwilioServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- scripting --------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 503, code: int | None = None) -> None:
        """Answer the next `count` POSTs with an error (503, 500, 429 ...)."""
        with self.lock:
            self.script.failures.extend([(status, code)] * count)

    def go_down(self, status: int = 503) -> None:
        """Refuse every POST with `status` until `come_back()`: an outage of any length."""
        self.script.down_status = status

    def come_back(self) -> None:
        self.script.down_status = None

    def reject(self, number: str, code: int) -> None:
        """Refuse every POST to `number` with HTTP 400 and Twilio error `code`."""
        with self.lock:
            self.script.rejections[number] = code

    def answer_after(self, seconds: float) -> None:
        """Accept (and record) each POST at once but answer only after `seconds`."""
        self.script.delay_seconds = seconds

    def stall_at(self, count: int) -> threading.Event:
        """Accept the `count`th text but leave it unanswered until `release()`.

        Returns an event set once that text is accepted: the sender is then provably inside
        the crash window (Twilio has it, the sender has not heard).
        """
        self.script.stall_at = count
        return self.script.stalled

    def release(self) -> None:
        self.script.released.set()

    # --- what arrived -----------------------------------------------------------------------

    def per_message(self) -> Counter[int | None]:
        """How many texts arrived for each outbox message id."""
        with self.lock:
            return Counter(sms.message_id for sms in self.received)

    def callbacks(self) -> list[StatusCallback]:
        """Signed status callbacks for everything accepted: `sent`, then the final outcome."""
        with self.lock:
            received = list(self.received)
        return [cb for sms in received for cb in self._callbacks_for(sms)]

    def _callbacks_for(self, sms: ReceivedSms) -> list[StatusCallback]:
        outcome = scripted_outcome(sms.to) or MessageStatus.DELIVERED
        final = {"MessageStatus": "delivered"}
        if outcome is not MessageStatus.DELIVERED:
            final = {"MessageStatus": "undelivered", "ErrorCode": TWILIO_ERROR_FOR[outcome]}
        return [self.sign(sms, {"MessageStatus": "sent"}), self.sign(sms, final)]

    def sign(self, sms: ReceivedSms, extra: dict[str, str]) -> StatusCallback:
        params = {
            "MessageSid": sms.sid,
            "AccountSid": self.account_sid,
            "To": sms.to,
            "From": sms.from_,
            "SmsStatus": extra["MessageStatus"],
            **extra,
        }
        validator = RequestValidator(self.auth_token)
        signature = validator.compute_signature(sms.status_callback, params)
        return StatusCallback(sms.status_callback, params, signature)

    def post_callbacks(self, callbacks: list[StatusCallback] | None = None) -> list[int]:
        """POST callbacks over HTTP to their URLs, as Twilio would; the status codes."""
        codes = []
        with httpx.Client(timeout=10) as client:
            for cb in self.callbacks() if callbacks is None else callbacks:
                headers = {"X-Twilio-Signature": cb.signature}
                codes.append(client.post(cb.url, data=cb.params, headers=headers).status_code)
        return codes

    # --- request handling -------------------------------------------------------------------

    def _authorised(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def _next_failure(self) -> tuple[int, int | None] | None:
        with self.lock:
            if self.script.down_status is not None:
                return (self.script.down_status, None)
            return self.script.failures.pop(0) if self.script.failures else None

    def accept(self, form: dict[str, str]) -> tuple[ReceivedSms, bool]:
        """Record a text; also whether it is the one to stall (decided under the lock)."""
        sms = ReceivedSms(
            sid=f"SM{next(self._sids):032x}",
            to=form.get("To", ""),
            from_=form.get("From", ""),
            body=form.get("Body", ""),
            status_callback=form.get("StatusCallback", ""),
            created_at=datetime.now(UTC),
        )
        with self.lock:
            self.received.append(sms)
            stall = len(self.received) == self.script.stall_at
            if stall:
                self.script.stalled_sms = sms
        return sms, stall

    def listing(self, to: str | None) -> list[ReceivedSms]:
        with self.lock:
            found = [sms for sms in self.received if to is None or sms.to == to]
        return list(reversed(found))

    def resource(self, sms: ReceivedSms) -> dict[str, Any]:
        created = format_datetime(sms.created_at)
        return {
            "sid": sms.sid,
            "account_sid": self.account_sid,
            "to": sms.to,
            "from": sms.from_,
            "body": sms.body,
            "status": "queued",
            "direction": "outbound-api",
            "date_created": created,
            "date_updated": created,
            "date_sent": None,
            "num_segments": "1",
            "num_media": "0",
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "GBP",
            "api_version": "2010-04-01",
            "messaging_service_sid": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sms.sid}.json",
            "subresource_uris": {},
        }


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a killed dispatcher, a timeout) is expected here."""


class _Handler(BaseHTTPRequestHandler):
    fake: TwilioServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, each answer waits ~40 ms
    # for the client's delayed ACK, which would make the fake slower than Twilio.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: no numbers in logs
        return

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: int | None, message: str) -> None:
        self._reply(status, {"code": code, "message": message, "status": status})

    def _checked(self) -> bool:
        with self.fake.lock:
            self.fake.requests += 1
        if urlsplit(self.path).path != self.fake.messages_path:
            self._error(404, 20404, "not found")
            return False
        if not self.fake._authorised(self.headers.get("Authorization")):
            self._error(401, 20003, "Authenticate")
            return False
        return True

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        if len(raw.encode()) < length:
            self.close_connection = True  # the sender died mid-request: nothing was sent
            return
        if not self._checked():
            return
        form = {key: values[0] for key, values in parse_qs(raw).items()}
        failure = self.fake._next_failure()
        if failure is not None:
            self._error(failure[0], failure[1], "scripted failure")
            return
        code = self.fake.script.rejections.get(form.get("To", ""))
        if code is not None:
            self._error(400, code, "scripted rejection")
            return
        sms, stall = self.fake.accept(form)
        if stall:
            self.fake.script.stalled.set()
            self.fake.script.released.wait(60)
        if self.fake.script.delay_seconds:
            time.sleep(self.fake.script.delay_seconds)
        self._reply(201, self.fake.resource(sms))

    def do_GET(self) -> None:
        if not self._checked():
            return
        query = parse_qs(urlsplit(self.path).query)
        to = query.get("To", [None])[0]
        records = [self.fake.resource(sms) for sms in self.fake.listing(to)]
        self._reply(
            200,
            {
                "messages": records,
                "page": 0,
                "page_size": max(len(records), 50),
                "start": 0,
                "end": len(records),
                "first_page_uri": self.fake.messages_path,
                "next_page_uri": None,
                "previous_page_uri": None,
                "uri": self.path,
            },
        )


def _handler_for(server: TwilioServer) -> type[BaseHTTPRequestHandler]:
    return type("TwilioHandler", (_Handler,), {"fake": server})
