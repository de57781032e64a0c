"""Dashboard sessions without a browser: what a dashboard page asks of the server, done over the
same HTTP and websocket protocol, so many sessions can be timed on one machine without one browser
drawing every page.

A page in a browser (Voila's front end, ipywidgets 8) does, after the HTML has arrived: connect a
websocket to its kernel (``/api/kernels/<id>/channels``), open the ``jupyter.widget.control`` comm
and ask for every widget's state (``request_states``); then it applies each ``update`` the kernel
sends. :func:`open_without_drawing` does exactly that for ``sessions`` pages at once, in one
asyncio loop, and times for each the moment its status widget says "Ready" and the moment its
"complete" widget carries ``data-complete`` — read from the states, as the page would show them.
What it leaves out is the drawing itself (parsing Voila's scripts, laying out the widgets), which
CFOs do on their own machines.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import struct
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]+)"')
MAX_MESSAGE = 512 * 1024 * 1024  # every widget's state in one message (charts as PNG) can be large
CONTROL_TARGET = "jupyter.widget.control"
CONTROL_VERSION = "1.0.0"  # ipywidgets' widget control protocol


def _message(msg_type: str, content: dict[str, Any], session: str, metadata: dict[str, Any] | None = None
             ) -> str:
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "bench", "session": session,
              "date": dt.datetime.now(dt.timezone.utc).isoformat(), "version": "5.3"}
    return json.dumps({"header": header, "parent_header": {}, "metadata": metadata or {}, "content": content,
                       "channel": "shell", "buffers": []})


def decode(frame: str | bytes) -> dict[str, Any]:
    """A kernel message from a websocket frame: JSON text, or jupyter_server's binary form (a count,
    the offsets, the JSON message, then its buffers, which are dropped here)."""
    if isinstance(frame, str):
        return json.loads(frame)
    count = struct.unpack("!I", frame[:4])[0]
    offsets = struct.unpack(f"!{count}I", frame[4:4 * (count + 1)])
    end = offsets[1] if count > 1 else len(frame)
    return json.loads(frame[offsets[0]:end].decode("utf-8"))


def _has_class(state: dict[str, Any], css: str) -> bool:
    return css in (state.get("_dom_classes") or ())


async def one_session(client: AsyncHTTPClient, url: str, status_class: str, complete_class: str | None,
                      ready: re.Pattern[str], failed: re.Pattern[str], deadline: float, started: float
                      ) -> dict[str, Any]:
    """One page's session: the page, then the widget states and their updates, until complete."""
    row: dict[str, Any] = {"ready_s": None, "complete_s": None, "failed": ""}
    left = deadline - time.perf_counter()
    response = await client.fetch(HTTPRequest(url, connect_timeout=left, request_timeout=left), raise_error=False)
    row["page_s"] = time.perf_counter() - started
    found = KERNEL_ID.search(response.body.decode("utf-8", "replace")) if response.code == 200 else None
    if found is None:
        row["failed"] = f"page: HTTP {response.code}, no kernel id"
        return row
    base = url.split("/", 3)
    socket_url = f"ws://{base[2]}/api/kernels/{found.group(1)}/channels?session_id={uuid.uuid4().hex}"
    connection = await websocket_connect(socket_url, max_message_size=MAX_MESSAGE)
    session, control = uuid.uuid4().hex, uuid.uuid4().hex
    await connection.write_message(_message("comm_open", {"comm_id": control, "target_name": CONTROL_TARGET,
                                                          "data": {}}, session, {"version": CONTROL_VERSION}))
    await connection.write_message(_message("comm_msg", {"comm_id": control, "data": {"method": "request_states"}},
                                            session))
    status_id = complete_id = None
    values: dict[str, str] = {}
    try:
        while time.perf_counter() < deadline:
            try:
                frame = await asyncio.wait_for(connection.read_message(), deadline - time.perf_counter())
            except asyncio.TimeoutError:
                break
            if frame is None:
                row["failed"] = "the kernel's websocket closed"
                break
            msg = decode(frame)
            if msg.get("msg_type") != "comm_msg":
                continue
            data = msg["content"].get("data") or {}
            if data.get("method") == "update_states" and msg["content"].get("comm_id") == control:
                for model_id, model in data.get("states", {}).items():
                    state = model.get("state", {})
                    if _has_class(state, status_class):
                        status_id = model_id
                    if complete_class and _has_class(state, complete_class):
                        complete_id = model_id
                    if "value" in state and isinstance(state["value"], str):
                        values[model_id] = state["value"]
            elif data.get("method") == "update" and "value" in (data.get("state") or {}):
                values[msg["content"]["comm_id"]] = str(data["state"]["value"])
            now = time.perf_counter() - started
            status = values.get(status_id or "", "")
            if failed.search(status):
                row["failed"] = status[:200]
                break
            if row["ready_s"] is None and ready.search(status):
                row["ready_s"] = now
            done = ready.search(status) if complete_class is None else \
                "data-complete" in values.get(complete_id or "", "")
            if row["ready_s"] is not None and done:
                row["complete_s"] = now
                break
    finally:
        row["connection"] = connection
    if row["ready_s"] is None and not row["failed"]:
        row["failed"] = "no Ready in time" + ("" if status_id else " (no status widget in the states)")
    return row


def open_without_drawing(url: str, sessions: int, *, status_class: str = "arassess-status",
                         complete_class: str | None = "arassess-complete", ready: str = r"^Ready",
                         failed: str = r"Cannot assess|Error|Traceback", timeout_s: float = 300.0
                         ) -> list[dict[str, Any]]:
    """``sessions`` page sessions at once (see the module's docstring); per session the seconds from
    the request to the whole page (``page_s``), to "Ready" and to every section (``complete_s``,
    the same as Ready when ``complete_class`` is None), None when not within ``timeout_s``, and
    ``failed`` with what went wrong. Connections stay open until every session is done, like pages
    left open, then close."""
    async def run() -> list[dict[str, Any]]:
        started = time.perf_counter()
        deadline = started + timeout_s
        # one connection per session at once (tornado's client queues requests beyond 10 by default)
        client = AsyncHTTPClient(force_instance=True, max_clients=max(1, sessions))
        rows = await asyncio.gather(*(one_session(client, url, status_class, complete_class, re.compile(ready),
                                                  re.compile(failed), deadline, started)
                                      for _ in range(sessions)), return_exceptions=True)
        out = []
        for i, row in enumerate(rows):
            if isinstance(row, BaseException):
                row = {"ready_s": None, "complete_s": None, "failed": f"{type(row).__name__}: {row}"}
            connection = row.pop("connection", None)
            if connection is not None:
                connection.close()
            out.append({"session": i + 1, **row})
        return out

    # a thread of its own: the caller may already run an event loop (Playwright's sync API does)
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, run()).result()


__all__ = ["decode", "one_session", "open_without_drawing"]
