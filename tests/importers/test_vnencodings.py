"""Tests for importers.vnencodings (pure Python, no database).

Run with: .venv/bin/python -m pytest tests/importers/test_vnencodings.py -q -p no:django

Reference tables used to cross-check the module's own tables:

* duydev/vietnamese-conversion, src/charsets.ts (arrays UNICODE, VNI, TCVN3)
* myguidingstar-zz/B2Uconverter, include/encodings/vni.py (VNI, from vnisoft.com)
  and include/encodings/vntime_tcvn.py (.VnTime font = TCVN3/VN3)
* glibc, iconvdata/tcvn5712-1.c (map_from_tcvn_high), identical to XFree86
  lib/X11/lcUniConv/tcvn.h (tcvn_2uni_2); the module embeds this table.
"""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest

from importers import vnencodings as vn
from importers.vnencodings import (
    ENCODINGS,
    Detection,
    decode,
    detect,
    encode,
    fix_vntimeh_caps,
    readings,
    tcvn3_to_unicode,
    unicode_to_tcvn3,
    unicode_to_vni,
    vni_to_unicode,
)

SAMPLE_NAMES = [
    "Phường Tân Phú",
    "Thành phố Đồng Xoài",
    "Huyện Bù Gia Mập",
    "Xã Lộc Hưng",
    "Đường tỉnh 741",
    "Nguyễn Thị Minh Khai",
    "Trảng cỏ Bù Lạch",
    "Sóc Bom Bo",
    "Đất trồng cây lâu năm",
]

MORE_NAMES = [
    "Phường Tân Bình",
    "Xã Tiến Hưng",
    "Thị trấn Chơn Thành",
    "Huyện Hớn Quản",
    "Quốc lộ 13",
    "Suối Rạt",
    "Đất rừng phòng hộ",
    "Trần Hưng Đạo",
    "Khu phố Phú Thanh",
    "Đất ở tại nông thôn",
]

