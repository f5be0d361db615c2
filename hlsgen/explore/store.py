"""A sweep's results on disk: one JSON record per finished point, appended as it
finishes (one write of one line, flushed and synced, under a lock), so an interrupted
sweep keeps what finished and a rerun skips it.  A line cut short by a crash is
ignored when read."""
from __future__ import annotations

import fcntl
import json
import math
import os
from pathlib import Path

FILE = "points.jsonl"


def _clean(v):
    """JSON has no NaN or infinity: they are written as null."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
        return _clean(v.item())
    return v


class Store:
    def __init__(self, results_dir):
        self.dir = Path(results_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / FILE

    def load(self) -> dict:
        """{key: record} of the points finished so far (the last record of a key wins)."""
        out = {}
        if not self.path.exists():
            return out
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # a line cut short by an interrupted write
                if isinstance(rec, dict) and "key" in rec:
                    out[rec["key"]] = rec
        return out

    def append(self, rec: dict) -> None:
        line = json.dumps(_clean(rec), sort_keys=True, default=str) + "\n"
        with open(self.path, "a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
