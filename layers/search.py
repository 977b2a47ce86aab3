"""Name matching shared by the domains' search selectors: with or without diacritics, any case,
typo tolerant. Names are scored word by word against the query (exact, prefix, one or two edits,
a swap of neighbours counting as one): place, road and POI tables are small, so this runs in Python
over the folded names, and a misspelt "dong xaoi" still finds "Đồng Xoài"."""
from __future__ import annotations

import re

from django.db.models import QuerySet

from search.text import fold

MATCH = 0.7  # mean word score for a match
SUGGEST = 0.4  # ... and for a "did you mean" suggestion


def edit_distance(a: str, b: str, cap: int = 3) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap neighbours), capped."""
    if abs(len(a) - len(b)) >= cap:
        return cap
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return min(previous[-1], cap)


def _word_score(word: str, candidates: list[str]) -> float:
    best = 0.0
    for candidate in candidates:
        if word == candidate:
            return 1.0
        if len(word) >= 2 and candidate.startswith(word):
            best = max(best, 0.9)
        elif len(word) >= 4:
            distance = edit_distance(word, candidate)
            best = max(best, 0.7 if distance == 1 else 0.5 if distance == 2 and len(word) >= 7 else 0.0)
    return best


def score(query: str, name: str) -> float:
    """How well a folded name answers a folded query: >1 when it contains the whole query."""
    if query in name:
        return 2.0 + len(query) / max(len(name), 1)
    words = name.split()
    terms = query.split()
    return sum(_word_score(t, words) for t in terms) / len(terms) if terms else 0.0


# How people abbreviate road and unit names: "QL13", "ĐT 741", "TP Đồng Xoài", "TX Bình Long".
ABBREVIATIONS = [(re.compile(r"\bql\s*(?=\d)"), "quoc lo "), (re.compile(r"\bdt\s*(?=\d)"), "duong tinh "),
                 (re.compile(r"\btp\.?\s+"), "thanh pho "), (re.compile(r"\btx\.?\s+"), "thi xa "),
                 (re.compile(r"\btt\.?\s+"), "thi tran ")]


def expand(text: str) -> str:
    for pattern, replacement in ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def name_matches(queryset: QuerySet, field: str, query: str, *, limit: int, loose: bool = False) -> list:
    """Rows of `queryset` whose `field` answers `query`, best first (ties by name)."""
    text = expand(fold(query))
    threshold = SUGGEST if loose else MATCH
    scored = [(score(text, fold(getattr(row, field))), row) for row in queryset]
    ranked = sorted(((s, r) for s, r in scored if s >= threshold), key=lambda pair: (-pair[0], getattr(pair[1], field)))
    return [row for _, row in ranked[:limit]]
