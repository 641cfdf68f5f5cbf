"""Locales and countries as Souk spells them: BCP 47 tags (`fr-CA`) checked with Babel/CLDR,
ISO 3166-1 alpha-2 country codes, and the translation fallback chain."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from babel import Locale, UnknownLocaleError

# CLDR names some territories that are not ISO 3166-1 countries (continents, the EU, the
# Eurozone, unknown region, exceptionally reserved codes); a channel sells in a country.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    names = Locale("en").territories
    return frozenset(
        code
        for code in names
        if isinstance(code, str)
        and len(code) == 2
        and code.isalpha()
        and code not in _NOT_COUNTRIES
    )


def is_country(code: str) -> bool:
    return code in _countries()


@lru_cache(maxsize=1024)
def normalize_locale(tag: str) -> str | None:
    """The canonical BCP 47 form of a locale CLDR knows (`fr_ca` → `fr-CA`), else None."""
    if not tag or len(tag) > 35 or not all(c.isalnum() or c in "-_" for c in tag):
        return None
    try:
        parsed = Locale.parse(tag.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return "-".join(
        part for part in (parsed.language, parsed.script, parsed.territory) if part is not None
    )


def language_of(tag: str) -> str:
    return tag.split("-", 1)[0]


def fallback_chain(locale: str, default: str) -> list[str]:
    """Where a translation is looked for, most specific first: `fr-CA` → `fr` → the default
    (and its language), each tried once."""
    chain: list[str] = []
    for tag in (locale, language_of(locale), default, language_of(default)):
        if tag not in chain:
            chain.append(tag)
    return chain


def pick_translation(texts: dict[str, str], chain: Iterable[str]) -> str | None:
    """The text for the first locale of `chain` that has one; else any (the first by locale
    tag), so that a product always has a title to show."""
    for tag in chain:
        if tag in texts:
            return texts[tag]
    if texts:
        return texts[min(texts)]
    return None
