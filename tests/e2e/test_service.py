"""`anonymizer-gui serve` on a real uvicorn on a loopback port, driven with httpx and websockets:
the token, path traversal, an upload followed over the WebSocket, a cancel and a restart. The jobs
run the real engine with the known-boxes test detector in place of the model weights."""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
import time

import pytest

httpx = pytest.importorskip("httpx", reason="the service tests need the [dev] extra (httpx)")
uvicorn = pytest.importorskip("uvicorn", reason="the service tests need the [serve] extra (uvicorn)")
ws_client = pytest.importorskip("websockets.sync.client", reason="the service tests need websockets")

from anonymizer_gui.core.media import probe  # noqa: E402
from anonymizer_gui.service.app import create_app  # noqa: E402
from anonymizer_gui.service.jobs import JobStore  # noqa: E402
from anonymizer_gui.service.token import load_or_create_token  # noqa: E402
from tests.clips import make_clip  # noqa: E402
from tests.core.test_analyze import KnownBoxesDetector  # noqa: E402

TOKEN = "t" * 24
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FACE_ONLY = {"classes": ["face"], "style": "solid"}


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("service_media")
    allowed = root / "allowed"
    allowed.mkdir()
    clip = make_clip(allowed / "clip.mp4", frames=20)
    (root / "secret.mp4").write_bytes(clip.path.read_bytes())
    (allowed / "link.mp4").symlink_to(root / "secret.mp4")
    (allowed / "notes.txt").write_text("not media")
    (allowed / "loop.mp4").symlink_to(allowed / "loop.mp4")  # a link to itself
    return root, allowed, clip


class BodyMeter:
    """ASGI middleware that counts the request body bytes the app has taken from the server."""

    def __init__(self, app):
        self.app, self.received = app, 0

    async def __call__(self, scope, receive, send):
        async def counted():
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


class Service:
    def __init__(self, state, allowed, clip, delay_s=0.0):
        def detectors(params):
            return {"face": KnownBoxesDetector(clip, dropout=0.0, delay_s=delay_s)}

        self.store = JobStore(state, workers=1, detectors_factory=detectors)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        app = self.meter = BodyMeter(create_app(self.store, TOKEN, [allowed], max_upload_bytes=1 << 20))
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                log_level="warning", ws="websockets-sansio")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                break
            time.sleep(0.05)
        assert self.server.started, "uvicorn did not start"
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = httpx.Client(base_url=self.url, headers=AUTH, timeout=30)

    def stop(self):
        self.http.close()
        self.server.should_exit = True
        self.thread.join(30)

    def wait(self, job_id, until=("done", "failed", "cancelled"), timeout=60):
        for _ in range(int(timeout / 0.05)):
            job = self.http.get(f"/jobs/{job_id}").json()
            if job["status"] in until:
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} stayed {job['status']}")


@pytest.fixture
def service(media, tmp_path):
    _, allowed, clip = media
    s = Service(tmp_path / "state", allowed, clip, delay_s=0.05)
    yield s
    s.stop()


def test_every_request_needs_the_token(service):
    for headers in ({}, {"Authorization": "Bearer wrong-token-of-some-length"}, {"Authorization": TOKEN}):
        r = httpx.get(f"{service.url}/jobs", headers=headers)
        assert r.status_code == 401 and r.json() == {"detail": "missing or wrong token"}
    assert httpx.delete(f"{service.url}/jobs/x").status_code == 401
    with pytest.raises(Exception) as failed:
        ws_client.connect(f"ws://127.0.0.1:{service.port}/jobs/x/events?token=wrong", open_timeout=10)
    assert "401" in str(failed.value)


