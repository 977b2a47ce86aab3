"""The one-page printable report (PDF) of a parcel: two map extracts (current land use, land-use plan)
each with its colour legend, the panel's facts, the data date. Vietnamese first, English on the
toggle; numbers and dates the Vietnamese way in both (1.234,5 m²; 27/11/2026), as the map's panel.
Drawn with reportlab and a bundled DejaVu font (Vietnamese diacritics), nothing fetched."""
from __future__ import annotations

import io
import math
from pathlib import Path

from django.contrib.gis.geos import Polygon
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from layers.formats import date_vi, datetime_vi, number_vi

FONTS = Path(__file__).resolve().parent / "fonts"
pdfmetrics.registerFont(TTFont("DejaVu", str(FONTS / "DejaVuSans.ttf")))
pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))

TEXTS = {
    "vi": {
        "title": "THÔNG TIN QUY HOẠCH THỬA ĐẤT", "doc_title": "Thửa {parcel_no} tờ {sheet} {commune}",
        "subtitle": "Nền tảng dữ liệu không gian tỉnh Bình Phước — Parcel zoning information",
        "parcel": "Thửa số {parcel_no}, tờ bản đồ số {sheet}", "where": "{commune} (mã {code}), {district}",
        "current_map": "Hiện trạng sử dụng đất", "zoning_map": "Quy hoạch sử dụng đất",
        "subject": "Thửa đất tra cứu", "parcel_line": "Ranh giới thửa đất",
        "zone_line": "Ranh giới và ký hiệu ô quy hoạch",
        "area": "Diện tích", "land_use": "Loại đất hiện trạng", "footprint": "Diện tích xây dựng tối đa",
        "floor_area": "Tổng diện tích sàn tối đa", "height": "Chiều cao tối đa", "zoning": "Quy hoạch áp dụng",
        "columns": ("Ô", "Loại đất quy hoạch", "Phần diện tích", "Tầng", "Cao (m)", "Mật độ (%)"),
        "decision": "{plan} — QĐ {no} ngày {date}", "more_zones": "… và {n} ô quy hoạch khác (xem trên bản đồ).",
        "no_zone": "Không có ô quy hoạch nào phủ thửa đất này.",
        "stamp": "Dữ liệu cập nhật: {data} · In lúc: {printed}",
        "disclaimer": "Thông tin tham khảo, không thay thế văn bản cung cấp thông tin quy hoạch của cơ quan có "
                      "thẩm quyền.",
    },
    "en": {
        "title": "PARCEL ZONING INFORMATION", "doc_title": "Parcel {parcel_no} sheet {sheet} {commune}",
        "subtitle": "Bình Phước province spatial data platform — Thông tin quy hoạch thửa đất",
        "parcel": "Parcel {parcel_no}, map sheet {sheet}", "where": "{commune} (code {code}), {district}",
        "current_map": "Current land use", "zoning_map": "Land-use plan (zoning)",
        "subject": "Parcel looked up", "parcel_line": "Parcel boundary", "zone_line": "Zoning zone boundary and code",
        "area": "Area", "land_use": "Current land use", "footprint": "Maximum building footprint",
        "floor_area": "Maximum total floor area", "height": "Maximum height", "zoning": "Zoning that applies",
        "columns": ("Zone", "Planned land use", "Share of area", "Floors", "Height (m)", "Density (%)"),
        "decision": "{plan} — decision {no} of {date}", "more_zones": "… and {n} more zones (see the map).",
        "no_zone": "No zoning zone covers this parcel.",
        "stamp": "Data updated: {data} · Printed: {printed}",
        "disclaimer": "For reference only; it does not replace the planning information issued by the competent "
                      "authority.",
    },
}

PARCEL_EDGE = colors.HexColor("#8a6d3b")
ZONE_EDGE = colors.HexColor("#6c2a8c")
SUBJECT = colors.HexColor("#d7191c")  # the panel's highlight colour
ZONE_DASH = (4, 2)


def _rings(geom):
    for polygon in ([geom] if geom.geom_type == "Polygon" else geom):  # MultiPolygon (or one part left)
        yield list(polygon.exterior_ring.coords)


