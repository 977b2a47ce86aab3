"""Photos sent with an incident report: checked by content (never by name or declared type), bounded
in bytes and pixels, turned upright, resized for the map and re-encoded as a fresh JPEG that carries
no metadata at all (no EXIF, GPS, MakerNote, XMP, ICC profile, IPTC, comment). The GPS position and
the time the photo was taken are read from the original first, so the report form can pre-fill the
location. Pure functions: no models, no files, no settings (the caller passes the limits).

Decisions:
- Accepted formats: JPEG, PNG, WebP (what phones and browsers send). GIF, HEIC, TIFF, BMP, SVG, PDF
  and anything else are refused with a message asking for a JPEG, PNG or WebP photo.
- Animated WebP/PNG (APNG): only the first frame is kept (the stored photo is a JPEG, which cannot
  animate); nothing after it is decoded.
- Data after the end of a JPEG (Samsung motion photos, an appended ZIP of a polyglot) is accepted and
  dropped by the re-encoding. Files whose first KiB holds HTML, SVG, script or PDF markers are refused
  outright: a browser sniffing content could take them for a page.
- Colours: a photo with an ICC profile (iPhones shoot Display P3) is converted to sRGB before the
  profile is dropped, so it looks the same without it.
"""
from __future__ import annotations

import hashlib
import io
import math
import re
import struct
from dataclasses import dataclass
from datetime import datetime

from PIL import ExifTags, Image, ImageCms, ImageFile, ImageOps

from layers.errors import ImportRejected

MAX_PHOTOS = 3  # photos per report
MAX_PHOTO_BYTES = 10 * 1024**2  # default size limit of one uploaded photo (settings pass their own)
MAX_PHOTO_PIXELS = 40_000_000  # default pixel limit (width × height) of one uploaded photo
PHOTO_LONG_EDGE = 1600  # longest edge of the stored photo, in pixels (never enlarged)
THUMB_LONG_EDGE = 320  # longest edge of the thumbnail, in pixels
JPEG_QUALITY = 82

# The first bytes of each accepted format; anything else is refused before Pillow sees it.
_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)
# What makes a browser (or a PDF reader) treat a file as something else than an image.
_ACTIVE_CONTENT = re.compile(rb"<\s*(?:(?:html|head|body|script|svg|iframe|object|embed)\b|!doctype)|%PDF-",
                             re.IGNORECASE)
# What Pillow and its decoders raise on damaged input; turned into a refusal, never a 500.
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, TypeError,
                  KeyError, ZeroDivisionError)

_TAG_DATETIME_ORIGINAL = 0x9003


class PhotoRefused(ImportRejected):
    """A photo the platform refuses, with a message "Tiếng Việt. / English." for the citizen."""


@dataclass(frozen=True)
class CheckedPhoto:
    """A photo ready to store: `jpeg` (longest edge at most PHOTO_LONG_EDGE px) and `thumb` (at most
    THUMB_LONG_EDGE px), both metadata-free; `width`/`height` of `jpeg` in pixels; `gps` the position
    the camera recorded as (lon, lat) in EPSG:4326 degrees, or None; `taken_at` the camera's
    DateTimeOriginal (naive local time of the camera) or None; `sha256` hex digest of `jpeg`."""

    jpeg: bytes
    thumb: bytes
    width: int
    height: int
    gps: tuple[float, float] | None
    taken_at: datetime | None
    sha256: str


def photo_checked(data: bytes, *, max_bytes: int = MAX_PHOTO_BYTES,
                  max_pixels: int = MAX_PHOTO_PIXELS) -> CheckedPhoto:
    """Check an uploaded photo by its content and return it re-encoded without metadata; raise
    PhotoRefused (message "Tiếng Việt. / English.") for anything that is not a sound JPEG, PNG or WebP
    photo within `max_bytes` bytes and `max_pixels` pixels."""
    if not data:
        raise PhotoRefused("Tệp ảnh rỗng. / The photo file is empty.")
    if len(data) > max_bytes:
        size_vi, size_en = _size(max_bytes)
        raise PhotoRefused(f"Ảnh lớn hơn {size_vi}. / The photo is larger than {size_en}.")
    claimed = _format_by_magic(data)
    if claimed is None or _ACTIVE_CONTENT.search(data[:1024]):
        raise PhotoRefused("Tệp không phải là ảnh JPEG, PNG hoặc WebP. / "
                           "The file is not a JPEG, PNG or WebP photo.")
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Someone in this process relaxed Pillow globally; truncated photos would pass unnoticed.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False for photo checks")

    try:
        with Image.open(io.BytesIO(data), formats=[claimed]) as probe:
            _check_pixels(probe, max_pixels)
            probe.verify()  # PNG chunk checksums, structure of the others
        with Image.open(io.BytesIO(data), formats=[claimed]) as original:
            _check_pixels(original, max_pixels)
            gps, taken_at = _position_and_time(original)
            if original.format == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 scale when that still leaves at least the stored size.
                original.draft("RGB", _fitted(original.size, PHOTO_LONG_EDGE))
            original.load()  # decodes everything: a truncated or corrupt photo fails here
            icc_profile = original.info.get("icc_profile")
            ImageOps.exif_transpose(original, in_place=True)  # in place: a copy would double the memory
            picture = _in_srgb(original, icc_profile)
            picture = picture.resize(_fitted(picture.size, PHOTO_LONG_EDGE), Image.Resampling.LANCZOS,
                                     reducing_gap=3.0) if max(picture.size) > PHOTO_LONG_EDGE else picture
            thumb = picture.resize(_fitted(picture.size, THUMB_LONG_EDGE), Image.Resampling.LANCZOS)
            jpeg, thumb_jpeg = _bare_jpeg(picture), _bare_jpeg(thumb)
    except Image.DecompressionBombError as error:
        raise PhotoRefused(_too_many_pixels(max_pixels)) from error
    except _DECODE_ERRORS as error:
        raise PhotoRefused("Ảnh bị hỏng hoặc không đầy đủ; hãy chụp hoặc chọn lại ảnh. / "
                           "The photo is damaged or incomplete; take or choose it again.") from error
    return CheckedPhoto(jpeg=jpeg, thumb=thumb_jpeg, width=picture.width, height=picture.height,
                        gps=gps, taken_at=taken_at, sha256=hashlib.sha256(jpeg).hexdigest())


