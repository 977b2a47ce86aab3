"""What GDAL may do in this process: only the few drivers the platform uses, and no network or
other virtual file systems besides /vsizip/ (uploaded archives) and /vsimem/ (in-memory files).

GDAL picks a driver by a file's content, and several drivers (VRT, GTI, WMS, OAPIF, HTTP, MapInfo's
seamless tables, ...) follow paths or URLs written inside a file: an uploaded ".geojson" holding an
OGR VRT document once read /etc/passwd and the signing key into a public layer. So every GDAL
library loaded in the process (pyogrio's, rasterio's, Django's) keeps only an allow-list of drivers;
the others are deregistered and named in GDAL_SKIP/OGR_SKIP so a later GDALAllRegister() cannot
bring them back; GDAL's own HTTP client answers every fetch with a failure. `enforce()` runs at
start-up and again before any user file is opened (it is cheap and idempotent); `importers.sniff`
then decides the format by content and checks that the driver GDAL used is the one the content
proved.
"""
from __future__ import annotations

import ctypes
import glob
import threading
from dataclasses import dataclass, field
from pathlib import Path

# Reading officers' files and writing exports (pyogrio); GeoTIFF/COG rasters (rasterio and pygeoapi's
# coverage provider); MEM for in-memory rasters. Nothing here reads a path or URL found in a file
# (LIBKML fetches external styles only with LIBKML_EXTERNAL_STYLE, forced off below).
ALLOWED_DRIVERS = frozenset({"GeoJSON", "LIBKML", "KML", "GPKG", "ESRI Shapefile", "CSV", "GTiff", "COG", "MEM"})
# /vsizip/ reads uploaded archives in place; /vsimem/ holds rasterio's in-memory files.
ALLOWED_FILE_SYSTEMS = frozenset({"/vsizip/", "/vsimem/"})

_lock = threading.Lock()

# GDAL's own HTTP client (used by drivers and by CRS definitions given as URLs, e.g. a GeoJSON
# "crs" link) asks this callback instead of fetching, and gets a failed result: nothing is fetched
# whatever the proxy settings. The callbacks stay referenced for the life of the process.
_HTTP_FETCH = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p,
                               ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
_fetch_refusals: list = []


class _HTTPResult(ctypes.Structure):  # CPLHTTPResult (cpl_http.h)
    _fields_ = [("nStatus", ctypes.c_int), ("pszContentType", ctypes.c_void_p), ("pszErrBuf", ctypes.c_void_p),
                ("nDataLen", ctypes.c_int), ("nDataAlloc", ctypes.c_int), ("pabyData", ctypes.c_void_p),
                ("papszHeaders", ctypes.c_void_p), ("nMimePartCount", ctypes.c_int),
                ("pasMimePart", ctypes.c_void_p)]


def _refusing_fetch(cdll: ctypes.CDLL):
    """A fetch callback answering every URL with a failed result allocated by that library (which
    frees it with CPLHTTPDestroyResult)."""
    cdll.CPLCalloc.restype = ctypes.c_void_p
    cdll.CPLCalloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
    cdll.CPLStrdup.restype = ctypes.c_void_p
    cdll.CPLStrdup.argtypes = [ctypes.c_char_p]

    def refuse(*_args):
        address = cdll.CPLCalloc(1, ctypes.sizeof(_HTTPResult))
        result = _HTTPResult.from_address(address)
        result.nStatus = 7  # CURLE_COULDNT_CONNECT
        result.pszErrBuf = cdll.CPLStrdup(b"network access is disabled on this server")
        return address

    callback = _HTTP_FETCH(refuse)
    _fetch_refusals.append(callback)
    return callback


@dataclass
class _Library:
    name: str
    cdll: ctypes.CDLL
    skipped: set[str] = field(default_factory=set)
    options: dict[str, str] = field(default_factory=dict)  # config options this module has set


def _bind(cdll: ctypes.CDLL) -> ctypes.CDLL:
    cdll.GDALGetDriverCount.restype = ctypes.c_int
    cdll.GDALGetDriver.restype = ctypes.c_void_p
    cdll.GDALGetDriver.argtypes = [ctypes.c_int]
    cdll.GDALGetDescription.restype = ctypes.c_char_p
    cdll.GDALGetDescription.argtypes = [ctypes.c_void_p]
    cdll.GDALDeregisterDriver.argtypes = [ctypes.c_void_p]
    cdll.GDALDestroyDriver.argtypes = [ctypes.c_void_p]
    cdll.CPLSetConfigOption.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    cdll.VSIGetFileSystemsPrefixes.restype = ctypes.POINTER(ctypes.c_char_p)
    cdll.CSLDestroy.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
    if hasattr(cdll, "VSIRemovePluginHandler"):  # GDAL >= 3.9
        cdll.VSIRemovePluginHandler.argtypes = [ctypes.c_char_p]
    cdll.CPLHTTPSetFetchCallback.argtypes = [_HTTP_FETCH, ctypes.c_void_p]
    cdll.CPLHTTPSetFetchCallback(_refusing_fetch(cdll), None)
    return cdll


