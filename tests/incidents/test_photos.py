"""Photos sent with a report (incidents/photos.py): only real JPEG/PNG/WebP photos within the limits are
accepted; what is stored carries no metadata (read back with Pillow and by walking the JPEG markers),
stands upright and fits the map; the camera's GPS position is read before it is stripped. The test
images are made here with Pillow (or byte by byte, for the hostile ones)."""
import hashlib
import io
import random
import struct
import subprocess
import sys
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin
from PIL.TiffImagePlugin import IFDRational

from incidents.photos import (
    MAX_PHOTO_BYTES,
    PHOTO_LONG_EDGE,
    THUMB_LONG_EDGE,
    PhotoRefused,
    photo_checked,
)

ROOT = Path(__file__).resolve().parents[2]
METADATA_KEYS = {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "photoshop", "adobe",
                 "iptc", "Comment", "Author", "Description"}
# Đồng Xoài: 11°32'06.0" N 106°53'02.4" E = 11 + 32/60 + 6/3600 = 11.535, 106 + 53/60 + 2.4/3600 = 106.884
DONG_XOAI = (106.884, 11.535)


def noisy(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """A photo-like RGB picture (noise does not compress, so truncation hits real image data)."""
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))


DONG_XOAI_LON = (106, 53, IFDRational(24, 10))