def photo_position(data: bytes, *, max_bytes: int = MAX_PHOTO_BYTES) -> tuple[float, float] | None:
    """The GPS position (lon, lat in EPSG:4326 degrees) a photo's EXIF header names, read without
    decoding a single pixel; None for anything that is not a JPEG, PNG or WebP photo with one. The
    photo itself is checked later, by photo_checked, like every other."""
    if not data or len(data) > max_bytes or (claimed := _format_by_magic(data)) is None:
        return None
    try:
        with Image.open(io.BytesIO(data), formats=[claimed]) as header:
            return _position_and_time(header)[0]
    except (Image.DecompressionBombError, *_DECODE_ERRORS):
        return None


def _format_by_magic(data: bytes) -> str | None:
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if len(data) >= 16 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    # The header's size, read before any pixel is decoded.
    width, height = image.size
    if width <= 0 or height <= 0:
        raise PhotoRefused("Ảnh không có điểm ảnh nào. / The photo has no pixels.")
    if width * height > max_pixels:
        raise PhotoRefused(_too_many_pixels(max_pixels))


def _too_many_pixels(max_pixels: int) -> str:
    megapixels = f"{max_pixels / 1e6:g}"
    return (f"Ảnh có hơn {megapixels.replace('.', ',')} triệu điểm ảnh. / "
            f"The photo has more than {megapixels} megapixels.")


def _size(size: int) -> tuple[str, str]:
    """A size in bytes as people read it, in Vietnamese ("1,5 MB") and English ("1.5 MB")."""
    text = f"{round(size / 1024**2, 1):g} MB" if size >= 1024**2 else f"{round(size / 1024):g} KB"
    return text.replace(".", ","), text


def _fitted(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """`size` scaled so its longest edge is at most `long_edge` pixels (never enlarged)."""
    width, height = size
    scale = min(1.0, long_edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _in_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """The picture as RGB in sRGB, transparency flattened onto white."""
    if image.mode.startswith("I"):  # 16-bit grey PNG: convert() would clip it to white
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    if icc_profile and image.mode in ("RGB", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile only costs colour accuracy; the pixels are converted plainly below
    return image if image.mode == "RGB" else image.convert("RGB")


def _bare_jpeg(picture: Image.Image) -> bytes:
    """A JPEG of `picture`'s pixels alone: a new image carries no info, EXIF, profile or comment."""
    bare = Image.new("RGB", picture.size)
    bare.paste(picture)
    out = io.BytesIO()
    bare.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    return out.getvalue()


def _position_and_time(image: Image.Image) -> tuple[tuple[float, float] | None, datetime | None]:
    """The GPS position (lon, lat in EPSG:4326 degrees) and DateTimeOriginal the camera recorded."""
    exif = image.getexif()
    if not exif:
        return None, None
    return _gps_lon_lat(exif.get_ifd(ExifTags.IFD.GPSInfo)), _taken_at(exif.get_ifd(ExifTags.IFD.Exif))


def _gps_lon_lat(gps: dict) -> tuple[float, float] | None:
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S")
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    if lat == 0 and lon == 0:
        return None  # cameras without a fix write zeros
    return lon, lat


def _degrees(value, ref, positive: str, negative: str) -> float | None:
    """Degrees from an EXIF (degrees, minutes, seconds) triple of rationals and its N/S or E/W ref."""
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    ref = (ref or "").strip("\x00 ").upper()
    if ref not in (positive, negative):
        return None
    parts = value if isinstance(value, (tuple, list)) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    try:
        numbers = [float(part) for part in parts]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(n) and n >= 0 for n in numbers) or any(n >= 60 for n in numbers[1:]):
        return None
    degrees = sum(n / 60**i for i, n in enumerate(numbers))
    return -degrees if ref == negative else degrees


def _taken_at(exif_ifd: dict) -> datetime | None:
    value = exif_ifd.get(_TAG_DATETIME_ORIGINAL)
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
