"""OGC API versions (being written)."""
from django.http import Http404


def item_versions(request, *args, **kwargs):
    raise Http404


def item_version(request, *args, **kwargs):
    raise Http404


def item_revert(request, *args, **kwargs):
    raise Http404
