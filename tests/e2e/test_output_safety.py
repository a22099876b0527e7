"""Nothing is lost: every subcommand x every way its output can collide with an input or an existing file.

Each case is refused with exit 1 and one exact `error:` line before any work: no detector loaded, no
analysis, no file opened by FFmpeg (av.open) and no input hashed; and no file in the folder changes
(bytes, mtime, links). With --force an existing output (never an input) is replaced atomically.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

import anonymizer_gui.cli.analyze as cli_analyze
import anonymizer_gui.core.export.video as export_video_module
from anonymizer_gui.cli import main
from anonymizer_gui.core.project import load_project, save_project
from tests.clips import make_clip
from tests.core.export_fixtures import project_for
from tests.core.test_analyze import KnownBoxesDetector

NEVER = "the input is never overwritten"
EXISTS = "already exists; choose another file name, or give --force to replace it"
VIDEO_SUFFIXES = ".avi, .m4v, .mkv, .mov, .mp4, .webm"


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("safety_source")
    return make_clip(folder / "clip.mp4", width=160, height=120, frames=12)


@pytest.fixture
def scene(tmp_path, source):
    """A folder holding the input video, its project, links to the video and files that already exist."""
    f = tmp_path
    clip = f / "clip.mp4"
    clip.write_bytes(source.path.read_bytes())
    truth = source.__class__(**{**source.__dict__, "path": clip})
    save_project(project_for(truth), f / "project.json")
    (f / "sub").mkdir()
    (f / "folder.json").mkdir()
    (f / "link.mp4").symlink_to(clip)
    (f / "link.json").symlink_to(clip)
    os.link(clip, f / "twin.mp4")
    (f / "existing.json").write_text('{"hours": "of review"}')
    (f / "existing.mp4").write_bytes(b"an earlier export")
    (f / "fresh.mp4.audit.json").write_text('{"an": "earlier report"}')
    return f


def snapshot(folder: Path) -> dict:
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(root) / name
            st = p.lstat()
            out[str(p.relative_to(folder))] = (st.st_mtime_ns, st.st_ino, st.st_nlink,
                                               p.read_bytes() if p.is_file() and not p.is_symlink() else None)
    return out


@pytest.fixture
def no_work(monkeypatch):
    """Records (and stops) any work: loading a detector, analysing, opening media, hashing."""
    calls = []

    def forbidden(what):
        def call(*args, **kwargs):
            calls.append(what)
            raise AssertionError(f"{what} was called before the checks refused the command")
        return call

    monkeypatch.setattr(cli_analyze, "load_detectors", forbidden("load_detectors"))
    monkeypatch.setattr(cli_analyze, "analyze", forbidden("analyze"))
    opened = forbidden("av.open")
    real_open = av.open

    def open_in_memory_only(target, *args, **kwargs):
        # The encoder check asks FFmpeg's muxer in memory whether the container takes the codec:
        # no file is read or written. Any file opened is work done before the checks.
        if isinstance(target, io.BytesIO):
            return real_open(target, *args, **kwargs)
        return opened(target, *args, **kwargs)

    monkeypatch.setattr(av, "open", open_in_memory_only)
    monkeypatch.setattr(export_video_module, "file_sha256", forbidden("file_sha256"))
    return calls


def cases(f: Path) -> list[tuple[list[str], str]]:
    """(argv, the exact stderr line) for every collision of every subcommand that writes a file."""
    clip, project = f / "clip.mp4", f / "project.json"
    spellings = {"same path": f / "clip.mp4", "'..' in the path": f / "sub" / ".." / "clip.mp4",
                 "symbolic link": f / "link.mp4", "hard link": f / "twin.mp4"}
    out = []
    for how, path in spellings.items():
        shown = os.path.abspath(path)
        out += [
            (["analyze", str(clip), "-o", str(path)], f"the project {shown} is the input video ({clip}); "
                                                      f"choose another file name, {NEVER}"),
            (["redact", str(clip), "-o", str(path)], f"the output {shown} is the input video ({clip}); "
                                                     f"choose another file name, {NEVER}"),
            (["redact", str(clip), "-o", str(f / "new.mp4"), "--project", str(path)],
             f"the project {shown} is the input video ({clip}); choose another file name, {NEVER}"),
            (["export", str(project), "-o", str(path)], f"the output {shown} is the input video ({clip}); "
                                                        f"choose another file name, {NEVER}"),
            (["export", str(project), "-o", str(f / "new.mp4"), "--report", str(path)],
             f"the report {shown} is the input video ({clip}); choose another file name, {NEVER}"),
        ]
    out += [
        # a link named like a project still points at the video
        (["analyze", str(clip), "-o", str(f / "link.json")],
         f"the project {f / 'link.json'} is the input video ({clip}); choose another file name, {NEVER}"),
        # the file the command reads: the project
        (["export", str(project), "-o", str(project)],
         f"the output {project} is the project file ({project}); choose another file name, {NEVER}"),
        (["export", str(project), "-o", str(f / "new.mp4"), "--report", str(project)],
         f"the report {project} is the project file ({project}); choose another file name, {NEVER}"),
        # two outputs of one command
        (["export", str(project), "-o", str(f / "new.mp4"), "--report", str(f / "new.mp4")],
         f"the report {f / 'new.mp4'} is also the output; choose another file name"),
        (["redact", str(clip), "-o", str(f / "r.mp4"), "--project", str(f / "r.mp4.audit.json")],
         f"the report {f / 'r.mp4.audit.json'} is also the project; choose another file name"),
        # existing files without --force
        (["analyze", str(clip), "-o", str(f / "existing.json")], f"the project {f / 'existing.json'} {EXISTS}"),
        (["redact", str(clip), "-o", str(f / "existing.mp4")], f"the output {f / 'existing.mp4'} {EXISTS}"),
        (["redact", str(clip), "-o", str(f / "fresh.mp4")], f"the report {f / 'fresh.mp4.audit.json'} {EXISTS}"),
        (["redact", str(clip), "-o", str(f / "new.mp4"), "--project", str(f / "existing.json")],
         f"the project {f / 'existing.json'} {EXISTS}"),
        (["export", str(project), "-o", str(f / "existing.mp4")], f"the output {f / 'existing.mp4'} {EXISTS}"),
        (["export", str(project), "-o", str(f / "fresh.mp4")], f"the report {f / 'fresh.mp4.audit.json'} {EXISTS}"),
        (["export", str(project), "-o", str(f / "new.mp4"), "--report", str(f / "existing.json")],
         f"the report {f / 'existing.json'} {EXISTS}"),
        # paths that cannot be written
        (["analyze", str(clip), "-o", str(f / "p.xyz")], "cannot write '.xyz' files; name the project with one of .json"),
        (["redact", str(clip), "-o", str(f / "out.xyz")],
         f"cannot write '.xyz' files; name the output with one of {VIDEO_SUFFIXES}"),
        (["export", str(project), "-o", str(f / "out.xyz")],
         f"cannot write '.xyz' files; name the output with one of {VIDEO_SUFFIXES}"),
        (["analyze", str(clip), "-o", str(f / "nope" / "p.json")], f"the project folder {f / 'nope'} does not exist"),
        (["redact", str(clip), "-o", str(f / "nope" / "o.mp4")], f"the output folder {f / 'nope'} does not exist"),
        (["export", str(project), "-o", str(f / "nope" / "o.mp4")], f"the output folder {f / 'nope'} does not exist"),
        (["analyze", str(clip), "-o", str(f / "folder.json")],
         f"the project {f / 'folder.json'} is a folder; give a file name inside it"),
        # settings, all before any work
        (["export", str(project), "-o", str(f / "new.mp4"), "--codec", "nope"],
         "the video encoder 'nope' is not available in this build of FFmpeg"),
        (["export", str(project), "-o", str(f / "new.mp4"), "--crf", "99"], "crf must be between 0 and 63, got 99"),
        (["export", str(project), "-o", str(f / "new.mp4"), "--preset", "warp"],
         "unknown preset 'warp'; use one of ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, "
         "veryslow, placebo"),
        (["analyze", str(clip), "-o", str(f / "p.json"), "--threshold", "2"], "--threshold: 2.0 must lie between 0 and 1"),
        (["redact", str(clip), "-o", str(f / "o.mp4"), "--threshold", "car=0.3"],
         "--threshold names 'car', which is not in --classes (face, plate)"),
        (["analyze", str(f / "missing.mp4"), "-o", str(f / "p.json")], f"{f / 'missing.mp4'} does not exist"),
        # names the file system takes, but not with the temporary file's 18 more bytes (or the report's
        # 11): the analysis used to run to its end, the export to fail with an internal error
        (["analyze", str(clip), "-o", str(f / ("v" * 240 + ".json"))], _too_long("project", 245)),
        (["export", str(project), "-o", str(f / ("v" * 236 + ".mp4"))], _too_long("output", 240)),
        (["export", str(project), "-o", str(f / ("v" * 226 + ".mp4"))], _too_long("report", 241)),
    ]
    return out


def _too_long(what: str, length: int) -> str:
    return (f"the {what} file name {'v' * 40}... is {length} bytes long; with the 18 bytes its temporary file adds, "
            "that is over the 255-byte limit of file names here; choose a shorter name")


def test_every_collision_is_refused_before_any_work_and_changes_nothing(scene, no_work, capsys):
    before = snapshot(scene)
    checked = 0
    for argv, message in cases(scene):
        for force in ((), ("--force",)) if "already exists" not in message else ((),):
            code = main([*argv, *force, "--quiet"])
            err = capsys.readouterr().err
            assert (code, err) == (1, f"error: {message}\n"), " ".join(argv + list(force))
            assert no_work == [], f"{' '.join(argv)}: {no_work}"
            checked += 1
    assert snapshot(scene) == before
    assert checked >= 60


def test_an_unknown_class_is_refused_before_any_model_loads(scene, no_work, capsys):
    before = snapshot(scene)
    assert main(["analyze", str(scene / "clip.mp4"), "-o", str(scene / "p.json"), "--classes", "face,car"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: 'car' is neither a model nor a task in the manifest; models: ")
    assert len(err.splitlines()) == 1 and no_work == [] and snapshot(scene) == before


@pytest.mark.parametrize("file_system", ["this one", "simulated case-insensitive"])
def test_a_case_variant_of_the_input_is_refused_where_the_file_system_ignores_case(scene, no_work, capsys,
                                                                                   monkeypatch, file_system):
    upper = scene / "CLIP.MP4"
    if file_system == "this one" and not upper.exists():
        pytest.skip(f"{scene} is case-sensitive (CLIP.MP4 is another file); the simulated case covers it")
    if file_system != "this one":  # what macOS and Windows report: one inode for both spellings
        real = os.path.samefile
        monkeypatch.setattr(os.path, "samefile", lambda a, b: os.fspath(a).lower() == os.fspath(b).lower()
                            or real(a, b))
    before = snapshot(scene)
    clip = scene / "clip.mp4"
    for argv, what in ((["analyze", str(clip), "-o", str(upper)], "project"),
                       (["redact", str(clip), "-o", str(upper), "--force"], "output"),
                       (["export", str(scene / "project.json"), "-o", str(upper), "--force"], "output")):
        assert main(argv) == 1
        assert capsys.readouterr().err == (f"error: the {what} {upper} is the input video ({clip}); choose another "
                                           f"file name, {NEVER}\n")
    assert no_work == [] and snapshot(scene) == before


@pytest.mark.parametrize("argv, message", [
    (["analyze", "clip.mp4", "-o", "p.json", "--detect-every", "0"],
     "error: argument --detect-every: must be 1 or more, not 0"),
    (["redact", "clip.mp4", "-o", "o.mp4", "--style", "glow"], "error: argument --style: invalid choice: "),
    (["analyze", "clip.mp4"], "error: the following arguments are required: -o/--output"),
    (["export", "p.json", "-o", "o.mp4", "--crf", "high"], "error: argument --crf: invalid int value: 'high'"),
    (["models"], "error: the following arguments are required: ACTION"),
    (["probe", "clip.mp4", "--bogus"], "error: unrecognized arguments: --bogus"),
])
def test_usage_errors_exit_1_with_one_error_line_and_the_usage_hint(argv, message, capsys):
    assert main(argv) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(message)
    assert [line for line in lines if line.startswith("error:")] == [lines[0]]
    assert lines[1].startswith(f"usage: anonymizer-gui {argv[0]}") and lines[-1].endswith("--help`)")


def test_a_usage_error_of_the_editor_exits_1_too(capsys):
    assert main(["--bogus"]) == 1  # no subcommand: the editor's own arguments
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "error: unrecognized arguments: --bogus"
    assert lines[1].startswith("usage: anonymizer-gui [-h] [--demo]") and lines[-1] == "(see `anonymizer-gui --help`)"


def test_the_process_exits_1_for_the_issues_cases(scene):
    """As a user runs it: `analyze clip.mp4 -o clip.mp4` and `--detect-every 0` exit 1, the video intact."""
    before = snapshot(scene)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for extra in (["-o", "clip.mp4"], ["-o", "p.json", "--detect-every", "0"]):
        done = subprocess.run([sys.executable, "-m", "anonymizer_gui", "analyze", "clip.mp4", *extra],
                              cwd=scene, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert snapshot(scene) == before


def test_an_internal_error_exits_2_with_the_trace(monkeypatch, capsys):
    import anonymizer_gui.cli.probe as cli_probe

    def broken(path):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli_probe, "probe", broken)
    assert main(["probe", "clip.mp4"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: a bug" in err
    assert err.splitlines()[-1] == "internal error: please report this with the trace above"


# -- with --force: an existing output is replaced, atomically --------------------------------------
@pytest.fixture
def fake_detectors(monkeypatch, source):
    monkeypatch.setattr(cli_analyze, "load_detectors",
                        lambda classes, settings=None: {label: KnownBoxesDetector(source) for label in classes})


def replaced(path: Path, old: tuple) -> bool:
    st = path.stat()
    return (st.st_ino, path.read_bytes()) != old and st.st_ino != old[0]


def test_force_replaces_an_existing_project_atomically(scene, fake_detectors, capsys):
    target = scene / "existing.json"
    old = (target.stat().st_ino, target.read_bytes())
    assert main(["analyze", str(scene / "clip.mp4"), "-o", str(target), "--classes", "face", "--force",
                 "--quiet"]) == 0
    assert replaced(target, old) and load_project(target).tracks  # a new file renamed over the old one
    assert not [p for p in scene.iterdir() if ".partial" in p.name]


def test_force_replaces_an_existing_export_and_report_never_the_input(scene, capsys):
    clip, video, report = scene / "clip.mp4", scene / "existing.mp4", scene / "existing.mp4.audit.json"
    report.write_text("{}")
    clip_bytes = clip.read_bytes()
    olds = {p: (p.stat().st_ino, p.read_bytes()) for p in (video, report)}
    assert main(["export", str(scene / "project.json"), "-o", str(video), "--force", "--quiet",
                 "--preset", "ultrafast"]) == 0
    assert all(replaced(p, old) for p, old in olds.items())
    assert video.read_bytes()[4:8] == b"ftyp" and clip.read_bytes() == clip_bytes
    assert not [p for p in scene.iterdir() if ".partial" in p.name]


def test_force_replaces_an_existing_redaction_and_project(scene, fake_detectors, capsys):
    out, project = scene / "existing.mp4", scene / "existing.json"
    olds = {p: (p.stat().st_ino, p.read_bytes()) for p in (out, project)}
    assert main(["redact", str(scene / "clip.mp4"), "-o", str(out), "--project", str(project), "--classes",
                 "face", "--force", "--quiet"]) == 0
    assert all(replaced(p, old) for p, old in olds.items())
    assert load_project(project).tracks
