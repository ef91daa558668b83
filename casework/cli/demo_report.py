"""The demo's closing summary: bands, stages, tasks and messages per school; the outbox."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from casework.core.labels import channel_label, stage_label, status_label
from casework.core.measure_definitions import definitions
from casework.core.policy import Policy
from casework.service.demo.synthetic_la import DemoPlan, outbox_figures, school_figures
from casework.settings import Settings


def print_report(engine: Engine, plan: DemoPlan, policy: Policy, settings: Settings) -> None:
    print()
    print(f"== Summary as of {plan.end} ==")
    meaning = definitions(policy)
    print("Absence is measured from the register as of that day, as the overview and reports do:")
    for name in ("persistent_absence", "severe_absence"):
        print(f"  {name.replace('_', ' ')}: {meaning[name]}")
    for row in school_figures(engine, plan.end, settings.tz):
        print(f"\n{row.name} (URN {row.urn})")
        a = row.absence
        print(
            f"  absence:          persistent {a.persistent} of {a.pupils} pupils "
            f"(of whom severe {a.severe})"
        )
        print(
            "  stages entered:   "
            + (", ".join(f"{stage_label(s)} {n}" for s, n in sorted(row.stages.items())) or "none")
        )
        print(f"  tasks opened:     {row.tasks}")
        print(
            "  messages queued:  "
            + (
                ", ".join(f"{channel_label(c)} {n}" for c, n in sorted(row.messages.items()))
                or "none"
            )
        )
    statuses, letters = outbox_figures(engine)
    print("\nOutbox: " + ", ".join(f"{status_label(s)} {n}" for s, n in sorted(statuses.items())))
    print(f"Letters rendered to PDF: {letters} (in {settings.letters_dir}/)")
    print(f"Messages as sent: {settings.outbox_dir}/")
    print(
        "Next: `pathway case UPN`, `pathway tasks list`, `pathway serve`, `pathway audit verify`."
    )
