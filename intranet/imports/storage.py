"""Uploaded files on disk, outside the web root: `instance/imports/<association id>/<random name>`.

The name is generated (never the uploader's), the folder is the association's, and a batch only ever
opens its own file. Beside it, the rows its dry run read (`save_rows`), so the commit need not read the
whole file again.
"""

import json
import os
import secrets
import zlib
from pathlib import Path

from flask import current_app

# The uploaded file, the rows its dry run read, and the progress files of earlier versions.
SUFFIXES = ("", ".rows", ".rows.new", ".progress")


def folder(association_id: int) -> Path:
    base = current_app.config.get("IMPORTS_FOLDER") or Path(current_app.instance_path) / "imports"
    path = Path(base) / str(int(association_id))
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_name() -> str:
    return secrets.token_hex(16)


def path_of(batch) -> str:
    if not batch.stored_name:
        raise FileNotFoundError("file deleted")
    return str(folder(batch.association_id) / batch.stored_name)


def save(association_id: int, data: bytes) -> str:
    name = new_name()
    target = folder(association_id) / name
    with open(target, "xb") as handle:
        handle.write(data)
    os.chmod(target, 0o600)
    return name


def delete(batch) -> None:
    if batch.stored_name:
        for suffix in SUFFIXES:
            (folder(batch.association_id) / (batch.stored_name + suffix)).unlink(missing_ok=True)
        batch.stored_name = ""


def save_rows(batch, text: str) -> None:
    """Keep the rows a dry run read (JSON) beside the file, for the commit."""
    if batch.stored_name:
        target = folder(batch.association_id) / (batch.stored_name + ".rows")
        aside = target.with_name(target.name + ".new")
        with open(aside, "wb") as handle:
            handle.write(zlib.compress(text.encode("utf-8"), 1))
        os.chmod(aside, 0o600)
        os.replace(aside, target)


def load_rows(batch) -> dict | None:
    """The rows the last dry run kept, or None (none kept, or unreadable)."""
    if not batch.stored_name:
        return None
    try:
        data = (folder(batch.association_id) / (batch.stored_name + ".rows")).read_bytes()
        return json.loads(zlib.decompress(data))
    except (OSError, ValueError, zlib.error):
        return None
