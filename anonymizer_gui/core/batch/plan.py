"""Which files of a folder a batch redacts, and where each result goes (nested folders mirrored)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..export import FORMAT_BY_SUFFIX, default_report_path
from ..foundation import AnonymizerError
from ..media import STILL_SUFFIXES

# Containers we can read but not write get an .mp4 beside their own suffix (a.mts -> a.mts.mp4), so
# two inputs a.mts and a.mp4 never share an output.
READ_ONLY_VIDEO_SUFFIXES = (".mts", ".m2ts", ".ts", ".mpg", ".mpeg", ".3gp", ".wmv", ".flv")
MEDIA_SUFFIXES = tuple(STILL_SUFFIXES) + tuple(FORMAT_BY_SUFFIX) + READ_ONLY_VIDEO_SUFFIXES


@dataclass(frozen=True)
class BatchItem:
    """One input file of a batch: `rel` is its path inside the input folder, with forward slashes."""

    rel: str
    source: Path
    output: Path
    report: Path
    is_still: bool

    @property
    def output_rel(self) -> str:
        return output_rel(self.rel)

    def to_job(self) -> dict:
        return {"rel": self.rel, "source": str(self.source), "output": str(self.output),
                "report": str(self.report), "is_still": self.is_still}


def output_rel(rel: str) -> str:
    suffix = os.path.splitext(rel)[1].lower()
    return rel if suffix in STILL_SUFFIXES or suffix in FORMAT_BY_SUFFIX else rel + ".mp4"


def plan_batch(input_dir: Path, output_dir: Path) -> tuple[list[BatchItem], list[str]]:
    """(the media files to redact, the other files found and left alone), both in a stable order.

    Hidden files and folders are left out; so is the output folder when it lies inside the input.
    """
    input_dir, output_dir = input_dir.resolve(), output_dir.resolve()
    if not input_dir.is_dir():
        raise AnonymizerError(f"{input_dir} is not a folder" if input_dir.exists() else f"{input_dir} does not exist")
    if output_dir == input_dir:
        raise AnonymizerError("the output folder is the input folder; choose another -o folder (inputs are never "
                              "overwritten)")
    if input_dir.is_relative_to(output_dir):
        raise AnonymizerError("the input folder lies inside the output folder; choose another -o folder")
    items, ignored = [], []
    for folder, dirs, files in os.walk(input_dir):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (here / d).resolve() != output_dir)
        for name in sorted(files):
            if name.startswith("."):
                continue
            source = here / name
            rel = source.relative_to(input_dir).as_posix()
            suffix = source.suffix.lower()
            if suffix not in MEDIA_SUFFIXES:
                ignored.append(rel)
                continue
            output = output_dir / output_rel(rel)
            items.append(BatchItem(rel, source, output, default_report_path(output), suffix in STILL_SUFFIXES))
    return items, ignored
