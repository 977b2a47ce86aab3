"""Sign-in and sign-out pages, Vietnamese first with the English toggle; the OAuth token endpoint."""
import json

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from oauth2_provider import views as oauth_views

from geo.i18n import language_of, remember_language
from importers.texts import TEXTS

from . import throttle


class _Bilingual:
    def get_context_data(self, **kwargs):
        language = language_of(self.request)
        return super().get_context_data(**kwargs, t=TEXTS[language], lang=language,
                                         other_lang="en" if language == "vi" else "vi")

    def render_to_response(self, context, **kwargs):
        return remember_language(self.request, super().render_to_response(context, **kwargs))


class SignInView(_Bilingual, auth_views.LoginView):
    locked_minutes = 0  # set when shown to a caller locked out by django-axes

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.locked_minutes:
            context["locked"] = context["t"]["locked_login"].format(self.locked_minutes)
        return context


def signin_locked(request, credentials=None, *args, **kwargs):
    """settings.AXES_LOCKOUT_CALLABLE: after too many failed sign-ins, the sign-in page again, in the
    page's language, saying the account is locked for a while (429), not django-axes' English text."""
    request.method = "GET"  # a POST would try to sign in again: show the form without handling it
    response = SignInView.as_view(locked_minutes=round(settings.AXES_COOLOFF_TIME * 60))(request)
    response.render()
    response.status_code = 429
    return response


class SignOutView(_Bilingual, auth_views.LogoutView):
    """POST only (CSRF-protected); shows a page saying the session has ended."""

    next_page = None
    template_name = "registration/logged_out.html"


class _Throttled:
    """An endpoint that authenticates OAuth clients, refusing a client id from an address (429)
    after repeated failed authentications, like sign-in (accounts/throttle.py)."""

    def post(self, request, *args, **kwargs):
        with throttle.client_authentication(request) as attempt:
            if attempt.retry_after:
                return _rate_limited(attempt.retry_after)
            attempt.response = super().post(request, *args, **kwargs)
            return attempt.response


class TokenView(_Throttled, oauth_views.TokenView):
    """/o/token/ (django-oauth-toolkit's token endpoint), throttled."""


class RevokeTokenView(_Throttled, oauth_views.RevokeTokenView):
    """/o/revoke_token/ checks client secrets too: the same throttle, or it would be a side door."""


def _rate_limited(retry_after: int) -> HttpResponse:
    """An OAuth-style error (RFC 6749 §5.2 shape) with the seconds until the next try."""
    body = {"error": "rate_limited", "error_description":
            f"Quá nhiều lần xác thực client thất bại; thử lại sau {retry_after} giây. / Too many failed "
            f"client authentications; try again in {retry_after} seconds."}
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=429,
                            content_type="application/json; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