_VOWEL_TONES = "aáàảãạ ăắằẳẵặ âấầẩẫậ eéèẻẽẹ êếềểễệ iíìỉĩị oóòỏõọ ôốồổỗộ ơớờởỡợ uúùủũụ ưứừửữự yýỳỷỹỵ"
LOWER_ALPHABET = _VOWEL_TONES + " bcdđghklmnpqrstvx"
UPPER_ALPHABET = LOWER_ALPHABET.upper()
# TCVN3 (VN3) only has the toneless capitals Ă Â Ê Ô Ơ Ư Đ besides ASCII.
TCVN3_ALPHABET = LOWER_ALPHABET + " ĂÂÊÔƠƯĐ ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# --- reference data transcribed from duydev/vietnamese-conversion src/charsets.ts ---
DUYDEV_UNICODE = (
    "À Á Â Ã È É Ê Ì Í Ò Ó Ô Õ Ù Ú Ý à á â ã è é ê ì í ò ó ô õ ù ú ý Ă ă Đ đ Ĩ ĩ Ũ ũ Ơ ơ Ư ư "
    "Ạ ạ Ả ả Ấ ấ Ầ ầ Ẩ ẩ Ẫ ẫ Ậ ậ Ắ ắ Ằ ằ Ẳ ẳ Ẵ ẵ Ặ ặ Ẹ ẹ Ẻ ẻ Ẽ ẽ Ế ế Ề ề Ể ể Ễ ễ Ệ ệ Ỉ ỉ Ị ị "
    "Ọ ọ Ỏ ỏ Ố ố Ồ ồ Ổ ổ Ỗ ỗ Ộ ộ Ớ ớ Ờ ờ Ở ở Ỡ ỡ Ợ ợ Ụ ụ Ủ ủ Ứ ứ Ừ ừ Ử ử Ữ ữ Ự ự Ỳ ỳ Ỵ ỵ Ỷ ỷ Ỹ ỹ"
).split()
DUYDEV_VNI = (
    "AØ AÙ AÂ AÕ EØ EÙ EÂ Ì Í OØ OÙ OÂ OÕ UØ UÙ YÙ aø aù aâ aõ eø eù eâ ì í oø où oâ oõ uø uù yù "
    "AÊ aê Ñ ñ Ó ó UÕ uõ Ô ô Ö ö AÏ aï AÛ aû AÁ aá AÀ aà AÅ aå AÃ aã AÄ aä AÉ aé AÈ aè AÚ aú "
    "AÜ aü AË aë EÏ eï EÛ eû EÕ eõ EÁ eá EÀ eà EÅ eå EÃ eã EÄ eä Æ æ Ò ò OÏ oï OÛ oû OÁ oá OÀ oà "
    "OÅ oå OÃ oã OÄ oä ÔÙ ôù ÔØ ôø ÔÛ ôû ÔÕ ôõ ÔÏ ôï UÏ uï UÛ uû ÖÙ öù ÖØ öø ÖÛ öû ÖÕ öõ ÖÏ öï "
    "YØ yø Î î YÛ yû YÕ yõ"
).split()
# TCVN3 column; single characters are real VN3 codes (the two-character
# entries are that library's workaround for missing toned capitals).
DUYDEV_TCVN3 = (
    "Aµ A¸ ¢ A· EÌ EÐ £ I× IÝ Oß Oã ¤ Oâ Uï Uó Yý µ ¸ © · Ì Ð ª × Ý ß ã « â ï ó ý ¡ ¨ § ® IÜ Ü "
    "Uò ò ¥ ¬ ¦ \xad A¹ ¹ A¶ ¶ ¢Ê Ê ¢Ç Ç ¢È È ¢É É ¢Ë Ë ¡¾ ¾ ¡» » ¡¼ ¼ ¡½ ½ ¡Æ Æ EÑ Ñ EÎ Î EÏ Ï "
    "£Õ Õ £Ò Ò £Ó Ó £Ô Ô £Ö Ö IØ Ø IÞ Þ Oä ä Oá á ¤è è ¤å å ¤æ æ ¤ç ç ¤é é ¥í í ¥ê ê ¥ë ë ¥ì ì "
    "¥î î Uô ô Uñ ñ ¦ø ø ¦õ õ ¦ö ö ¦÷ ÷ ¦ù ù Yú ú Yþ þ Yû û Yü ü"
).split(" ")

# --- myguidingstar-zz/B2Uconverter include/encodings/vntime_tcvn.py (Vietnamese letters only) ---
B2U_VNTIME = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ", 0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ",
    0xC6: "ặ", 0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ", 0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ",
    0xD0: "é", 0xD1: "ẹ", 0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ", 0xD7: "ì", 0xD8: "ỉ",
    0xDC: "ĩ", 0xDD: "í", 0xDE: "ị", 0xDF: "ò",
    0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ", 0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ", 0xEF: "ù",
    0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ", 0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}


def _vntimeh(text: str) -> str:
    """How .VnTimeH (all-caps ABC font) text is stored: toned capitals as lowercase codes."""
    return "".join(c.lower() if not c.isascii() and c not in "ĂÂÊÔƠƯĐ" else c for c in text.upper())


# ---------------------------------------------------------------------------
# Tables against the reference sources
# ---------------------------------------------------------------------------


def test_reference_data_is_complete():
    assert len(DUYDEV_UNICODE) == len(DUYDEV_VNI) == len(DUYDEV_TCVN3) == 134
    assert len(set(DUYDEV_UNICODE)) == 134


@pytest.mark.parametrize("char,vni", list(zip(DUYDEV_UNICODE, DUYDEV_VNI)))
def test_vni_table_matches_duydev(char, vni):
    raw = vni.encode("latin-1")
    assert encode(char, "vni") == raw
    assert decode(raw, "vni") == char


