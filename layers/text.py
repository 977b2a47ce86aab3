"""Folding Vietnamese text for matching: no diacritics, đ → d, lower case, single spaces."""
import unicodedata

from django.contrib.postgres.lookups import Unaccent
from django.db.models import F
from django.db.models.functions import Lower


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def folded(field: str):
    """The SQL twin of fold() for a column: unaccent(lower(column))."""
    return Unaccent(Lower(F(field)))
