"""foundation.check_output: the one output-safety check, on real files (no media needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from anonymizer_gui.core.foundation import OutputError, check_output, write_text_atomic


@pytest.fixture
def clip(tmp_path) -> Path:
    path = tmp_path / "Clip.mp4"
    path.write_bytes(b"evidence")
    return path


def refused(output, **kw) -> str:
    with pytest.raises(OutputError) as exc:
        check_output(output, "project", **kw)
    return str(exc.value)


def case_insensitive(folder: Path) -> bool:
    probe = folder / "CaseProbe"
    probe.write_text("")
    try:
        return (folder / "caseprobe").exists()
    finally:
        probe.unlink()


def test_a_new_file_in_a_writable_folder_is_allowed(tmp_path, clip):
    out = check_output(tmp_path / "p.json", "project", reads=[("input video", clip)], suffixes=(".json",))
    assert out == tmp_path / "p.json" and out.is_absolute()


def test_the_input_in_every_spelling_is_refused_even_with_force(tmp_path, clip):
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.mp4"
    link.symlink_to(clip)
    twin = tmp_path / "twin.mp4"
    os.link(clip, twin)
    for spelling in (clip, tmp_path / "sub" / ".." / "Clip.mp4", link, twin):
        message = refused(spelling, reads=[("input video", clip)], force=True)
        assert message == (f"the project {os.path.abspath(spelling)} is the input video ({clip}); choose another "
                           "file name, the input is never overwritten")
    assert clip.read_bytes() == b"evidence"


def test_a_case_variant_of_the_input_is_refused_on_a_case_insensitive_file_system(tmp_path, clip):
    if not case_insensitive(tmp_path):
        pytest.skip(f"{tmp_path} is case-sensitive: clip.mp4 and Clip.mp4 are two files here")
    message = refused(tmp_path / "clip.mp4", reads=[("input video", clip)], force=True)
    assert "is the input video" in message


def test_a_case_variant_is_refused_where_the_file_system_says_it_is_the_same_file(tmp_path, clip, monkeypatch):
    """Simulated case-insensitive file system: samefile (the inode) decides, not the spelling."""
    real = os.path.samefile
    monkeypatch.setattr(os.path, "samefile",
                        lambda a, b: os.fspath(a).lower() == os.fspath(b).lower() or real(a, b))
    message = refused(tmp_path / "CLIP.MP4", reads=[("input video", clip)], force=True)
    assert message.startswith(f"the project {tmp_path / 'CLIP.MP4'} is the input video ({clip})")


def test_another_output_of_the_same_command_is_refused(tmp_path):
    message = refused(tmp_path / "a.json", writes=[("output", tmp_path / "a.json")])
    assert message == f"the project {tmp_path / 'a.json'} is also the output; choose another file name"


def test_an_existing_file_needs_force(tmp_path):
    existing = tmp_path / "p.json"
    existing.write_text("hours of review")
    assert refused(existing) == (f"the project {existing} already exists; choose another file name, or give "
                                 "--force to replace it")
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere.json")
    assert "already exists" in refused(dangling)
    assert check_output(existing, "project", force=True) == existing
    assert existing.read_text() == "hours of review"  # the check itself never writes


def test_wrong_suffix_missing_folder_folder_as_output(tmp_path):
    assert refused(tmp_path / "p.xyz", suffixes=(".json",)) == \
        "cannot write '.xyz' files; name the project with one of .json"
    assert refused(tmp_path / "no" / "p.json") == f"the project folder {tmp_path / 'no'} does not exist"
    assert refused(tmp_path) == f"the project {tmp_path} is a folder; give a file name inside it"
    (tmp_path / "file").write_text("")
    assert refused(tmp_path / "file" / "p.json") == f"the project folder {tmp_path / 'file'} is not a folder"


def test_unwritable_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda p, mode: not mode & os.W_OK)
    assert refused(tmp_path / "p.json") == f"cannot write into the project folder {tmp_path}: permission denied"


def test_forced_replacement_is_atomic(tmp_path, monkeypatch):
    """The old file stays whole until the new one is complete: one rename, never a truncate."""
    existing = tmp_path / "p.json"
    existing.write_text("old")
    inode = existing.stat().st_ino
    check_output(existing, "project", force=True)
    write_text_atomic(existing, "new")
    assert existing.read_text() == "new" and existing.stat().st_ino != inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


def test_a_device_is_never_replaced_even_with_force():
    with pytest.raises(OutputError) as exc:
        check_output("/dev/null", "output", force=True)
    assert str(exc.value) == "the output /dev/null is not a regular file; choose another file name"
