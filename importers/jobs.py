"""Running an import from the web: in a background thread, its progress in a small JSON file under
var/imports/jobs/ so any server process can report it."""
from __future__ import annotations

import json
import secrets
import threading
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

from .safety import ImportRejected
from .services import ImportOptions, layer_import


def jobs_dir() -> Path:
    path = Path(settings.GEO_IMPORT_DIR) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_token() -> str:
    return secrets.token_urlsafe(16)


def valid_token(token: str) -> bool:
    return bool(token) and len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def write_state(token: str, **state) -> None:
    path = jobs_dir() / f"{token}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def read_state(token: str) -> dict | None:
    path = jobs_dir() / f"{token}.json"
    return json.loads(path.read_text(encoding="utf-8")) if valid_token(token) and path.exists() else None


def run_import(token: str, *, layer_id: str, path: Path, file_name: str, user_id: int, options: ImportOptions) -> None:
    """Run one import and keep its state file current; a failure is reported, never raised."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=user_id)
    write_state(token, state="running", done=0, total=None, owner=user_id)

    def progress(done, total):
        write_state(token, state="running", done=done, total=total, owner=user_id)

    try:
        report = layer_import(layer_id=layer_id, path=path, file_name=file_name, user=user, options=options,
                              progress=progress)
        write_state(token, state=report.status, done=report.total, total=report.total, owner=user_id,
                    record_id=report.record_id, accepted=report.accepted, rejected=report.rejected,
                    message=report.message, reasons=report.reasons[:10], has_rejects=bool(report.rejects_file))
    except ImportRejected as error:
        write_state(token, state="rejected", owner=user_id, message=str(error))


def _in_thread(token: str, **kwargs) -> None:
    try:
        run_import(token, **kwargs)
    finally:
        close_old_connections()  # this thread's connection is not the request's


def start_import(token: str, **kwargs) -> None:
    """Start run_import in a background thread, or inline when GEO_IMPORT_BACKGROUND is off (tests)."""
    if settings.GEO_IMPORT_BACKGROUND:
        threading.Thread(target=_in_thread, args=(token,), kwargs=kwargs, daemon=False,
                         name=f"import-{token[:8]}").start()
    else:
        run_import(token, **kwargs)
