"""Checksums of a client's input files: what a run, the history store and the risk result record
to tell later whether the inputs changed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from arassess.errors import InputError


def checksums(paths: Iterable[str | Path]) -> dict[str, str]:
    """SHA-256 (hex) of each file, keyed by file name; InputError for an unreadable file or
    two different files with the same name."""
    digests: dict[str, str] = {}
    seen: dict[str, Path] = {}
    for path in map(Path, paths):
        if path.name in seen and seen[path.name].resolve() != path.resolve():
            raise InputError(f"{seen[path.name]} and {path} have the same file name; checksums are "
                             "recorded by file name, so input files need distinct names.")
        try:
            with path.open("rb") as handle:
                digests[path.name] = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError as exc:
            raise InputError(f"{path}: cannot read it to record its checksum ({exc.strerror}).") from None
        seen[path.name] = path
    return digests