def camera_exif(*, lat=(11, 32, 6), lat_ref="N", lon=DONG_XOAI_LON, lon_ref="E",
                orientation=1) -> Image.Exif:
    """EXIF as a phone writes it: make, model, orientation, GPS, DateTimeOriginal and a MakerNote."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Samsung"
    exif[ExifTags.Base.Model] = "SM-A546E"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Software] = "CameraSecretSoftware"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = lat_ref
    gps[ExifTags.GPS.GPSLatitude] = tuple(v if isinstance(v, IFDRational) else IFDRational(v) for v in lat)
    gps[ExifTags.GPS.GPSLongitudeRef] = lon_ref
    gps[ExifTags.GPS.GPSLongitude] = tuple(v if isinstance(v, IFDRational) else IFDRational(v) for v in lon)
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = "2026:03:14 08:30:15"
    details[ExifTags.Base.MakerNote] = b"SAMSUNG-MAKERNOTE-serial-R58N123"
    return exif


XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="11,32.1N"/>'
       b"</rdf:RDF></x:xmpmeta>")
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def jpeg_markers(data: bytes) -> list[int]:
    """Every marker of a JPEG stream, in order (entropy-coded data skipped)."""
    assert data[:2] == b"\xff\xd8"
    markers, i = [0xD8], 2
    while i < len(data):
        assert data[i] == 0xFF, f"no marker at {i}"
        marker = data[i + 1]
        markers.append(marker)
        if marker == 0xD9:
            return markers
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        i += 2 + length
        if marker == 0xDA:  # scan data runs to the next marker that is not a stuffed byte or a restart
            while not (data[i] == 0xFF and data[i + 1] not in (0x00, *range(0xD0, 0xD8))):
                i += 1
    return markers


def assert_no_metadata(jpeg: bytes) -> None:
    """Read back with Pillow and marker by marker: nothing but the pixels and the JFIF header."""
    with Image.open(io.BytesIO(jpeg)) as stored:
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}
        assert not METADATA_KEYS & set(stored.info), stored.info.keys()
        assert stored.getxmp() == {}
    markers = jpeg_markers(jpeg)
    # APP1 (EXIF, XMP), APP2 (ICC, MPF), APP13 (IPTC), every other APPn but APP0 (JFIF), and COM (0xFE).
    assert not [hex(m) for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE], markers
    for secret in (b"Samsung", b"SM-A546E", b"MAKERNOTE", b"xmpmeta", b"CameraSecret", b"ICC_PROFILE", b"Exif"):
        assert secret not in jpeg


def test_phone_jpeg_gives_its_position_and_keeps_no_tag():
    original = encoded(noisy((640, 480)), "JPEG", exif=camera_exif(), xmp=XMP, icc_profile=ICC,
                       comment=b"Nguyen Van A 0912345678", quality=90)

    photo = photo_checked(original)

    lon, lat = photo.gps
    assert lon == pytest.approx(DONG_XOAI[0], abs=1e-6) and lat == pytest.approx(DONG_XOAI[1], abs=1e-6)
    assert photo.taken_at == datetime(2026, 3, 14, 8, 30, 15)
    assert_no_metadata(photo.jpeg)
    assert_no_metadata(photo.thumb)
    with Image.open(io.BytesIO(photo.jpeg)) as stored:
        assert stored.size == (photo.width, photo.height) == (640, 480)
        assert stored.info.get("progressive") == 1
    assert photo.sha256 == hashlib.sha256(photo.jpeg).hexdigest()


def test_sideways_phone_photo_is_stored_upright():
    # The citizen held the phone upright: red sky above, blue ground below (200 wide, 400 high). The
    # sensor stored it turned a quarter left and said so with orientation 6 ("rotate 90° clockwise").
    upright = Image.new("RGB", (200, 400), "blue")
    upright.paste((255, 0, 0), (0, 0, 200, 200))
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    assert sideways.size == (400, 200)

    photo = photo_checked(encoded(sideways, "JPEG", exif=camera_exif(orientation=6), quality=95))

    assert (photo.width, photo.height) == (200, 400)
    with Image.open(io.BytesIO(photo.jpeg)) as stored:
        assert dict(stored.getexif()) == {}  # no orientation tag left to turn it a second time
        top, bottom = stored.convert("RGB").getpixel((100, 50)), stored.convert("RGB").getpixel((100, 350))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


def test_png_text_chunks_are_dropped_and_southern_western_gps_is_signed():
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Nguyễn Văn A")
    text.add_text("Comment", "0912345678", zip=True)
    text.add_itxt("Description", "nhà số 12 Phú Riềng", lang="vi")
    transparent = Image.new("RGBA", (300, 200), (0, 128, 0, 0))  # fully transparent: white when flattened
    transparent.paste((0, 128, 0, 255), (0, 0, 150, 200))
    exif = camera_exif(lat_ref="S", lon_ref="W")

    photo = photo_checked(encoded(transparent, "PNG", pnginfo=text, exif=exif, icc_profile=ICC))

    assert photo.gps == pytest.approx((-106.884, -11.535), abs=1e-6)
    assert_no_metadata(photo.jpeg)
    assert b"Nguy" not in photo.jpeg and b"0912345678" not in photo.jpeg
    with Image.open(io.BytesIO(photo.jpeg)) as stored:
        assert stored.convert("RGB").getpixel((250, 100))[0] > 240  # the transparent half is white
        assert stored.convert("RGB").getpixel((50, 100))[1] > 100  # the opaque half stays green


def test_webp_is_accepted_and_stripped():
    photo = photo_checked(encoded(noisy((500, 300)), "WEBP", exif=camera_exif(), xmp=XMP, quality=80))

    assert photo.gps == pytest.approx(DONG_XOAI, abs=1e-6)
    assert (photo.width, photo.height) == (500, 300)
    assert_no_metadata(photo.jpeg)


def test_animated_webp_keeps_its_first_frame():
    frames = [Image.new("RGB", (120, 80), colour) for colour in ("red", "lime", "blue")]
    animated = encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)

    photo = photo_checked(animated)

    with Image.open(io.BytesIO(photo.jpeg)) as stored:
        assert getattr(stored, "n_frames", 1) == 1
        red, green, blue = stored.convert("RGB").getpixel((60, 40))
    assert red > 240 and green < 20 and blue < 20


def test_large_photo_is_resized_for_the_map_with_a_small_thumbnail():
    # 3000 × 2000 → longest edge 1600: 1600 × round(2000 × 1600 / 3000) = 1600 × 1067; thumb 320 × 213.
    photo = photo_checked(encoded(noisy((3000, 2000)), "JPEG", quality=85))

    assert (photo.width, photo.height) == (1600, 1067)
    with Image.open(io.BytesIO(photo.thumb)) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (320, 213)
    portrait = photo_checked(encoded(noisy((1200, 2400), seed=2), "PNG"))
    assert (portrait.width, portrait.height) == (800, 1600)
    with Image.open(io.BytesIO(portrait.thumb)) as thumb:
        assert thumb.size == (160, 320)


def test_small_photo_is_not_enlarged():
    photo = photo_checked(encoded(noisy((800, 600)), "JPEG"))

    assert (photo.width, photo.height) == (800, 600)
    with Image.open(io.BytesIO(photo.thumb)) as thumb:
        assert thumb.size == (THUMB_LONG_EDGE, 240)


def test_reencoding_is_stable():
    original = encoded(noisy((2000, 1500), seed=3), "JPEG", exif=camera_exif(orientation=6), quality=92)

    first, second = photo_checked(original), photo_checked(original)
    again = photo_checked(first.jpeg)  # a stored photo checked once more stays within the same bounds

    assert first.sha256 == second.sha256 and first.jpeg == second.jpeg and first.thumb == second.thumb
    assert (first.width, first.height) == (again.width, again.height) == (1200, 1600)
    assert max(first.width, first.height) <= PHOTO_LONG_EDGE
    assert again.gps is None and again.taken_at is None
    assert len(first.jpeg) < len(original)


def test_photo_without_gps_or_with_nonsense_gps_gives_no_position():
    assert photo_checked(encoded(noisy((64, 64)), "JPEG")).gps is None
    beyond_the_pole = camera_exif(lat=(95, 0, 0))
    assert photo_checked(encoded(noisy((64, 64)), "JPEG", exif=beyond_the_pole)).gps is None
    null_island = camera_exif(lat=(0, 0, 0), lon=(0, 0, 0))  # what phones write without a fix
    assert photo_checked(encoded(noisy((64, 64)), "JPEG", exif=null_island)).gps is None
    zero_denominator = camera_exif(lon=(106, 53, IFDRational(24, 0)))
    assert photo_checked(encoded(noisy((64, 64)), "JPEG", exif=zero_denominator)).gps is None
    no_ref = camera_exif(lat_ref="")
    assert photo_checked(encoded(noisy((64, 64)), "JPEG", exif=no_ref)).gps is None


def test_cmyk_jpeg_is_stored_as_rgb():
    photo = photo_checked(encoded(Image.new("CMYK", (100, 100), (0, 255, 255, 0)), "JPEG"))

    with Image.open(io.BytesIO(photo.jpeg)) as stored:
        assert stored.mode == "RGB"
        red, green, blue = stored.getpixel((50, 50))
    assert red > 200 and green < 60 and blue < 60


def test_data_hidden_after_the_jpeg_is_not_stored():
    # A JPEG with a ZIP appended (a polyglot; phones' motion photos append video the same way).
    original = encoded(noisy((200, 100)), "JPEG") + b"PK\x03\x04" + b"\x00" * 26 + b"evil.html<script>"

    photo = photo_checked(original)

    assert b"PK\x03\x04" not in photo.jpeg and b"<script>" not in photo.jpeg
    assert photo.jpeg.endswith(b"\xff\xd9")


def png_bytes(width: int, height: int, rows: int) -> bytes:
    """A PNG whose header says `width` × `height` (RGB) and whose data holds `rows` black rows,
    compressed row by row so even a 49-megapixel picture is built in a few kilobytes of memory."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor, row, idat = zlib.compressobj(9), b"\x00" * (1 + 3 * width), []
    for _ in range(rows):
        idat.append(compressor.compress(row))
    idat.append(compressor.flush())
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height, rows", [
    (20000, 20000, 4),  # a header claiming 400 megapixels over a few bytes of data
    (7000, 7000, 7000),  # a real, complete 49-megapixel black PNG of about 150 kB
], ids=["lying-header", "compressible-49mp"])
def test_decompression_bomb_is_refused_without_decoding_it(tmp_path, width, height, rows):
    bomb = png_bytes(width, height, rows)
    assert len(bomb) < 1024**2
    (tmp_path / "bomb.png").write_bytes(bomb)
    # Checked in a process that cannot get 128 MB: decoding even the smaller bomb needs 147 MB.
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (128 * 1024**2, 128 * 1024**2))\n"
        "from incidents.photos import PhotoRefused, photo_checked\n"
        "try:\n"
        f"    photo_checked(open({str(tmp_path / 'bomb.png')!r}, 'rb').read())\n"
        "except PhotoRefused as refusal:\n"
        "    print(refusal)\n"
        "else:\n"
        "    sys.exit('accepted')\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            check=False)

    assert result.returncode == 0, result.stderr[-2000:]
    assert "40 triệu điểm ảnh. / The photo has more than 40 megapixels." in result.stdout


