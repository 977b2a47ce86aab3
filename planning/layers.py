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
    color_by="planned_land_use_code",
    code_lists={"planned_land_use_code": LandUseCode},
))
