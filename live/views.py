"""GET /live/collections/<layer id>: a layer's changes as Server-Sent Events, to whoever may read it."""
from asgiref.sync import sync_to_async
from django.db import connection
from django.views.decorators.http import require_GET

from layers import access

from .streams import event_stream


def _readable(request, layer_id):
    """The OGC API's read rule (404 anonymous, 403 without the role). The stream then holds no database
    connection of its own: this request's thread lives as long as the stream, its connection need not."""
    try:
        return access.readable_layer(request, layer_id)
    finally:
        if not connection.in_atomic_block:
            connection.close()


@require_GET
async def collection_changes(request, layer_id: str):
    """?feature=<id>: only that feature's changes (and truncations of the layer)."""
    spec, denied = await sync_to_async(_readable)(request, layer_id)
    if denied:
        return denied
    feature = request.GET.get("feature")
    if feature is None:
        return await event_stream(request, spec=spec)
    if not (feature.isascii() and feature.isdigit() and 0 < int(feature) < 2**63):
        return access.ogc_exception(400, "InvalidParameterValue", "Tham số feature phải là mã số của một đối "
                                                                  "tượng. / feature must be a feature id.")
    wanted = int(feature)
    return await event_stream(request, spec=spec, accept=lambda entry: entry["feature_id"] in (wanted, None))
