"""The life of an import record, so that it never lies: RUNNING only while the connection running the
import holds its lock, FAILED with a reference (never server paths or SQL) when something unexpected
breaks the import, and FAILED when the platform next looks at it after its process died. Also where an
import's temporary files live: its rejects, the web upload it came from, the web job's state file."""
from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import Error, connection, transaction
from django.utils import timezone
from psycopg2 import sql

from layers.errors import logged_reference

from .models import ImportRecord
from .safety import ImportRejected

RUNNING, DONE, FAILED = ImportRecord.Status.RUNNING, ImportRecord.Status.DONE, ImportRecord.Status.FAILED
# An import holds the session advisory lock (LOCK_NAMESPACE, record id); the first key keeps these locks
# apart from any other use of advisory locks in the database ("IMPO").
LOCK_NAMESPACE = 0x494D504F
STOPPED = ("Tiến trình nhập đã dừng giữa chừng (máy chủ khởi động lại hoặc bị dừng); không có gì được ghi. "
           "/ The import process stopped; nothing was written.")

# Running records whose lock nobody holds. pg_try_advisory_lock alone would also succeed for a lock
# this very session holds, which would make an import running on this connection look dead.
_ORPHANS = """
SELECT r.id, r.job_token, r.user_id FROM {table} AS r
WHERE r.status = %s AND NOT EXISTS (
    SELECT 1 FROM pg_locks AS l
    WHERE l.locktype = 'advisory' AND l.classid = %s AND l.objid = r.id AND l.objsubid = 2
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
ORDER BY r.id
"""


class ImportFailed(ImportRejected):
    """An import broken by something other than the file or the options (a bug, the database going
    away). Its message says so in words and carries the reference the details were logged under."""

    def __init__(self, reference: str):
        self.reference = reference
        super().__init__(f"Lỗi hệ thống khi nhập, không có gì được ghi; báo mã {reference} cho quản trị viên "
                         f"(internal error, nothing written; quote {reference}).")


# -- temporary files ------------------------------------------------------------------------------------

def rejects_dir(record_id: int) -> Path:
    """Where an import writes its rejects file."""
    return Path(settings.GEO_IMPORT_DIR) / str(record_id)


def upload_dir(token: str) -> Path:
    """Where a web upload is kept between its check and its import."""
    return Path(settings.GEO_IMPORT_DIR) / "uploads" / token


def _jobs_dir() -> Path:
    path = Path(settings.GEO_IMPORT_DIR) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_state_write(token: str, **state) -> None:
    """Replace the state file of web job `token` (atomically: a reader never sees half a file)."""
    path = _jobs_dir() / f"{token}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def job_state_read(token: str) -> dict | None:
    """The state file of web job `token` as written, or None. See jobs.job_state for what to show."""
    path = _jobs_dir() / f"{token}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


# -- the record's life ----------------------------------------------------------------------------------

@contextmanager
def import_record_running(**fields) -> Iterator[ImportRecord]:
    """A new RUNNING ImportRecord (`fields` as for ImportRecord), alive while the block runs: this
    thread's connection, the one that runs the import, holds the record's advisory lock, taken in the
    transaction that creates the record, so no other session ever sees it running without its lock.
    Save the record's final status inside the block. The lock is released when the block ends, or by
    PostgreSQL when the process or its connection dies; imports_reap_dead then marks the record.
    A database that cannot record the import raises ImportFailed."""
    try:
        with transaction.atomic():
            record = ImportRecord.objects.create(**{"status": RUNNING, **fields})
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, record.pk])
    except Error as error:  # the database is unreachable, or refused the record
        raise ImportFailed(logged_reference("an import could not be recorded", error)) from error
    holder = connection.connection
    try:
        yield record
    finally:
        if connection.connection is holder:  # otherwise the lock went away with the connection it was on
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, record.pk])
            except Error:
                pass  # the connection broke on the way out: PostgreSQL released its locks with it


def import_record_fail(record: ImportRecord, *, what: str, error: BaseException) -> ImportFailed:
    """End `record` after an unexpected `error` (call inside import_record_running): log `what` and the
    traceback under a new reference, mark the record FAILED when the database still answers, remove its
    rejects, and return the ImportFailed for the caller to raise, whose message shows only the reference."""
    failure = ImportFailed(logged_reference(f"{what} (import record {record.pk})", error))
    record.status, record.message, record.accepted, record.rejects_file = FAILED, str(failure), 0, ""
    record.finished_at = timezone.now()
    record.duration_s = (record.finished_at - record.started_at).total_seconds()
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()  # the error may have broken it; the save then reconnects
    try:
        record.save()
    except Error:
        pass  # the database is gone: the record is marked when the platform next looks (the lock went too)
    shutil.rmtree(rejects_dir(record.pk), ignore_errors=True)
    return failure


@contextmanager
def failures_referenced(what: str) -> Iterator[None]:
    """Anything unexpected raised in the block (not an ImportRejected) leaves it as ImportFailed: the
    details logged under a reference, nothing internal shown. For work on a file outside an import."""
    try:
        yield
    except ImportRejected:
        raise
    except Exception as error:
        raise ImportFailed(logged_reference(what, error)) from error


def imports_reap_dead() -> list[int]:
    """Mark FAILED, with the reason STOPPED, every running import whose process is gone (killed,
    crashed, server or database restarted): nobody holds its lock. Then remove its temporary files:
    the partial rejects and, for a web job, the upload (the officer uploads again), and make its job's
    state file say so. Called wherever the platform looks at imports. Returns the ids marked."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(_ORPHANS).format(table=sql.Identifier(ImportRecord._meta.db_table)),
                       [RUNNING, LOCK_NAMESPACE])
        orphans = cursor.fetchall()
    reaped = []
    for record_id, token, user_id in orphans:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, record_id])
            if not cursor.fetchone()[0]:
                continue  # its import holds it after all
            try:
                # Still running? Its import may have ended (and committed) since the look above.
                marked = ImportRecord.objects.filter(pk=record_id, status=RUNNING).update(
                    status=FAILED, message=STOPPED, accepted=0, rejects_file="", finished_at=timezone.now())
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, record_id])
        if marked:
            transaction.on_commit(partial(_remove_leftovers, record_id, token, user_id))
            reaped.append(record_id)
    return reaped


def _remove_leftovers(record_id: int, token: str, user_id: int | None) -> None:
    shutil.rmtree(rejects_dir(record_id), ignore_errors=True)
    if not token:
        return
    shutil.rmtree(upload_dir(token), ignore_errors=True)
    state = job_state_read(token)
    if state is not None and state.get("record_id") == record_id and state.get("state") == RUNNING:
        job_state_write(token, state=FAILED, owner=user_id, record_id=record_id, message=STOPPED)
