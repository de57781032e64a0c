#!/usr/bin/env bash
# Create a virtual environment with the given Python. On Debian, `python3 -m venv`
# needs the python3-venv package; install it when it is missing (as root, or via sudo).
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "arassess needs Python 3.11 or newer; $python is $("$python" --version 2>&1)." >&2
  exit 1
fi
if "$python" -m venv "$venv" 2>/dev/null; then
  exit 0
fi
rm -rf "$venv"
echo "python venv support is missing; installing Debian's python3-venv" >&2
ver=$("$python" -c 'import sys; print(f"{sys.version_info.major}.{sys.version_info.minor}")')
scripts/ensure-debian-packages.sh "python${ver}-venv"
"$python" -m venv "$venv"
