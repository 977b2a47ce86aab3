from land.models import LandUseCode
from layers.registry import LayerSpec, officer, register

from .models import ZoningZone

register(LayerSpec(
    id="zoning",
    model=ZoningZone,
    title_vi="Quy hoạch sử dụng đất",
    title_en="Zoning",
    description_vi="Các ô quy hoạch đã phê duyệt: loại đất quy hoạch, đồ án, quyết định, tầng cao, chiều cao, mật độ xây dựng.",
    description_en="Approved zoning zones: planned land use, plan, approving decision, max floors, height, building density.",
    public=True,
    edit_roles=(officer("planning"),),
    keywords=("quy hoạch", "zoning", "planning"),
    color="#8e44ad",
    min_zoom=12,
    tiled=True,
    field_aliases={
        "zone_code": ("ky_hieu", "kyhieu", "ma_o", "o_quy_hoach"),
        "planned_land_use_code": ("loai_dat_qh", "mdsd_qh", "chuc_nang", "land_use"),
        "plan_name": ("do_an", "ten_do_an", "ten_qh"),
        "decision_no": ("so_qd", "quyet_dinh", "qd_phe_duyet"),
        "decision_date": ("ngay_qd", "ngay_phe_duyet"),
        "max_floors": ("tang_cao", "so_tang"),
        "max_height_m": ("chieu_cao",),
        "building_density_pct": ("mat_do", "mdxd", "mat_do_xd"),
    },
    color_by="planned_land_use_code",
    code_lists={"planned_land_use_code": LandUseCode},
))
