"""Bounded database work for every web request (issue 8): each statement a request runs ends within
GEO_STATEMENT_TIMEOUT_MS. Background imports run on their own threads' connections, without it."""
import json

from django.conf import settings
from django.db import OperationalError, connection

from layers.access import ogc_exception

from .errors import page_for_exception


class StatementTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = settings.GEO_STATEMENT_TIMEOUT_MS
        if timeout:
            try:
                connection.ensure_connection()
                # Set once per database session (connections persist across requests, CONN_MAX_AGE).
                if getattr(connection, "_geo_timeout_session", None) is not connection.connection:
                    with connection.cursor() as cursor:
                        cursor.execute("SET statement_timeout = %s", [timeout])
                    connection._geo_timeout_session = connection.connection
            except OperationalError:
                pass  # the database is down: the view answers that (e.g. /healthz says 503)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError) and "statement timeout" in str(exception):
            return timed_out()
        return None


def timed_out():
    """The answer to a request whose statement the timeout cut off: 503 with a hint, never a traceback."""
    response = ogc_exception(503, "Timeout", "Yêu cầu mất quá nhiều thời gian; hãy thu hẹp phạm vi và thử "
                                             "lại. / The request took too long; narrow it and retry.")
    response["Retry-After"] = "5"
    return response


class BrowserErrorPagesMiddleware:
    """An OGC API refusal (JSON exception) asked for as a web page (?f=html) is shown as the error
    page in the caller's language, not as raw JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code >= 400 and request.path_info.startswith("/ogcapi/")
                and request.GET.get("f") == "html" and response.get("Content-Type", "").startswith("application/json")):
            try:
                description = json.loads(response.content)["description"]
            except (ValueError, KeyError, TypeError):
                return response
            page = page_for_exception(request, response.status_code, description)
            for header in ("WWW-Authenticate", "Retry-After", "Allow"):
                if header in response:
                    page[header] = response[header]
            return page
        return response
