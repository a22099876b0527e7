"""`anonymizer-gui serve [--host H] [--port P]`: the engine as a local REST/WebSocket service.

Binds 127.0.0.1 unless told otherwise; another address needs --allow-remote and prints a warning
(the token then crosses the network in the clear unless a TLS proxy sits in front).
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from .analyze import DEVICES, _positive_int
from ..core.foundation import AnonymizerError, user_dir

DEFAULT_PORT = 8765


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "serve", help="run the local REST/WebSocket service (needs anonymizer-gui[serve])",
        description="Serve redaction jobs over HTTP: POST /jobs, GET /jobs, GET/DELETE /jobs/{id}, "
                    "GET /jobs/{id}/output and /report, WebSocket /jobs/{id}/events. Every request needs "
                    "'Authorization: Bearer TOKEN'; the token is made at first start in the per-user config "
                    "folder (owner-only), or given with --token.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a --host other than a loopback address (other machines can then reach it)")
    p.add_argument("--token", help="use this token instead of the one in the config folder (at least 16 characters)")
    p.add_argument("--allow-dir", action="append", default=[], metavar="DIR",
                   help="a folder whose files jobs may name by path (repeatable); without it, uploads only")
    p.add_argument("--workers", type=_positive_int, default=1, metavar="N", help="jobs run at once (default 1)")
    p.add_argument("--device", choices=DEVICES, default="auto", help="where the detectors run (default auto)")
    p.add_argument("--state-dir", metavar="DIR", help="where jobs, uploads and outputs are kept "
                                                      "(default: the per-user data folder)")
    p.set_defaults(func=run)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..service.app import create_app
        from ..service.jobs import JobStore
        from ..service.token import check_given_token, load_or_create_token
    except ImportError as exc:
        raise AnonymizerError(f"the service needs its extra: pip install 'anonymizer-gui[serve]' ({exc.name} "
                              "is missing)") from None
    if not is_loopback(args.host):
        if not args.allow_remote:
            raise AnonymizerError(f"--host {args.host} would let other machines reach the service; add "
                                  "--allow-remote if that is what you want")
        print(f"warning: serving on {args.host}: other machines can reach this service; put a TLS proxy in "
              "front, or the token travels in the clear", file=sys.stderr)
    allow = []
    for folder in args.allow_dir:
        if not Path(folder).is_dir():
            raise AnonymizerError(f"--allow-dir {folder} is not a folder")
        allow.append(Path(folder).resolve())
    if args.token:
        token = check_given_token(args.token)
        print("token: as given with --token", file=sys.stderr)
    else:
        token, path, created = load_or_create_token()
        print(f"token: {'created in' if created else 'read from'} {path}", file=sys.stderr)
    state = Path(args.state_dir) if args.state_dir else user_dir("data", "ANONYMIZER_GUI_DATA_DIR") / "service"
    store = JobStore(state, workers=args.workers)
    app = create_app(store, token, allow, device=args.device)
    print(f"serving on http://{args.host}:{args.port}/jobs (jobs kept in {state}); Ctrl-C stops", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", ws="websockets-sansio")
    return 0
