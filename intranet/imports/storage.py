"""Uploaded files on disk, outside the web root: `instance/imports/<association id>/<random name>`.

The name is generated (never the uploader's), the folder is the association's, and a batch only ever
opens its own file. The progress of a running job is a small file beside it, so a job that writes all
its rows in one transaction can still tell how far it got.
"""

import os
import secrets
from pathlib import Path

from flask import current_app


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
        for suffix in ("", ".progress"):
            (folder(batch.association_id) / (batch.stored_name + suffix)).unlink(missing_ok=True)
        batch.stored_name = ""


def set_progress(batch, done: int, total: int) -> None:
    if batch.stored_name:
        (folder(batch.association_id) / (batch.stored_name + ".progress")).write_text(f"{done} {total}")


def progress(batch) -> tuple[int, int]:
    if not batch.stored_name:
        return 0, 0
    try:
        done, total = (folder(batch.association_id) / (batch.stored_name + ".progress")).read_text().split()
        return int(done), int(total)
    except (OSError, ValueError):
        return 0, 0
