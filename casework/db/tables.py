"""Every SQLModel table of the app database (one module avoids circular imports, as advised).

Datetimes are aware and stored in UTC; `*_date` columns are school dates. Every row a sweep can
create carries a deterministic `key` with a UNIQUE constraint: that, not code, is what makes a
re-run sweep harmless (STYLE.md rule 3).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import MutableDict
from sqlmodel import Field, SQLModel

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def json_field() -> Any:
    return Field(default_factory=dict, sa_type=MutableDict.as_mutable(JSONType))


# --- register data ---------------------------------------------------------------------------


class School(SQLModel, table=True):
    __tablename__ = "schools"
    urn: str = Field(primary_key=True, max_length=8)
    name: str
    la_code: str = Field(max_length=3, index=True)
    phase: str
    am_register_closes: time
    pm_register_closes: time
    phone: str = Field(default="", max_length=20)  # E.164; every family letter and text gives it
    email: str = Field(default="", max_length=254)


class CalendarEntry(SQLModel, table=True):
    """A term boundary or closure; `urn` '' means every school of the LA."""

    __tablename__ = "calendar_entries"
    __table_args__ = (sa.UniqueConstraint("urn", "entry_date", "kind", "sessions"),)
    id: int | None = Field(default=None, primary_key=True)
    urn: str = Field(default="", max_length=8, index=True)
    entry_date: date
    sessions: str = Field(default="", max_length=3)  # AM | PM | ALL for closures, '' for term rows
    kind: str = Field(max_length=16)  # term_start | term_end | closed | inset


class Pupil(SQLModel, table=True):
    __tablename__ = "pupils"
    upn: str = Field(primary_key=True, max_length=13)
    urn: str = Field(foreign_key="schools.urn", index=True, max_length=8)
    forename: str
    surname: str
    date_of_birth: date
    year_group: str = Field(max_length=4)
    sen_status: str = Field(max_length=1)  # N | K | E (E = EHCP)
    fsm: bool = False
    pupil_premium: bool = False
    looked_after: bool = False
    previously_looked_after: bool = False
    cp_cin: str = Field(default="none", max_length=4)  # none | CIN | CP
    social_worker_email: str | None = None
    yot_worker_email: str | None = None
    young_carer: bool = False
    ethnicity: str = ""
    home_language: str = ""
    medical_condition: bool = False


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    contact_id: str = Field(primary_key=True, max_length=40)
    upn: str = Field(foreign_key="pupils.upn", index=True, max_length=13)
    name: str
    relationship: str
    parental_responsibility: bool
    priority: int
    mobile: str | None = None  # E.164
    email: str | None = None  # normalised
    preferred_channel: str = Field(max_length=8)  # sms | email | letter
    language: str = Field(default="en", max_length=8)
    address: str = ""


class Mark(SQLModel, table=True):
    """One version of one register mark; amendments are new rows, never updates."""

    __tablename__ = "marks"
    __table_args__ = (
        # Day first: a day's marks for a whole LA append to the end of the index instead of
        # landing on a different page for every pupil (docs/decisions/0006).
        sa.UniqueConstraint(
            "school_date", "upn", "session", "recorded_at", name="uq_marks_day_slot_version"
        ),
        # A school's window of marks read from the index alone (docs/decisions/0006).
        sa.Index(
            "ix_marks_urn_date_slot",
            "urn",
            "school_date",
            "upn",
            "session",
            "recorded_at",
            "code",
            "minutes_late",
        ),
        # Unresolved N before a sweep's window: found without reading the year's other marks.
        sa.Index(
            "ix_marks_urn_date_n",
            "urn",
            "school_date",
            sqlite_where=sa.text("code = 'N'"),
            postgresql_where=sa.text("code = 'N'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    upn: str = Field(max_length=13)
    urn: str = Field(max_length=8)
    school_date: date
    session: str = Field(max_length=2)  # AM | PM
    code: str = Field(max_length=3)  # 2024 code; legacy codes mapped on import
    original_code: str = Field(max_length=3)  # as written in the file (legacy H, F, J, Y kept)
    minutes_late: int | None = None
    recorded_at: datetime
    # Which import brought the mark: its provenance. On PostgreSQL the reference is checked
    # once a statement by triggers, not by this foreign key (migration 0018, docs/decisions/0006).
    batch_id: int | None = Field(default=None, foreign_key="import_batches.id")


class MarkCounts(SQLModel):
    """A pupil's sessions by class over some weeks, from the latest version of each mark."""

    possible: int
    present: int
    educational: int
    authorised: int
    unauthorised: int
    late: int  # L or U
    illness_sessions: int  # sessions coded I (rule 10 counts illness in sessions)
    n_sessions: int  # sessions whose latest mark is N
    recorded_max: datetime  # the newest version of any mark counted


