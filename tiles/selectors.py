from .models import LayerVersion


def layers_changed_at(layer_ids: list[str]):
    """When the newest of these layers last changed (None if never since the triggers exist)."""
    times = [t for t in LayerVersion.objects.filter(layer_id__in=layer_ids).values_list("changed_at", flat=True) if t]
    return max(times) if times else None