def test_pixel_limit_is_the_callers():
    with pytest.raises(PhotoRefused, match="more than 0.01 megapixels"):
        photo_checked(encoded(noisy((200, 100)), "JPEG"), max_pixels=10_000)


def svg() -> bytes:
    return b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


@pytest.mark.parametrize("content", [
    b"Day la mot tep van ban, khong phai anh.\n",
    b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
    svg(),
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
    (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00"
     b"\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"),
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # an iPhone HEIC
    b"BM" + b"\x00" * 60,
    b"\xff\xd8\xff\xfe\x00\x40<html><script>alert(1)</script></html>" + b"\x00" * 40,  # JPEG/HTML polyglot
], ids=["text", "html", "svg", "pdf", "gif", "heic", "bmp", "jpeg-html-polyglot"])
def test_files_that_are_not_photos_are_refused_whatever_their_name(content):
    with pytest.raises(PhotoRefused, match=r"không phải là ảnh JPEG, PNG hoặc WebP\. / The file is not a JPEG"):
        photo_checked(content)


def test_tiff_and_gif_are_refused_even_when_pillow_could_read_them():
    for fmt in ("GIF", "TIFF", "BMP"):
        with pytest.raises(PhotoRefused, match="not a JPEG, PNG or WebP"):
            photo_checked(encoded(noisy((50, 50)), fmt))


