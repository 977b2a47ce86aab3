"""Code lists from CSV (code,name_vi,name_en[,synonyms][,extra columns]): loaded into their tables by
data migrations, and read back as a lookup that turns what officers write ("Huyện", "tieu hoc",
"District", "cấp 1") into codes.

The `synonyms` column holds other names of a code, separated by "|". It is not stored in the table:
the lookup reads it from the CSV beside the code list's migrations. A synonym given for two codes is
ambiguous: a value matching it is refused with both candidates, never silently given one of them.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SYNONYMS = "synonyms"


def load_csv(model, path: Path) -> int:
    """Upsert the rows of a UTF-8 CSV into a code-list model; returns the number of rows. Columns the
    model does not have (the synonyms) are not stored."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    stored = {f.name for f in model._meta.concrete_fields}
    for order, row in enumerate(rows):
        code = row.pop("code")
        defaults = {k: v for k, v in row.items() if k in stored}
        model.objects.update_or_create(code=code, defaults={**defaults, "sort_order": order})
    return len(rows)


def loader(app_label: str, model_name: str, filename: str):
    """A RunPython function loading `filename` (beside the migrations) into app_label.model_name."""

    def run(apps, schema_editor):
        from django.apps import apps as live_apps

        folder = Path(live_apps.get_app_config(app_label).path) / "codelists"
        load_csv(apps.get_model(app_label, model_name), folder / filename)

    return run


# -- the lookup -------------------------------------------------------------------------------------

def fold(text: str) -> str:
    """What two spellings of a name have in common: no diacritics (đ -> d), lower case, letters and
    digits only. 'Thị xã' -> 'thixa', 'THCS' -> 'thcs', 'cấp 1' -> 'cap1'."""
    decomposed = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).lower()


def csv_path(model) -> Path:
    """The CSV a code-list model is loaded from: <app>/codelists/<model_name_in_snake_case>.csv."""
    from django.apps import apps

    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()
    return Path(apps.get_app_config(model._meta.app_label).path) / "codelists" / f"{snake}.csv"


@lru_cache(maxsize=64)
def _synonyms_in(path: Path) -> dict[str, tuple[str, ...]]:
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        return {row["code"]: tuple(s.strip() for s in (row.get(SYNONYMS) or "").split("|") if s.strip())
                for row in csv.DictReader(f)}


def synonyms_of(model) -> dict[str, tuple[str, ...]]:
    """{code: synonyms} from the code list's CSV (empty for a list without synonyms)."""
    return _synonyms_in(csv_path(model))


@dataclass(frozen=True)
class CodeEntry:
    code: str
    name_vi: str
    name_en: str

    @property
    def label(self) -> str:
        return f"{self.code} ({self.name_vi})"


@dataclass(frozen=True)
class Resolution:
    """What a value resolved to: one entry, or none with the candidates (several: ambiguous)."""

    value: str
    entry: CodeEntry | None
    candidates: tuple[CodeEntry, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.entry is None and len(self.candidates) > 1


class CodeLookup:
    """Resolves values to the codes of one code list. Tried in order, the first tier that knows the
    folded value decides: the codes; the Vietnamese and English names (and each part of a name written
    "Huyện / thị xã / thành phố", and a land name without its leading "Đất"); the synonyms. A tier
    naming two codes for a value makes it ambiguous."""

    def __init__(self, entries: list[CodeEntry], synonyms: dict[str, tuple[str, ...]] | None = None):
        self.entries = entries
        synonyms = synonyms or {}
        codes: dict[str, set[str]] = {}
        names: dict[str, set[str]] = {}
        others: dict[str, set[str]] = {}
        for entry in entries:
            codes.setdefault(fold(entry.code), set()).add(entry.code)
            for name in (entry.name_vi, entry.name_en):
                for part in {name, *name.split("/"), re.sub(r"^\s*đất\s+", "", name, flags=re.IGNORECASE)}:
                    if fold(part):
                        names.setdefault(fold(part), set()).add(entry.code)
            for synonym in synonyms.get(entry.code, ()):
                if fold(synonym):
                    others.setdefault(fold(synonym), set()).add(entry.code)
        self._tiers = (codes, names, others)
        self._by_code = {e.code: e for e in entries}

    @classmethod
    def for_model(cls, model) -> CodeLookup:
        """The lookup of a code-list model: its rows (officers may add codes) and its CSV's synonyms."""
        entries = [CodeEntry(code, name_vi, name_en)
                   for code, name_vi, name_en in model.objects.values_list("code", "name_vi", "name_en")]
        return cls(entries, synonyms_of(model))

    def resolve(self, value) -> Resolution:
        text = str(value).strip()
        if text in self._by_code:
            return Resolution(text, self._by_code[text])
        key = fold(text)
        for tier in self._tiers:
            found = tier.get(key)
            if found:
                candidates = tuple(e for e in self.entries if e.code in found)  # in the list's order
                return Resolution(text, candidates[0] if len(candidates) == 1 else None, candidates)
        return Resolution(text, None)