def _set_option(library: _Library, name: str, value: str) -> None:
    """Set a GDAL config option once: setting it again while another thread reads it is unsafe."""
    if library.options.get(name) != value:
        library.cdll.CPLSetConfigOption(name.encode(), value.encode())
        library.options[name] = value


def _wheel_library(package: str) -> _Library | None:
    """The libgdal bundled in a wheel (`<package>.libs/libgdal-*.so*`), loaded by importing the
    package's compiled module first so that ctypes gets the very same library."""
    try:
        module = __import__(package)
    except ImportError:
        return None
    folder = Path(module.__file__).resolve().parent.parent / f"{package}.libs"
    found = sorted(glob.glob(str(folder / "libgdal*.so*")))
    if not found:
        return None  # built against a system GDAL: Django's handle below is the same library
    return _Library(package, _bind(ctypes.CDLL(found[0])))


def _libraries() -> list[_Library]:
    import pyogrio  # noqa: F401 - registers pyogrio's drivers (its GDAL must be loaded)
    import rasterio  # noqa: F401
    from django.contrib.gis.gdal.libgdal import lgdal

    libraries = [lib for lib in (_wheel_library("pyogrio"), _wheel_library("rasterio")) if lib]
    libraries.append(_Library("django", _bind(lgdal)))
    return libraries


def driver_names(cdll: ctypes.CDLL) -> list[str]:
    return [cdll.GDALGetDescription(cdll.GDALGetDriver(i)).decode()
            for i in range(cdll.GDALGetDriverCount())]


def file_systems(cdll: ctypes.CDLL) -> list[str]:
    prefixes = cdll.VSIGetFileSystemsPrefixes()
    names, i = [], 0
    while prefixes[i]:
        names.append(prefixes[i].decode())
        i += 1
    cdll.CSLDestroy(prefixes)
    return names


def _restrict(library: _Library) -> None:
    cdll = library.cdll
    if cdll.GDALGetDriverCount() == 0:
        cdll.GDALAllRegister()
    skipped = []
    for i in reversed(range(cdll.GDALGetDriverCount())):
        driver = cdll.GDALGetDriver(i)
        name = cdll.GDALGetDescription(driver).decode()
        if name not in ALLOWED_DRIVERS:
            cdll.GDALDeregisterDriver(driver)
            skipped.append(name)
    if skipped:
        library.skipped |= set(skipped)
        # A later GDALAllRegister() skips these again: GDAL_SKIP splits on spaces, OGR_SKIP on commas
        # (for names with a space, such as "MapInfo File").
        _set_option(library, "GDAL_SKIP", " ".join(sorted(n for n in library.skipped if " " not in n)))
        _set_option(library, "OGR_SKIP", ",".join(sorted(n for n in library.skipped if " " in n)))
    # Debian's GDAL 3.6 (Django's) cannot remove file systems; it never opens users' files.
    removable = hasattr(cdll, "VSIRemovePluginHandler")
    for prefix in file_systems(cdll) if removable else ():
        if prefix not in ALLOWED_FILE_SYSTEMS:
            cdll.VSIRemovePluginHandler(prefix.encode())
    for option, value in (("GDAL_HTTP_PROXY", "127.0.0.1:9"), ("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR"),
                          ("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ".refused"), ("LIBKML_EXTERNAL_STYLE", "NO")):
        _set_option(library, option, value)


_libraries_cache: list[_Library] | None = None


def enforce() -> None:
    """Restrict every GDAL library of the process (see the module docstring). Idempotent."""
    global _libraries_cache
    with _lock:
        if _libraries_cache is None:
            _libraries_cache = _libraries()
        for library in _libraries_cache:
            _restrict(library)


def status() -> dict[str, dict[str, list[str]]]:
    """The drivers and virtual file systems each GDAL library of the process offers now."""
    enforce()
    return {lib.name: {"drivers": driver_names(lib.cdll), "file_systems": file_systems(lib.cdll)}
            for lib in _libraries_cache or []}

