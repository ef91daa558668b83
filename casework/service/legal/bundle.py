"""The evidence bundle for an approved prosecution: one PDF and a folder, hashed into the trail.

DOMAIN rule 26 and Part 2 §9.2. Under `<var>/bundles/<upn>-<date>/`: `bundle.pdf` (index; the
s566 attendance certificate for the headteacher to sign; the register extract with every
amendment; the chronology from the audit trail; every letter and message with its delivery
status; meeting and visit records; the decisions with their reasons; the penalty notices),
`certificate_s566.pdf` on its own for signing, the same evidence as data files
(`register_extract.csv`, `chronology.jsonl` — verifiable with the audit chain's rule —
`messages/`, `tasks.csv`, `decisions.json`, `court.json`), every letter sent to the family as a
PDF under `letters/` (casework.service.legal.bundle_letters), and `manifest.json`: the sha256 of
every file (`files`) and each family letter with its PDF and delivery status (`letters`). The
`bundle.created` audit entry carries the PDF's and the manifest's sha256. Layouts:
letter_templates/legal/bundle.html.j2.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session

from casework.core import csv_cells, labels
from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.view import PupilView
from casework.core.policy import Policy
from casework.db.tables import Decision
from casework.service.legal.bundle_data import gather
from casework.service.legal.bundle_letters import bundle_letters
from casework.service.proposals import Target
from notifications.letters import render_letter_pdf
from notifications.rendering import TEMPLATES_DIR

BUNDLE_TEMPLATE = "legal/bundle.html.j2"
CERTIFICATE_TEMPLATE = "legal/certificate.html.j2"


@dataclass(frozen=True)
class Bundle:
    folder: Path
    pdf: Path
    sha256: str
    audit: AuditDraft


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The one vocabulary (casework.core.labels): tasks, stages, outcomes and audit kinds in words.
    env.filters.update(
        task_kind=labels.task_label,
        stage_title=labels.stage_label,
        outcome=labels.outcome_label,
        status=labels.status_label,
        audit_kind=labels.audit_label,
    )
    return env


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv_cells.dict_writer(
        out, fieldnames=columns, extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _write_data(folder: Path, data: dict[str, Any]) -> None:
    extract = [
        {
            "date": s["date"],
            "session": s["session"],
            "code": code,
            "original_code": original,
            "recorded_at": at,
            "current": i == len(s["amendments"]) - 1,
        }
        for s in data["register"]
        for i, (code, original, at) in enumerate(s["amendments"])
    ]
    _write(
        folder / "register_extract.csv",
        _csv(extract, ["date", "session", "code", "original_code", "recorded_at", "current"]),
    )
    chronology = "".join(
        json.dumps(
            {k: v for k, v in r.items() if k not in ("summary", "at_short")},
            sort_keys=True,
            ensure_ascii=False,
        )
        + "\n"
        for r in data["chronology"]
    )
    _write(folder / "chronology.jsonl", chronology)
    _write(
        folder / "tasks.csv",
        _csv(data["tasks"], list(data["tasks"][0]) if data["tasks"] else ["id"]),
    )
    _write(folder / "decisions.json", json.dumps(data["decisions"], indent=2, sort_keys=True))
    _write(folder / "court.json", json.dumps(data["court"], indent=2, sort_keys=True))
    for m in data["messages"]:
        suffix = "html" if m["channel"] == "letter" else "txt"
        _write(folder / "messages" / f"{m['id']:06d}-{m['channel']}.{suffix}", m["body"])


def _manifest(folder: Path, letters: list[dict[str, Any]]) -> str:
    """`files`: the sha256 of every file; `letters`: each family letter, its PDF and status."""
    files = {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    text = json.dumps({"files": files, "letters": letters}, indent=2, sort_keys=True)
    _write(folder / "manifest.json", text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _folder(var_dir: Path, upn: str, on: date, decision_id: int | None, label: str) -> Path:
    name = f"{upn}-{on.isoformat()}" + (f"-{label}" if label else "")
    folder = var_dir / "bundles" / name
    if folder.exists():  # a second prosecution decision about the pupil on the same day
        folder = folder.with_name(f"{name}-d{decision_id}")
    n = 2
    while folder.exists():  # a bundle is never overwritten: its sha256 is in the trail
        folder, n = folder.with_name(f"{name}-d{decision_id}-{n}"), n + 1
    return folder


def create_bundle(
    db: Session,
    decision: Decision,
    view: PupilView,
    var_dir: Path,
    target: Target,
    policy: Policy,
    label: str = "",
) -> Bundle:
    """Write the bundle for an approved prosecution; returns it with its `bundle.created` entry.

    `label` names a bundle re-made after a court step (casework.service.legal.bundle_refresh).
    """
    data = gather(db, decision, view, target.school_date, policy)
    folder = _folder(var_dir, decision.upn, target.school_date, decision.id, label)
    letters = bundle_letters(db, decision.upn, var_dir, folder)
    env = _environment()
    by_message = {entry["message_id"]: entry for entry in letters}
    pdf, sha256 = render_letter_pdf(
        env.get_template(BUNDLE_TEMPLATE).render(**data, letter_files=by_message), folder, "bundle"
    )
    render_letter_pdf(
        env.get_template(CERTIFICATE_TEMPLATE).render(**data), folder, "certificate_s566"
    )
    _write_data(folder, data)
    manifest_sha = _manifest(folder, letters)
    audit = AuditDraft(
        kind=AuditKind.BUNDLE_CREATED,
        actor=target.actor,
        school_date=target.school_date,
        urn=target.urn,
        upn=target.upn,
        case_id=target.case_id,
        stage=decision.stage,
        detail={
            "decision_id": decision.id,
            "path": str(folder),
            "pdf": str(pdf),
            "sha256": sha256,
            "manifest_sha256": manifest_sha,
            "files": len(json.loads((folder / "manifest.json").read_text("utf-8"))["files"]),
            "letters": len(letters),
            **({"after": label} if label else {}),
        },
    )
    return Bundle(folder, pdf, sha256, audit)
