from layers.registry import LayerSpec, officer, register

from .models import School, SchoolLevel

register(LayerSpec(
    id="schools",
    model=School,
    title_vi="Trường học",
    title_en="Schools",
    description_vi="Cơ sở giáo dục: mầm non, tiểu học, THCS, THPT, trung tâm giáo dục thường xuyên.",
    description_en="Education establishments: kindergartens, primary, lower and upper secondary, continuing education.",
    public=True,
    edit_roles=(officer("education"),),
    keywords=("giáo dục", "trường học", "education", "schools"),
    color="#27ae60",
    code_lists={"level": SchoolLevel},
))
