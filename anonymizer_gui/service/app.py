"""The REST and WebSocket face of the service (FastAPI).

    POST   /jobs                 submit: JSON {"path": "/allowed/folder/a.mp4", "options": {...}}
                                 or multipart (file=..., options='{"style": "pixelate"}')
    GET    /jobs                 list          GET /jobs/{id}         status and progress
    DELETE /jobs/{id}            cancel        GET /jobs/{id}/output  /jobs/{id}/report  download
    WS     /jobs/{id}/events     status and progress as JSON messages until the job ends

Every request needs `Authorization: Bearer <token>` (a WebSocket may give ?token= instead, since
browsers cannot set its headers); without it: 401. Errors are 4xx with a one-line "detail".

A body is read only up to its limit (a JSON body JSON_MAX_BYTES, an upload max_upload_bytes), counted
as it streams in, so a body without Content-Length (chunked) is stopped there as well: 413.
"""

from __future__ import annotations

import asyncio
import errno
import json
import shutil
from contextlib import aclosing, asynccontextmanager
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, WebSocket, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.websockets import WebSocketDisconnect

from ..core.analysis import AnalysisSettings
from ..core.batch import MEDIA_SUFFIXES, RedactParams, output_rel
from ..core.foundation import AnonymizerError
from ..core.project import ExportSettings, MaskStyle
from .jobs import TERMINAL, JobStore
from .token import token_matches

EVENT_POLL_S = 0.05
EVENTS_MAX_S = 24 * 3600  # a watcher is let go after a day, whatever happens
UPLOAD_CHUNK = 1 << 20  # also the allowance for the multipart framing and the options field
JSON_MAX_BYTES = 1 << 20  # a path job's body is a path and a few options


class Options(BaseModel):
    """What a client may choose per job; the device is the operator's choice (serve --device)."""

    model_config = ConfigDict(extra="forbid")
    classes: list[str] = Field(default_factory=lambda: ["face", "plate"], min_length=1, max_length=8)
    thresholds: dict[str, float] = Field(default_factory=dict)
    style: Literal["blur", "pixelate", "solid"] = "blur"
    detect_every: int = Field(1, ge=1, le=100)
    crf: int = Field(18, ge=0, le=51)

    def params(self, device: str) -> RedactParams:
        from ..core.detect import resolve_spec

        for label in self.classes:
            try:
                resolve_spec(label)  # the manifest only: no model is loaded here
            except AnonymizerError as exc:
                raise HTTPException(422, f"options.classes: {exc}") from None
        try:
            analysis = AnalysisSettings(classes=tuple(self.classes), thresholds=dict(self.thresholds),
                                        device=device, detect_every=self.detect_every)
        except AnonymizerError as exc:
            raise HTTPException(422, f"options: {exc}") from None
        return RedactParams(analysis, MaskStyle(kind=self.style), ExportSettings(crf=self.crf))


