"""/data/: officers upload a file, check what the platform read (CRS, encoding, field mapping,
validation preview), confirm, follow the import and download its rejects; and export layers."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.audit import audit_record
from accounts.models import AuditEvent
from geo.i18n import language_of, remember_language
from layers import registry, writes
from layers.access import readable_layer
from layers.editing import EditRefused, Editor
from layers.fields import FIXED_PREFIX, fixed_value, match_fields, missing_required, target_fields
from layers.formats import datetime_vi, whole_number_vi
from layers.models import Change, Organisation
from places.selectors import admin_unit_wkb

from .exports import FORMATS, layer_export
from .jobs import QUEUED, job_confirmation, job_started, job_state, new_token, start_import, valid_token
from .models import ImportRecord, RasterCoverage
from .rasters import raster_import
from .records import failures_referenced, imports_reap_dead, upload_dir
from .safety import ImportRejected
from .selectors import recent_imports
from .services import MODES, ImportOptions, layer_import
from .sources import EncodingUnsure, open_vector, safe_file_name
from .texts import TEXTS
from .vnencodings import ENCODINGS

PREVIEW_ROWS = 2000
EXPORT_CRS = {4326: "WGS 84 (EPSG:4326)", 9212: "VN-2000 / TM-3 106-15 (EPSG:9212)",
              3405: "VN-2000 / UTM 48N (EPSG:3405)", 3857: "Web Mercator (EPSG:3857)"}


def _page(request, template: str, context: dict, status: int = 200):
    language = language_of(request)
    other = "en" if language == "vi" else "vi"
    response = render(request, template, {"t": TEXTS[language], "lang": language, "other_lang": other,
                                          "lang_url": _other_language_url(request, other), **context}, status=status)
    return remember_language(request, response)


def _other_language_url(request, other: str) -> str:
    """This page in the other language: its query kept (a check page needs its layer and mapping); an
    answer to a form sent by POST cannot be asked for again, so the data home page."""
    if request.method != "GET":
        return f"/data/?lang={other}"
    query = request.GET.copy()
    query["lang"] = other
    return f"{request.path}?{query.urlencode()}"


def _error(request, key: str, status: int, **context):
    """The error page with the text `key` of the page's language."""
    return _page(request, "importers/error.html", {"message": TEXTS[language_of(request)][key], **context},
                 status=status)


def _editable(request) -> list[registry.LayerSpec]:
    roles = registry.roles_of(request.user)
    return [spec for spec in registry.all_layers() if spec.editable_by(roles)]


def _layer_title(layer_id: str, language: str) -> str:
    """A layer's title in the page's language; its id when the layer is no longer declared."""
    try:
        spec = registry.get(layer_id)
    except KeyError:
        return layer_id
    return spec.title_en if language == "en" else spec.title_vi


def _modes(language: str, own_only: bool = False) -> list[dict]:
    """The write modes with their label and one-line explanation, in the page's language; for an
    owner-bound editor (a utility), replace and upsert touch only its organisation's features."""
    texts = TEXTS[language]["modes_own" if own_only else "modes"]
    return [{"value": mode, "label": texts[mode][0], "help": texts[mode][1]} for mode in MODES]


def _organisation_name(code: str, language: str) -> str:
    organisation = Organisation.objects.filter(code=code).first()
    if organisation is None:
        return code
    return f"{organisation.name_en if language == 'en' else organisation.name_vi} ({code})"


def _upload_file(token: str) -> Path:
    if not valid_token(token):
        raise Http404
    folder = upload_dir(token)
    # The upload itself; dot files (the .owner marker, the .preview summary) are ours. safe_file_name
    # never starts with a dot.
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")] if folder.is_dir() else []
    if not files:
        raise Http404
    return files[0]


def _owner_of(token: str) -> int | None:
    marker = upload_dir(token) / ".owner"
    return int(marker.read_text()) if marker.exists() else None


def _owned_upload(request, token: str, layer_id: str):
    """(the uploaded file, the target layer) when both are the caller's to use; else an error response."""
    path = _upload_file(token)
    if _owner_of(token) != request.user.pk:
        raise Http404
    if layer_id not in {s.id for s in _editable(request)}:
        return None, _error(request, "forbidden_layer", 403)
    return path, registry.get(layer_id)