def test_paths_outside_the_allowed_folders_are_refused(service, media):
    root, allowed, _ = media
    for path, code in ((f"{allowed}/../secret.mp4", 403), (str(allowed / "link.mp4"), 403),
                       ("clip.mp4", 400), (str(allowed / "missing.mp4"), 404), (str(allowed / "notes.txt"), 415),
                       ("/etc/passwd", 403)):
        r = service.http.post("/jobs", json={"path": path, "options": FACE_ONLY})
        assert r.status_code == code, (path, r.text)
        assert "\n" not in r.json()["detail"]
    r = service.http.post("/jobs", json={"path": str(allowed / "clip.mp4"), "options": {"style": "paint"}})
    assert r.status_code == 422 and r.json()["detail"].startswith("options.style")
    r = service.http.post("/jobs", json={"path": str(allowed / "clip.mp4"), "options": {"classes": ["car"]}})
    assert r.status_code == 422 and r.json()["detail"].startswith("options.classes")
    r = service.http.post("/jobs", json={"path": str(allowed / "clip.mp4"),
                                         "options": {"classes": ["face"], "thresholds": {"face": 3}}})
    assert r.status_code == 422 and "threshold" in r.json()["detail"]
    assert service.http.get("/jobs/nope").status_code == 404
    assert service.http.post("/jobs", content=b"x", headers={"content-type": "text/plain"}).status_code == 415
    big = service.http.post("/jobs", files={"file": ("big.mp4", b"\0" * (3 << 20), "video/mp4")})
    assert big.status_code == 413 and "larger than 1 MiB" in big.json()["detail"]
    assert service.http.get("/jobs").json() == {"jobs": []}


def test_malformed_requests_get_a_clear_4xx_and_leave_nothing_behind(service, media):
    _, allowed, _ = media
    for body, code in (
            (json.dumps({"path": f"{allowed}/a\u0000.mp4"}), 400),  # a NUL byte
            (json.dumps({"path": f"{allowed}/{'a' * 300}.mp4"}), 400),  # a name longer than NAME_MAX
            (json.dumps({"path": f"{allowed}/{'a/' * 3000}x.mp4"}), 400),  # a path longer than PATH_MAX
            ('{"path": "%s/\\ud800.mp4"}' % allowed, 400),  # a lone surrogate: no file name encodes it
            (json.dumps({"path": str(allowed / "loop.mp4")}), 400),  # a loop of symbolic links
            ("[" * 100_000 + "]" * 100_000, 400),  # nested deeper than the JSON parser recurses
            ('{"path": %s}' % ("1" * 5000), 400),  # an integer longer than Python converts
            (b'{"path": "\xff\xfe"}', 400)):  # not UTF-8
        r = service.http.post("/jobs", content=body, headers={"content-type": "application/json"})
        assert r.status_code == code, (str(body)[:80], r.text[:200])
        assert isinstance(r.json()["detail"], str) and "\n" not in r.json()["detail"], r.text[:200]
    r = service.http.post("/jobs", json=[1])
    assert r.status_code == 422 and r.json()["detail"].startswith("body: "), r.text
    for options, code, start in (("[" * 100_000 + "]" * 100_000, 400, "options: not valid JSON"),
                                 ("{nope", 400, "options: not valid JSON"),
                                 ('{"crf": %s}' % ("9" * 5000), 400, "options: not valid JSON"),
                                 ('{"crf": 99}', 422, "options.crf: "), ("[1]", 422, "options: ")):
        r = service.http.post("/jobs", files={"file": ("a.mp4", b"\0" * 1000, "video/mp4")},
                              data={"options": options})
        assert r.status_code == code and r.json()["detail"].startswith(start), (options[:40], r.text[:200])
        assert "\n" not in r.json()["detail"]
    assert service.http.get("/jobs").json() == {"jobs": []}
    assert list(service.store.root.iterdir()) == []