class _Frame:
    """A map box on the page (x, y, w, h in points) showing the ground around a parcel (EPSG:4326
    degrees), the ground's proportions kept (a degree of longitude is shorter than one of latitude)."""

    def __init__(self, parcel_geom, box):
        self.x0, self.y0, self.w, self.h = box
        minx, miny, maxx, maxy = parcel_geom.extent
        margin = max(maxx - minx, maxy - miny) * 1.2 + 0.0002
        minx, miny, maxx, maxy = minx - margin, miny - margin, maxx + margin, maxy + margin
        self.kx = math.cos(math.radians((miny + maxy) / 2))
        self.scale = min(self.w / ((maxx - minx) * self.kx), self.h / (maxy - miny))  # points per degree of latitude
        # Centre the ground in the box.
        self.minx = minx - (self.w / (self.kx * self.scale) - (maxx - minx)) / 2
        self.miny = miny - (self.h / self.scale - (maxy - miny)) / 2
        # Nothing finer than a printed point is drawn: every outline is simplified to that first.
        self.tolerance = (maxx - minx) / 1500
        self.ground = Polygon.from_bbox((self.minx, self.miny, self.minx + self.w / (self.kx * self.scale),
                                         self.miny + self.h / self.scale))
        self.ground.srid = 4326

    def to_page(self, lon, lat):
        return self.x0 + (lon - self.minx) * self.kx * self.scale, self.y0 + (lat - self.miny) * self.scale

    def shows(self, geom) -> bool:
        return geom.intersects(self.ground)

    def draw(self, pdf, geom, *, fill=None, stroke, width, dash=None):
        drawn = geom.simplify(self.tolerance, preserve_topology=True) if geom.num_coords > 50 else geom
        for ring in _rings(drawn):
            path = pdf.beginPath()
            path.moveTo(*self.to_page(*ring[0]))
            for point in ring[1:]:
                path.lineTo(*self.to_page(*point))
            path.close()
            pdf.setLineWidth(width)
            pdf.setStrokeColor(stroke)
            pdf.setDash(*(dash or ()))
            if fill is not None:
                pdf.setFillColor(fill)
            pdf.drawPath(path, stroke=1, fill=1 if fill is not None else 0)

    def label(self, pdf, geom, text):
        """`text` on a white plate at a point inside the visible part of `geom`."""
        visible = geom.intersection(self.ground)
        if visible.empty:
            return
        x, y = self.to_page(*visible.point_on_surface.coords)
        pdf.setFont("DejaVu-Bold", 6.5)
        half = pdfmetrics.stringWidth(text, "DejaVu-Bold", 6.5) / 2
        pdf.setFillColor(colors.white)
        pdf.rect(x - half - 1.5, y - 2.5, 2 * half + 3, 9, stroke=0, fill=1)
        pdf.setFillColor(ZONE_EDGE)
        pdf.drawCentredString(x, y, text)
        pdf.setFillColor(colors.black)

    def frame(self, pdf, title):
        """Border, title, north arrow and scale bar (1, 2 or 5 × 10ⁿ metres, at most a quarter of the width)."""
        pdf.setDash()
        pdf.setStrokeColor(colors.black)
        pdf.setLineWidth(0.8)
        pdf.rect(self.x0, self.y0, self.w, self.h, stroke=1, fill=0)
        pdf.setFont("DejaVu-Bold", 9)
        pdf.drawString(self.x0, self.y0 + self.h + 4, title)
        metres_per_point = 111_320 / self.scale  # a degree of latitude is about 111,32 km
        quarter = self.w / 4 * metres_per_point
        power = 10 ** math.floor(math.log10(quarter))
        bar = max(step * power for step in (1, 2, 5) if step * power <= quarter)
        bar_label = f"{number_vi(bar, digits=0)} m"
        pdf.setFillColor(colors.white)
        plate = max(bar / metres_per_point, pdfmetrics.stringWidth(bar_label, "DejaVu", 7)) + 10
        pdf.rect(self.x0 + 4, self.y0 + 4, plate, 15, stroke=0, fill=1)
        pdf.rect(self.x0 + self.w - 20, self.y0 + self.h - 18, 16, 14, stroke=0, fill=1)
        pdf.setFillColor(colors.black)
        pdf.setLineWidth(1.5)
        pdf.line(self.x0 + 8, self.y0 + 8, self.x0 + 8 + bar / metres_per_point, self.y0 + 8)
        pdf.setFont("DejaVu", 7)
        pdf.drawString(self.x0 + 8, self.y0 + 11, bar_label)
        pdf.drawString(self.x0 + self.w - 18, self.y0 + self.h - 14, "N ↑")


def _clipped(pdf, frame, draw):
    pdf.saveState()
    clip = pdf.beginPath()
    clip.rect(frame.x0, frame.y0, frame.w, frame.h)
    pdf.clipPath(clip, stroke=0, fill=0)
    draw()
    pdf.restoreState()