def test_tcvn3_table_matches_duydev_and_vntime_font():
    singles = {t: u for u, t in zip(DUYDEV_UNICODE, DUYDEV_TCVN3) if len(t) == 1}
    assert len(singles) == 74  # 67 lowercase letters + Ă Â Ê Ô Ơ Ư Đ
    for code, char in singles.items():
        byte = code.encode("latin-1")
        assert decode(byte, "tcvn3") == char
        assert encode(char, "tcvn3") == byte
        assert B2U_VNTIME[byte[0]] == char
    assert len(B2U_VNTIME) == 74


def test_tcvn3_vn3_repertoire_is_exactly_the_reference_set():
    """Every letter encodable in TCVN3 is one of the 74 reference codes (plus ASCII and NBSP)."""
    encodable = {c for c in vn._TCVN3_ENCODE if ord(c) >= 0x80}
    assert encodable == set(B2U_VNTIME.values()) | {"\xa0"}


@pytest.mark.parametrize(
    "raw,expected",
    [
        # Single bytes, identical in glibc tcvn5712-1.c, duydev charsets.ts and B2Uconverter.
        (b"\xb8", "á"), (b"\xb5", "à"), (b"\xb6", "ả"), (b"\xb7", "ã"), (b"\xb9", "ạ"),
        (b"\xae", "đ"), (b"\xa7", "Đ"), (b"\xa8", "ă"), (b"\xa9", "â"), (b"\xaa", "ê"),
        (b"\xab", "ô"), (b"\xac", "ơ"), (b"\xad", "ư"), (b"\xa1", "Ă"), (b"\xa2", "Â"),
        (b"\xa3", "Ê"), (b"\xa4", "Ô"), (b"\xa5", "Ơ"), (b"\xa6", "Ư"),
        (b"\xca", "ấ"), (b"\xd5", "ế"), (b"\xe8", "ố"), (b"\xed", "ớ"), (b"\xf8", "ứ"), (b"\xfd", "ý"),
        # Words.
        (b"B\xb6o Th\xbeng", "Bảo Thắng"),
        (b"M\xad\xeang Kh\xad\xacng", "Mường Khương"),
        (b"B\xb8t X\xb8t", "Bát Xát"),
        (b"\xa7\xad\xeang t\xd8nh 741", "Đường tỉnh 741"),
        (b"Ph\xad\xeang T\xa9n Ph\xf3", "Phường Tân Phú"),
        (b"Nguy\xd4n Th\xde Minh Khai", "Nguyễn Thị Minh Khai"),
        # TCVN 5712 combining tone marks 0xB0-0xB4 compose (NFC).
        (b"a\xb3", "á"), (b"\xa9\xb4", "ậ"),
        # VN1 capitals in 0x80-0x9F (glibc / X11 tables).
        (b"\x80", "À"), (b"\x9f", "Ũ"),
    ],
)
def test_tcvn3_known_bytes(raw, expected):
    assert decode(raw, "tcvn3") == expected


@pytest.mark.parametrize(
    "raw,expected",
    [
        # duydev/vietnamese-conversion README: 'Xin chào các bạn' -> 'Xin chaøo caùc baïn'.
        (b"Xin cha\xf8o ca\xf9c ba\xefn", "Xin chào các bạn"),
        # Marks per duydev charsets.ts and B2Uconverter vni.py.
        (b"a\xf9", "á"), (b"a\xf8", "à"), (b"a\xfb", "ả"), (b"a\xf5", "ã"), (b"a\xef", "ạ"),
        (b"a\xe2", "â"), (b"a\xea", "ă"), (b"a\xe1", "ấ"), (b"a\xe9", "ắ"), (b"e\xe4", "ệ"),
        (b"\xf1", "đ"), (b"\xd1", "Đ"), (b"\xf4", "ơ"), (b"\xf6", "ư"), (b"\xf4\xf9", "ớ"),
        (b"\xe6", "ỉ"), (b"\xf2", "ị"), (b"\xf3", "ĩ"), (b"\xee", "ỵ"),
        (b"A\xd9", "Á"), (b"O\xc4", "Ộ"), (b"\xd6\xd8", "Ừ"),
        (b"Ph\xf6\xf4\xf8ng Ta\xe2n Phu\xf9", "Phường Tân Phú"),
        (b"\xd1\xf6\xf4\xf8ng t\xe6nh 741", "Đường tỉnh 741"),
        (b"Nguye\xe3n Th\xf2 Minh Khai", "Nguyễn Thị Minh Khai"),
        (b"THA\xd8NH PHO\xc1", "THÀNH PHỐ"),
        # Lowercase marks after a capital base (seen in real files, cf. B2Uconverter).
        (b"A\xf9", "Á"),
    ],
)
def test_vni_known_bytes(raw, expected):
    assert decode(raw, "vni") == expected


