"""OGC API changes (being written)."""
from django.http import Http404


def collection_changes(request, *args, **kwargs):
    raise Http404
