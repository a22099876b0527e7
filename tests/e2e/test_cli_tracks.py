"""`anonymizer-gui tracks export|import` end to end: a project through CVAT XML and MOT CSV and back."""

from __future__ import annotations

import json

from pathlib import Path

import pytest

from anonymizer_gui.cli import main
from anonymizer_gui.core.project import Project, save_project
from tests.core.test_interchange import box_tracks, project, shaped_tracks


def write_project(path, tracks) -> None:
    p: Project = project(tracks)
    save_project(p, path)


@pytest.mark.parametrize("fmt, tracks", [("cvat", box_tracks() + shaped_tracks()), ("mot", box_tracks())])
def test_export_then_import_keeps_every_keyframe(tmp_path, capsys, fmt, tracks):
    path = tmp_path / "p.json"
    write_project(path, tracks)
    before = json.loads(path.read_text())["tracks"]
    out = tmp_path / f"tracks.{'xml' if fmt == 'cvat' else 'txt'}"
    assert main(["tracks", "export", str(path), "-f", fmt, "-o", str(out)]) == 0
    assert "keyframes" in capsys.readouterr().out
    result = tmp_path / "back.json"
    assert main(["tracks", "import", str(path), str(out), "-o", str(result)]) == 0
    after = json.loads(result.read_text())["tracks"]

    def frames(ts):
        return [[(k["frame"], k["outside"]) + (() if k["outside"] else (k["shape"], k["points"]))
                 for k in t["keyframes"]] for t in ts]

    assert frames(after) == frames(before)
    assert json.loads(path.read_text())["tracks"] == before  # -o: the original project is untouched


def test_import_rewrites_the_project_in_place_and_errors_are_one_line(tmp_path, capsys):
    path = tmp_path / "p.json"
    write_project(path, box_tracks())
    bad = tmp_path / "bad.xml"
    bad.write_text("<annotations><image id='0'/></annotations>")
    assert main(["tracks", "import", str(path), str(bad)]) == 1
    assert "CVAT for images" in capsys.readouterr().err
    mot = tmp_path / "gt.txt"
    mot.write_text("1,7,10,10,20,20,1,-1,-1,-1\n2,7,12,10,20,20,1,-1,-1,-1\n")
    assert main(["tracks", "import", str(path), str(mot), "--label", "plate"]) == 0
    tracks = json.loads(path.read_text())["tracks"]
    assert [(t["id"], t["label"], len(t["keyframes"])) for t in tracks] == [(7, "plate", 2)]
    assert main(["tracks", "export", str(path), "-f", "mot", "-o", str(path), "--force"]) == 1  # never the project
    assert "is the project file" in capsys.readouterr().err
    out = tmp_path / "t.xml"
    assert main(["tracks", "export", str(path), "-f", "cvat", "-o", str(out)]) == 0
    assert main(["tracks", "export", str(path), "-f", "cvat", "-o", str(out)]) == 1  # exists: only with --force
    assert "--force" in capsys.readouterr().err
    assert main(["tracks", "export", str(path), "-f", "cvat", "-o", str(out), "--force"]) == 0


def _refused_import(tmp_path, capsys, name: str, content: bytes) -> tuple[Path, Path, str]:
    """A project of three tracks and an import of `content` from `name` that must be refused: (the
    project, the track file, the one error line); the project's bytes are checked unchanged."""
    path = tmp_path / "p.json"
    write_project(path, box_tracks())
    before = path.read_bytes()
    source = tmp_path / name
    source.write_bytes(content)
    assert main(["tracks", "import", str(path), str(source)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert path.read_bytes() == before
    return path, source, err


@pytest.mark.parametrize("name, content", [
    ("corrections.xml", b""),  # a failed download
    ("corrections.xml", b"<?xml version='1.0'?><annotations><version>1.1</version><meta/></annotations>"),
    ("gt.txt", b""),
    ("gt.txt", b"# nothing tracked\n"),
])
def test_import_of_a_file_with_no_tracks_refuses_and_keeps_every_track(tmp_path, capsys, name, content):
    path, empty, err = _refused_import(tmp_path, capsys, name, content)
    assert "holds no tracks" in err
    result = tmp_path / "out.json"
    assert main(["tracks", "import", str(path), str(empty), "-o", str(result)]) == 1
    assert not result.exists()


def test_import_says_how_many_tracks_it_replaces(tmp_path, capsys):
    path = tmp_path / "p.json"
    write_project(path, box_tracks())
    mot = tmp_path / "gt.txt"
    mot.write_text("1,7,10,10,20,20,1,-1,-1,-1\n")
    assert main(["tracks", "import", str(path), str(mot)]) == 0
    assert "replacing the project's 3 tracks" in capsys.readouterr().out


@pytest.mark.parametrize("name, content", [
    ("boxes.txt", "1,1,1e308,10,1e308,20,1,-1,-1,-1\n"),  # left + width overflows to infinity
    ("ell.xml", "<annotations><version>1.1</version><track id='1' label='face'><ellipse frame='0' keyframe='1' "
                "outside='0' occluded='0' cx='1e308' cy='10' rx='1e308' ry='5' z_order='0'/></track></annotations>"),
    ("wide.xml", "<annotations><version>1.1</version><track id='1' label='face'><box frame='0' keyframe='1' "
                 "outside='0' occluded='0' xtl='-1.7e308' ytl='0' xbr='1.7e308' ybr='5' z_order='0'/></track>"
                 "</annotations>"),
])
def test_import_of_coordinates_beyond_any_picture_keeps_the_project_loadable(tmp_path, capsys, name, content):
    path, _, err = _refused_import(tmp_path, capsys, name, content.encode())
    assert "10000000" in err
    assert main(["tracks", "export", str(path), "-f", "mot", "-o", str(tmp_path / "back.txt")]) == 0
