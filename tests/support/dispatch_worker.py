"""A dispatcher process for crash tests: the real dispatch service (which first settles what a
crashed run left in flight), its stats printed as JSON.

Run as `python -m tests.support.dispatch_worker NOW_ISO STALE_AFTER_SECONDS`; everything else
comes from `PATHWAY_*` environment variables, exactly as in production.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import datetime, timedelta

from casework.db.database import open_database
from casework.settings import Settings
from notifications.dispatch import dispatch_due


def main(argv: list[str]) -> None:
    now = datetime.fromisoformat(argv[0])
    settings = Settings()
    engine = open_database(settings)
    recover_after = timedelta(seconds=float(argv[1]))
    stats = dispatch_due(engine, settings, now, limit=10_000, recover_after=recover_after)
    recovery = stats.recovery
    stale = recovery.requeued + recovery.to_check
    print(json.dumps({"stale": stale, **dataclasses.asdict(stats)}))


if __name__ == "__main__":
    main(sys.argv[1:])
