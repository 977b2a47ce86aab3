from layers.registry import ROLE_IOC, ROLE_MANAGER, LayerSpec, officer, register

from .models import ResponseUnit, UnitKind, UnitStatus

# Who commands units, and so may move them and change their status.
DISPATCHERS = (ROLE_IOC, officer("public_security"), officer("fire"), officer("health"))

register(LayerSpec(
    id="response_units",
    model=ResponseUnit,
    title_vi="Lực lượng ứng cứu",
    title_en="Response units",
    description_vi="Xe chữa cháy, cảnh sát, cấp cứu, cứu hộ cứu nạn: trụ sở, vị trí hiện tại, trạng thái sẵn sàng.",
    description_en="Fire engines, police patrols, ambulances and rescue teams: station, position now, readiness.",
    public=False,
    read_roles=(*DISPATCHERS, ROLE_MANAGER),
    edit_roles=DISPATCHERS,
    keywords=("điều phối", "ứng cứu", "dispatch", "response units"),
    color="#c0392b",
    field_aliases={"unit_code": ("mã xe", "biển số", "callsign"), "agency": ("đơn vị quản lý", "department")},
    code_lists={"kind": UnitKind, "status": UnitStatus},
))
