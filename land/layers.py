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
    min_zoom=14,
    tiled=True,
    field_aliases={
        "commune_code": ("ma_xa", "maxa", "ma_dvhc", "xa"),
        "map_sheet_no": ("so_to", "soto", "to_ban_do", "shbando", "so_hieu_to"),
        "parcel_no": ("so_thua", "sothua", "shthua", "thua"),
        "land_use_code": ("loai_dat", "loaidat", "mdsd", "kyhieumdsd", "ma_loai_dat", "mucdichsd"),
        "address": ("dia_chi", "diachi"),
    },
    color_by="land_use_code",
    code_lists={"land_use_code": LandUseCode},
))
