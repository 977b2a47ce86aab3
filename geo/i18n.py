"""The page language: Vietnamese first, English on the toggle (?lang=en, remembered in a cookie)."""

LANGUAGES = ("vi", "en")


def language_of(request) -> str:
    """?lang= wins, then the lang cookie, then Vietnamese."""
    for candidate in (request.GET.get("lang"), request.COOKIES.get("lang")):
        if candidate in LANGUAGES:
            return candidate
    return "vi"


def remember_language(request, response):
    """Keep an explicit ?lang= choice in a cookie for the next pages."""
    if request.GET.get("lang") in LANGUAGES:
        response.set_cookie("lang", request.GET["lang"], max_age=365 * 24 * 3600, samesite="Lax")
    return response
