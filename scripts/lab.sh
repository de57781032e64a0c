#!/usr/bin/env bash
# JupyterLab on the notebooks folder, bound to 127.0.0.1 with a token (printed), its kernel the
# project's .venv (so notebooks import arassess). `make lab` runs this; LAB_PORT and LAB_TOKEN
# override the port (default 8888) and the random token.
set -euo pipefail
bin=${VENV_BIN:-.venv/bin}
port=${LAB_PORT:-8888}
token=${LAB_TOKEN:-$("$bin/python" -c 'import secrets; print(secrets.token_hex(16))')}
echo "JupyterLab on the notebooks: http://127.0.0.1:${port}/lab/tree/01_assess_current_process.ipynb?token=${token}"
echo "Open notebook 01, set client_dir in its parameters cell, then Run > Run All Cells. Ctrl-C stops."
root=()
if [ "$(id -u)" = 0 ]; then root=(--allow-root); fi  # a container's root user
exec "$bin/jupyter" lab --no-browser --ip 127.0.0.1 --port "$port" --ServerApp.port_retries=0 "${root[@]}" \
  --IdentityProvider.token="$token" --ServerApp.root_dir="$(pwd)/notebooks"