class MarkWeek(MarkCounts, table=True):
    """One pupil's school week (Monday-keyed) counted from the latest version of each mark.

    Kept by the sweep from `mark_days_dirty` (casework.db.weekly_tallies); a sweep uses a row
    only if no version in that week was recorded after the sweep's own time.
    """

    __tablename__ = "mark_weeks"
    __table_args__ = {"sqlite_with_rowid": False}
    urn: str = Field(max_length=8, primary_key=True)
    week_start: date = Field(primary_key=True)
    upn: str = Field(max_length=13, primary_key=True)


class MarkSpanTotal(MarkCounts, table=True):
    """One pupil's `mark_weeks` summed over first_week..window_start (exclusive), and the slots
    there whose latest mark is N: the span a sweep counts behind its short window, kept until a
    week inside it is recounted."""

    __tablename__ = "mark_span_totals"
    __table_args__ = {"sqlite_with_rowid": False}
    urn: str = Field(max_length=8, primary_key=True)
    first_week: date = Field(primary_key=True)
    window_start: date = Field(primary_key=True)
    upn: str = Field(max_length=13, primary_key=True)
    n_open: str = Field(sa_type=sa.Text)  # slots still N: "2025-09-03:AM,2025-09-10:PM"


class MarkDayDirty(SQLModel, table=True):
    """A school day with a mark version newer than its weeks' tallies: written by a trigger on
    `marks`, so every way a mark arrives (import, tests, a console) is counted."""

    __tablename__ = "mark_days_dirty"
    __table_args__ = {"sqlite_with_rowid": False}
    urn: str = Field(max_length=8, primary_key=True)
    school_date: date = Field(primary_key=True)


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batches"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    filename: str
    sha256: str = Field(max_length=64)
    started_at: datetime
    accepted: int = 0
    rejected: int = 0
    unchanged: int = 0


class QuarantinedRow(SQLModel, table=True):
    __tablename__ = "quarantined_rows"
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batches.id", index=True)
    kind: str = Field(max_length=16)
    row_no: int
    reason: str
    raw: dict[str, Any] = json_field()


# --- casework ---------------------------------------------------------------------------------


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    id: int | None = Field(default=None, primary_key=True)
    upn: str = Field(foreign_key="pupils.upn", unique=True, max_length=13)
    urn: str = Field(max_length=8, index=True)
    opened_date: date
    opened_at: datetime