def test_refused_jobs_leave_no_job_folder(service, media):
    _, allowed, _ = media
    clip = str(allowed / "clip.mp4")
    for options in ({"classes": ["car"]}, {"classes": ["face"], "thresholds": {"face": 3}}):
        r = service.http.post("/jobs", json={"path": clip, "options": options})
        assert r.status_code == 422, r.text
        r = service.http.post("/jobs", files={"file": ("a.mp4", b"\0" * 1000, "video/mp4")},
                              data={"options": json.dumps(options)})
        assert r.status_code == 422, r.text
    r = service.http.post("/jobs", files={"file": ("a.mp4", b"\0" * ((1 << 20) + 1), "video/mp4")})
    assert r.status_code == 413, r.text  # over the limit by a byte: refused after the folder was made
    assert service.http.get("/jobs").json() == {"jobs": []}
    assert list(service.store.root.iterdir()) == []  # no empty <state>/jobs/<id>/ left behind


def test_a_full_disk_while_storing_an_upload_is_a_clear_507(service, monkeypatch):
    def full(src, target, limit):
        target.write_bytes(b"part of it")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("anonymizer_gui.service.app._copy_upload", full)
    r = service.http.post("/jobs", files={"file": ("a.mp4", b"\0" * 1000, "video/mp4")})
    assert r.status_code == 507 and "No space left on device" in r.json()["detail"], r.text
    assert service.http.get("/jobs").json() == {"jobs": []}
    assert list(service.store.root.iterdir()) == []  # the partial upload is gone with its folder


def _chunked(parts):
    """A request body as a generator: httpx sends it chunked, without a Content-Length."""
    def body():
        yield from parts
    return body()


