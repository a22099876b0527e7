"""The one chunked SHA-256 used by analysis, export, the editor and the model manifest."""

import hashlib

import pytest

from anonymizer_gui.core.foundation import file_hash
from anonymizer_gui.core.foundation.errors import Cancelled
from anonymizer_gui.core.foundation.file_hash import file_sha256


def test_digest_progress_and_cancel(tmp_path, monkeypatch):
    monkeypatch.setattr(file_hash, "CHUNK", 1000)
    path = tmp_path / "f.bin"
    data = bytes(range(256)) * 20
    path.write_bytes(data)
    seen = []
    assert file_sha256(path, progress=seen.append) == hashlib.sha256(data).hexdigest()
    assert seen[-1].done == seen[-1].total == len(data)
    with pytest.raises(Cancelled):
        file_sha256(path, cancel=lambda: True)