class StageEntry(SQLModel, table=True):
    __tablename__ = "stage_entries"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    case_id: int = Field(foreign_key="cases.id", index=True)
    upn: str = Field(max_length=13, index=True)
    urn: str = Field(max_length=8, index=True)
    stage: str = Field(max_length=32)
    status: str = Field(default="open", max_length=16)  # open | closed
    entered_date: date
    closed_date: date | None = None
    reason: str = ""
    close_reason: str = ""
    context: dict[str, Any] = json_field()


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (sa.Index("ix_tasks_urn_status", "urn", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    upn: str | None = Field(default=None, max_length=13, index=True)
    urn: str = Field(max_length=8)
    kind: str = Field(max_length=32)
    stage: str | None = Field(default=None, max_length=32)
    status: str = Field(default="open", max_length=16)
    owner_role: str = Field(max_length=32)
    owner_email: str | None = None
    priority: int = 0  # higher first; severe absence is top priority in every queue
    created_date: date
    due_date: date
    acknowledged_at: datetime | None = None
    completed_at: datetime | None = None
    completed_date: date | None = None
    outcome: str | None = None
    note: str = ""
    context: dict[str, Any] = json_field()


class Referral(SQLModel, table=True):
    """A referral or statutory return to the LA (attendance, sickness, persistent absence)."""

    __tablename__ = "referrals"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    case_id: int = Field(foreign_key="cases.id", index=True)
    upn: str = Field(max_length=13, index=True)
    urn: str = Field(max_length=8, index=True)
    reason: str = Field(max_length=32)
    school_date: date
    created_at: datetime
    context: dict[str, Any] = json_field()


class Decision(SQLModel, table=True):
    """A legal step proposed by the engine and decided by a person."""

    __tablename__ = "decisions"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    case_id: int = Field(foreign_key="cases.id", index=True)
    upn: str = Field(max_length=13, index=True)
    urn: str = Field(max_length=8, index=True)
    stage: str = Field(max_length=32)  # notice_to_improve | penalty_notice | prosecution
    status: str = Field(default="requested", max_length=16)  # requested | approved | declined
    requested_date: date
    decided_date: date | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    factors: dict[str, Any] = json_field()
    context: dict[str, Any] = json_field()


class LeaveApplication(SQLModel, table=True):
    """A parent's application for leave of absence (DOMAIN rule 32), decided by the headteacher
    through its `leave_of_absence` decision; the granted days are expected as `C`."""

    __tablename__ = "leave_applications"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    case_id: int = Field(foreign_key="cases.id", index=True)
    upn: str = Field(max_length=13, index=True)
    urn: str = Field(max_length=8, index=True)
    start_date: date
    end_date: date
    reason: str
    applicant_contact_id: str | None = Field(default=None, max_length=40)
    recorded_date: date  # the school date the school office recorded it
    recorded_at: datetime
    recorded_by: str
    in_advance: bool  # recorded before its first day: only then may it be granted
    status: str = Field(default="requested", max_length=16)  # requested | granted | declined
    decision_id: int | None = Field(default=None, foreign_key="decisions.id")


class PenaltyNotice(SQLModel, table=True):
    __tablename__ = "penalty_notices"
    __table_args__ = (sa.UniqueConstraint("decision_id", "contact_id"),)
    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decisions.id", index=True)
    upn: str = Field(max_length=13, index=True)
    contact_id: str = Field(max_length=40, index=True)
    sequence: int  # 1 or 2 within 3 years
    amount_pence: int
    reduced_amount_pence: int | None = None
    issued_date: date
    receipt_date: date
    reduced_pay_by_date: date | None = None
    pay_by_date: date
    status: str = Field(default="issued", max_length=16)  # issued | paid | withdrawn | expired
    paid_date: date | None = None
    paid_amount_pence: int | None = None
    withdrawn_date: date | None = None
    withdrawal_grounds: str | None = None
    refunded_pence: int | None = None
    prosecuted: bool = False


# --- notifications ----------------------------------------------------------------------------


class Message(SQLModel, table=True):
    """The transactional outbox: one row per message to one recipient, with what was sent."""

    __tablename__ = "messages"
    __table_args__ = (
        sa.Index("ix_messages_status_next", "status", "next_attempt_at"),
        # A sweep reads its school's messages of the day (what already went to each family).
        sa.Index("ix_messages_urn_date", "urn", "school_date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=200)
    channel: str = Field(max_length=8)  # sms | email | letter
    template: str = Field(max_length=120)
    template_sha256: str = Field(default="", max_length=64)
    language: str = Field(default="en", max_length=8)
    recipient_role: str = Field(max_length=24)
    recipient_ref: str | None = Field(default=None, max_length=40)  # contact id for parents
    normalised_to: str = ""
    subject: str = ""
    body: str = ""
    body_html: str = ""  # the HTML part of an email, exactly as sent
    context: dict[str, Any] = json_field()
    status: str = Field(default="queued", max_length=24)
    provider: str | None = Field(default=None, max_length=16)
    provider_ref: str | None = Field(default=None, max_length=80, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    # When this attempt was handed to the provider: an email claimed but never handed can be
    # queued again after a crash, one handed may be with the relay (docs/decisions/0002).
    handed_at: datetime | None = None
    last_error: str | None = None
    school_date: date
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    upn: str | None = Field(default=None, max_length=13, index=True)
    urn: str = Field(max_length=8)
    stage: str | None = Field(default=None, max_length=32)
    created_at: datetime
    updated_at: datetime


class Letter(SQLModel, table=True):
    __tablename__ = "letters"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    template: str = Field(max_length=120)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    upn: str | None = Field(default=None, max_length=13, index=True)
    urn: str = Field(max_length=8)
    stage: str | None = Field(default=None, max_length=32)
    recipient_ref: str | None = Field(default=None, max_length=40)
    school_date: date
    status: str = Field(default="queued", max_length=16)  # queued | rendered | failed
    context: dict[str, Any] = json_field()
    path: str | None = None
    sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime
    rendered_at: datetime | None = None


# --- audit, runs, people ----------------------------------------------------------------------


class AuditEntry(SQLModel, table=True):
    """Append-only, hash-chained record of every action (hashed by casework/core/audit.py)."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_upn_seq", "upn", "seq"),)
    seq: int = Field(primary_key=True)
    at: datetime
    school_date: date | None = None
    urn: str | None = Field(default=None, max_length=8, index=True)
    upn: str | None = Field(default=None, max_length=13)
    case_id: int | None = None
    actor: str
    kind: str = Field(max_length=32, index=True)
    stage: str | None = Field(default=None, max_length=32)
    detail: dict[str, Any] = json_field()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditAnchor(SQLModel, table=True):
    """Where the audit chain now starts: the last entry removed by retention and its hash, so
    the entries kept still verify from it (docs/decisions/0010)."""

    __tablename__ = "audit_anchors"
    seq: int = Field(primary_key=True)  # the last removed entry's seq
    hash: str = Field(max_length=64)  # ... and its hash: the next entry's prev_hash
    removed_at: datetime
    kept_from: date  # entries recorded before this day were removed


class SweepRun(SQLModel, table=True):
    """One completed sweep of one school's session; a second run of the same key is a no-op."""

    __tablename__ = "sweep_runs"
    __table_args__ = (sa.UniqueConstraint("urn", "school_date", "session"),)
    id: int | None = Field(default=None, primary_key=True)
    urn: str = Field(max_length=8)
    school_date: date
    session: str = Field(max_length=2)
    completed_at: datetime
    decisions: int = 0


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)
    full_name: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})
    role: str = Field(max_length=24)
    urn: str | None = Field(default=None, max_length=8)  # None = whole LA
    password_hash: str
    created_at: datetime
    active: bool = True
    # Stored in the session cookie at sign-in; raising it ends every session of the user at once
    # (sign-out, disable, password or role change): a cookie with another number is refused.
    session_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class LoginFailure(SQLModel, table=True):
    """One failed sign-in: counted per account and per source address over a window, in the
    database so every worker sees the same count and a restart forgets nothing (issue 19)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        sa.Index("ix_login_failures_email_at", "email", "at"),
        sa.Index("ix_login_failures_address_at", "address", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    email: str = Field(max_length=254)  # as typed, lower-cased: unknown addresses count too
    address: str = Field(max_length=64)