# The last check of an upload (rows read, accepted, rejected), kept next to it: confirming an upload
# whose check accepted no row is refused.
def _preview_write(token: str, report) -> None:
    (upload_dir(token) / ".preview").write_text(json.dumps(
        {"total": report.total, "accepted": report.accepted, "rejected": report.rejected}))


def _preview_read(token: str) -> dict | None:
    marker = upload_dir(token) / ".preview"
    return json.loads(marker.read_text()) if marker.exists() else None


# -- the home page: upload, export, the import history ------------------------------------------------

HISTORY_ROWS = 20


def _visible_imports(request) -> Q:
    """The import records the caller may open (and so try to undo): its own; every import into a
    layer it edits; for an editor bound to its organisation in a layer (a utility), the imports of
    that organisation's accounts only. A superuser sees them all."""
    if request.user.is_superuser:
        return Q()
    editor = Editor.of(request.user)
    visible = Q(user=request.user)
    full, own = [], []
    for spec in _editable(request):
        (own if editor.owner_bound(spec) else full).append(spec.id)
    if full:
        visible |= Q(layer_id__in=full)
    if own and editor.organisation:
        visible |= Q(layer_id__in=own, user__profile__organisation_id=editor.organisation)
    return visible


def _undone(record_ids) -> dict[int, tuple]:
    """{record id: (when, who)} of the given imports that were undone (layers_change, source undo)."""
    undos = (Change.objects.filter(record_id__in=list(record_ids), source=writes.UNDO).order_by("record_id", "id")
             .distinct("record_id").values_list("record_id", "at", "actor"))
    return {record_id: (at, actor) for record_id, at, actor in undos}


def _history(request) -> list[dict]:
    """The latest real imports (not the checks made before confirming) the caller may open, newest
    first, with those that were undone marked. Two queries, whatever the number of rows."""
    records = list(recent_imports(visible=_visible_imports(request), limit=HISTORY_ROWS))
    undone = _undone(r.pk for r in records) if records else {}
    language = language_of(request)
    texts = TEXTS[language]
    return [{"record": record, "when": datetime_vi(record.started_at), "layer": _layer_title(record.layer_id, language),
             "status": texts["undone_state"] if record.pk in undone else texts["states"].get(record.status, record.status),
             "state": "undone" if record.pk in undone else record.status,
             "accepted": whole_number_vi(record.accepted), "rejected": whole_number_vi(record.rejected),
             "job": record.job_token if record.user_id == request.user.pk else ""}
            for record in records]


@require_safe
@login_required
def home(request):
    roles = registry.roles_of(request.user)
    imports_reap_dead()  # an import whose process died shows as failed, not running
    return _page(request, "importers/home.html", {
        "editable": _editable(request),
        "readable": registry.readable_layers(roles),
        "formats": FORMATS, "export_crs": EXPORT_CRS,
        "can_raster": registry.ROLE_ADMIN in roles or request.user.is_staff,
        "raster_kinds": RasterCoverage.Kind.choices,
        "imports": _history(request),
    })


