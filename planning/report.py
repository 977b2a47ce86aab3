"""The one-page printable report (PDF) of a parcel: map extract, the panel's facts, the data date.
Drawn with reportlab and a bundled DejaVu font (Vietnamese diacritics), nothing fetched."""
from __future__ import annotations

import io
import math
from pathlib import Path

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONTS = Path(__file__).resolve().parent / "fonts"
pdfmetrics.registerFont(TTFont("DejaVu", str(FONTS / "DejaVuSans.ttf")))
pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))


def _rings(geom):
    for polygon in ([geom] if geom.geom_type == "Polygon" else geom):  # MultiPolygon (or one part left)
        yield list(polygon.exterior_ring.coords)


def _map_extract(pdf, panel, parcel_geom, neighbours, zones, colours, box):
    """Draw the parcel (red), neighbouring parcels filled by land use, zone outlines (purple dashed)
    into `box` (x, y, w, h in points), keeping the ground's proportions (local metres)."""
    x0, y0, w, h = box
    minx, miny, maxx, maxy = parcel_geom.extent
    margin = max(maxx - minx, maxy - miny) * 1.2 + 0.0002
    minx, miny, maxx, maxy = minx - margin, miny - margin, maxx + margin, maxy + margin
    kx = math.cos(math.radians((miny + maxy) / 2))  # degrees of longitude are shorter than of latitude
    scale = min(w / ((maxx - minx) * kx), h / (maxy - miny))
    # Centre the ground in the box.
    dx, dy = (w - (maxx - minx) * kx * scale) / 2, (h - (maxy - miny) * scale) / 2

    def to_page(lon, lat):
        return x0 + dx + (lon - minx) * kx * scale, y0 + dy + (lat - miny) * scale

    # Nothing finer than a printed point is drawn: every outline is simplified to that first.
    tolerance = (maxx - minx) / 1500

    def drawn(geom):
        return geom.simplify(tolerance, preserve_topology=True) if geom.num_coords > 50 else geom

    pdf.saveState()
    clip = pdf.beginPath()
    clip.rect(x0, y0, w, h)
    pdf.clipPath(clip, stroke=1, fill=0)
    for geom, fill, stroke, width, dash in (
        *[(n.geom, colors.HexColor(colours.get(n.land_use_id, "#dddddd")), colors.HexColor("#8a6d3b"), 0.4, None)
          for n in neighbours],
        *[(z.geom, None, colors.HexColor("#8e44ad"), 1.2, (4, 2)) for z in zones],
        (parcel_geom, None, colors.red, 2.2, None),
    ):
        for ring in _rings(drawn(geom)):
            path = pdf.beginPath()
            path.moveTo(*to_page(*ring[0]))
            for point in ring[1:]:
                path.lineTo(*to_page(*point))
            path.close()
            pdf.setLineWidth(width)
            pdf.setStrokeColor(stroke)
            pdf.setDash(*(dash or ()))
            if fill is not None:
                pdf.setFillColor(fill)
            pdf.drawPath(path, stroke=1, fill=1 if fill is not None else 0)
    pdf.restoreState()
    # Scale bar: a round number of metres about a quarter of the width.
    metres_per_point = 1 / scale * 111_320
    bar = 10 ** math.floor(math.log10(w / 4 * metres_per_point))
    pdf.setStrokeColor(colors.black)
    pdf.setLineWidth(1.5)
    pdf.line(x0 + 8, y0 + 8, x0 + 8 + bar / metres_per_point, y0 + 8)
    pdf.setFont("DejaVu", 7)
    pdf.drawString(x0 + 8, y0 + 11, f"{bar:g} m")
    pdf.drawString(x0 + w - 14, y0 + h - 14, "N ↑")


