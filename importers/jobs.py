"""Running an import from the web: in a background thread, its progress in a small JSON file under
var/imports/jobs/ so any server process can report it. The file says "queued" before the thread is
started, so the job page the officer is sent to always exists; what it says is checked against the
import record: a job whose process died says failed, never "queued" or "running" for ever."""
from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

from layers.errors import logged_reference

from .models import ImportRecord
from .records import (DONE, FAILED, RUNNING, STOPPED, ImportFailed, imports_reap_dead, job_state_read,
                      job_state_write, upload_dir)
from .safety import ImportRejected
from .services import ImportOptions, layer_import

# Written by the request that confirms, before the import's thread exists; the thread's first state
# replaces it with RUNNING once the import's record exists.
QUEUED = "queued"


def new_token() -> str:
    return secrets.token_urlsafe(16)


def valid_token(token: str) -> bool:
    return bool(token) and len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def job_state(token: str) -> dict | None:
    """What to show of web job `token`: its state file, unless that still says queued or running while
    the import has ended: its process died (marked failed here, when the platform looks), or the file
    is behind."""
    state = job_state_read(token) if valid_token(token) else None
    if state is not None and state.get("state") == QUEUED:
        return state if _queuing_process_alive(state) else {**state, "state": FAILED, "message": STOPPED}
    if state is None or state.get("state") != RUNNING:
        return state
    imports_reap_dead()
    record = ImportRecord.objects.filter(pk=state["record_id"]).first() if state.get("record_id") else None
    if record is None:  # a state file from before records kept jobs alive: its thread is long gone
        return {**state, "state": FAILED, "message": STOPPED}
    if record.status == RUNNING:
        return state
    return {**state, "state": record.status, "message": record.message, "done": record.total,
            "total": record.total, "accepted": record.accepted, "rejected": record.rejected,
            "has_rejects": bool(record.rejects_file)}


def _queuing_process_alive(state: dict) -> bool:
    """Whether the server process that queued a job (and runs its thread) still lives. A process on
    another host cannot be looked at: its job is taken as alive."""
    if state.get("host") != socket.gethostname() or not state.get("pid"):
        return True
    try:
        os.kill(state["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another account
        return True
    return True


# Confirming an upload is serialised per upload (session advisory lock, namespace "JOBS"): of two
# confirmations sent at once (a double click), the second waits and then finds the job started.
_CLAIM_NAMESPACE = 0x4A4F4253


@contextmanager
def job_confirmation(token: str) -> Iterator[None]:
    """Hold the upload `token`'s confirmation lock while the block runs (check, then start)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [_CLAIM_NAMESPACE, token])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [_CLAIM_NAMESPACE, token])


def job_started(token: str, *, owner: int) -> bool:
    """Whether `owner` confirmed this upload already in a way that forbids confirming it again: its import
    is running, has written its rows (a second run would load them twice), or died and took the upload
    with it. After a refusal nothing was written, and the officer may correct the options and retry."""
    state = job_state(token)
    if state is None or state.get("owner") != owner:
        return False
    return state["state"] in (QUEUED, RUNNING, DONE) or not upload_dir(token).is_dir()


def run_import(token: str, *, layer_id: str, path, file_name: str, user_id: int, options: ImportOptions,
               started: Callable[[], None] = lambda: None) -> None:
    """Run one import and keep its state file current; a failure is reported, never raised. `started` is
    called once the state file names the running import's record (or the import has already ended)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=user_id)
    record_id = None
    about = {"owner": user_id, "layer_id": layer_id, "mode": options.mode, "file_name": file_name}

    def running(record: ImportRecord) -> None:
        nonlocal record_id
        record_id = record.pk
        job_state_write(token, state=RUNNING, done=0, total=None, record_id=record_id, **about)
        started()

    def progress(done, total):
        job_state_write(token, state=RUNNING, done=done, total=total, record_id=record_id, **about)

    try:
        report = layer_import(layer_id=layer_id, path=path, file_name=file_name, user=user, options=options,
                              progress=progress, job_token=token, started=running)
        job_state_write(token, state=report.status, done=report.total, total=report.total,
                        record_id=report.record_id, accepted=report.accepted, rejected=report.rejected,
                        message=report.message, reasons=report.reasons[:10], has_rejects=bool(report.rejects_file),
                        **about)
    except ImportRejected as error:
        job_state_write(token, state=FAILED if isinstance(error, ImportFailed) else ImportRecord.Status.REJECTED,
                        record_id=record_id, message=str(error), **about)


def _in_thread(token: str, **kwargs) -> None:
    try:
        run_import(token, **kwargs)
    except Exception as error:  # outside the import itself (the account vanished ...): the job still ends
        failure = ImportFailed(logged_reference(f"web import job {token}", error))
        job_state_write(token, state=FAILED, owner=kwargs["user_id"], layer_id=kwargs["layer_id"],
                        mode=kwargs["options"].mode, file_name=kwargs["file_name"], message=str(failure))
    finally:
        connection.close()  # this thread's own connection; its import's lock went with the import


def start_import(token: str, **kwargs) -> None:
    """Queue the job (its state file says QUEUED from now on, so the job page the officer is sent to
    exists at once), then start run_import in a background thread, or run it inline when
    GEO_IMPORT_BACKGROUND is off (tests). Returns without waiting for the import."""
    job_state_write(token, state=QUEUED, owner=kwargs["user_id"], layer_id=kwargs["layer_id"],
                    mode=kwargs["options"].mode, file_name=kwargs["file_name"], pid=os.getpid(),
                    host=socket.gethostname())
    if not settings.GEO_IMPORT_BACKGROUND:
        run_import(token, **kwargs)
        return
    threading.Thread(target=_in_thread, args=(token,), kwargs=kwargs, daemon=False,
                     name=f"import-{token[:8]}").start()
