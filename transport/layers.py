from layers.models import AssetStatus
from layers.registry import LayerSpec, officer, register

from .models import LampType, Road, RoadClass, Streetlight

register(LayerSpec(
    id="roads",
    model=Road,
    title_vi="Đường giao thông",
    title_en="Roads",
    description_vi="Mạng lưới đường: quốc lộ, đường tỉnh, đường huyện, đường đô thị; tên, cấp đường, bề rộng.",
    description_en="Road network: national, provincial, district and urban roads with name, class and width.",
    public=True,
    edit_roles=(officer("transport"),),
    keywords=("giao thông", "đường", "roads", "transport"),
    color="#e67e22",
    code_lists={"road_class": RoadClass},
))

register(LayerSpec(
    id="streetlights",
    model=Streetlight,
    title_vi="Đèn chiếu sáng công cộng",
    title_en="Street lights",
    description_vi="Đèn chiếu sáng đô thị: mã đèn, tuyến, loại đèn, công suất, trạng thái.",
    description_en="Urban street lights: code, circuit, lamp type, wattage, status.",
    public=True,
    edit_roles=(officer("transport"),),
    keywords=("chiếu sáng", "street lighting"),
    color="#f1c40f",
    min_zoom=14,
    code_lists={"lamp_type": LampType, "status": AssetStatus},
))