def _current_map(pdf, frame, parcel_geom, neighbours, colours):
    """Parcels filled by their current land use, the parcel looked up outlined in red. Returns the
    land-use codes drawn."""
    shown = [n for n in neighbours if frame.shows(n.geom)]

    def draw():
        for n in shown:
            frame.draw(pdf, n.geom, fill=colors.HexColor(colours.get(n.land_use_id, "#dddddd")), stroke=PARCEL_EDGE,
                       width=0.4)
        frame.draw(pdf, parcel_geom, stroke=SUBJECT, width=2.2)

    _clipped(pdf, frame, draw)
    return {n.land_use_id for n in shown}


def _zoning_map(pdf, frame, parcel_geom, neighbours, zones, colours):
    """Zoning zones filled by their planned land use, dashed and labelled with their zone code, the
    parcels' outlines over them, the parcel looked up in red. Returns the planned land-use codes drawn."""
    shown = [z for z in zones if frame.shows(z.geom)]

    def draw():
        for z in shown:
            frame.draw(pdf, z.geom, fill=colors.HexColor(colours.get(z.planned_land_use_id, "#dddddd")),
                       stroke=ZONE_EDGE, width=1.2, dash=ZONE_DASH)
        for n in neighbours:
            if frame.shows(n.geom):
                frame.draw(pdf, n.geom, stroke=colors.HexColor("#7f7f7f"), width=0.3)
        frame.draw(pdf, parcel_geom, stroke=SUBJECT, width=2.2)
        for z in shown:
            frame.label(pdf, z.geom, z.zone_code)

    _clipped(pdf, frame, draw)
    return {z.planned_land_use_id for z in shown}


def _wrapped(text, font, size, width):
    """`text` cut into lines no wider than `width` points, at spaces."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and pdfmetrics.stringWidth(candidate, font, size) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def _fitted(text, font, size, width):
    """`text`, cut with an ellipsis if wider than `width` points."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _legend(pdf, x, y, width, lines, codes, legend):
    """Under a map: the line symbols (label, stroke, width, dash), then a swatch, the code and the name
    of each land-use code drawn, in the code list's order. Returns the y below the legend."""
    pdf.setFont("DejaVu", 7)
    for label, stroke, line_width, dash in lines:
        pdf.setStrokeColor(stroke)
        pdf.setLineWidth(line_width)
        pdf.setDash(*(dash or ()))
        pdf.rect(x + 0.5, y - 1, 12, 7, stroke=1, fill=0)
        pdf.setDash()
        pdf.drawString(x + 16, y, label)
        y -= 10
    pdf.setStrokeColor(PARCEL_EDGE)
    pdf.setLineWidth(0.4)
    for entry in legend:
        if entry["code"] not in codes:
            continue
        pdf.setFillColor(colors.HexColor(entry["color"]))
        pdf.rect(x + 0.5, y - 1, 12, 7, stroke=1, fill=1)
        pdf.setFillColor(colors.black)
        pdf.setFont("DejaVu-Bold", 7)
        pdf.drawString(x + 16, y, entry["code"])
        pdf.setFont("DejaVu", 7)
        for line in _wrapped(entry["name"], "DejaVu", 7, width - 36):
            pdf.drawString(x + 36, y, line)
            y -= 8.5
        y -= 1.5
    return y


