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


def layer_version(layer_id: str) -> int:
    """The layer's latest change number in the change log (0 before its first change)."""
    from .models import LayerVersion

    return LayerVersion.objects.filter(layer_id=layer_id).values_list("version", flat=True).first() or 0


def layers_changed_at(layer_ids: list[str]):
    """When the newest of these layers last changed (None if never since the change log exists)."""
    from .models import LayerVersion

    times = [t for t in LayerVersion.objects.filter(layer_id__in=layer_ids).values_list("changed_at", flat=True) if t]
    return max(times) if times else None
