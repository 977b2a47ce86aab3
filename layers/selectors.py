from django.db import models

from . import registry


def code_list_names(models_: set[type[models.Model]], *, language: str) -> dict[type, dict[str, str]]:
    """{code-list model: {code: name}} in `language` ("vi" or "en"), one query per code list."""
    field = "name_en" if language == "en" else "name_vi"
    return {m: dict(m.objects.values_list("code", field)) for m in models_}


def code_list_colors(models_: set[type[models.Model]]) -> dict[type, dict[str, str]]:
    """{code-list model: {code: "#rrggbb"}} for code lists that carry a colour, one query each."""
    return {m: dict(m.objects.values_list("code", "color")) for m in models_
            if any(f.name == "color" for f in m._meta.fields)}


def field_labels(spec: registry.LayerSpec, *, language: str) -> dict[str, str]:
    """Column name -> label: the model's Vietnamese verbose name, or the column name in English."""
    labels = {}
    for f in spec.model._meta.concrete_fields:
        if language == "en":
            labels[f.column] = f.column.replace("_", " ")
        else:
            labels[f.column] = str(f.verbose_name)
    return labels
