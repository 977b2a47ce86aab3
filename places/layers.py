from layers.registry import LayerSpec, ROLE_MANAGER, officer, register

from .models import AdminLevel, AdminUnit

register(LayerSpec(
    id="admin_units",
    model=AdminUnit,
    title_vi="Đơn vị hành chính",
    title_en="Administrative units",
    description_vi="Ranh giới tỉnh, huyện và xã, theo mã đơn vị hành chính của Tổng cục Thống kê.",
    description_en="Province, district and commune boundaries with their GSO codes.",
    public=True,
    edit_roles=(officer("land"), ROLE_MANAGER),
    keywords=("hành chính", "ranh giới", "administrative", "boundaries"),
    color="#555555",
    code_lists={"level": AdminLevel},
))
