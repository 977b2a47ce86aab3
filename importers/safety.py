"""Checks that keep hostile files out before any parser touches them: archive bombs, path traversal,
huge entry counts, XML entities, oversized rasters. Nothing is ever extracted to disk: archives are
inspected with zipfile and read by GDAL through /vsizip/."""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

from layers.errors import ImportRejected  # noqa: F401  (importers' modules raise it from here)


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_archive_entries: int
    max_uncompressed_bytes: int
    max_compression_ratio: float
    max_raster_pixels: int

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(**settings.GEO_IMPORT_LIMITS)


_ENTITY = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)


def check_file_size(path: Path, limits: Limits) -> None:
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise ImportRejected(f"Tệp quá lớn: {size:,} byte, giới hạn {limits.max_file_bytes:,} "
                             f"(file too large).")
    if size == 0:
        raise ImportRejected("Tệp rỗng (empty file).")


def safe_zip_members(path: Path, limits: Limits) -> list[zipfile.ZipInfo]:
    """The members of a zip archive, after refusing traversal paths, too many entries and bombs
    (declared sizes and compression ratios; the real sizes are enforced again while reading)."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ImportRejected("Tệp nén hỏng hoặc không phải ZIP (corrupt or not a zip archive).")
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_archive_entries:
            raise ImportRejected(f"Tệp nén có {len(members):,} mục, giới hạn {limits.max_archive_entries:,} "
                                 f"(too many entries in the archive).")
        names = [info.filename for info in members]
        if len(set(names)) != len(names):
            # zipfile and GDAL may pick different ones among entries of the same name.
            raise ImportRejected("Tệp nén có nhiều mục trùng tên (duplicate entries in the archive).")
        total = 0
        for info in members:
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or re.match(r"^[A-Za-z]:", info.filename):
                raise ImportRejected(f"Tệp nén chứa đường dẫn không an toàn: {info.filename!r} "
                                     f"(unsafe path in the archive).")
            if info.flag_bits & 0x1:
                raise ImportRejected("Tệp nén có mật khẩu (encrypted archive).")
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio and info.file_size > 1_000_000:
                raise ImportRejected(f"Tệp nén bất thường: {info.filename} nén {ratio:,.0f} lần "
                                     f"(compression ratio of a zip bomb).")
        if total > limits.max_uncompressed_bytes:
            raise ImportRejected(f"Tệp nén giải nén ra {total:,} byte, giới hạn {limits.max_uncompressed_bytes:,} "
                                 f"(archive expands too much).")
        return members


def read_zip_member(path: Path, name: str, limit: int) -> bytes:
    """A member's bytes, read in memory and cut off (refused) past `limit` bytes whatever the
    archive claims."""
    with zipfile.ZipFile(path) as archive, archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ImportRejected(f"{name} lớn hơn giới hạn {limit:,} byte (entry too large).")
    return data


def refuse_xml_entities(chunks, what: str) -> None:
    """Refuse XML with a DOCTYPE or ENTITY declaration (external entities, billion laughs)."""
    tail = b""
    for chunk in chunks:
        if _ENTITY.search(tail + chunk):
            raise ImportRejected(f"{what} khai báo DOCTYPE/ENTITY, không được phép (XML entities are refused).")
        tail = chunk[-16:]


def file_chunks(path: Path, size: int = 1 << 20):
    with open(path, "rb") as f:
        while chunk := f.read(size):
            yield chunk


def check_xlsx(path: Path, limits: Limits) -> None:
    """An .xlsx is a zip of XML parts: the archive checks, no links to other workbooks or files, no
    macros, and no part may declare entities."""
    for info in safe_zip_members(path, limits):
        name = info.filename.lower()
        if name.startswith(("xl/externallinks/", "xl/connections.xml", "xl/querytables/", "xl/activex/")) \
                or name.endswith("vbaproject.bin"):
            raise ImportRejected(f"Bảng tính có liên kết tới tệp/nguồn dữ liệu khác hoặc macro ({info.filename}), "
                                 "không được phép (external links, data connections and macros are refused).")
        if info.filename.endswith((".xml", ".rels")):
            data = read_zip_member(path, info.filename, limits.max_uncompressed_bytes)
            refuse_xml_entities([data], info.filename)


FORMULA_PREFIXES = ("=", "+", "@", "\t", "\r")


def is_formula(value: str) -> bool:
    """A spreadsheet formula (or a CSV injection payload): '=...', '+...', '@...', '-' not starting a
    number, or a leading tab/carriage return."""
    if not value:
        return False
    if value.startswith(FORMULA_PREFIXES):
        return True
    if value.startswith("-"):
        try:
            float(value)
        except ValueError:
            return True
    return False
