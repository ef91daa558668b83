"""A subject-access export (UK GDPR Art 15; DOMAIN.md Part 2 §15): everything held about a pupil
and their contacts, as files a person can open without our software.

The folder holds `index.html` (what is held and where), one HTML page per kind of record
(the pupil and contacts, attendance marks, messages as sent, letters, cases and decisions,
audit entries), `marks.csv` for the register in a spreadsheet (through the neutralising CSV
helper) and copies of the letter PDFs. The export itself is an audit entry naming who made it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from casework.core import csv_cells
from casework.core.audit import AuditDraft, AuditKind
from casework.db.audit_log import append_entries
from casework.db.session import unit_of_work
from casework.db.tables import (
    AuditEntry,
    Contact,
    Decision,
    Letter,
    Mark,
    Message,
    PenaltyNotice,
    Pupil,
    Referral,
    StageEntry,
    Task,
)
from casework.service.errors import NotFound

TEMPLATES = Path(__file__).resolve().parents[2] / "letter_templates"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class Section:
    title: str
    headers: Sequence[str] = ()
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""
    links: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SarResult:
    folder: Path
    files: int


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_text(v)}" for k, v in sorted(value.items()))
    return str(value)


def _table(title: str, rows: Iterable[SQLModel], fields: Sequence[str], note: str = "") -> Section:
    headers = [name.replace("_", " ").capitalize() for name in fields]
    body = [[_text(getattr(row, name)) for name in fields] for row in rows]
    return Section(title, headers, body, note)


def _all(db: Session, model: type[SQLModel], column: Any, value: object, order: Any) -> list[Any]:
    return list(db.exec(select(model).where(column == value).order_by(order)))


def _write_page(folder: Path, name: str, title: str, sections: list[Section], on: date) -> None:
    page = _ENV.get_template("sar/page.html.j2").render(
        title=title,
        intro="",
        sections=sections,
        prepared_on=f"{on.day} {on:%B %Y}",
        is_index=name == "index.html",
    )
    (folder / name).write_text(page, encoding="utf-8")


def _record_pages(db: Session, pupil: Pupil, folder: Path, on: date) -> dict[str, list[Section]]:
    upn = pupil.upn
    contacts = _all(db, Contact, Contact.upn, upn, col(Contact.priority))
    ids = [c.contact_id for c in contacts]
    notices = list(db.exec(select(PenaltyNotice).where(col(PenaltyNotice.contact_id).in_(ids))))
    pupil_fields = [n for n in Pupil.model_fields if n != "urn"]
    return {
        "record.html": [
            _table("The pupil", [pupil], pupil_fields),
            _table("Parents and carers", contacts, list(Contact.model_fields)),
        ],
        "messages.html": [
            _table(
                "Messages sent",
                _all(db, Message, Message.upn, upn, col(Message.id)),
                [
                    "school_date",
                    "channel",
                    "recipient_role",
                    "normalised_to",
                    "subject",
                    "body",
                    "status",
                ],
            )
        ],
        "cases.html": [
            _table(
                "Stages of support",
                _all(db, StageEntry, StageEntry.upn, upn, col(StageEntry.id)),
                ["stage", "status", "entered_date", "closed_date", "reason", "close_reason"],
            ),
            _table(
                "Tasks",
                _all(db, Task, Task.upn, upn, col(Task.id)),
                ["kind", "status", "created_date", "due_date", "completed_date", "outcome", "note"],
            ),
            _table(
                "Referrals",
                _all(db, Referral, Referral.upn, upn, col(Referral.id)),
                ["reason", "school_date"],
            ),
        ],
        "decisions.html": [
            _table(
                "Decisions",
                _all(db, Decision, Decision.upn, upn, col(Decision.id)),
                [
                    "stage",
                    "status",
                    "requested_date",
                    "decided_date",
                    "decided_by",
                    "reason",
                    "factors",
                ],
            ),
            _table(
                "Penalty notices",
                notices,
                [
                    "contact_id",
                    "issued_date",
                    "amount_pence",
                    "pay_by_date",
                    "status",
                    "paid_date",
                    "paid_amount_pence",
                    "withdrawn_date",
                    "withdrawal_grounds",
                ],
            ),
        ],
        "audit.html": [
            _table(
                "Audit entries about the pupil and their contacts",
                _all(db, AuditEntry, AuditEntry.upn, upn, col(AuditEntry.seq)),
                ["seq", "at", "actor", "kind", "stage", "detail"],
                "Every action and every read of the pupil's case, as recorded.",
            ),
        ],
    }


def _marks(db: Session, upn: str, folder: Path) -> Section:
    marks = _all(db, Mark, Mark.upn, upn, col(Mark.school_date))
    columns = ["school_date", "session", "code", "original_code", "minutes_late", "recorded_at"]
    with (folder / "marks.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv_cells.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_text(getattr(m, c)) for c in columns] for m in marks])
    return _table("Attendance register marks", marks, columns, "Also in marks.csv.")


def _letters(db: Session, upn: str, folder: Path, letters_dir: Path) -> Section:
    letters = _all(db, Letter, Letter.upn, upn, col(Letter.id))
    (folder / "letters").mkdir(exist_ok=True)
    links = []
    for letter in letters:
        source = letters_dir / Path(letter.path or "").name
        if letter.path and source.is_file():
            name = f"letter-{letter.id}.pdf"
            shutil.copyfile(source, folder / "letters" / name)
            about = f"{letter.school_date:%d %B %Y}, {letter.template.replace('_', ' ')}"
            links.append((f"letters/{name}", name, about))
    return Section("Letters", links=links, note="" if links else "No letters were posted.")


PAGES = (
    ("record.html", "The pupil and their parents and carers", "what is held about each"),
    ("marks.html", "Attendance", "every register mark, also as marks.csv"),
    ("messages.html", "Messages", "texts, emails and letters sent, as sent"),
    ("letters.html", "Letters", "copies of the posted letters (PDF)"),
    ("cases.html", "Support", "stages of support, tasks and referrals"),
    ("decisions.html", "Decisions", "legal decisions and penalty notices"),
    ("audit.html", "Audit trail", "who did or read what, and when"),
)


def export_sar(
    engine: Engine, upn: str, out: Path, *, letters_dir: Path, actor: str, on: date, now: datetime
) -> SarResult:
    """Write the subject-access export for `upn` into `out` (created); audited."""
    upn = upn.strip().upper()
    out.mkdir(parents=True, exist_ok=True)
    with Session(engine) as db:
        pupil = db.get(Pupil, upn)
        if pupil is None:
            raise NotFound(f"no pupil {upn}")
        pages = _record_pages(db, pupil, out, on)
        pages["marks.html"] = [_marks(db, upn, out)]
        pages["letters.html"] = [_letters(db, upn, out, letters_dir)]
    for name, sections in pages.items():
        title = next(t for n, t, _a in PAGES if n == name)
        _write_page(out, name, f"{title}: {pupil.forename} {pupil.surname}", sections, on)
    contents = Section("Contents", links=[(n, t, a) for n, t, a in PAGES])
    _write_page(
        out,
        "index.html",
        f"Information held about {pupil.forename} {pupil.surname}",
        [contents],
        on,
    )
    files = sum(1 for p in out.rglob("*") if p.is_file())
    draft = AuditDraft(AuditKind.SAR_EXPORTED, actor, on, pupil.urn, upn, detail={"files": files})
    with unit_of_work(engine) as db:
        append_entries(db, [draft], now)
    return SarResult(out, files)
