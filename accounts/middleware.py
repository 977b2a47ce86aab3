"""Bearer tokens on any request: a valid one makes request.user a TokenUser with the token's roles;
an invalid one is answered 401 at once (OGC exception JSON), never treated as anonymous."""
import logging

from layers.access import ogc_exception

from .tokens import TokenRejected, verify_access_token

log = logging.getLogger(__name__)


class BearerTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header[:7].lower() == "bearer ":
            try:
                request.user = verify_access_token(header[7:].strip(), request)
                request._dont_enforce_csrf_checks = True  # no cookies involved: CSRF does not apply
            except TokenRejected as error:
                log.info("bearer token refused: %s", error)
                response = ogc_exception(401, "InvalidToken", "Mã truy cập không hợp lệ hoặc đã hết hạn. / "
                                                               "Invalid or expired access token.")
                response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
                return response
        return self.get_response(request)