def parcel_report_pdf(panel: dict, parcel_geom, neighbours, zones, legend: list[dict], data_date, *,
                      language: str = "vi") -> bytes:
    """A4 portrait, one page. `legend`: the land-use code list in its order, each {"code", "name" (in
    `language`), "color"}; `neighbours` (parcels) and `zones` (zoning zones) around the parcel, EPSG:4326."""
    t = TEXTS[language]
    name = "name_en" if language == "en" else "name_vi"
    colours = {entry["code"]: entry["color"] for entry in legend}
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    identity = panel["identity"]
    pdf.setTitle(t["doc_title"].format(parcel_no=identity["parcel_no"], sheet=identity["map_sheet_no"],
                                       commune=identity["commune"]))
    pdf.setSubject(f"parcel {identity['commune_code']}/{identity['map_sheet_no']}/{identity['parcel_no']}")
    width, height = A4
    left, top = 18 * mm, height - 18 * mm
    pdf.setFont("DejaVu-Bold", 14)
    pdf.drawString(left, top, t["title"])
    pdf.setFont("DejaVu", 9)
    pdf.drawString(left, top - 14, t["subtitle"])
    pdf.setFont("DejaVu-Bold", 11)
    pdf.drawString(left, top - 34, t["parcel"].format(parcel_no=identity["parcel_no"], sheet=identity["map_sheet_no"]))
    pdf.setFont("DejaVu", 10)
    pdf.drawString(left, top - 48, t["where"].format(commune=identity["commune"], code=identity["commune_code"],
                                                     district=identity["district"]))

    # Two maps of the same ground side by side, each with its legend below.
    gap = 6 * mm
    map_w, map_h = (width - 2 * left - gap) / 2, 88 * mm
    map_y = top - 72 - map_h
    current = _Frame(parcel_geom, (left, map_y, map_w, map_h))
    planned = _Frame(parcel_geom, (left + map_w + gap, map_y, map_w, map_h))
    current_codes = _current_map(pdf, current, parcel_geom, neighbours, colours)
    zoning_codes = _zoning_map(pdf, planned, parcel_geom, neighbours, zones, colours)
    current.frame(pdf, t["current_map"])
    planned.frame(pdf, t["zoning_map"])
    legend_y = map_y - 12
    y = min(
        _legend(pdf, current.x0, legend_y, map_w, [(t["subject"], SUBJECT, 2.2, None)], current_codes, legend),
        _legend(pdf, planned.x0, legend_y, map_w,
                [(t["subject"], SUBJECT, 2.2, None), (t["parcel_line"], colors.HexColor("#7f7f7f"), 0.3, None),
                 (t["zone_line"], ZONE_EDGE, 1.2, ZONE_DASH)], zoning_codes, legend),
    ) - 10

    facts = [(t["area"], f"{number_vi(panel['area_m2'])} m²"),
             (t["land_use"], f"{panel['land_use']['code']} – {panel['land_use'][name]}")]
    buildable = panel["buildable"]
    if buildable["footprint_m2"] is not None:
        facts += [(t["footprint"], f"{number_vi(buildable['footprint_m2'])} m²"),
                  (t["floor_area"], f"{number_vi(buildable['floor_area_m2'])} m²")]
    if buildable["max_height_m"] is not None:
        facts.append((t["height"], f"{number_vi(buildable['max_height_m'])} m"))
    for label, value in facts:
        pdf.setFont("DejaVu-Bold", 9)
        pdf.drawString(left, y, label)
        pdf.setFont("DejaVu", 9)
        pdf.drawString(left + 55 * mm, y, value)
        y -= 13
    y -= 6
    pdf.setFont("DejaVu-Bold", 10)
    pdf.drawString(left, y, t["zoning"])
    y -= 14
    offsets = (0, 20 * mm, 86 * mm, 120 * mm, 134 * mm, 153 * mm)
    pdf.setFont("DejaVu-Bold", 8)
    for title, offset in zip(t["columns"], offsets):
        pdf.drawString(left + offset, y, title)
    y -= 11
    footer = 26 * mm
    for index, zone in enumerate(panel["zones"]):
        if y - 22 < footer:
            pdf.setFont("DejaVu", 8)
            pdf.drawString(left, y, t["more_zones"].format(n=len(panel["zones"]) - index))
            break
        pdf.setFont("DejaVu", 8)
        share = f"{number_vi(zone['share_m2'])} m²"
        if zone["share_pct"] is not None:
            share += f" ({number_vi(zone['share_pct'])} %)"
        planned_use = f"{zone['planned_land_use']['code']} – {zone['planned_land_use'][name]}"
        values = [zone["zone_code"], _fitted(planned_use, "DejaVu", 8, offsets[2] - offsets[1] - 2 * mm),
                  share, str(zone["max_floors"]) if zone["max_floors"] else "—",
                  number_vi(zone["max_height_m"]) if zone["max_height_m"] is not None else "—",
                  number_vi(zone["building_density_pct"]) if zone["building_density_pct"] is not None else "—"]
        for offset, value in zip(offsets, values):
            pdf.drawString(left + offset, y, value)
        y -= 10
        pdf.setFont("DejaVu", 7)
        pdf.setFillColor(colors.HexColor("#555555"))
        decision = t["decision"].format(plan=zone["plan_name"], no=zone["decision_no"], date=date_vi(zone["decision_date"]))
        pdf.drawString(left + 20 * mm, y, _fitted(decision, "DejaVu", 7, width - 2 * left - 20 * mm))
        pdf.setFillColor(colors.black)
        y -= 12
    if not panel["zones"]:
        pdf.setFont("DejaVu", 9)
        pdf.drawString(left, y, t["no_zone"])
    pdf.setFont("DejaVu", 7)
    pdf.setFillColor(colors.HexColor("#444444"))
    stamp = t["stamp"].format(data=datetime_vi(data_date) if data_date else "—", printed=datetime_vi(timezone.now()))
    pdf.drawString(left, 18 * mm, stamp)
    pdf.drawString(left, 14 * mm, t["disclaimer"])
    pdf.showPage()
    pdf.save()
    return out.getvalue()