def test_cp1258_combining_marks_are_composed():
    # Windows-1258 stores "ệ" as "ê" (0xEA) + combining dot below (0xF2).
    text = decode(b"Vi\xea\xf2t Nam", "cp1258")
    assert text == "Việt Nam"
    assert unicodedata.is_normalized("NFC", text)
    assert encode("Việt", "cp1258") == b"Vi\xea\xf2t"
    assert encode("ở", "cp1258") == b"\xf5\xd2"  # ơ + combining hook above


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("text", SAMPLE_NAMES + MORE_NAMES + [LOWER_ALPHABET])
def test_round_trip(encoding, text):
    raw = encode(text, encoding)
    assert decode(raw, encoding) == text


@pytest.mark.parametrize("encoding", ["utf-8", "cp1258", "vni"])
def test_round_trip_uppercase(encoding):
    raw = encode(UPPER_ALPHABET, encoding)
    assert decode(raw, encoding) == UPPER_ALPHABET
    names = [n.upper() for n in SAMPLE_NAMES]
    assert [decode(encode(n, encoding), encoding) for n in names] == names


def test_round_trip_tcvn3_alphabet():
    assert decode(encode(TCVN3_ALPHABET, "tcvn3"), "tcvn3") == TCVN3_ALPHABET


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_decoded_text_is_nfc(encoding):
    for text in SAMPLE_NAMES + [LOWER_ALPHABET]:
        decomposed = unicodedata.normalize("NFD", text)
        decoded = decode(encode(decomposed, encoding), encoding)
        assert decoded == text
        assert unicodedata.is_normalized("NFC", decoded)


def test_every_single_byte_decodes_in_legacy_encodings():
    for byte in range(256):
        assert isinstance(decode(bytes([byte]), "tcvn3"), str)
        assert isinstance(decode(bytes([byte]), "vni"), str)


def test_str_helpers_on_latin1_text():
    vni_bytes = encode("Phường Tân Phú – Bù Đốp", "vni")
    assert vni_to_unicode(vni_bytes.decode("latin-1")) == "Phường Tân Phú – Bù Đốp"
    assert vni_to_unicode(vni_bytes.decode("cp1252")) == "Phường Tân Phú – Bù Đốp"
    assert unicode_to_vni("Phường Tân Phú") == "Phöôøng Taân Phuù"
    assert tcvn3_to_unicode("Ph\xadêng T©n Phó") == "Phường Tân Phú"
    assert unicode_to_tcvn3("Đường") == "§\xadêng"
    with pytest.raises(ValueError):
        vni_to_unicode("Phường")  # not 8-bit text


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


def test_decode_errors():
    with pytest.raises(UnicodeDecodeError):
        decode(b"Ph\xad\xeang", "utf-8")
    with pytest.raises(UnicodeDecodeError):
        decode(b"\x81", "cp1258")
    with pytest.raises(ValueError, match="unsupported"):
        decode(b"abc", "viscii")


@pytest.mark.parametrize(
    "text,encoding",
    [
        ("Á", "tcvn3"),  # VN3 has no toned capitals
        ("Ầ", "tcvn3"),
        ("ü", "tcvn3"),
        ("ü", "vni"),  # 0xFC is a VNI tone mark
        ("中", "vni"),
        ("中", "cp1258"),
        ("ş", "cp1258"),
    ],
)
def test_encode_rejects_unrepresentable(text, encoding):
    with pytest.raises(ValueError):
        encode(text, encoding)


