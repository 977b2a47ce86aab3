from layers.registry import ROLE_IOC, ROLE_MANAGER, LayerSpec, register

from .models import Agency, Incident, IncidentCategory

# Internal: operators and leaders read the layer at every exit (OGC API, tiles, feed, live push).
# Nobody but an administrator edits it as raw features: incidents change only through their workflow
# (services.py), which writes through the one write service in the actor's name.
INCIDENTS = register(LayerSpec(
    id="incidents",
    model=Incident,
    title_vi="Sự cố và phản ánh hiện trường",
    title_en="Incidents and citizen reports",
    description_vi="Phản ánh của người dân, cảnh báo camera và cảm biến, sự cố khẩn cấp do Trung tâm điều hành (IOC) "
                   "tiếp nhận và theo dõi: loại, trạng thái, mức ưu tiên, cơ quan xử lý, hạn xử lý.",
    description_en="Citizen reports, camera and sensor alerts and emergencies received and followed by the "
                   "Intelligent Operations Centre: category, status, priority, agency, due time.",
    public=False,
    read_roles=(ROLE_IOC, ROLE_MANAGER),
    edit_roles=(),
    workflow="incidents.services",
    keywords=("sự cố", "phản ánh", "IOC", "incidents", "Open311"),
    color="#c0392b",
    color_by="category",
    code_lists={"category": IncidentCategory, "agency": Agency},
))