@require_POST
@login_required
def upload(request):
    """Keep the uploaded file (streamed to disk by Django) under var/imports/uploads/<token>/."""
    upload = request.FILES.get("file")
    target = request.POST.get("target", "")
    if upload is None:
        return _error(request, "no_file", 400)
    if target == "raster":
        if not (request.user.is_staff or registry.ROLE_ADMIN in registry.roles_of(request.user)):
            return _error(request, "raster_admins", 403)
    elif target not in {s.id for s in _editable(request)}:
        return _error(request, "forbidden_layer", 403)
    if upload.size > settings.GEO_IMPORT_LIMITS["max_file_bytes"]:
        return _error(request, "too_large", 400)
    token = new_token()
    folder = upload_dir(token)
    folder.mkdir(parents=True)
    (folder / ".owner").write_text(str(request.user.pk))
    destination = folder / safe_file_name(upload.name)
    with open(destination, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    if target == "raster":
        try:
            coverage = raster_import(path=destination, coverage_id=request.POST.get("coverage_id", ""),
                                     title=request.POST.get("coverage_title", "") or destination.stem,
                                     kind=request.POST.get("kind", "other"), crs=request.POST.get("crs") or None,
                                     user=request.user, file_name=upload.name)
        except ImportRejected as error:
            return _page(request, "importers/error.html", {"message": str(error)}, status=400)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return redirect(f"/ogcapi/collections/{coverage.coverage_id}")
    return redirect(f"/data/upload/{token}/?layer={target}")


# -- checking an upload, then confirming it -------------------------------------------------------------

FIXED_CHOICE = "="  # the mapping <select>'s choice "(fixed value)"; its value is in fixed_<column>


def _mapping_from(params, spec) -> dict[str, str]:
    """{target column: source field, or "=value"} from the form: map_<column> names a field, or is
    FIXED_CHOICE with the value in fixed_<column>; "-" or nothing leaves the column unmapped."""
    mapping = {}
    for target in target_fields(spec):
        chosen = params.get(f"map_{target.column}")
        if chosen == FIXED_CHOICE:
            mapping[target.column] = FIXED_PREFIX + params.get(f"fixed_{target.column}", "").strip()
        elif chosen not in (None, "", "-"):
            mapping[target.column] = chosen
    return mapping


def _owner_scope(request, spec, options: ImportOptions) -> str | None:
    """An editor who may edit the layer only as an owner (a utility account) needs an organisation;
    the import itself then touches only that organisation's features (layers.writes). The text key
    of the refusal, or None."""
    editor = Editor.of(request.user)
    if editor.owner_bound(spec) and not editor.organisation:
        return "no_organisation"
    return None


def _stamp_owner(request, spec, mapping: dict[str, str]) -> None:
    """A file without an owner column, imported by an editor bound to its organisation: every row is
    its organisation's (as layers.writes stamps them), shown as the owner column's fixed value."""
    editor = Editor.of(request.user)
    if editor.owner_bound(spec) and editor.organisation:
        mapping.setdefault(spec.model._meta.get_field(spec.owner_field).column, FIXED_PREFIX + editor.organisation)


def _options_from(params, spec) -> ImportOptions:
    key = tuple(k.strip() for value in params.getlist("key") for k in value.split(",") if k.strip())
    return ImportOptions(layer=params.get("source_layer") or None, crs=params.get("crs") or None,
                         encoding=params.get("encoding") or None, mapping=_mapping_from(params, spec),
                         mode=params.get("mode") if params.get("mode") in MODES else "append", key=key,
                         repair=params.get("repair") == "on", skip_invalid=params.get("skip_invalid") == "on")


def _mapping_rows(spec, mapping: dict[str, str]) -> list[dict]:
    """Each target column with what the form shows for it: the chosen field, or the fixed value."""
    rows = []
    for target in target_fields(spec):
        mapped = mapping.get(target.column)
        fixed = fixed_value(mapped) if mapped is not None else None
        rows.append({"target": target, "field": mapped if fixed is None else None, "fixed": fixed})
    return rows


def _already_loaded(request, report, spec) -> str:
    """A warning when this very file (by its SHA-256) was already loaded into the layer."""
    sha256 = ImportRecord.objects.filter(pk=report.record_id).values_list("sha256", flat=True).first()
    earlier = (ImportRecord.objects.select_related("user").filter(
        layer_id=spec.id, sha256=sha256, status=ImportRecord.Status.DONE).order_by("-started_at").first()
        if sha256 else None)
    if earlier is None:
        return ""
    who = f" ({earlier.user.get_username()})" if earlier.user else ""
    return TEXTS[language_of(request)]["already_loaded"].format(when=datetime_vi(earlier.started_at), who=who)


@require_safe
@login_required
def inspect(request, token: str):
    """What the platform read from the file (format, CRS, encoding, field mapping) and a dry run of
    its first rows; everything can be corrected here before confirming."""
    path, spec = _owned_upload(request, token, request.GET.get("layer", ""))
    if path is None:
        return spec
    layer_id = spec.id
    options = _options_from(request.GET, spec)
    refused = _owner_scope(request, spec, options)
    if refused:
        return _error(request, refused, 403, back="/data/")
    options.dry_run, options.max_rows = True, PREVIEW_ROWS
    language = language_of(request)
    context = {"token": token, "spec": spec, "layer_title": _layer_title(spec.id, language), "file_name": path.name,
               "options": options, "params": request.GET.dict(), "targets": target_fields(spec),
               "encodings": ENCODINGS, "modes": _modes(language, Editor.of(request.user).owner_bound(spec)),
               "source": None, "mapping_rows": [],
               "report": None, "unsure": None, "error": None, "warning": "", "fixed_choice": FIXED_CHOICE}
    try:
        with failures_referenced(f"inspecting upload {token} for {layer_id}"):
            source = open_vector(path, layer=options.layer, crs=options.crs, encoding=options.encoding)
            context["source"] = source.describe()
            mapping = match_fields(source.fields, spec, options.mapping, require=False)
            _stamp_owner(request, spec, mapping)
            context["mapping_rows"] = _mapping_rows(spec, mapping)
        missing = missing_required(spec, mapping)
        if missing:
            context["error"] = TEXTS[language]["choose_required"] + ", ".join(t.label for t in missing)
        else:
            options.mapping = mapping
            report = layer_import(layer_id=layer_id, path=path, user=request.user, options=options)
            _preview_write(token, report)
            context.update(report=report, warning=_already_loaded(request, report, spec),
                           counts={k: whole_number_vi(getattr(report, k)) for k in ("total", "accepted", "rejected")})
    except EncodingUnsure as unsure:
        context["unsure"] = unsure.readings
    except ImportRejected as error:
        context["error"] = str(error)
    return _page(request, "importers/inspect.html", context)


# Confirmation fields that the check page does not take back.
_CONFIRM_ONLY = {"csrfmiddlewaretoken", "mode", "key", "skip_invalid", "replace_confirmed"}


def _check_url(request, token: str) -> str:
    """The check page of a confirmation's upload, with the options it was checked with."""
    return f"/data/upload/{token}/?" + urlencode(
        [(k, v) for k in request.POST if k not in _CONFIRM_ONLY for v in request.POST.getlist(k)])


def _confirm_replace(request, token: str, spec, path: Path, preview: dict | None):
    """The step before `replace` empties a layer: how many features will be deleted, and a button
    that sends the same confirmation again with replace_confirmed. An editor bound to its
    organisation (a utility) replaces only that organisation's features (layers.writes.bulk_write)."""
    language = language_of(request)
    texts = TEXTS[language]
    editor = Editor.of(request.user)
    features = spec.model._base_manager.all()
    own_only = editor.owner_bound(spec)
    if own_only:
        features = features.filter(**{f"{spec.owner_field}_id": editor.organisation})
    values = {"count": whole_number_vi(features.count()), "layer": _layer_title(spec.id, language), "file": path.name,
              "rows": whole_number_vi(preview["accepted"]) if preview else "?",
              "organisation": _organisation_name(editor.organisation, language) if own_only else ""}
    return _page(request, "importers/confirm_replace.html", {
        "token": token, "spec": spec, "fields": [(k, v) for k in request.POST if k != "csrfmiddlewaretoken"
                                                 for v in request.POST.getlist(k)],
        "own_only": own_only,
        "title": texts["replace_own_title" if own_only else "replace_title"],
        "warning": texts["replace_own_warning" if own_only else "replace_warning"].format(**values),
        "button": texts["replace_confirm"].format(**values), "back": _check_url(request, token)})


@require_POST
@login_required
def start(request, token: str):
    """Confirm an upload: start its import, once. Confirming it again (double click, back button,
    retry) leads to the same job; `replace` first asks for a confirmation showing what it deletes."""
    if not valid_token(token):
        raise Http404
    with job_confirmation(token):  # a double click: the second confirmation waits, then finds the job
        if job_started(token, owner=request.user.pk):  # confirmed twice (back button, retry): one import only
            return redirect(f"/data/jobs/{token}/")
        path, spec = _owned_upload(request, token, request.POST.get("layer", ""))
        if path is None:
            return spec
        options = _options_from(request.POST, spec)
        refused = _owner_scope(request, spec, options)
        if refused:
            return _error(request, refused, 403, back=_check_url(request, token))
        preview = _preview_read(token)
        if preview is not None and preview["accepted"] == 0:
            return _error(request, "nothing_to_load", 400, back=_check_url(request, token))
        if options.mode == "upsert" and not options.key:
            return _error(request, "need_key", 400, back=_check_url(request, token))
        if options.mode == "replace" and request.POST.get("replace_confirmed") != "yes":
            return _confirm_replace(request, token, spec, path, preview)
        start_import(token, layer_id=spec.id, path=path, file_name=path.name, user_id=request.user.pk,
                     options=options)
    return redirect(f"/data/jobs/{token}/")


# -- following a job ---------------------------------------------------------------------------------

def _job_state(request, token: str) -> dict:
    """The job's state as the page shows it: its status in the page's language ("label"), its
    numbers and progress written the Vietnamese way."""
    state = job_state(token)
    if state is None or state.get("owner") != request.user.pk:
        raise Http404
    texts = TEXTS[language_of(request)]
    done, total = state.get("done"), state.get("total")
    if state["state"] == QUEUED or done is None:
        progress = ""
    elif total:
        progress = texts["progress_rows"].format(done=whole_number_vi(done), total=whole_number_vi(total))
    else:
        progress = texts["progress_rows_unknown"].format(done=whole_number_vi(done))
    numbers = {f"{k}_text": whole_number_vi(state[k]) for k in ("accepted", "rejected") if state.get(k) is not None}
    state = {k: v for k, v in state.items() if k not in ("pid", "host")}  # the server's business
    return {**state, **numbers, "label": texts["states"].get(state["state"], state["state"]), "progress": progress,
            "ended": state["state"] not in (QUEUED, ImportRecord.Status.RUNNING)}


@require_safe
@login_required
def job(request, token: str):
    state = _job_state(request, token)
    language = language_of(request)
    record = ImportRecord.objects.filter(pk=state["record_id"]).first() if state.get("record_id") else None
    layer_id = state.get("layer_id") or (record.layer_id if record else "")
    mode = state.get("mode") or (record.mode if record else "")
    return _page(request, "importers/job.html", {
        "token": token, "state": state, "record": record,
        "file_name": state.get("file_name") or (record.file_name if record else ""),
        "layer": _layer_title(layer_id, language) if layer_id else "",
        "mode": TEXTS[language]["modes"][mode][0] if mode in MODES else mode,
        "started": datetime_vi(record.started_at) if record else "",
        "finished": datetime_vi(record.finished_at) if record and record.finished_at else "",
    })


@require_safe
@login_required
def job_status(request, token: str):
    return JsonResponse(_job_state(request, token))


# -- an import's record: what it did to the layer; undoing it -------------------------------------------

def _open_record(request, record_id: int):
    """(the import record, None) when the caller may open it (_visible_imports); else (None, the 403
    page). 404 when there is no such record."""
    record = ImportRecord.objects.select_related("user").filter(_visible_imports(request), pk=record_id).first()
    if record is not None:
        return record, None
    if not ImportRecord.objects.filter(pk=record_id).exists():
        raise Http404
    return None, _error(request, "forbidden_record", 403)


def _import_changes(record: ImportRecord) -> dict[str, int]:
    """How many features the import added (I), changed (U) and deleted (D) in its layer: an import
    changes each feature once, so its change-log entries count them. One query."""
    counts = {"I": 0, "U": 0, "D": 0}
    counts.update(Change.objects.filter(layer_id=record.layer_id, record_id=record.pk, source=writes.IMPORT)
                  .values_list("op").annotate(n=Count("id")).order_by())
    return counts


def _may_undo(request, record: ImportRecord, changes: dict[str, int], undone) -> bool:
    """Whether to offer undoing: a finished import that changed features and was not undone, to its
    author or an officer who may edit its layer (layers.writes.undo_import has the last word)."""
    if record.status != ImportRecord.Status.DONE or undone or not any(changes.values()):
        return False
    return record.user_id == request.user.pk or record.layer_id in {s.id for s in _editable(request)}


def _record_page(request, record: ImportRecord, *, error: str = "", status: int = 200):
    language = language_of(request)
    texts = TEXTS[language]
    undone = _undone([record.pk]).get(record.pk)
    changes = _import_changes(record)
    mode = texts["modes"][record.mode][0] if record.mode in MODES else record.mode
    return _page(request, "importers/record.html", {
        "record": record, "error": error, "layer": _layer_title(record.layer_id, language), "mode": mode,
        "title": texts["record_title"].format(id=record.pk),
        "status_label": texts["states"].get(record.status, record.status),
        "started": datetime_vi(record.started_at),
        "finished": datetime_vi(record.finished_at) if record.finished_at else "",
        "counts": {k: whole_number_vi(getattr(record, k)) for k in ("total", "accepted", "rejected")},
        "changes": texts["record_changes"].format(**{k: whole_number_vi(n) for k, n in
                                                      (("added", changes["I"]), ("updated", changes["U"]),
                                                       ("deleted", changes["D"]))}) if any(changes.values()) else "",
        "undone": texts["undone_note"].format(when=datetime_vi(undone[0]), who=undone[1] or "—") if undone else "",
        "may_undo": _may_undo(request, record, changes, undone),
        "job": record.job_token if record.user_id == request.user.pk and record.job_token else "",
    }, status=status)


@require_safe
@login_required
def import_record(request, record_id: int):
    """One import: its file, layer, mode, numbers, what it changed, and "undo" when it may be undone."""
    record, refused = _open_record(request, record_id)
    return refused or _record_page(request, record)


@require_http_methods(["GET", "POST"])
@login_required
def import_undo(request, record_id: int):
    """Undo an import: GET asks for confirmation (what will be removed, restored, brought back); a
    POST with confirmed=yes undoes it through layers.writes.undo_import, as new versions. A refusal
    (changed since, undone already, no right) is shown on the import's page with its status."""
    record, refused = _open_record(request, record_id)
    if refused:
        return refused
    language = language_of(request)
    texts = TEXTS[language]
    changes = _import_changes(record)
    undone = _undone([record.pk]).get(record.pk)
    if request.method == "GET" or request.POST.get("confirmed") != "yes":
        if not _may_undo(request, record, changes, undone):
            return redirect(f"/data/imports/{record.pk}/")
        return _page(request, "importers/undo_confirm.html", {
            "record": record, "warning": texts["undo_warning"].format(
                layer=_layer_title(record.layer_id, language), file=record.file_name,
                removed=whole_number_vi(changes["I"]), restored=whole_number_vi(changes["U"]),
                reinstated=whole_number_vi(changes["D"]))})
    if record.status != ImportRecord.Status.DONE:
        return _record_page(request, record, error=texts["undo_not_done"], status=409)
    try:
        spec = registry.get(record.layer_id)
    except KeyError:
        return _record_page(request, record, error=texts["undo_no_layer"], status=404)
    try:
        result = writes.undo_import(spec=spec, editor=Editor.of(request.user), record_id=record.pk)
    except EditRefused as refusal:
        return _record_page(request, record, error=f"{texts['undo_refused']} {refusal}", status=refusal.status)
    messages.success(request, texts["undo_done"].format(id=record.pk, removed=whole_number_vi(result.removed),
                                                        restored=whole_number_vi(result.restored),
                                                        reinstated=whole_number_vi(result.reinstated)))
    return redirect(f"/data/imports/{record.pk}/")


@require_safe
@login_required
def rejects(request, record_id: int):
    """The rejected rows of an import, for whoever may open the import (its page links here)."""
    record = ImportRecord.objects.filter(_visible_imports(request), pk=record_id).first()
    if record is None or not record.rejects_file:
        raise Http404
    return FileResponse(open(record.rejects_file, "rb"), as_attachment=True,
                        filename=f"rejects-{record.pk}-{Path(record.file_name).stem}.csv", content_type="text/csv")


@require_safe
def export(request):
    """Download a layer the caller may read, as a file (format, CRS, unit or bbox filter)."""
    layer_id, fmt = request.GET.get("layer", ""), request.GET.get("format", "gpkg")
    spec, refused = readable_layer(request, layer_id)
    if refused:
        return refused
    try:
        srid = int(request.GET.get("crs") or 4326)
        bbox = tuple(float(v) for v in request.GET["bbox"].split(",")) if request.GET.get("bbox") else None
        if bbox is not None and len(bbox) != 4:
            raise ValueError
    except ValueError:
        return _error(request, "bad_export", 400)
    unit_wkb = None
    if request.GET.get("unit"):
        unit_wkb = admin_unit_wkb(request.GET["unit"].strip())
        if unit_wkb is None:
            return _error(request, "unknown_unit", 400)
    if fmt not in FORMATS:
        return _error(request, "bad_format", 400)
    folder = Path(tempfile.mkdtemp(prefix="download-"))
    out = folder / f"{spec.id}-{srid}{FORMATS[fmt][1]}"
    try:
        layer_export(spec=spec, fmt=fmt, out_path=out, srid=srid, bbox=bbox, unit_wkb=unit_wkb)
    except ImportRejected as error:
        shutil.rmtree(folder, ignore_errors=True)
        return _page(request, "importers/error.html", {"message": str(error)}, status=400)
    if not spec.public:
        audit_record(AuditEvent.Kind.INTERNAL_EXPORT, request=request, subject=spec.id, format=fmt, crs=srid,
                     unit=request.GET.get("unit", ""), bbox=request.GET.get("bbox", ""))
    response = FileResponse(open(out, "rb"), as_attachment=True, filename=out.name)
    response._resource_closers.append(lambda: shutil.rmtree(folder, ignore_errors=True))
    return response
