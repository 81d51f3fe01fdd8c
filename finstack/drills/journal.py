"""The drill journal: the frozen plan and the progress of every step, on disk after every transition.

`journal.json` in the report folder is what makes a drill resumable: a crash (or a kill -9) leaves
it naming the step in flight; `--resume DIR` reloads it, skips completed steps and re-verifies the
one in flight before acting again. It is written atomically (temporary file, then rename), so a
crash while writing leaves the previous version, never half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from finstack.drills.errors import DocumentError

JOURNAL_NAME = "journal.json"
JOURNAL_VERSION = 1

StepRecord = dict[str, Any]


class Journal:
    """A drill's journal: header, plan, per-step records, API calls, invariant checks, measurements."""

    #: fsync every write: a journal that a power cut can lose is no journal. Tests that run
    #: hundreds of drills on a tmpfs turn it off; nothing else should.
    durable = True

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    @classmethod
    def create(cls, directory: Path, header: dict[str, Any], plan: dict[str, Any]) -> Journal:
        """A new journal for a drill about to run (refuses to overwrite another drill's)."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / JOURNAL_NAME
        if path.exists():
            raise DocumentError(
                f"{path} already exists: resume that drill with --resume {directory}, or choose another --report"
            )
        steps = {s["id"]: {"status": "pending", "attempts": 0} for s in plan["steps"]}
        data = {
            "version": JOURNAL_VERSION,
            **header,
            "plan": plan,
            "status": "planned",
            "runs": [],
            "steps": steps,
            "apiCalls": [],
            "invariantChecks": [],
            "measurements": {},
            "events": [],
        }
        journal = cls(path, data)
        journal.save()
        return journal

    @classmethod
    def load(cls, directory: Path) -> Journal:
        """The journal of a drill to resume."""
        path = directory / JOURNAL_NAME
        if not path.is_file():
            raise DocumentError(f"--resume {directory}: no {JOURNAL_NAME} there (is it the report folder of a drill?)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise DocumentError(f"{path} is not valid JSON: {err}") from None
        if data.get("version") != JOURNAL_VERSION:
            raise DocumentError(f"{path}: journal version {data.get('version')} is not {JOURNAL_VERSION}")
        return cls(path, data)

    def save(self) -> None:
        """Write atomically: a crash mid-write keeps the previous journal."""
        text = json.dumps(self.data, indent=2, sort_keys=False, default=str) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".journal-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                if self.durable:
                    os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def step(self, step_id: str) -> StepRecord:
        """The mutable record of one step."""
        record: StepRecord = self.data["steps"][step_id]
        return record

    @property
    def run_number(self) -> int:
        """The current run (1 for the first, +1 per resume)."""
        return len(self.data["runs"])

    def event(self, at: str, message: str, **details: Any) -> None:
        """Append a dated event (aborts, rollbacks, overrides) and save."""
        self.data["events"].append({"at": at, "run": self.run_number, "message": message, **details})
        self.save()
