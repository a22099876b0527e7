"""manifest.json: what a batch did, enough to check its outputs and to run it again the same way.

    {"manifest_version": 1, "program": {...}, "created", "updated", "input_dir",
     "parameters": RedactParams.to_json(), "models": [{"class", "name", "family", "sha256"}],
     "files": {"<input path in the folder>": {"status": "done"|"failed", "input_sha256", "input_size",
               "output", "output_sha256", "report", "report_sha256", "frames", "frames_masked",
               "masks_drawn", "tracks", "verify", "seconds", "error"}}}

Each finished file is appended at once to a journal beside it (.manifest.journal.jsonl), and the
manifest is rewritten from time to time and at the end: an interrupted run loses at most the
files in flight, and a long dataset does not rewrite a growing manifest after every image.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..foundation import AnonymizerError, file_sha256, write_bytes_atomic
from .params import RedactParams

MANIFEST_NAME = "manifest.json"
JOURNAL_NAME = ".manifest.journal.jsonl"
MANIFEST_VERSION = 1


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def params_key(params: RedactParams) -> str:
    return hashlib.sha256(json.dumps(params.to_json(), sort_keys=True).encode()).hexdigest()


def new_manifest(input_dir: Path, params: RedactParams, models: list[dict]) -> dict:
    from ... import __version__

    return {"manifest_version": MANIFEST_VERSION, "program": {"name": "anonymizer-gui", "version": __version__},
            "created": now(), "updated": now(), "input_dir": str(input_dir), "parameters": params.to_json(),
            "models": models, "files": {}}


def read_manifest(path: Path) -> dict:
    """A manifest file, checked enough to trust its parameters and file entries."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnonymizerError(f"manifest not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AnonymizerError(f"{path} is not a readable manifest ({exc})") from None
    except RecursionError:  # thousands of nested brackets: no manifest looks like that
        raise AnonymizerError(f"{path} is not a readable manifest (nested too deeply)") from None
    if not isinstance(data, dict) or not isinstance(data.get("manifest_version"), int):
        raise AnonymizerError(f"{path} is not a batch manifest (no manifest_version)")
    if data["manifest_version"] > MANIFEST_VERSION:
        raise AnonymizerError(f"{path} was written by a newer anonymizer-gui (manifest {data['manifest_version']})")
    if not isinstance(data.get("input_dir", ""), str):
        raise AnonymizerError(f"{path}: input_dir must be a folder's path (a text)")
    RedactParams.from_json(data.get("parameters"), f"{Path(path).name}: parameters")
    if not isinstance(data.get("files", {}), dict):
        raise AnonymizerError(f"{path}: files must be an object")
    return data


@dataclass
class Previous:
    """What earlier runs into an output folder left: entries usable now, and the outputs they own."""

    entries: dict[str, dict]  # same parameters: input path -> entry
    same_params: bool
    owned: set[str]  # input paths whose outputs an earlier batch wrote here (any parameters)


def load_previous(output_dir: Path, params: RedactParams) -> Previous:
    """Entries of earlier runs into `output_dir`, from its manifest and its journal (files finished
    after the last rewrite); only those made with the same parameters can be skipped."""
    path = output_dir / MANIFEST_NAME
    key = params_key(params)
    found = Previous({}, True, set())
    if path.exists():
        old = read_manifest(path)
        files = old.get("files", {})
        found.owned.update(rel for rel, e in files.items() if isinstance(e, dict) and e.get("status") == "done")
        found.same_params = params_key(RedactParams.from_json(old["parameters"])) == key
        if found.same_params:
            found.entries.update(files)
    journal = output_dir / JOURNAL_NAME
    if journal.exists():
        for line in journal.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                continue  # a line cut short by the interruption (or not ours)
            if not isinstance(record, dict) or not isinstance(record.get("entry"), dict):
                continue
            rel = str(record.get("rel"))
            if record["entry"].get("status") == "done":
                found.owned.add(rel)
            if record.get("params") == key:
                found.entries[rel] = record["entry"]
    return found


def still_matches(entry: Any, source: Path, output: Path, report: Path) -> bool:
    """True when an earlier run's entry still describes these files exactly (SHA-256 of all three)."""
    if not isinstance(entry, dict) or entry.get("status") != "done":
        return False
    try:
        if not (output.is_file() and report.is_file()) or source.stat().st_size != entry.get("input_size"):
            return False
        return (file_sha256(output) == entry.get("output_sha256") and file_sha256(report) == entry.get("report_sha256")
                and file_sha256(source) == entry.get("input_sha256"))
    except OSError:
        return False


class ManifestWriter:
    """Keeps the manifest of a running batch: journal line per file at once, full rewrite now and then."""

    def __init__(self, output_dir: Path, manifest: dict, params: RedactParams, rewrite_every_s: float = 2.0):
        self.path = output_dir / MANIFEST_NAME
        self.journal = output_dir / JOURNAL_NAME
        self.manifest = manifest
        self._key = params_key(params)
        self._every = rewrite_every_s
        self._last = 0.0

    def start(self) -> None:
        """The manifest of this run on disk at once; the journal then holds only this run's files."""
        self.write()
        self.journal.unlink(missing_ok=True)

    def record(self, rel: str, entry: dict, clock: float) -> None:
        self.manifest["files"][rel] = entry
        line = json.dumps({"params": self._key, "rel": rel, "entry": entry}, ensure_ascii=False) + "\n"
        with open(self.journal, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        if clock - self._last >= self._every:
            self.write(clock)

    def write(self, clock: float = 0.0, final: bool = False) -> None:
        self._last = clock
        self.manifest["updated"] = now()
        self.manifest["files"] = dict(sorted(self.manifest["files"].items()))
        data = (json.dumps(self.manifest, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
        write_bytes_atomic(self.path, data)
        if final:
            self.journal.unlink(missing_ok=True)
