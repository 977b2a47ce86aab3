"""GeoReport v2 answers in its two formats: XML (required by the spec) and JSON (the spec's Spark
convention: the XML's repeated elements become an array). UTF-8 everywhere; XML text is escaped by
ElementTree, never assembled by hand."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The element of each item of a list, by the list's element (the spec's examples).
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
             "values": "value", "endpoints": "endpoint", "formats": "format",
             "service_request_updates": "request_update"}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(parent: ET.Element, tag: str, value) -> None:
    child = ET.SubElement(parent, tag)
    _fill(child, tag, value)


def _fill(element: ET.Element, tag: str, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _element(element, key, item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _element(element, ITEM_TAGS.get(tag, "item"), item)
    else:
        element.text = _text(value)


def xml_bytes(root: str, data) -> bytes:
    element = ET.Element(root)
    _fill(element, root, data)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode").encode("utf-8")


def answer(fmt: str, root: str, data, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    """`data` as JSON, or as XML under the element `root`."""
    if fmt == "xml":
        body = xml_bytes(root, data)
    else:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES["json"]))
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def errors(fmt: str, status: int, description: str, *, headers: dict | None = None) -> HttpResponse:
    """The spec's error answer: a list of {code, description}, the code also the HTTP status."""
    return answer(fmt, "errors", [{"code": status, "description": description}], status=status, headers=headers)