def test_the_size_limits_hold_for_a_body_without_content_length(service, media, tmp_path, monkeypatch):
    _, allowed, clip = media
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(spool))  # where the multipart parser spools big files

    def open_spool_files():  # Linux: the spooled files are unlinked at once, but open ones show here
        targets = []
        for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else ():
            try:
                targets.append(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                pass  # closed meanwhile
        return [t for t in targets if t.startswith(str(spool))]

    head = (b'--BB\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
            b"Content-Type: video/mp4\r\n\r\n")
    huge = [head, *([b"\0" * (64 << 10)] * 256), b"\r\n--BB--\r\n"]  # 16 MiB against a 1 MiB limit
    for parts, kind in ((huge, "multipart/form-data; boundary=BB"),
                        ([b'{"path": "', *([b"a" * (64 << 10)] * 256), b'"}'], "application/json")):
        service.meter.received = 0
        try:
            r = service.http.post("/jobs", content=_chunked(parts), headers={"content-type": kind})
        except httpx.TransportError:
            r = None  # the server may close the connection once it has answered
        assert r is None or r.status_code == 413, r.text[:200]
        assert service.meter.received < 3 << 20, f"the service read {service.meter.received >> 20} MiB of {kind}"
    time.sleep(0.2)
    assert open_spool_files() == []  # the refused upload's temp files are closed (and so removed)
    assert service.http.get("/jobs").json() == {"jobs": []}
    assert list(service.store.root.iterdir()) == []

    data = clip.path.read_bytes()
    assert len(data) < 1 << 20
    ok = service.http.post("/jobs", content=_chunked([head, data, b"\r\n--BB--\r\n"]),
                           headers={"content-type": "multipart/form-data; boundary=BB"})
    assert ok.status_code == 201, ok.text  # within the limit, a chunked upload is fine
    assert service.wait(ok.json()["id"])["status"] == "done"
    assert open_spool_files() == []


def test_upload_progress_over_websocket_download_and_restart(service, media, tmp_path):
    _, _, clip = media
    with open(clip.path, "rb") as f:
        r = service.http.post("/jobs", files={"file": ("holiday.mp4", f, "video/mp4")},
                              data={"options": json.dumps(FACE_ONLY)})
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    events = []
    with ws_client.connect(f"ws://127.0.0.1:{service.port}/jobs/{job_id}/events",
                           additional_headers=AUTH, open_timeout=10) as ws:
        for _ in range(10_000):
            try:
                events.append(json.loads(ws.recv(timeout=60)))
            except Exception:  # noqa: BLE001 - the server closes the stream once the job ends
                break
    assert events[-1]["status"] == "done", events[-1]
    fractions = [e["progress"]["fraction"] for e in events]
    assert fractions == sorted(fractions) and len(set(fractions)) >= 3 and fractions[-1] == 1.0
    assert {e["progress"]["stage"] for e in events} >= {"analyse", "export"}
    out = service.http.get(f"/jobs/{job_id}/output")
    assert out.status_code == 200 and "holiday.redacted.mp4" in out.headers["content-disposition"]
    (tmp_path / "o.mp4").write_bytes(out.content)
    assert probe(tmp_path / "o.mp4").frame_count == clip.frames
    report = service.http.get(f"/jobs/{job_id}/report").json()
    assert report["frames"]["with_mask"] > 0
    assert service.http.delete(f"/jobs/{job_id}").status_code == 409  # already ended

    service.stop()  # the jobs outlive the process: a new service on the same folder lists them
    again = Service(tmp_path / "state", media[1], clip)
    try:
        jobs = again.http.get("/jobs").json()["jobs"]
        assert [(j["id"], j["status"], j["input_name"]) for j in jobs] == [(job_id, "done", "holiday.mp4")]
        assert again.http.get(f"/jobs/{job_id}/output").content == out.content
    finally:
        again.stop()


def test_cancel_a_running_job_and_survive_a_client_that_leaves(service, media):
    _, allowed, _ = media
    slow = service.store._detectors_factory
    service.store._detectors_factory = lambda p: {"face": KnownBoxesDetector(media[2], delay_s=0.3)}
    try:
        first = service.http.post("/jobs", json={"path": str(allowed / "clip.mp4"), "options": FACE_ONLY}).json()
        with ws_client.connect(f"ws://127.0.0.1:{service.port}/jobs/{first['id']}/events?token={TOKEN}",
                               open_timeout=10) as ws:
            json.loads(ws.recv(timeout=30))  # then the client goes away mid-job
        running = service.wait(first["id"], until=("running",))
        assert running["status"] == "running"
        queued = service.http.post("/jobs", json={"path": str(allowed / "clip.mp4"), "options": FACE_ONLY}).json()
        assert service.http.delete(f"/jobs/{queued['id']}").json()["status"] == "cancelled"  # never started
        assert service.http.delete(f"/jobs/{first['id']}").status_code == 202
        assert service.wait(first["id"])["status"] == "cancelled"
        assert service.http.get(f"/jobs/{first['id']}/output").status_code == 409
    finally:
        service.store._detectors_factory = slow


def test_token_file_is_owner_only(tmp_path):
    token, path, created = load_or_create_token(tmp_path / "cfg" / "service-token")
    assert created and len(token) >= 32 and (os.stat(path).st_mode & 0o777) == 0o600
    assert load_or_create_token(path)[:2] == (token, path)
    os.chmod(path, 0o644)
    with pytest.raises(Exception, match="chmod 600"):
        load_or_create_token(path)


def test_serve_command_binds_loopback_and_refuses_other_addresses_without_the_flag(tmp_path, capsys):
    import subprocess
    import sys

    from anonymizer_gui.cli import main

    assert main(["serve", "--host", "0.0.0.0", "--token", TOKEN]) == 1
    assert "--allow-remote" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "ANONYMIZER_GUI_CONFIG_DIR": str(tmp_path / "cfg")}
    proc = subprocess.Popen([sys.executable, "-m", "anonymizer_gui", "serve", "--port", str(port),
                             "--state-dir", str(tmp_path / "state")], env=env, stderr=subprocess.PIPE, text=True)
    try:
        token_file = tmp_path / "cfg" / "service-token"
        for _ in range(400):
            try:
                if token_file.exists() and httpx.get(f"http://127.0.0.1:{port}/jobs").status_code == 401:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        token = token_file.read_text().strip()
        r = httpx.get(f"http://127.0.0.1:{port}/jobs", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json() == {"jobs": []}
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert f"created in {token_file}" in err and token not in err
