"""Issue 20's "must show", through the public CLI: from a first absence to a parenting order.

A pupil with two parents (one reached by email, one only by post) misses five days: the ladder
calls, visits and writes; the threshold asks for a Notice to Improve, approved; a further
unauthorised session breaches it and a penalty notice is approved for each parent; both go
unpaid, so a prosecution decision invites each parent to an interview under caution (rule 36);
their outcomes are recorded and the prosecution approved; the information is laid in time (a
date past the 6-month limit is refused, rule 37); the court convicts with a parenting order.
The evidence bundle re-made after the court's outcome holds the court steps and every letter
sent to the family, as PDFs whose sha256 the manifest records.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest

from tests.support.pathway_cli import Cli as PathwayCli
from tests.support.pathway_cli import flags

DATA = Path(__file__).resolve().parent / "court_journey"
UPN = "B931400125201"
MUM, DAD = f"{UPN}-1", f"{UPN}-2"
FACTORS = [
    "support_offered=Attendance meeting and plan offered",
    "support_engaged=Not engaged",
    "send_or_medical=None known",
    "welfare_safeguarding=No concerns",
    "social_care=None",
]
COURT_FACTORS = [
    *FACTORS,
    "eso_considered=Considered at the LA panel: not suitable",
    "contract_explored=Attendance contract offered in November, declined",
]


class Cli(PathwayCli):
    """The court journey's pupil, named once."""

    def decide(self, kind: str, on: str, reason: str, factors: list[str]) -> str:
        args = ["decide", "--upn", UPN, "--kind", kind, "--approve", "--reason", reason]
        return self.run(*args, "--on", on, *flags("--factor", factors), "--confirm-gaps").stdout

    def complete(self, kind: str, outcome: str, on: str, *extra: str, ok: bool = True) -> str:
        args = ["tasks", "complete", "--upn", UPN, "--kind", kind, "--outcome", outcome]
        proc = self.run(*args, "--on", on, *extra, ok=ok)
        return proc.stdout + proc.stderr


def _pdf_text(path: Path) -> str:
    document = pdfium.PdfDocument(path)
    try:
        return "".join(p.get_textpage().get_text_range() for p in document).replace("\r\n", " ")
    finally:
        document.close()


def _interview_ids(cli: Cli) -> dict[str, int]:
    rows = cli.query(
        "SELECT id, context FROM tasks WHERE upn = ? AND kind = 'interview_under_caution'", UPN
    )
    return {json.loads(context)["contact_id"]: task_id for task_id, context in rows}


def _walk_to_the_court(cli: Cli) -> None:
    cli.import_folder(DATA)
    cli.run("simulate", "--from", "2025-11-10", "--to", "2025-11-14")  # the first absences
    cli.decide("notice_to_improve", "2025-11-17", "Support offered, not engaged with", FACTORS)
    cli.run("simulate", "--from", "2025-11-17", "--to", "2025-11-25")  # the breach on the 25th
    issued = cli.decide("penalty_notice", "2025-11-26", "Notice to Improve breached", FACTORS)
    assert issued.count("notice 1, £80.00") == 2, issued  # one notice to each parent
    cli.run("dispatch")  # the postroom renders the letters so far
    cli.run("notices", "deadlines", "--on", "2026-01-05")  # both unpaid: a prosecution decision
    interviews = _interview_ids(cli)
    assert sorted(interviews) == [MUM, DAD]  # each parent invited separately
    outcomes = ((MUM, "attended", "2026-01-06"), (DAD, "no_response", "2026-01-07"))
    for parent, outcome, on in outcomes:
        cli.run("tasks", "complete", str(interviews[parent]), "--outcome", outcome, "--on", on)
    approved = cli.decide("prosecution", "2026-01-07", "Unpaid notices", COURT_FACTORS)
    assert "information must be laid by 2026-05-25" in approved
    cli.run("dispatch")
    late = cli.complete("lay_information", "laid", "2026-05-26", ok=False)
    assert "the 6-month limit ended on 2026-05-25" in late
    cli.complete("lay_information", "laid", "2026-01-12")
    cli.complete(
        "court_outcome",
        "convicted",
        "2026-03-02",
        "--note",
        "fine_pence=20000 parenting_order=yes term_months=6",
    )


@pytest.mark.slow
def test_first_absence_to_a_parenting_order_with_every_letter_in_the_bundle(
    tmp_path: Path,
) -> None:
    """Rules 7-8, 19-26, 36-37 end to end; the last bundle holds the court steps and letters."""
    cli = Cli(tmp_path)
    _walk_to_the_court(cli)
    trail = cli.audit(UPN)

    def kinds(kind: str, **detail: object) -> list[dict[str, Any]]:
        return [
            e
            for e in trail
            if e["kind"] == kind and all(e["detail"].get(k) == v for k, v in detail.items())
        ]

    assert kinds("stage.entered")[0]["stage"] == "first_day_call"
    assert kinds("stage.entered")[0]["school_date"] == "2025-11-10"
    assert kinds("task.created", task_kind="home_visit")
    assert [e["school_date"] for e in kinds("decision.approved")] == [
        "2025-11-17",
        "2025-11-26",
        "2026-01-07",
    ]
    assert [e["detail"]["laid_date"] for e in kinds("court.information_laid")] == ["2026-01-12"]
    (order,) = kinds("court.outcome", outcome="convicted", parenting_order=True, term_months=6)
    assert kinds("task.created", task_kind="parenting_order_review", due_date="2026-09-02")

    bundles = kinds("bundle.created")
    assert [b["detail"].get("after") for b in bundles] == [None, "laid", "court1"]
    folder = Path(bundles[-1]["detail"]["path"])
    court = json.loads((folder / "court.json").read_text("utf-8"))
    assert [(i["parent"], i["outcome"]) for i in court["interviews"]] == [
        ("Alex Osei", "attended the interview"),
        ("Jo Osei", "did not respond to the invitation"),
    ]
    assert court["laid"] == [{"laid_date": "2026-01-12", "lay_by_date": "2026-05-25"}]
    assert court["hearings"][0]["parenting_order"] == "yes, 6 months"
    assert court["hearings"][0]["date"] == order["school_date"]

    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    sent = cli.query(
        "SELECT id, template, recipient_ref FROM messages "
        "WHERE upn = ? AND channel = 'letter' AND recipient_role = 'parent' ORDER BY id",
        UPN,
    )
    in_bundle = [(e["message_id"], e["template"]) for e in manifest["letters"]]
    assert in_bundle == [(message_id, template) for message_id, template, _ in sent]
    templates = {template for _, template, _ in sent}
    assert {"first_day_call/parent", "home_visit/calling_card", "legal/penalty_notice"} <= templates
    assert {"prosecution/warning", "legal/prosecution_decision"} <= templates
    assert {ref for _, _, ref in sent} == {MUM, DAD}
    for entry in manifest["letters"]:
        pdf = (folder / entry["file"]).read_bytes()
        assert pdf.startswith(b"%PDF")
        assert manifest["files"][entry["file"]] == hashlib.sha256(pdf).hexdigest()

    index = _pdf_text(folder / "bundle.pdf")
    assert "Information laid on 2026-01-12" in index
    assert "yes, 6 months" in index
    assert "did not respond to the invitation" in index
    first = json.loads((Path(bundles[0]["detail"]["path"]) / "court.json").read_text("utf-8"))
    assert (first["laid"], first["hearings"]) == ([], [])  # each bundle is kept as it was made
