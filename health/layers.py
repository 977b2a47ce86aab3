from layers.registry import LayerSpec, officer, register

from .models import Clinic, ClinicType

register(LayerSpec(
    id="clinics",
    model=Clinic,
    title_vi="Cơ sở y tế",
    title_en="Health facilities",
    description_vi="Bệnh viện, trung tâm y tế huyện, phòng khám đa khoa khu vực, trạm y tế xã: loại, số giường.",
    description_en="Hospitals, district health centres, polyclinics and commune health stations: type, beds.",
    public=True,
    edit_roles=(officer("health"),),
    keywords=("y tế", "health", "clinics"),
    color="#e74c3c",
    code_lists={"clinic_type": ClinicType},
))
