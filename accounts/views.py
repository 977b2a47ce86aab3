"""Sign-in and sign-out pages, Vietnamese first with the English toggle."""
from django.contrib.auth import views as auth_views

from geo.i18n import language_of, remember_language
from importers.texts import TEXTS


class _Bilingual:
    def get_context_data(self, **kwargs):
        language = language_of(self.request)
        return super().get_context_data(**kwargs, t=TEXTS[language], lang=language,
                                         other_lang="en" if language == "vi" else "vi")

    def render_to_response(self, context, **kwargs):
        return remember_language(self.request, super().render_to_response(context, **kwargs))


class SignInView(_Bilingual, auth_views.LoginView):
    pass


class SignOutView(_Bilingual, auth_views.LogoutView):
    """POST only (CSRF-protected); shows a page saying the session has ended."""

    next_page = None
    template_name = "registration/logged_out.html"
