from layers.registry import LayerSpec, officer, register

from .models import LandUseCode, Parcel

register(LayerSpec(
    id="parcels",
    model=Parcel,
    title_vi="Thửa đất",
    title_en="Cadastral parcels",
    description_vi="Thửa đất địa chính: mã xã, số tờ bản đồ, số thửa, loại đất, diện tích (m²) và địa chỉ.",
    description_en="Cadastral parcels: commune code, map-sheet number, parcel number, land use, area (m²), address.",
    public=True,
    edit_roles=(officer("land"),),
    keywords=("địa chính", "thửa đất", "cadastre", "parcels"),
    color="#b5651d",
    min_zoom=15,
    tiled=True,
    color_by="land_use_code",
    code_lists={"land_use_code": LandUseCode},
))