def test_empty_file_is_refused():
    with pytest.raises(PhotoRefused, match="Tệp ảnh rỗng. / The photo file is empty."):
        photo_checked(b"")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_photo_is_refused(fmt):
    whole = encoded(noisy((400, 300)), fmt)

    with pytest.raises(PhotoRefused, match=r"bị hỏng hoặc không đầy đủ.* / The photo is damaged or incomplete"):
        photo_checked(whole[:len(whole) // 2])


def test_corrupt_png_checksum_is_refused():
    whole = bytearray(encoded(noisy((100, 100)), "PNG"))
    whole[200] ^= 0xFF  # inside the IDAT chunk: its CRC no longer matches

    with pytest.raises(PhotoRefused, match="damaged or incomplete"):
        photo_checked(bytes(whole))


def test_photo_over_the_size_limit_is_refused_before_it_is_read():
    photo = encoded(noisy((500, 500)), "JPEG")
    assert len(photo) > 50 * 1024
    with pytest.raises(PhotoRefused, match=r"Ảnh lớn hơn 50 KB\. / The photo is larger than 50 KB\."):
        photo_checked(photo, max_bytes=50 * 1024)
    with pytest.raises(PhotoRefused, match=r"Ảnh lớn hơn 10 MB\. / The photo is larger than 10 MB\."):
        photo_checked(b"\xff\xd8\xff" + bytes(MAX_PHOTO_BYTES))


def test_sixteen_bit_grey_png_keeps_its_shade():
    # 40000 of 65535 is 61 % grey: 40000 / 256 = 156 of 255 in the stored 8-bit JPEG.
    photo = photo_checked(encoded(Image.new("I;16", (50, 40), 40000), "PNG"))

    with Image.open(io.BytesIO(photo.jpeg)) as stored:
        assert abs(stored.convert("L").getpixel((25, 20)) - 156) <= 2
