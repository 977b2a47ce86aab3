"""The text of a PDF that reportlab wrote, read back without a PDF library: every drawn string with its
position on the page, decoded through its font's ToUnicode map. Made for reportlab's own output (a
classic xref table, ASCII85/Flate streams with a direct /Length, TrueType subsets drawn with Tj); not a
general PDF reader. Checked against poppler's pdftotext while it was written."""
from __future__ import annotations

import base64
import re
import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """{object number: (dictionary text, decoded stream or None)} through the xref table."""
    xref = int(re.search(rb"startxref\s+(\d+)", pdf[-1024:]).group(1))
    header = re.match(rb"xref\s+(\d+) (\d+)\s+", pdf[xref:])
    first, count = int(header.group(1)), int(header.group(2))
    table = pdf[xref + header.end():]
    objects = {}
    for i in range(count):
        offset, _, kind = table[20 * i:20 * i + 18].split()
        if kind != b"n":
            continue
        body = re.match(rb"\d+ 0 obj\s*(.*?)\s*(stream\r?\n|endobj)", pdf[int(offset):], re.DOTALL)
        stream = None
        if body.group(2).startswith(b"stream"):
            start = int(offset) + body.end()
            length = int(re.search(rb"/Length (\d+)", body.group(1)).group(1))
            stream = pdf[start:start + length]
            filters = re.search(rb"/Filter \[?([^\]>]*)", body.group(1))
            for name in re.findall(rb"/(\w+)", filters.group(1)) if filters else []:
                if name == b"ASCII85Decode":
                    stream = base64.a85decode(stream.strip().removesuffix(b"~>"))
                elif name == b"FlateDecode":
                    stream = zlib.decompress(stream)
                else:
                    raise ValueError(f"filter {name!r} not read here")
        objects[first + i] = (body.group(1), stream)
    return objects


def _to_unicode(cmap: bytes) -> dict[int, str]:
    """A ToUnicode CMap's bfchar and bfrange entries: {glyph code: text}."""
    codes = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.DOTALL):
        for code, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            codes[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.DOTALL):
        for low, high, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            start = int.from_bytes(bytes.fromhex(text.decode()), "big")
            for n, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                codes[code] = chr(start + n)
    return codes


def _literal(raw: bytes) -> bytes:
    """A PDF literal string's bytes, its backslash escapes resolved."""
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i] != 0x5C:  # backslash
            out.append(raw[i])
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
        if octal:
            out.append(int(octal.group(), 8) & 0xFF)
            i += 1 + len(octal.group())
        else:
            escaped = raw[i + 1:i + 2]
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(escaped, escaped)
            i += 2
    return bytes(out)


TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|/[^\s/\[\]()<>]+|[-+]?\d*\.?\d+|[A-Za-z*']+|\S", re.DOTALL)


def _page(pdf: bytes, page: int) -> tuple[bytes, dict]:
    """Page `page`'s (0-based) content stream and {font resource name: ToUnicode map or None}."""
    objects = _objects(pdf)
    pages = [n for n, (d, _) in sorted(objects.items()) if re.search(rb"/Type /Page\b(?!s)", d)]
    body = objects[pages[page]][0]
    fonts_ref = re.search(rb"/Font (\d+) 0 R", body)
    if fonts_ref:
        fonts_dict = objects[int(fonts_ref.group(1))][0]
    else:
        fonts_dict = re.search(rb"/Font <<(.*?)>>", body, re.DOTALL).group(1)
    maps = {}
    for name, ref in re.findall(rb"/([^\s/]+) (\d+) 0 R", fonts_dict):
        cmap = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(ref)][0])
        maps[name] = _to_unicode(objects[int(cmap.group(1))][1]) if cmap else None  # None: a standard font
    contents = re.search(rb"/Contents (?:\[([^\]]*)\]|(\d+) 0 R)", body)
    refs = re.findall(rb"(\d+) 0 R", contents.group(1)) if contents.group(1) else [contents.group(2)]
    return b"\n".join(objects[int(r)][1] for r in refs), maps


def _operations(stream: bytes):
    """(operator, operands) in the order of the content stream."""
    operands = []
    for token in TOKEN.findall(stream):
        if re.fullmatch(rb"[A-Za-z*']+", token) and token not in (b"true", b"false", b"null"):
            yield token, operands
            operands = []
        else:
            operands.append(token)


def page_texts(pdf: bytes, page: int = 0) -> list[Text]:
    """The strings drawn on page `page` (0-based), in drawing order, one per text object (BT … ET)."""
    stream, maps = _page(pdf, page)
    texts, font, pieces, x, y = [], None, [], 0.0, 0.0
    for operator, operands in _operations(stream):
        if operator == b"BT":
            pieces, x, y = [], 0.0, 0.0
        elif operator == b"ET" and pieces:
            texts.append(Text(round(x, 1), round(y, 1), "".join(pieces)))
        elif operator == b"Tf":
            font = operands[-2][1:]
        elif operator == b"Tm":
            x, y = float(operands[-2]), float(operands[-1])
        elif operator == b"Tj":
            raw = _literal(operands[-1][1:-1])
            mapping = maps.get(font)
            pieces.append(raw.decode("latin-1") if mapping is None else "".join(mapping.get(b, "\ufffd") for b in raw))
    return texts


def fill_colours(pdf: bytes, page: int = 0) -> set[str]:
    """The RGB fill colours set on page `page` ("#rrggbb")."""
    stream, _ = _page(pdf, page)
    return {"#" + "".join(f"{round(float(c) * 255):02x}" for c in operands[-3:])
            for operator, operands in _operations(stream) if operator == b"rg"}
