"""/data/: officers upload a file, check what the platform read (CRS, encoding, field mapping,
validation preview), confirm, follow the import and download its rejects; and export layers."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.audit import audit_record
from accounts.models import AuditEvent
from geo.i18n import language_of, remember_language
from layers import registry
from layers.access import readable_layer
from places.selectors import admin_unit_wkb

from .exports import FORMATS, layer_export
from .fields import match_fields, missing_required, target_fields
from .jobs import job_confirmation, job_started, job_state, new_token, start_import, valid_token
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
    response = render(request, template, {"t": TEXTS[language], "lang": language,
                                          "other_lang": "en" if language == "vi" else "vi", **context}, status=status)
    return remember_language(request, response)


def _editable(request) -> list[registry.LayerSpec]:
    roles = registry.roles_of(request.user)
    return [spec for spec in registry.all_layers() if spec.editable_by(roles)]


def _upload_file(token: str) -> Path:
    if not valid_token(token):
        raise Http404
    folder = upload_dir(token)
    # The upload itself; dot files (the .owner marker) are ours. safe_file_name never starts with a dot.
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
        return None, HttpResponseForbidden("Bạn không được sửa lớp này (you may not edit this layer).")
    return path, registry.get(layer_id)


@require_safe
@login_required
def home(request):
    roles = registry.roles_of(request.user)
    imports_reap_dead()  # an import whose process died shows as failed, not running
    states = TEXTS[language_of(request)]["states"]
    imports = recent_imports(user=None if request.user.is_superuser else request.user, limit=20)
    return _page(request, "importers/home.html", {
        "editable": _editable(request),
        "readable": registry.readable_layers(roles),
        "formats": FORMATS, "export_crs": EXPORT_CRS,
        "can_raster": registry.ROLE_ADMIN in roles or request.user.is_staff,
        "raster_kinds": RasterCoverage.Kind.choices,
        "imports": [(record, states[record.status]) for record in imports],
    })


@require_POST
@login_required
def upload(request):
    """Keep the uploaded file (streamed to disk by Django) under var/imports/uploads/<token>/."""
    upload = request.FILES.get("file")
    target = request.POST.get("target", "")
    if upload is None:
        return _page(request, "importers/error.html", {"message": "Chưa chọn tệp (no file)."}, status=400)
    if target == "raster":
        if not (request.user.is_staff or registry.ROLE_ADMIN in registry.roles_of(request.user)):
            return HttpResponseForbidden("Chỉ quản trị viên nạp raster (administrators only).")
    elif target not in {s.id for s in _editable(request)}:
        return HttpResponseForbidden("Bạn không được sửa lớp này (you may not edit this layer).")
    if upload.size > settings.GEO_IMPORT_LIMITS["max_file_bytes"]:
        return _page(request, "importers/error.html", {"message": "Tệp quá lớn (file too large)."}, status=400)
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


def _options_from(params, spec) -> ImportOptions:
    mapping = {t.column: params[f"map_{t.column}"] for t in target_fields(spec)
               if params.get(f"map_{t.column}") not in (None, "", "-")}
    key = tuple(k.strip() for k in params.get("key", "").split(",") if k.strip())
    return ImportOptions(layer=params.get("source_layer") or None, crs=params.get("crs") or None,
                         encoding=params.get("encoding") or None, mapping=mapping,
                         mode=params.get("mode") if params.get("mode") in MODES else "append", key=key,
                         repair=params.get("repair") == "on", skip_invalid=params.get("skip_invalid") == "on")


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
    options.dry_run, options.max_rows = True, PREVIEW_ROWS
    context = {"token": token, "spec": spec, "file_name": path.name, "options": options,
               "params": request.GET.dict(), "targets": target_fields(spec), "encodings": ENCODINGS, "modes": MODES,
               "source": None, "mapping": {}, "report": None, "unsure": None, "error": None}
    try:
        with failures_referenced(f"inspecting upload {token} for {layer_id}"):
            source = open_vector(path, layer=options.layer, crs=options.crs, encoding=options.encoding)
            context["source"] = source.describe()
            context["mapping"] = match_fields(source.fields, spec, options.mapping, require=False)
        missing = missing_required(spec, context["mapping"])
        if missing:
            context["error"] = ("Chọn trường cho các cột bắt buộc (choose a field for the required columns): "
                                + ", ".join(t.label for t in missing))
        else:
            options.mapping = context["mapping"]
            context["report"] = layer_import(layer_id=layer_id, path=path, user=request.user, options=options)
    except EncodingUnsure as unsure:
        context["unsure"] = unsure.readings
    except ImportRejected as error:
        context["error"] = str(error)
    return _page(request, "importers/inspect.html", context)


@require_POST
@login_required
def start(request, token: str):
    if not valid_token(token):
        raise Http404
    with job_confirmation(token):  # a double click: the second confirmation waits, then finds the job
        if job_started(token, owner=request.user.pk):  # confirmed twice (back button, retry): one import only
            return redirect(f"/data/jobs/{token}/")
        path, spec = _owned_upload(request, token, request.POST.get("layer", ""))
        if path is None:
            return spec
        options = _options_from(request.POST, spec)
        start_import(token, layer_id=spec.id, path=path, file_name=path.name, user_id=request.user.pk,
                     options=options)
    return redirect(f"/data/jobs/{token}/")


def _job_state(request, token: str) -> dict:
    """The job's state with its status in the page's language ("label")."""
    state = job_state(token)
    if state is None or state.get("owner") != request.user.pk:
        raise Http404
    return {**state, "label": TEXTS[language_of(request)]["states"][state["state"]]}


@require_safe
@login_required
def job(request, token: str):
    return _page(request, "importers/job.html", {"token": token, "state": _job_state(request, token)})


@require_safe
@login_required
def job_status(request, token: str):
    return JsonResponse(_job_state(request, token))


@require_safe
@login_required
def rejects(request, record_id: int):
    record = ImportRecord.objects.filter(pk=record_id).first()
    if record is None or not record.rejects_file or not (record.user_id == request.user.pk or request.user.is_superuser):
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
        return _page(request, "importers/error.html", {"message": "Tham số không hợp lệ (bad crs or bbox)."}, status=400)
    unit_wkb = None
    if request.GET.get("unit"):
        unit_wkb = admin_unit_wkb(request.GET["unit"].strip())
        if unit_wkb is None:
            return _page(request, "importers/error.html", {"message": "Không có đơn vị hành chính này (unknown unit)."},
                         status=400)
    if fmt not in FORMATS:
        return _page(request, "importers/error.html", {"message": "Định dạng không hỗ trợ (unsupported format)."},
                     status=400)
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
