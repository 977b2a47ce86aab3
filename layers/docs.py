"""docs/layers.md, generated from the layer registry (the README links to it)."""
from layers import registry

HEADER = """# Layers of the platform

Generated from the layer registry by `python manage.py generate_pygeoapi_config`; do not edit.
Each layer is an OGC API collection at `/ogcapi/collections/<id>`. Internal layers do not exist for
callers without a reading role (404 anonymous, 403 signed in); roles are Django groups.

| id | Vietnamese | English | geometry | table | read | edit |
|---|---|---|---|---|---|---|
"""


def render_markdown() -> str:
    rows = []
    for spec in registry.all_layers():
        read = "everyone" if spec.public else ", ".join(f"`{r}`" for r in spec.read_roles)
        edit = ", ".join(f"`{r}`" for r in spec.edit_roles)
        rows.append(f"| `{spec.id}` | {spec.title_vi} | {spec.title_en} | {spec.geometry_type} | "
                    f"`{spec.table}` | {read} | {edit} |")
    return HEADER + "\n".join(rows) + "\n\nAdministrators (`admin` group or superusers) read and edit every layer.\n"
