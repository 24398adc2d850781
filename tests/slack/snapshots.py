"""Golden files of rendered Block Kit: compare, or rewrite them with UPDATE_SNAPSHOTS=1."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def assert_snapshot(name: str, rendered: Any) -> None:
    """The rendering equals its golden file; paste the file into Block Kit Builder to see it."""
    path = SNAPSHOTS / f"{name}.json"
    text = json.dumps(rendered, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1 to create it"
    assert path.read_text(encoding="utf-8") == text, f"{path.name} changed; review, then update"