def parcel_report_pdf(panel: dict, parcel_geom, neighbours, zones, colours: dict, data_date) -> bytes:
    """A4 portrait, one page."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    identity = panel["identity"]
    pdf.setTitle(f"Thửa {identity['parcel_no']} tờ {identity['map_sheet_no']} {identity['commune']}")
    pdf.setSubject(f"parcel {identity['commune_code']}/{identity['map_sheet_no']}/{identity['parcel_no']}")
    width, height = A4
    left, top = 18 * mm, height - 18 * mm
    pdf.setFont("DejaVu-Bold", 14)
    pdf.drawString(left, top, "THÔNG TIN QUY HOẠCH THỬA ĐẤT")
    pdf.setFont("DejaVu", 9)
    pdf.drawString(left, top - 14, "Nền tảng dữ liệu không gian tỉnh Bình Phước — Parcel zoning information")
    pdf.setFont("DejaVu-Bold", 11)
    pdf.drawString(left, top - 34, f"Thửa số {identity['parcel_no']}, tờ bản đồ số {identity['map_sheet_no']}")
    pdf.setFont("DejaVu", 10)
    pdf.drawString(left, top - 48, f"{identity['commune']} (mã {identity['commune_code']}), {identity['district']}")
    _map_extract(pdf, panel, parcel_geom, neighbours, zones, colours, (left, top - 60 - 95 * mm, width - 2 * left, 92 * mm))
    y = top - 72 - 95 * mm
    facts = [("Diện tích", f"{panel['area_m2']:,.1f} m²".replace(",", " ")),
             ("Loại đất hiện trạng", f"{panel['land_use']['code']} – {panel['land_use']['name_vi']}")]
    buildable = panel["buildable"]
    if buildable["footprint_m2"] is not None:
        facts += [("Diện tích xây dựng tối đa", f"{buildable['footprint_m2']:,.1f} m²".replace(",", " ")),
                  ("Tổng diện tích sàn tối đa", f"{buildable['floor_area_m2']:,.1f} m²".replace(",", " "))]
    if buildable["max_height_m"] is not None:
        facts.append(("Chiều cao tối đa", f"{buildable['max_height_m']:g} m"))
    for label, value in facts:
        pdf.setFont("DejaVu-Bold", 9)
        pdf.drawString(left, y, label)
        pdf.setFont("DejaVu", 9)
        pdf.drawString(left + 55 * mm, y, value)
        y -= 13
    y -= 6
    pdf.setFont("DejaVu-Bold", 10)
    pdf.drawString(left, y, "Quy hoạch áp dụng")
    y -= 14
    columns = [("Ô", 0), ("Loại đất quy hoạch", 20 * mm), ("Phần diện tích", 88 * mm), ("Tầng", 122 * mm),
               ("Cao (m)", 136 * mm), ("Mật độ (%)", 152 * mm)]
    pdf.setFont("DejaVu-Bold", 8)
    for title, offset in columns:
        pdf.drawString(left + offset, y, title)
    y -= 11
    for zone in panel["zones"][:8]:
        pdf.setFont("DejaVu", 8)
        values = [zone["zone_code"], f"{zone['planned_land_use']['code']} – {zone['planned_land_use']['name_vi']}"[:44],
                  f"{zone['share_m2']:,.1f} m² ({zone['share_pct']:.1f}%)",
                  str(zone["max_floors"] or "—"), f"{zone['max_height_m']:g}" if zone["max_height_m"] else "—",
                  f"{zone['building_density_pct']:g}" if zone["building_density_pct"] is not None else "—"]
        for (_, offset), value in zip(columns, values):
            pdf.drawString(left + offset, y, value)
        y -= 10
        pdf.setFont("DejaVu", 7)
        pdf.setFillColor(colors.HexColor("#555555"))
        pdf.drawString(left + 20 * mm, y, f"{zone['plan_name']} — QĐ {zone['decision_no']} ngày {zone['decision_date']}"[:110])
        pdf.setFillColor(colors.black)
        y -= 12
    if not panel["zones"]:
        pdf.setFont("DejaVu", 9)
        pdf.drawString(left, y, "Không có ô quy hoạch nào phủ thửa đất này.")
        y -= 12
    pdf.setFont("DejaVu", 7)
    pdf.setFillColor(colors.HexColor("#444444"))
    stamp = timezone.localtime().strftime("%d/%m/%Y %H:%M")
    dated = timezone.localtime(data_date).strftime("%d/%m/%Y %H:%M") if data_date else "—"
    pdf.drawString(left, 18 * mm, f"Dữ liệu cập nhật: {dated} · In lúc: {stamp}")
    pdf.drawString(left, 14 * mm, "Thông tin tham khảo, không thay thế văn bản cung cấp thông tin quy hoạch của cơ quan "
                                  "có thẩm quyền.")
    pdf.showPage()
    pdf.save()
    return out.getvalue()