class PathJob(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    options: Options = Field(default_factory=Options)


def create_app(store: JobStore, token: str, allow_dirs: list[Path], device: str = "auto",
               max_upload_bytes: int = 4 << 30) -> FastAPI:
    allowed = [Path(d).resolve() for d in allow_dirs]

    @asynccontextmanager
    async def lifespan(app):
        yield
        await asyncio.to_thread(store.shutdown)

    def authorised(request: Request) -> None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token_matches(given.strip(), token):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong token",
                                headers={"WWW-Authenticate": "Bearer"})

    app = FastAPI(title="anonymizer-gui", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    router = APIRouter(dependencies=[Depends(authorised)])  # HTTP routes; the WebSocket checks its own

    @app.exception_handler(RequestValidationError)
    async def one_line_validation(request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse({"detail": f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"},
                            status_code=422)

    def first_error(exc: ValidationError, prefix: str = "") -> str:
        """'options.crf: Input should be ...': the first error, where it is and what is wrong."""
        first = exc.errors()[0]
        where = ".".join(part for part in (prefix, *(str(p) for p in first["loc"])) if part)
        return f"{where or 'body'}: {first['msg']}"

    def job_or_404(job_id: str):
        job = store.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return job

    def options_from(raw) -> Options:
        try:
            data = json.loads(raw) if isinstance(raw, str) else (raw or {})
        except (ValueError, RecursionError):  # JSONDecodeError, too deep, a number too long to convert
            raise HTTPException(400, "options: not valid JSON") from None
        try:
            return Options.model_validate(data)
        except ValidationError as exc:  # a ValueError too, hence its own try
            raise HTTPException(422, first_error(exc, "options")) from None

    def allowed_file(text: str) -> Path:
        if not allowed:
            raise HTTPException(403, "this service accepts uploads only (start it with --allow-dir to allow paths)")
        if "\0" in text:
            raise HTTPException(400, "path: a file name cannot hold a NUL character")
        raw = Path(text)
        if not raw.is_absolute():
            raise HTTPException(400, "path: give an absolute path")
        try:
            path = raw.resolve()  # symbolic links and .. resolved before the check
            if not any(path.is_relative_to(d) for d in allowed):
                raise HTTPException(403, "path: outside the folders this service may read")
            if not path.is_file():
                raise HTTPException(404, "path: no such file")
        except PermissionError:
            raise HTTPException(403, "path: this service may not read that file") from None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise HTTPException(400, "path: the path or a name in it is too long") from None
            raise HTTPException(400, f"path: cannot be looked up ({exc.strerror or type(exc).__name__})") from None
        except ValueError:  # a character the file system cannot encode (a lone surrogate)
            raise HTTPException(400, "path: not a file name this machine can encode") from None
        except RuntimeError:  # Python < 3.13 resolve(): "Symlink loop from ..."
            raise HTTPException(400, "path: its symbolic links form a loop") from None
        return path

    def media_suffix(name: str) -> str:
        suffix = Path(name).suffix.lower()
        if suffix not in MEDIA_SUFFIXES:
            raise HTTPException(415, f"{suffix or 'a file without a suffix'} is not a video or image this service reads")
        return suffix

    def too_large(what: str, limit: int) -> HTTPException:
        return HTTPException(413, f"the {what} is larger than {limit / (1 << 20):g} MiB")

    async def limited(request: Request, limit: int, refuse):
        """The request body as it streams in, refused with refuse() (a 413) once it passes `limit`
        bytes: the declared Content-Length is checked first, and a body without one (chunked) is
        counted, so that nothing beyond the limit is ever read, let alone stored."""
        declared = request.headers.get("content-length")
        if declared is not None and not declared.isdigit():
            raise HTTPException(400, "Content-Length is not a number")
        if declared is not None and int(declared) > limit:
            raise refuse()
        seen = 0
        async with aclosing(request.stream()) as stream:
            async for chunk in stream:
                seen += len(chunk)
                if seen > limit:
                    raise refuse()
                yield chunk

    async def json_body(request: Request):
        body = bytearray()
        async with aclosing(limited(request, JSON_MAX_BYTES, lambda: too_large("body", JSON_MAX_BYTES))) as stream:
            async for chunk in stream:
                body += chunk
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # JSONDecodeError, not UTF-8, too deep, a number too long
            raise HTTPException(400, "the body is not valid JSON") from None

    async def multipart_form(request: Request) -> FormData:
        """The form, its file spooled only up to the upload limit (plus UPLOAD_CHUNK for the framing
        and the options); the caller closes it."""
        def refuse():
            return too_large("upload", max_upload_bytes)

        async with aclosing(limited(request, max_upload_bytes + UPLOAD_CHUNK, refuse)) as stream:
            parser = MultiPartParser(request.headers, stream, max_files=1, max_fields=4)
            try:
                return await parser.parse()  # on any failure it closes (and so removes) its temp files
            except MultiPartException as exc:
                raise HTTPException(400, f"multipart: {exc.message}") from None

    @router.post("/jobs", status_code=201)
    async def submit(request: Request):
        kind = request.headers.get("content-type", "")
        if kind.startswith("application/json"):
            try:
                body = PathJob.model_validate(await json_body(request))
            except ValidationError as exc:
                raise HTTPException(422, first_error(exc)) from None
            source = allowed_file(body.path)
            suffix = media_suffix(source.name)
            params = body.options.params(device)  # everything is checked before the job's folder is made
            job_id = store.new_id()
            return store.add(job_id, source.name, source, _output_suffix(suffix), params.to_json()).public()
        if kind.startswith("multipart/form-data"):
            form = await multipart_form(request)
            try:
                upload = form.get("file")
                if upload is None or isinstance(upload, str):
                    raise HTTPException(400, "multipart: send the video or image as the field 'file'")
                name = Path(upload.filename or "upload").name
                suffix = media_suffix(name)
                params = options_from(form.get("options")).params(device)
                job_id = store.new_id()
                target = store.folder(job_id) / f"input{suffix}"
                try:
                    size = await asyncio.to_thread(_copy_upload, upload.file, target, max_upload_bytes)
                except BaseException as exc:
                    shutil.rmtree(store.folder(job_id), ignore_errors=True)
                    if isinstance(exc, OSError):  # a full disk, most likely: the operator's to fix
                        raise HTTPException(507, f"the service could not store the upload "
                                                 f"({exc.strerror or type(exc).__name__})") from None
                    raise
                if size is None:
                    shutil.rmtree(store.folder(job_id), ignore_errors=True)
                    raise too_large("upload", max_upload_bytes)
            finally:
                await form.close()
            return store.add(job_id, name, target, _output_suffix(suffix), params.to_json()).public()
        raise HTTPException(415, "send JSON with a path, or multipart/form-data with a file")

    @router.get("/jobs")
    async def list_jobs():
        return {"jobs": [j.public() for j in store.all()]}

    @router.get("/jobs/{job_id}")
    async def get_job(job_id: str):
        return job_or_404(job_id).public()

    @router.delete("/jobs/{job_id}", status_code=202)
    async def cancel_job(job_id: str):
        job = job_or_404(job_id)
        if job.status in TERMINAL:
            raise HTTPException(409, f"job {job_id} has already ended ({job.status})")
        store.cancel(job)
        return job.public()

    def download(job_id: str, path_of) -> FileResponse:
        job = job_or_404(job_id)
        if job.status != "done":
            raise HTTPException(409, f"job {job_id} is {job.status}, not done")
        path = path_of(job)
        if not path.is_file():
            raise HTTPException(410, f"the files of job {job_id} are gone")
        stem = Path(job.input_name).stem
        name = f"{stem}.redacted{job.output_suffix}" + (".audit.json" if path.name.endswith(".audit.json") else "")
        return FileResponse(path, filename=name)

    @router.get("/jobs/{job_id}/output")
    async def get_output(job_id: str):
        return download(job_id, store.output_path)

    @router.get("/jobs/{job_id}/report")
    async def get_report(job_id: str):
        return download(job_id, store.report_path)

    app.include_router(router)

    @app.websocket("/jobs/{job_id}/events")
    async def events(websocket: WebSocket, job_id: str):
        scheme, _, given = websocket.headers.get("authorization", "").partition(" ")
        given = given.strip() if scheme.lower() == "bearer" else websocket.query_params.get("token")
        if not token_matches(given, token):
            await websocket.send_denial_response(JSONResponse({"detail": "missing or wrong token"}, 401))
            return
        job = store.get(job_id)
        if job is None:
            await websocket.send_denial_response(JSONResponse({"detail": f"no job {job_id}"}, 404))
            return
        await websocket.accept()
        seen = -1
        try:
            for _ in range(int(EVENTS_MAX_S / EVENT_POLL_S)):
                if job.version != seen:
                    seen = job.version
                    await websocket.send_json({"id": job.id, "status": job.status, "progress": job.progress,
                                               "error": job.error})
                    if job.status in TERMINAL:
                        break
                await asyncio.sleep(EVENT_POLL_S)
            await websocket.close()
        except WebSocketDisconnect:
            pass  # the job goes on without its watcher

    return app


def _output_suffix(suffix: str) -> str:
    return Path(output_rel("input" + suffix)).suffix  # a.mts -> .mp4, like batch


def _copy_upload(src, target: Path, limit: int) -> int | None:
    size = 0
    with open(target, "wb") as out:
        while chunk := src.read(UPLOAD_CHUNK):
            size += len(chunk)
            if size > limit:
                return None
            out.write(chunk)
    return size

