"""Name matching shared by the domains' search selectors: with or without diacritics, any case,
typo tolerant, words in any order. Names are scored word by word against the query (exact, prefix,
one or two edits, a swap of neighbours counting as one): place, road, POI, school and clinic tables
are small, so this runs in Python over the folded names, and a misspelt "dong xaoi" still finds
"Đồng Xoài". A query may also name the place around a feature ("trạm y tế Đồng Xoài", "Tân Phú
Đồng Phú"): its first (or last) words then match the name and the rest the feature's `within` text."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from .text import fold

MATCH = 0.7  # mean word score for a match
# ... for schools and clinics, whose names are a few generic words and a place name: a misspelt
# "dong xaoi" means the city, not every facility named after it ("tram y te dong xaoi" still works)
FACILITY_MATCH = 0.9
SUGGEST = 0.4  # ... and for a "did you mean" suggestion
WITHIN = 0.95  # weight of a match split between the name and the place around it
MAX_TERMS = 8  # words of a query that count (keeps a pasted paragraph cheap)


@lru_cache(maxsize=65536)
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


def _word_score(word: str, candidates: Iterable[str], *, last: bool = True) -> float:
    """How well one query word matches the best of a name's words; a prefix counts fully only for
    the last word (the one still being typed): "phu" is no "phuong" in the middle of a query."""
    best = 0.0
    for candidate in candidates:
        if word == candidate:
            return 1.0
        if len(word) >= 2 and candidate.startswith(word):
            best = max(best, 0.9 if last else 0.6)
        elif len(word) >= 4:
            distance = edit_distance(word, candidate)
            best = max(best, 0.7 if distance == 1 else 0.5 if distance == 2 and len(word) >= 7 else 0.0)
    return best


def _word_scores(terms: list[str], words: list[str]) -> list[float]:
    return [_word_score(t, words, last=i == len(terms) - 1) for i, t in enumerate(terms)]


def score(query: str, name: str) -> float:
    """How well a folded name answers a folded query: 3 for the name itself, 2-3 when the name
    contains the query as whole words, 1.5-1.9 when it contains it ending mid-word (still being
    typed), else the mean word score (<= 1)."""
    if not query:
        return 0.0
    padded = f" {name} "
    if f" {query} " in padded:
        return 2.0 + len(query) / max(len(name), 1)
    if f" {query}" in padded:
        return 1.5 + 0.4 * len(query) / max(len(name), 1)
    terms = query.split()
    return sum(_word_scores(terms, name.split())) / len(terms)


def band(value: float) -> float:
    """The kind of match a score stands for: 3 the name itself, 2 whole words of it, 1.5 a prefix
    of it, 1 words here and there. Results of different kinds compare by band first."""
    return 3.0 if value >= 3 else 2.0 if value >= 2 else 1.5 if value >= 1.5 else 1.0


# How people abbreviate road, unit, school and clinic names: "QL13", "ĐT 741", "TP Đồng Xoài",
# "TX Bình Long", "THCS", "THPT", "trường cấp 1", "TYT", "BVĐK". Applied to names and queries alike.
ABBREVIATIONS = [(re.compile(r"\bql\s*(?=\d)"), "quoc lo "), (re.compile(r"\bdt\s*(?=\d)"), "duong tinh "),
                 (re.compile(r"\btp\s+"), "thanh pho "), (re.compile(r"\btx\s+"), "thi xa "),
                 (re.compile(r"\btt\s+"), "thi tran "), (re.compile(r"\bp\s+(?=\D)"), "phuong "),
                 (re.compile(r"\bx\s+(?=\D)"), "xa "), (re.compile(r"\bh\s+(?=\D)"), "huyen "), (re.compile(r"\bthcs\b"), "trung hoc co so"),
                 (re.compile(r"\bthpt\b"), "trung hoc pho thong"), (re.compile(r"\bcap 1\b"), "tieu hoc"),
                 (re.compile(r"\bcap 2\b"), "trung hoc co so"), (re.compile(r"\bcap 3\b"), "trung hoc pho thong"),
                 (re.compile(r"\bmn\b"), "mam non"), (re.compile(r"\btyt\b"), "tram y te"),
                 (re.compile(r"\bbvdk\b"), "benh vien da khoa"), (re.compile(r"\bbv\b"), "benh vien"),
                 (re.compile(r"\bpkdk\b"), "phong kham da khoa"), (re.compile(r"\bttyt\b"), "trung tam y te"),
                 (re.compile(r"\bgdtx\b"), "giao duc thuong xuyen")]
_NOT_WORD = re.compile(r"[^\w]+|_+")


def expand(text: str) -> str:
    """Punctuation to spaces, then abbreviations spelt out (on folded text)."""
    text = " ".join(_NOT_WORD.sub(" ", text).split())
    for pattern, replacement in ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


@lru_cache(maxsize=16384)
def searchable(text: str) -> str:
    """A name as the matcher compares it: folded, without punctuation, abbreviations spelt out."""
    return expand(fold(text))


def query_text(query: str) -> str:
    return " ".join(searchable(query[:200]).split()[:MAX_TERMS])


def _split_score(terms: list[str], name_words: list[str], within: str) -> float:
    """When the query's first words match the name and the others name the place around it as a
    phrase (or the other way round): the mean word score, a little less than the same words in the
    name would give; else 0. "trường tiểu học Đồng Phú" is a school in Huyện Đồng Phú, not one
    in "Phường Tân Phú, Thành phố Đồng Xoài" that happens to hold both words."""
    if len(terms) < 2 or not within:
        return 0.0
    on_name = _word_scores(terms, name_words)
    names = set(name_words)
    best = 0.0
    for k in range(1, len(terms)):
        for name_part, place_part in ((slice(0, k), slice(k, None)), (slice(k, None), slice(0, k))):
            head = on_name[name_part]
            if sum(head) / len(head) < MATCH or score(" ".join(terms[place_part]), within) < 2:
                continue
            # of two communes both named "Tân ...", "tan phu dong phu" means the one whose name
            # holds both "tan" and "phu": more of the name covered, a better match
            covered = sum(1 for w in names if w in terms[name_part]) / max(len(names), 1)
            best = max(best, WITHIN * (sum(head) + len(terms[place_part])) / len(terms) * (0.95 + 0.05 * covered))
    return best


def scored_matches(rows: Iterable, query: str, *, name: Callable[[object], str],
                   within: Callable[[object], str] | None = None, limit: int, loose: bool = False,
                   match: float = MATCH) -> list:
    """Rows whose `name(row)` answers `query` with at least the score `match`, best first (ties by
    name), each with its score set as `row.match_score`; `within(row)` is the place around it
    (parent unit, address)."""
    text = query_text(query)
    if not text:
        return []
    threshold = SUGGEST if loose else match
    terms = text.split()
    ranked = []
    for row in rows:
        label = name(row)
        folded_name = searchable(label)
        value = score(text, folded_name)
        if value < 1.0 and within is not None:
            value = max(value, _split_score(terms, folded_name.split(), searchable(within(row) or "")))
        if value >= threshold:
            row.match_score = round(value, 4)
            ranked.append((value, label, row))
    ranked.sort(key=lambda triple: (-triple[0], triple[1]))
    return [row for _, _, row in ranked[:limit]]


def name_matches(queryset, field: str, query: str, *, limit: int, loose: bool = False) -> list:
    """Rows of `queryset` whose `field` answers `query`, best first (ties by name)."""
    return scored_matches(queryset, query, name=lambda row: getattr(row, field), limit=limit, loose=loose)


def entry_name(entry, language: str) -> str:
    """A code-list entry's name in the page's language."""
    return entry.name_en if language == "en" else entry.name_vi