def test_encoding_aliases():
    assert encode("Đ", "UTF8") == encode("Đ", "utf-8")
    assert encode("Đ", "windows-1258") == b"\xd0"
    assert encode("Đ", "ABC") == b"\xa7"
    assert encode("Đ", "TCVN") == b"\xa7"


def test_readings():
    raw = encode("Phường Tân Phú", "tcvn3")
    result = readings(raw)
    assert list(result) == list(ENCODINGS)
    assert result["tcvn3"] == "Phường Tân Phú"
    assert result["utf-8"] is None
    assert result["cp1258"] == "Ph\xadêng T©n Phó"
    assert readings("Phường".encode())["utf-8"] == "Phường"
    assert readings(b"\x81")["cp1258"] is None


def test_fix_vntimeh_caps():
    decoded = decode(encode(_vntimeh("Thành phố Đồng Xoài"), "tcvn3"), "tcvn3")
    assert decoded == "THàNH PHố ĐồNG XOàI"
    assert fix_vntimeh_caps(decoded) == "THÀNH PHỐ ĐỒNG XOÀI"
    for text in SAMPLE_NAMES:
        assert fix_vntimeh_caps(text) == text


# ---------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("names", [SAMPLE_NAMES, MORE_NAMES, SAMPLE_NAMES[:5], MORE_NAMES[5:]])
def test_detect_sample_sets(encoding, names):
    result = detect([encode(n, encoding) for n in names])
    assert result.encoding == encoding, result
    assert 0.5 < result.confidence <= 1.0
    assert set(result.scores) == set(ENCODINGS)
    assert result.scores[encoding] == max(result.scores.values())


@pytest.mark.parametrize("encoding", ["utf-8", "cp1258", "vni"])
def test_detect_uppercase_sets(encoding):
    result = detect([encode(n.upper(), encoding) for n in SAMPLE_NAMES])
    assert result.encoding == encoding, result


def test_detect_vntimeh_uppercase_tcvn3():
    result = detect([encode(_vntimeh(n), "tcvn3") for n in SAMPLE_NAMES])
    assert result.encoding == "tcvn3", result


@pytest.mark.parametrize("encoding", ["cp1258", "vni", "tcvn3"])
def test_detect_lowercase_sets(encoding):
    result = detect([encode(n.lower(), encoding) for n in MORE_NAMES])
    assert result.encoding == encoding, result


def test_detect_ascii_is_utf8():
    result = detect([b"Quoc lo 13", b"Song Be", b"DT741"])
    assert result == Detection("utf-8", 1.0, {enc: 1.0 for enc in ENCODINGS})
    assert detect([]).encoding == "utf-8"


def test_detect_prefers_valid_utf8():
    assert detect(["Café Müller".encode()]).encoding == "utf-8"
    assert detect([encode("Xã Lộc Hưng", "utf-8")]).encoding == "utf-8"


@pytest.mark.parametrize(
    "raw,plausible",
    [
        # cp1258 "Tân" / TCVN3 "Tõn"
        (b"T\xe2n", {"cp1258", "tcvn3"}),
        # cp1258 "Phó" / VNI "Phĩ" / TCVN3 "Phú"
        (b"Ph\xf3", {"cp1258", "vni", "tcvn3"}),
    ],
)
def test_detect_ambiguous_word_returns_none(raw, plausible):
    result = detect([raw])
    assert result.encoding is None
    assert result.confidence < 0.5
    top = max(result.scores.values())
    assert {enc for enc, score in result.scores.items() if top - score < vn.MIN_MARGIN} == plausible
    options = readings(raw)
    assert all(options[enc] for enc in plausible)  # the caller can show every plausible reading


def test_detect_garbage_returns_none():
    result = detect([b"\xa0\xb0\xb1\xbf\x85"])
    assert result.encoding is None


def test_detection_is_frozen():
    result = detect([b"abc"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.encoding = "vni"  # type: ignore[misc]
