"""Every letter sent to the family, as a PDF in the evidence bundle, with its delivery status.

DOMAIN Part 2 §9.2 ("every letter and message with its delivery status"). For each letter
message to a parent: the PDF the postroom rendered (casework/db `letters` row, found under the
var folder and checked against its recorded sha256) is copied into `letters/`; a letter not yet
through dispatch (e.g. the prosecution letters queued by this very approval) is rendered from
the same HTML the postroom would render. Each entry says where its PDF came from and how far the
letter got: the message's status, and whether the school office has posted it.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from casework.core.ladder.proposals import RecipientRole, TaskKind
from casework.db.tables import Letter, Message, Task
from notifications.letters import letter_file, render_letter_pdf
from notifications.messages import formatted_status

FOLDER = "letters"
DISPATCHED = "the PDF rendered when the letter was dispatched"
RENDERED_NOW = "not yet dispatched: rendered for this bundle from the queued letter"


def _posted(db: Session, message: Message) -> str:
    """When the school office recorded the letter as posted; "" if not yet."""
    task = db.exec(
        select(Task).where(
            Task.key == f"{message.idempotency_key}:post",
            Task.kind == TaskKind.LETTER_TO_POST.value,
        )
    ).first()
    if task is None or task.outcome != "posted" or task.completed_date is None:
        return ""
    return task.completed_date.isoformat()


def _dispatched_pdf(db: Session, message: Message, var_dir: Path) -> tuple[Path, str] | None:
    """The postroom's PDF for the message and its recorded sha256, if the file is intact."""
    letter = db.exec(select(Letter).where(Letter.key == message.idempotency_key)).first()
    source = letter_file(var_dir, letter.path) if letter else None
    if letter is None or source is None:
        return None
    sha256 = hashlib.sha256(source.read_bytes()).hexdigest()
    return (source, sha256) if sha256 == letter.sha256 else None


def _pdf(db: Session, message: Message, var_dir: Path, folder: Path) -> dict[str, str]:
    name = f"message-{message.id}"
    found = _dispatched_pdf(db, message, var_dir)
    if found is not None:
        source, sha256 = found
        target = folder / FOLDER / f"{name}.pdf"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return {"pdf_source": DISPATCHED, "sha256": sha256}
    try:
        _, sha256 = render_letter_pdf(message.body, folder / FOLDER, name)
    except Exception as exc:  # the bundle still lists the letter, and says why there is no PDF
        return {"pdf_source": f"no PDF: the letter could not be rendered ({type(exc).__name__})"}
    return {"pdf_source": RENDERED_NOW, "sha256": sha256}


def bundle_letters(db: Session, upn: str, var_dir: Path, folder: Path) -> list[dict[str, Any]]:
    """Put each family letter's PDF under `<folder>/letters/`; one manifest entry per letter."""
    messages = db.exec(
        select(Message)
        .where(
            Message.upn == upn,
            Message.channel == "letter",
            Message.recipient_role == RecipientRole.PARENT.value,
        )
        .order_by(col(Message.created_at), col(Message.id))
    ).all()
    entries: list[dict[str, Any]] = []
    for message in messages:
        made = _pdf(db, message, var_dir, folder)
        entries.append(
            {
                "file": f"{FOLDER}/message-{message.id}.pdf" if "sha256" in made else None,
                "message_id": message.id,
                "template": message.template,
                "recipient": str(message.context.get("recipient_name") or message.recipient_ref),
                "school_date": message.school_date.isoformat(),
                "status": message.status,
                "delivery_status": formatted_status(message.channel, message.status),
                "posted_on": _posted(db, message) or None,
                **made,
            }
        )
    return entries
