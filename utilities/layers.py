"""Water and power networks: critical infrastructure, invisible without a utilities role."""
from layers.models import AssetStatus, Organisation
from layers.registry import ROLE_IOC, ROLE_MANAGER, ROLE_UTILITY, LayerSpec, officer, register

from .models import Hydrant, PowerLine, PowerPole, Substation, WaterPipe, WaterValve

READERS = (ROLE_UTILITY, officer("utilities"), ROLE_IOC, ROLE_MANAGER)
EDITORS = (ROLE_UTILITY, officer("utilities"))
CODES = {"owner": Organisation, "status": AssetStatus}


def utility_layer(id, model, title_vi, title_en, description_vi, description_en, keywords, color, min_zoom):
    return register(LayerSpec(
        id=id, model=model, title_vi=title_vi, title_en=title_en, description_vi=description_vi,
        description_en=description_en, public=False, read_roles=READERS, edit_roles=EDITORS,
        keywords=keywords, color=color, min_zoom=min_zoom, code_lists=CODES,
        owner_field="owner", owner_scoped_roles=(ROLE_UTILITY,),
    ))


utility_layer("water_pipes", WaterPipe, "Đường ống cấp nước", "Water pipes",
              "Mạng lưới ống cấp nước: đường kính, vật liệu, đơn vị quản lý.",
              "Water supply pipes: diameter, material, owner.", ("cấp nước", "water"), "#2980b9", 13)
utility_layer("water_valves", WaterValve, "Van nước", "Water valves",
              "Van trên mạng cấp nước và trạng thái đóng/mở.",
              "Valves of the water network and whether they are open or closed.",
              ("cấp nước", "van", "water", "valves"), "#1abc9c", 15)
utility_layer("hydrants", Hydrant, "Trụ cứu hỏa", "Fire hydrants",
              "Trụ cứu hỏa trên mạng cấp nước và áp lực.", "Fire hydrants on the water network and their pressure.",
              ("phòng cháy", "hydrants"), "#c0392b", 14)
utility_layer("power_lines", PowerLine, "Đường dây điện", "Power lines",
              "Đường dây trung và hạ thế: điện áp, đơn vị quản lý.", "Medium and low-voltage lines: voltage, owner.",
              ("điện", "power"), "#d35400", 12)
utility_layer("power_poles", PowerPole, "Cột điện", "Power poles",
              "Cột điện trên các đường dây.", "Poles along the power lines.", ("điện", "cột điện", "power"),
              "#7f8c8d", 15)
utility_layer("substations", Substation, "Trạm biến áp", "Substations",
              "Trạm biến áp: cấp điện áp, công suất.", "Transformer substations: voltage level, capacity.",
              ("điện", "trạm biến áp", "substations"), "#e74c3c", 0)
