"""Legacy Vietnamese 8-bit text encodings (TCVN3/ABC, VNI, CP1258) <-> Unicode.

Old Vietnamese GIS data (shapefile ``.dbf`` attribute tables in particular)
often stores text in one of the pre-Unicode Vietnamese encodings. This module
converts such bytes to NFC Unicode, converts Unicode back (to build test
corpora), and guesses which encoding a handful of sample values use.

Supported encodings (see :data:`ENCODINGS`):

``utf-8``
    Plain UTF-8.

``cp1258``
    Windows-1258 (Python's built-in codec). Tone marks are stored as
    combining characters, so the decoded text is NFC-normalised.

``vni``
    VNI Windows (fonts like ``VNI-Times``). Vietnamese letters are written as
    a base Latin letter followed by one byte (0xC0-0xFF) carrying the
    vowel/tone marks, e.g. ``b"a\\xf9"`` (``"aù"``) = ``"á"``. Bytes that VNI
    does not use for Vietnamese are read as Windows-1252.

``tcvn3``
    TCVN 5712:1993, level VN3 ("ABC" encoding, fonts like ``.VnTime``): one
    byte per letter. VN3 contains all lowercase letters plus the capitals
    Ă Â Ê Ô Ơ Ư Đ; capitals carrying a tone mark do not exist in VN3 (the
    ``.VnTimeH`` fonts show the lowercase codes as capitals). Decoding
    accepts the complete 0x80-0xFF half of TCVN 5712:1993 (VN1/VN2, of which
    VN3 is a subset, so VN3 data decodes identically); bytes 0x00-0x7F are
    read as ASCII (the VN1 capitals in the C0 control range are not decoded).
    Encoding is restricted to the VN3 repertoire.

Sources of the tables (cross-checked against each other, see
``tests/importers/test_vnencodings.py``):

* TCVN3: glibc ``iconvdata/tcvn5712-1.c`` (``map_from_tcvn_high``), XFree86
  ``lib/X11/lcUniConv/tcvn.h`` (``tcvn_2uni_2``), duydev/vietnamese-conversion
  ``src/charsets.ts`` (``TCVN3``) and myguidingstar-zz/B2Uconverter
  ``include/encodings/vntime_tcvn.py`` (.VnTime font table).
* VNI: duydev/vietnamese-conversion ``src/charsets.ts`` (``VNI``) and
  myguidingstar-zz/B2Uconverter ``include/encodings/vni.py`` (built from
  vnisoft.com's VNI character table).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

__all__ = [
    "ENCODINGS",
    "Detection",
    "decode",
    "detect",
    "encode",
    "fix_vntimeh_caps",
    "normalize_encoding",
    "readings",
    "tcvn3_to_unicode",
    "unicode_to_tcvn3",
    "unicode_to_vni",
    "vni_to_unicode",
]

ENCODINGS: tuple[str, ...] = ("utf-8", "cp1258", "vni", "tcvn3")

_ALIASES: dict[str, str] = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "cp1258": "cp1258",
    "windows-1258": "cp1258",
    "windows1258": "cp1258",
    "vni": "vni",
    "vni-windows": "vni",
    "vniwin": "vni",
    "tcvn3": "tcvn3",
    "tcvn": "tcvn3",
    "tcvn-3": "tcvn3",
    "tcvn5712": "tcvn3",
    "tcvn-5712": "tcvn3",
    "vn3": "tcvn3",
    "abc": "tcvn3",
}


def normalize_encoding(encoding: str) -> str:
    """Return the canonical name (one of :data:`ENCODINGS`) for ``encoding``.

    Accepts a few common aliases (``utf8``, ``windows-1258``, ``tcvn``,
    ``abc``, ...), case-insensitively. Raises ``ValueError`` otherwise.
    """
    key = encoding.strip().lower().replace("_", "-")
    try:
        return _ALIASES[key]
    except KeyError:
        raise ValueError(
            f"unsupported Vietnamese encoding {encoding!r}; expected one of {', '.join(ENCODINGS)}"
        ) from None


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------
# TCVN 5712:1993 (TCVN3 / ABC)
# --------------------------------------------------------------------------

# Bytes 0x80-0xFF of TCVN 5712:1993 (identical in glibc iconvdata/tcvn5712-1.c
# map_from_tcvn_high and XFree86 lib/X11/lcUniConv/tcvn.h tcvn_2uni_2).
# 0x80-0x9F and the gaps of the VN3 set in 0xA0-0xFF hold VN1 capitals with
# tone marks; 0xB0-0xB4 are combining tone marks.
_TCVN_HIGH: tuple[int, ...] = (
    # 0x80
    0x00C0, 0x1EA2, 0x00C3, 0x00C1, 0x1EA0, 0x1EB6, 0x1EAC, 0x00C8,
    0x1EBA, 0x1EBC, 0x00C9, 0x1EB8, 0x1EC6, 0x00CC, 0x1EC8, 0x0128,
    # 0x90
    0x00CD, 0x1ECA, 0x00D2, 0x1ECE, 0x00D5, 0x00D3, 0x1ECC, 0x1ED8,
    0x1EDC, 0x1EDE, 0x1EE0, 0x1EDA, 0x1EE2, 0x00D9, 0x1EE6, 0x0168,
    # 0xA0  nbsp Ă Â Ê Ô Ơ Ư Đ ă â ê ô ơ ư đ (Ằ)
    0x00A0, 0x0102, 0x00C2, 0x00CA, 0x00D4, 0x01A0, 0x01AF, 0x0110,
    0x0103, 0x00E2, 0x00EA, 0x00F4, 0x01A1, 0x01B0, 0x0111, 0x1EB0,
    # 0xB0  (combining ` ? ~ ' .) à ả ã á ạ (Ẳ) ằ ẳ ẵ ắ (Ẵ)
    0x0300, 0x0309, 0x0303, 0x0301, 0x0323, 0x00E0, 0x1EA3, 0x00E3,
    0x00E1, 0x1EA1, 0x1EB2, 0x1EB1, 0x1EB3, 0x1EB5, 0x1EAF, 0x1EB4,
    # 0xC0  (Ắ Ầ Ẩ Ẫ Ấ Ề) ặ ầ ẩ ẫ ấ ậ è (Ể) ẻ ẽ
    0x1EAE, 0x1EA6, 0x1EA8, 0x1EAA, 0x1EA4, 0x1EC0, 0x1EB7, 0x1EA7,
    0x1EA9, 0x1EAB, 0x1EA5, 0x1EAD, 0x00E8, 0x1EC2, 0x1EBB, 0x1EBD,
    # 0xD0  é ẹ ề ể ễ ế ệ ì ỉ (Ễ Ế Ồ) ĩ í ị ò
    0x00E9, 0x1EB9, 0x1EC1, 0x1EC3, 0x1EC5, 0x1EBF, 0x1EC7, 0x00EC,
    0x1EC9, 0x1EC4, 0x1EBE, 0x1ED2, 0x0129, 0x00ED, 0x1ECB, 0x00F2,
    # 0xE0  (Ổ) ỏ õ ó ọ ồ ổ ỗ ố ộ ờ ở ỡ ớ ợ ù
    0x1ED4, 0x1ECF, 0x00F5, 0x00F3, 0x1ECD, 0x1ED3, 0x1ED5, 0x1ED7,
    0x1ED1, 0x1ED9, 0x1EDD, 0x1EDF, 0x1EE1, 0x1EDB, 0x1EE3, 0x00F9,
    # 0xF0  (Ỗ) ủ ũ ú ụ ừ ử ữ ứ ự ỳ ỷ ỹ ý ỵ (Ố)
    0x1ED6, 0x1EE7, 0x0169, 0x00FA, 0x1EE5, 0x1EEB, 0x1EED, 0x1EEF,
    0x1EE9, 0x1EF1, 0x1EF3, 0x1EF7, 0x1EF9, 0x00FD, 0x1EF5, 0x1ED0,
)

_TCVN3_DECODE: str = "".join(chr(i) for i in range(0x80)) + "".join(chr(c) for c in _TCVN_HIGH)

_VN3_CAPITALS = frozenset("ĂÂÊÔƠƯĐ")

# Encoding table: ASCII, NBSP, every lowercase letter and the seven VN3 capitals.
_TCVN3_ENCODE: dict[str, int] = {chr(i): i for i in range(0x80)}
for _byte in range(0xA0, 0x100):
    _char = _TCVN3_DECODE[_byte]
    if _char == "\u00a0" or _char.islower() or _char in _VN3_CAPITALS:
        _TCVN3_ENCODE[_char] = _byte


def _decode_tcvn3(data: bytes) -> str:
    return _nfc("".join(_TCVN3_DECODE[b] for b in data))


def _encode_tcvn3(text: str) -> bytes:
    out = bytearray()
    for pos, char in enumerate(_nfc(text)):
        try:
            out.append(_TCVN3_ENCODE[char])
        except KeyError:
            raise ValueError(
                f"character {char!r} (U+{ord(char):04X}) at position {pos} cannot be "
                "represented in TCVN3 (VN3 has no capitals with tone marks)"
            ) from None
    return bytes(out)


# --------------------------------------------------------------------------
# VNI Windows
# --------------------------------------------------------------------------

# Unicode letter -> VNI sequence, as cp1252/latin-1 characters (identical in
# duydev/vietnamese-conversion src/charsets.ts and
# myguidingstar-zz/B2Uconverter include/encodings/vni.py).
_VNI_ENCODE: dict[str, str] = {
    "á": "aù", "à": "aø", "ả": "aû", "ã": "aõ", "ạ": "aï",
    "Á": "AÙ", "À": "AØ", "Ả": "AÛ", "Ã": "AÕ", "Ạ": "AÏ",
    "ă": "aê", "ắ": "aé", "ằ": "aè", "ẳ": "aú", "ẵ": "aü", "ặ": "aë",
    "Ă": "AÊ", "Ắ": "AÉ", "Ằ": "AÈ", "Ẳ": "AÚ", "Ẵ": "AÜ", "Ặ": "AË",
    "â": "aâ", "ấ": "aá", "ầ": "aà", "ẩ": "aå", "ẫ": "aã", "ậ": "aä",
    "Â": "AÂ", "Ấ": "AÁ", "Ầ": "AÀ", "Ẩ": "AÅ", "Ẫ": "AÃ", "Ậ": "AÄ",
    "é": "eù", "è": "eø", "ẻ": "eû", "ẽ": "eõ", "ẹ": "eï",
    "É": "EÙ", "È": "EØ", "Ẻ": "EÛ", "Ẽ": "EÕ", "Ẹ": "EÏ",
    "ê": "eâ", "ế": "eá", "ề": "eà", "ể": "eå", "ễ": "eã", "ệ": "eä",
    "Ê": "EÂ", "Ế": "EÁ", "Ề": "EÀ", "Ể": "EÅ", "Ễ": "EÃ", "Ệ": "EÄ",
    "í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò",
    "Í": "Í", "Ì": "Ì", "Ỉ": "Æ", "Ĩ": "Ó", "Ị": "Ò",
    "ó": "où", "ò": "oø", "ỏ": "oû", "õ": "oõ", "ọ": "oï",
    "Ó": "OÙ", "Ò": "OØ", "Ỏ": "OÛ", "Õ": "OÕ", "Ọ": "OÏ",
    "ô": "oâ", "ố": "oá", "ồ": "oà", "ổ": "oå", "ỗ": "oã", "ộ": "oä",
    "Ô": "OÂ", "Ố": "OÁ", "Ồ": "OÀ", "Ổ": "OÅ", "Ỗ": "OÃ", "Ộ": "OÄ",
    "ơ": "ô", "ớ": "ôù", "ờ": "ôø", "ở": "ôû", "ỡ": "ôõ", "ợ": "ôï",
    "Ơ": "Ô", "Ớ": "ÔÙ", "Ờ": "ÔØ", "Ở": "ÔÛ", "Ỡ": "ÔÕ", "Ợ": "ÔÏ",
    "ú": "uù", "ù": "uø", "ủ": "uû", "ũ": "uõ", "ụ": "uï",
    "Ú": "UÙ", "Ù": "UØ", "Ủ": "UÛ", "Ũ": "UÕ", "Ụ": "UÏ",
    "ư": "ö", "ứ": "öù", "ừ": "öø", "ử": "öû", "ữ": "öõ", "ự": "öï",
    "Ư": "Ö", "Ứ": "ÖÙ", "Ừ": "ÖØ", "Ử": "ÖÛ", "Ữ": "ÖÕ", "Ự": "ÖÏ",
    "ý": "yù", "ỳ": "yø", "ỷ": "yû", "ỹ": "yõ", "ỵ": "î",
    "Ý": "YÙ", "Ỳ": "YØ", "Ỷ": "YÛ", "Ỹ": "YÕ", "Ỵ": "Î",
    "đ": "ñ",
    "Đ": "Ñ",
}

# Two-character sequences (base + mark) and single-character letters.
_VNI_DECODE2: dict[str, str] = {v: k for k, v in _VNI_ENCODE.items() if len(v) == 2}
_VNI_DECODE1: dict[str, str] = {v: k for k, v in _VNI_ENCODE.items() if len(v) == 1}
# Mark bytes: the second character of any two-character sequence. In VNI
# text they only ever follow a base letter.
_VNI_MARKS: frozenset[str] = frozenset(v[1] for v in _VNI_DECODE2)
# Lenient decoding: lowercase marks typed after a capital base letter (seen
# in real documents, cf. B2Uconverter) decode to the capital letter.
for _seq, _char in list(_VNI_DECODE2.items()):
    if _char.isupper():
        _lower_mark = _VNI_ENCODE[_char.lower()][-1]
        _VNI_DECODE2.setdefault(_seq[0] + _lower_mark, _char)
# Every character that has a Vietnamese meaning in VNI.
_VNI_SIGNIFICANT: frozenset[str] = _VNI_MARKS | frozenset(_VNI_DECODE1)


# surrogateescape turns an undecodable byte b into U+DC00+b; map it to U+00b.
_SURROGATE_TO_LATIN1: dict[int, int] = {0xDC00 + b: b for b in range(0x80, 0x100)}


def _cp1252_or_latin1(data: bytes) -> str:
    """Decode bytes as Windows-1252, falling back to latin-1 for its 5 holes."""
    return data.decode("cp1252", errors="surrogateescape").translate(_SURROGATE_TO_LATIN1)


def _raw_bytes(text: str) -> bytes:
    """Undo a latin-1 or cp1252 decoding: map each character back to its byte."""
    out = bytearray()
    for pos, char in enumerate(text):
        code = ord(char)
        if code < 0x100:
            out.append(code)
            continue
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            raise ValueError(
                f"character {char!r} (U+{code:04X}) at position {pos} is not a "
                "latin-1/cp1252 character; expected 8-bit text decoded as latin-1"
            ) from None
    return bytes(out)


def _vni_convert(text: str, orphan: str | None = None) -> tuple[str, int]:
    """Convert VNI text (already read as cp1252/latin-1) to Unicode.

    Returns the NFC result and the number of "orphan" mark characters (mark
    bytes not preceded by a base letter they can combine with, which never
    occur in genuine VNI text). Orphans are kept as-is, or replaced by
    ``orphan`` if given.
    """
    out: list[str] = []
    orphans = 0
    i, n = 0, len(text)
    while i < n:
        pair = text[i : i + 2]
        if len(pair) == 2 and pair in _VNI_DECODE2:
            out.append(_VNI_DECODE2[pair])
            i += 2
            continue
        char = text[i]
        if char in _VNI_DECODE1:
            out.append(_VNI_DECODE1[char])
        elif char in _VNI_MARKS:
            orphans += 1
            out.append(char if orphan is None else orphan)
        else:
            out.append(char)
        i += 1
    return _nfc("".join(out)), orphans


def vni_to_unicode(text: str) -> str:
    """Convert VNI text that was read as latin-1 or cp1252 to NFC Unicode.

    ``text`` is what a DBF reader returns for a VNI field when told the
    field is latin-1/cp1252, e.g. ``"Phöôøng Taân Phuù"`` -> ``"Phường Tân Phú"``.
    """
    return decode(_raw_bytes(text), "vni")


def unicode_to_vni(text: str) -> str:
    """Convert Unicode text to VNI, returned as a latin-1/cp1252 string."""
    return _cp1252_or_latin1(_encode_vni(text))


def tcvn3_to_unicode(text: str) -> str:
    """Convert TCVN3 text that was read as latin-1 or cp1252 to NFC Unicode.

    E.g. ``"Ph\\xadêng T©n Phó"`` -> ``"Phường Tân Phú"``.
    """
    return decode(_raw_bytes(text), "tcvn3")


def unicode_to_tcvn3(text: str) -> str:
    """Convert Unicode text to TCVN3, returned as a latin-1 string."""
    return _encode_tcvn3(text).decode("latin-1")


def _decode_vni(data: bytes) -> str:
    return _vni_convert(_cp1252_or_latin1(data))[0]


def _encode_vni(text: str) -> bytes:
    out = bytearray()
    for pos, char in enumerate(_nfc(text)):
        seq = _VNI_ENCODE.get(char)
        if seq is not None:
            out += seq.encode("latin-1")
            continue
        if char < "\x80":
            out.append(ord(char))
            continue
        # Other Windows-1252 characters are allowed as long as their byte
        # has no Vietnamese meaning in VNI (e.g. "–", "°", "“").
        try:
            encoded = char.encode("cp1252")
        except UnicodeEncodeError:
            encoded = b""
        if not encoded or chr(encoded[0]) in _VNI_SIGNIFICANT:
            raise ValueError(
                f"character {char!r} (U+{ord(char):04X}) at position {pos} cannot be represented in VNI"
            )
        out += encoded
    return bytes(out)


# --------------------------------------------------------------------------
# Windows-1258
# --------------------------------------------------------------------------

# Combining tone marks: grave, acute, tilde, hook above, dot below.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _decode_cp1258(data: bytes) -> str:
    return _nfc(data.decode("cp1258"))


def _encode_cp1258(text: str) -> bytes:
    out = bytearray()
    for pos, char in enumerate(_nfc(text)):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        # Letters without a precomposed cp1258 code: base letter (which may
        # carry a circumflex, breve or horn) followed by a combining tone mark.
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in decomposed if c in _TONE_MARKS)
        base = _nfc("".join(c for c in decomposed if c not in _TONE_MARKS))
        try:
            out += base.encode("cp1258") + tones.encode("cp1258")
        except UnicodeEncodeError:
            raise ValueError(
                f"character {char!r} (U+{ord(char):04X}) at position {pos} cannot be "
                "represented in Windows-1258"
            ) from None
    return bytes(out)


# --------------------------------------------------------------------------
# Public conversion API
# --------------------------------------------------------------------------


def decode(data: bytes, encoding: str) -> str:
    """Decode ``data`` from ``encoding`` (one of :data:`ENCODINGS`) to NFC text.

    Raises ``UnicodeDecodeError`` (a ``ValueError``) for bytes that are
    invalid in the encoding (malformed UTF-8, bytes undefined in
    Windows-1258) and ``ValueError`` for an unknown encoding. ``vni`` and
    ``tcvn3`` never fail: every byte has a meaning (stray VNI mark bytes are
    kept as their Windows-1252 characters).
    """
    enc = normalize_encoding(encoding)
    data = bytes(data)
    if enc == "utf-8":
        return _nfc(data.decode("utf-8"))
    if enc == "cp1258":
        return _decode_cp1258(data)
    if enc == "vni":
        return _decode_vni(data)
    return _decode_tcvn3(data)


def encode(text: str, encoding: str) -> bytes:
    """Encode ``text`` to ``encoding`` (one of :data:`ENCODINGS`).

    The text is NFC-normalised first. Raises ``ValueError`` when a
    character cannot be represented (e.g. ``"Á"`` in ``tcvn3``).
    """
    enc = normalize_encoding(encoding)
    if enc == "utf-8":
        return _nfc(text).encode("utf-8")
    if enc == "cp1258":
        return _encode_cp1258(text)
    if enc == "vni":
        return _encode_vni(text)
    return _encode_tcvn3(text)


def readings(data: bytes) -> dict[str, str | None]:
    """Return ``data`` as read in each encoding (``None`` where decoding fails)."""
    result: dict[str, str | None] = {}
    for enc in ENCODINGS:
        try:
            result[enc] = decode(data, enc)
        except ValueError:
            result[enc] = None
    return result


# --------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------

#: Minimum score for the best reading to be accepted.
MIN_SCORE = 0.5
#: Minimum lead of the best reading over the runner-up.
MIN_MARGIN = 0.15

_INITIALS = "ngh ng nh ch gh gi kh ph qu th tr b c d đ g h k l m n p r s t v x".split()
# Vowel nuclei that may be followed by a final consonant ...
_NUCLEI_CLOSED = "uyê oă uâ iê yê uô ươ oa oe oo uê uy a ă â e ê i o ô ơ u ư y".split()
# ... and those ending in a semivowel, which may not.
_NUCLEI_OPEN = (
    "iêu yêu oai oay oao oeo uây uôi ươi ươu uya uyu "
    "ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu uơ"
).split()
_FINALS = "ch ng nh c m n p t".split()


def _alt(items: Iterable[str]) -> str:
    return "|".join(sorted(items, key=len, reverse=True))


_SYLLABLE = re.compile(
    rf"(?:{_alt(_INITIALS)})?"
    rf"(?:(?P<nucleus>{_alt(_NUCLEI_CLOSED)})(?P<final>{_alt(_FINALS)})?|(?:{_alt(_NUCLEI_OPEN)}))"
)
_NUCLEI_BEFORE_NH = frozenset("a ê i y oa uy uê".split())

# All letters that may appear in Vietnamese words (plus ASCII letters).
_VIET_LETTERS: frozenset[str] = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
) | frozenset(_VNI_ENCODE)
_DIGITS = frozenset("0123456789")
# Words are delimited by ASCII whitespace and punctuation only, so that any
# odd non-ASCII symbol stays inside (and spoils) its word.
_WORD = re.compile(r"[^\s!-/:-@\[-`{-~]+", re.ASCII)
_ORPHAN = "\ufffd"


def _regular_case(word: str) -> bool:
    """True for lowercase, Title case and ALL CAPS words."""
    lower = word.lower()
    return word == lower or word == word.upper() or (word[0].isupper() and word[1:] == lower[1:])


def _is_vntimeh_caps(word: str) -> bool:
    """True for the all-caps pattern of TCVN3 text typed with ``.VnTimeH`` fonts.

    VN3 has no capitals with tone marks, so ``.VnTimeH`` fonts draw the
    lowercase codes as capitals: "THÀNH" is stored as ``TH`` + ``à`` + ``NH``.
    Such a word has only capital ASCII letters (at least one, and at least two
    letters in all) and lowercase letters only among the non-ASCII ones.
    """
    ascii_letters = [c for c in word if c.isascii() and c.isalpha()]
    return (
        len(word) >= 2
        and bool(ascii_letters)
        and all(c.isupper() for c in ascii_letters)
        and any(c.islower() for c in word)
    )


def fix_vntimeh_caps(text: str) -> str:
    """Uppercase words that follow the ``.VnTimeH`` all-caps pattern.

    Decoded TCVN3 text typed with ``.VnTimeH`` fonts reads like
    ``"THàNH PHố"``; this returns ``"THÀNH PHỐ"``. Words in normal
    lowercase, Title case or ALL CAPS are left alone, so the function is
    safe to apply to any decoded text. Single-letter-plus-toned-vowel words
    such as ``"Xã"`` are ambiguous and stay unchanged.
    """


    def fix(match: re.Match[str]) -> str:
        word = match.group()
        if (
            not _regular_case(word)
            and _is_vntimeh_caps(word)
            and sum(c.isascii() and c.isupper() for c in word) >= 2
        ):
            return word.upper()
        return word

    return _nfc(_WORD.sub(fix, text))


def _word_score(word: str) -> float:
    """How much ``word`` (NFC, containing non-ASCII) looks like a Vietnamese syllable.

    1.0 valid syllable; 0.5 Vietnamese letters but odd structure (e.g.
    minority place names like "Đắk"); 0.0 impossible (symbols, non-Vietnamese
    letters, mixed case, several tone marks, control characters, U+FFFD).
    """
    if any(c not in _VIET_LETTERS and c not in _DIGITS for c in word):
        return 0.0
    if not _regular_case(word) and not _is_vntimeh_caps(word):
        return 0.0
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in decomposed if c in _TONE_MARKS]
    if len(tones) > 1:
        return 0.0
    bare = _nfc("".join(c for c in decomposed if c not in _TONE_MARKS))
    match = _SYLLABLE.fullmatch(bare)
    if match is None:
        return 0.5
    # "nh" and "ch" only close a few nuclei (anh, ênh, inh, ynh, oanh, uynh, uênh).
    if match.group("final") in ("nh", "ch") and match.group("nucleus") not in _NUCLEI_BEFORE_NH:
        return 0.5
    # Syllables closed by a stop (c, ch, p, t) only take the acute or dot tone.
    if match.group("final") in ("c", "ch", "p", "t") and (not tones or tones[0] not in "\u0301\u0323"):
        return 0.5
    return 1.0


def _text_scores(texts: Iterable[str]) -> list[float]:
    scores: list[float] = []
    for text in texts:
        for word in _WORD.findall(text):
            if not word.isascii():
                scores.append(_word_score(word))
    return scores


def _reading_score(samples: list[bytes], encoding: str) -> float:
    """Mean word score of the samples read in ``encoding`` (0.0 if undecodable)."""
    texts: list[str] = []
    for data in samples:
        if encoding == "vni":
            # Mark orphan VNI marks so that they spoil their word.
            texts.append(_vni_convert(_cp1252_or_latin1(data), orphan=_ORPHAN)[0])
            continue
        try:
            texts.append(decode(data, encoding))
        except ValueError:
            return 0.0
    scores = _text_scores(texts)
    if not scores:
        return 0.0
    mean = sum(scores) / len(scores)
    if encoding == "utf-8":
        # Valid UTF-8 with non-ASCII content is very unlikely to be a legacy
        # encoding by accident, so UTF-8 wins even for non-Vietnamese text.
        return 0.5 + 0.5 * mean
    return mean


@dataclass(frozen=True)
class Detection:
    """Result of :func:`detect`.

    ``encoding`` is the detected encoding, or ``None`` when the evidence is
    weak or two encodings are about equally plausible (ask the user, showing
    :func:`readings`). ``confidence`` is in [0, 1]. ``scores`` maps every
    encoding in :data:`ENCODINGS` to its plausibility in [0, 1].
    """

    encoding: str | None
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)


def detect(samples: Iterable[bytes]) -> Detection:
    """Guess the encoding of a few sample values (e.g. names from one DBF column).

    Each candidate reading is scored by the share of its non-ASCII words
    that are well-formed Vietnamese syllables. Pure ASCII input is reported
    as ``utf-8`` with confidence 1.0. If the best score is below
    :data:`MIN_SCORE` or leads the runner-up by less than
    :data:`MIN_MARGIN`, ``encoding`` is ``None``.
    """
    data = [bytes(s) for s in samples if s]
    if all(s.isascii() for s in data):
        return Detection("utf-8", 1.0, {enc: 1.0 for enc in ENCODINGS})
    scores = {enc: round(_reading_score(data, enc), 4) for enc in ENCODINGS}
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best_enc, best), (_, second) = ranked[0], ranked[1]
    margin = best - second
    confidence = round(max(0.0, min(1.0, best * min(1.0, margin / (2 * MIN_MARGIN)))), 4)
    if best < MIN_SCORE or margin < MIN_MARGIN:
        return Detection(None, confidence, scores)
    return Detection(best_enc, confidence, scores)


def from_legacy_text(text: str, encoding: str) -> str:
    """Text whose characters each stand for one byte (read as latin-1 or cp1252, or typed with a
    legacy Vietnamese font into a Unicode file such as .xlsx or .geojson) -> NFC Unicode, reading
    those bytes in `encoding`."""
    return decode(_raw_bytes(text), encoding)
