from layers.models import AssetStatus
from layers.registry import ROLE_IOC, ROLE_MANAGER, LayerSpec, officer, register

from .models import Camera, CameraPurpose

register(LayerSpec(
    id="cameras",
    model=Camera,
    title_vi="Camera giám sát",
    title_en="Surveillance cameras",
    description_vi="Camera giao thông và an ninh theo giai đoạn đầu tư: mục đích, điểm lắp đặt, trạng thái.",
    description_en="Traffic and security cameras by investment phase: purpose, mounting point, status.",
    public=False,
    read_roles=(ROLE_IOC, officer("public_security"), officer("transport"), ROLE_MANAGER),
    edit_roles=(ROLE_IOC, officer("public_security")),
    keywords=("camera", "an ninh", "security"),
    color="#2c3e50",
    code_lists={"purpose": CameraPurpose, "status": AssetStatus},
))
