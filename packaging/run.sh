#!/usr/bin/env bash
# Quick start: set everything up once, check the desktop libraries Qt needs, and open the editor.
# Arguments are passed to the editor, e.g. packaging/run.sh clip.mp4 or packaging/run.sh --demo
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup_env.sh
bash packaging/check_desktop_libs.sh
exec .venv/bin/anonymizer-gui "$@"
