"""Rule 38 through the public CLI: an ESO decision beside the prosecution, decided by an LA
officer, the court's order with the supervisor's directions, its review, on the case page.

An unpaid penalty notice asks for a decision on prosecution and, beside it, one on applying for
an Education Supervision Order (EA 1996 s447). A headteacher may not decide it; an LA officer
approves it (audit entries, a letter to the parent, a task for the court's answer). The order is
made with the supervisor's directions (refused without them), lasts 12 months and is reviewed 3
months before it ends; `pathway case` shows it. A looked-after pupil is never asked about one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.pathway_cli import Cli, flags

DATA = Path(__file__).resolve().parent / "legal" / "unpaid_notice_to_a_parenting_order"
UPN = "P931400125101"
ESO = "education_supervision_order"
PASSWORD = "a long enough password\n"
FACTORS = flags(
    "--factor",
    [
        "support_offered=Attendance meeting and plan offered",
        "support_engaged=Not engaged",
        "send_or_medical=None known",
        "welfare_safeguarding=No concerns",
        "social_care=None",
    ],
)


def _to_the_prosecution_decision(cli: Cli, data: Path) -> None:
    cli.import_folder(data)
    cli.run("simulate", "--from", "2025-11-14", "--to", "2025-11-14")
    decide = ["decide", "--upn", UPN, "--kind", "penalty_notice", "--approve"]
    considered = ["--support-considered", "Virtual School consulted", "--confirm-gaps"]
    cli.run(*decide, "--reason", "Holiday", "--on", "2025-11-17", *FACTORS, *considered)
    cli.run("notices", "deadlines", "--on", "2025-12-17")  # unpaid: prosecute or withdraw


def _approve_eso(cli: Cli, actor: str, ok: bool = True) -> str:
    args = ["decide", "--upn", UPN, "--kind", ESO, "--approve", "--reason", "A supervisor first"]
    proc = cli.run(*args, "--on", "2025-12-18", *FACTORS, "--confirm-gaps", "--as", actor, ok=ok)
    return proc.stdout + proc.stderr


def _eso_hearing(cli: Cli, note: str, ok: bool = True) -> str:
    args = ["tasks", "complete", "--upn", UPN, "--kind", "eso_hearing", "--outcome", "made"]
    proc = cli.run(*args, "--on", "2026-01-12", "--note", note, "--as", "la@la.example", ok=ok)
    return proc.stdout + proc.stderr


def _of(trail: list[dict[str, Any]], kind: str, **detail: object) -> list[dict[str, Any]]:
    return [
        e
        for e in trail
        if e["kind"] == kind and all(e["detail"].get(k) == v for k, v in detail.items())
    ]


@pytest.mark.slow
def test_eso_decided_by_an_la_officer_made_with_directions_and_reviewed(tmp_path: Path) -> None:
    """Rule 38 end to end through `pathway`."""
    cli = Cli(tmp_path)
    _to_the_prosecution_decision(cli, DATA)
    cli.run(
        "users",
        "add",
        "head@school.example",
        "--role",
        "headteacher",
        "--school",
        "100001",
        "--password-stdin",
        stdin=PASSWORD,
    )
    cli.run(
        "users", "add", "la@la.example", "--role", "la_officer", "--password-stdin", stdin=PASSWORD
    )

    refused = _approve_eso(cli, "head@school.example", ok=False)
    assert "an LA officer must" in refused
    assert "approved" in _approve_eso(cli, "la@la.example")
    assert "write them in the note" in _eso_hearing(cli, "", ok=False)
    _eso_hearing(cli, "Maya to attend every day; parents to meet the supervisor fortnightly")

    trail = cli.audit(UPN)
    (asked,) = _of(trail, "decision.requested")[-1:]
    assert (asked["stage"], asked["school_date"]) == (ESO, "2025-12-17")
    assert "s447" in asked["detail"]["reason"]
    assert [e["stage"] for e in _of(trail, "decision.requested")].count("prosecution") == 1
    (approved,) = [e for e in _of(trail, "decision.approved") if e["stage"] == ESO]
    assert approved["actor"] == "la@la.example"
    assert [e["stage"] for e in _of(trail, "stage.entered")][-1] == ESO
    letters = _of(trail, "message.queued", template=f"legal/{ESO}", recipient_role="parent")
    assert len(letters) == 1
    assert _of(trail, "task.created", task_kind="eso_hearing", owner_role="la_officer")
    (made,) = _of(trail, "eso.made")
    assert made["detail"]["ends_date"] == "2027-01-12"
    assert made["detail"]["review_due_date"] == "2026-10-12"
    assert made["detail"]["directions"].startswith("Maya to attend every day")
    assert _of(trail, "task.created", task_kind="eso_review", due_date="2026-10-12")

    case = cli.run("case", UPN).stdout
    assert "Education Supervision Order          open" in case
    assert "Review the Education Supervision Order before it ends" in case


@pytest.mark.slow
def test_no_eso_decision_for_a_looked_after_pupil(tmp_path: Path) -> None:
    """Rule 38: never for a looked-after pupil; the prosecution decision is still asked for."""
    data = tmp_path / "data"
    data.mkdir()
    for path in DATA.glob("*.csv"):
        (data / path.name).write_text(path.read_text("utf-8"), "utf-8")
    pupils = (data / "pupils.csv").read_text("utf-8").splitlines()
    header, row = pupils[0].split(","), pupils[1].split(",")
    row[header.index("looked_after")] = "true"
    (data / "pupils.csv").write_text(f"{pupils[0]}\n{','.join(row)}\n", "utf-8")
    (tmp_path / "run").mkdir()
    cli = Cli(tmp_path / "run")
    _to_the_prosecution_decision(cli, data)
    asked = [e["stage"] for e in _of(cli.audit(UPN), "decision.requested")]
    assert "prosecution" in asked
    assert ESO not in asked
    assert "no education_supervision_order decision waiting" in _approve_eso(cli, "cli", ok=False)
