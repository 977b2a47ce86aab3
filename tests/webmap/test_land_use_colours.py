"""Issue 9: seven land-use codes shared one colour (#ffaaa0), and others shared theirs; on the map and
in the legend they could not be told apart."""
import itertools

import pytest

from land.models import LandUseCode

pytestmark = pytest.mark.django_db


def lab(color: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB "#rrggbb"."""
    def linear(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(color[i:i + 2], 16) / 255) for i in (1, 3, 5))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_every_land_use_code_has_a_colour_of_its_own():
    colours = dict(LandUseCode.objects.values_list("code", "color"))
    assert len(colours) >= 50
    # CIE76 distance: about 2 is the smallest difference people see side by side; 10 reads as a
    # different colour at a glance on a map. The migration brought the stored colours in line.
    too_close = [(a, b, round(d, 1)) for (a, ca), (b, cb) in itertools.combinations(sorted(colours.items()), 2)
                 if (d := sum((p - q) ** 2 for p, q in zip(lab(ca), lab(cb))) ** 0.5) < 10]
    assert too_close == []


def test_the_official_hues_are_kept_for_the_main_codes():
    # Rice yellow, urban residential magenta, rivers cyan, forests green, as on the official maps.
    colours = dict(LandUseCode.objects.values_list("code", "color"))
    assert colours["LUC"] == "#ffff64" and colours["ODT"] == "#ffa0ff" and colours["SON"] == "#a0ffff"
    assert colours["RSX"] == "#b4ffb4" and colours["CLN"] == "#ffd2a0"


def test_the_legend_explains_parcel_fills_and_zoning_outlines(client):
    html = client.get("/").content.decode()
    assert "Thửa đất: tô màu theo loại đất hiện trạng" in html
    assert "Quy hoạch: viền đậm theo loại đất quy hoạch" in html
    # ODT's row: its fill, and its zoning outline in a darker shade of the same hue.
    assert 'style="background: #ffa0ff"></span><span class="swatch outline" aria-hidden="true" style="border-color: #d000cf"' in html
