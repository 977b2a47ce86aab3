from layers.registry import LayerSpec, officer, register

from .models import PoiCategory, TourismPoi

register(LayerSpec(
    id="tourism_pois",
    model=TourismPoi,
    title_vi="Điểm du lịch",
    title_en="Tourism points of interest",
    description_vi="Danh lam thắng cảnh, di tích, khách sạn, nhà hàng.",
    description_en="Sights, heritage sites, hotels and restaurants.",
    public=True,
    edit_roles=(officer("tourism"),),
    keywords=("du lịch", "tourism"),
    color="#16a085",
    code_lists={"category": PoiCategory},
))
