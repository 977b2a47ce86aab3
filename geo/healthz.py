"""/healthz: is the database reachable, and is PostGIS there? JSON for monitors (200 or 503)."""
from django.db import connection
from django.db.utils import Error as DatabaseError
from django.http import JsonResponse
from django.views.decorators.http import require_safe


@require_safe
def healthz(request):
    status = {"status": "ok", "database": "ok", "postgis": None}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            row = cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable", "postgis": None}, status=503)
    if row is None:
        return JsonResponse({**status, "status": "error", "postgis": "missing"}, status=503)
    status["postgis"] = row[0]
    return JsonResponse(status)
