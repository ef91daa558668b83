"""`pathway` in a subprocess against a fresh SQLite database and var folder, for CLI scenarios."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

PATHWAY = Path(sys.executable).with_name("pathway")
IMPORT_ORDER = ("schools", "calendar", "pupils", "contacts", "marks")


class Cli:
    """Runs `pathway` commands for one scenario; `query` reads its database directly."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.db = work / "pathway.db"
        self.var = work / "var"
        self.var.mkdir()
        self.env = dict(
            os.environ,
            PATHWAY_DATABASE_URL=f"sqlite:///{self.db}",
            PATHWAY_VAR_DIR=str(self.var),
        )

    def run(
        self, *args: str, ok: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(PATHWAY), *args],
            env=self.env,
            cwd=self.work,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )
        if ok:
            assert proc.returncode == 0, f"pathway {' '.join(args)}: {proc.stdout}{proc.stderr}"
        return proc

    def import_folder(self, folder: Path) -> None:
        for kind in IMPORT_ORDER:
            self.run("import", kind, str(folder / f"{kind}.csv"))

    def audit(self, upn: str) -> list[dict[str, Any]]:
        out = self.run("audit", "export", "--upn", upn, "--format", "jsonl").stdout
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as con:
            return con.execute(sql, params).fetchall()


def flags(name: str, values: list[str]) -> list[str]:
    """`--factor a --factor b` from ["a", "b"]."""
    return [part for value in values for part in (name, value)]
