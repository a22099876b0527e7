#!/usr/bin/env bash
# PySide6's xcb platform plugin needs system libraries that fresh Debian/Ubuntu images may lack.
# Install them when we may (root with apt), otherwise say exactly what to install.
set -uo pipefail
[ "$(uname -s)" = "Linux" ] || exit 0
pkgs=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libxcb-xinerama0 libxcb-randr0
      libxcb-render-util0 libxcb-image0 libxcb-shape0 libegl1 libgl1 libfontconfig1 libdbus-1-3)
command -v dpkg-query >/dev/null || exit 0
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "== installing desktop libraries Qt needs: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null && exit 0
fi
echo "The editor's window needs these system libraries, which are missing:" >&2
echo "    sudo apt-get install ${missing[*]}" >&2
exit 1
