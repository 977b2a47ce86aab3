"""Numbers written the Vietnamese way in messages to users (1.000.000), whatever the locale."""


def whole_number_vi(number) -> str:
    """A whole number with dots between thousands: 10485760 -> "10.485.760"."""
    return f"{int(number):,}".replace(",", ".")
