"""Numbers and dates written the Vietnamese way for users (1.000.000; 1.234,5; 27/11/2026), whatever
the locale or the page's language."""
import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone


def whole_number_vi(number) -> str:
    """A whole number with dots between thousands: 10485760 -> "10.485.760"."""
    return f"{int(number):,}".replace(",", ".")


def number_vi(number, *, digits: int = 1, fixed: bool = False) -> str:
    """A number the Vietnamese way, dots between thousands and a decimal comma, rounded to `digits`
    decimals half away from zero on its shortest decimal form, as the browsers' toLocaleString rounds;
    trailing zeros dropped unless `fixed`, as the map's panel writes them: 2056.94 -> "2.056,9",
    12.35 -> "12,4", 28.0 -> "28", number_vi(5, fixed=True) -> "5,0"."""
    rounded = Decimal(repr(float(number))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{rounded:,f}"
    if not fixed and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("-") and not text.strip("-0.,"):  # -0.04 rounded to one decimal
        text = text[1:]
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def date_vi(value) -> str:
    """A date (or datetime, or ISO "yyyy-mm-dd" text) as dd/mm/yyyy: 2026-11-27 -> "27/11/2026"."""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def datetime_vi(value) -> str:
    """An aware datetime in the site's time zone as dd/mm/yyyy HH:MM: "27/11/2026 14:05"."""
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
