"""Delivery receipts: provider news about a message, applied forward-only, and Twilio's webhook.

Receipts are retried and arrive out of order (STACK.md §6.2), so a receipt that would move a row
backwards, or repeats what the row already says, is logged and ignored (Notify's
`update_notification_status_by_id`). The webhook checks Twilio's signature against the public URL
Twilio called (`public_base_url` + path + query, never the URL seen behind the proxy) before it
reads or changes anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator

from casework.db.audit_log import append_entries
from casework.db.database import open_database
from casework.db.session import unit_of_work
from casework.db.tables import Message
from casework.settings import Settings
from notifications import sms_twilio
from notifications.messages import MessageStatus, can_move
from notifications.transitions import IN_FLIGHT, move

log = logging.getLogger(__name__)


def translate(provider: str, status: str, error_code: str | None) -> MessageStatus | None:
    """Our status for a provider's receipt status; None for "still on its way"."""
    if provider == sms_twilio.PROVIDER:
        return sms_twilio.status_for(status, error_code)
    return MessageStatus(status)


def _find(
    session: Session, provider: str, provider_ref: str, message_id: int | None
) -> Message | None:
    if message_id is None:
        query = select(Message).where(
            Message.provider == provider, Message.provider_ref == provider_ref
        )
    else:
        query = select(Message).where(Message.id == message_id)
    message = session.exec(query.with_for_update()).first()
    if message is not None and message.provider_ref not in (None, provider_ref):
        log.warning("receipt reference does not match", extra={"message_id": message.id})
        return None
    return message


def apply_receipt(
    engine: Engine,
    provider: str,
    provider_ref: str,
    status: str,
    now: datetime,
    error_code: str | None = None,
    *,
    message_id: int | None = None,
) -> bool:
    """Apply one receipt; False when it was unknown, in-flight, late or a duplicate.

    Args:
        message_id: our id when the receipt carries it (Twilio's callback URL does), so a
            message whose acceptance was never recorded (the crash window) can be found.
    """
    target = translate(provider, status, error_code)
    if target is None:
        return False
    with unit_of_work(engine) as session:
        message = _find(session, provider, provider_ref, message_id)
        if message is None:
            log.info("receipt for no known message", extra={"provider": provider})
            return False
        if not can_move(message.status, target):
            log.info(
                "receipt %s ignored for a %s message",
                target.value,
                message.status,
                extra={"message_id": message.id},
            )
            return False
        accepted = MessageStatus(message.status) in IN_FLIGHT
        message.provider, message.provider_ref = provider, provider_ref
        drafts = move(session, message, target, now, accepted=accepted, code=error_code)
        append_entries(session, drafts, now)
    return True


# --- Twilio status callbacks ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptContext:
    engine: Engine
    settings: Settings


def receipt_context() -> ReceiptContext:
    """The database and settings the webhook uses; tests override this dependency."""
    settings = Settings()
    return ReceiptContext(open_database(settings), settings)


def _public_url(settings: Settings, request: Request) -> str:
    query = request.url.query
    return settings.public_base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")


def _message_id(request: Request) -> int | None:
    raw = request.query_params.get("message_id", "")
    return int(raw) if raw.isdigit() else None


router = APIRouter()


@router.post(sms_twilio.STATUS_CALLBACK_PATH)
async def twilio_status(
    request: Request, context: Annotated[ReceiptContext, Depends(receipt_context)]
) -> Response:
    """Twilio's status callback: 403 unless signed with our auth token, else 204."""
    form = {key: str(value) for key, value in (await request.form()).items()}
    token = context.settings.twilio_auth_token.get_secret_value()
    signature = request.headers.get("X-Twilio-Signature", "")
    url = _public_url(context.settings, request)
    if not token or not signature or not RequestValidator(token).validate(url, form, signature):
        log.warning("twilio callback with a bad signature refused")
        return Response(status_code=403)
    sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
    if sid and status:
        await run_in_threadpool(
            apply_receipt,
            context.engine,
            sms_twilio.PROVIDER,
            sid,
            status,
            datetime.now(UTC),
            form.get("ErrorCode") or None,
            message_id=_message_id(request),
        )
    return Response(status_code=204)
