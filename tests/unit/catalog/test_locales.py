"""Locales, countries and the translation fallback chain."""

from __future__ import annotations

import pytest

from souk.channels.locales import (
    fallback_chain,
    is_country,
    normalize_locale,
    pick_translation,
)


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [("fr-CA", "fr-CA"), ("fr_ca", "fr-CA"), ("ja", "ja"), ("sr-Latn-RS", "sr-Latn-RS")],
)
def test_known_locales_are_canonical(tag: str, canonical: str) -> None:
    assert normalize_locale(tag) == canonical


@pytest.mark.parametrize("tag", ["", "xx", "xx-YY", "fr CA", "fr;DROP", "a" * 40])
def test_unknown_locales_are_refused(tag: str) -> None:
    assert normalize_locale(tag) is None


def test_countries_are_iso_3166_alpha_2() -> None:
    assert all(is_country(c) for c in ("FR", "DE", "US", "JP", "BH"))
    assert not any(is_country(c) for c in ("EU", "ZZ", "001", "fr", "USA"))


def test_fallback_chain_goes_to_the_language_then_the_default() -> None:
    assert fallback_chain("fr-CA", "en") == ["fr-CA", "fr", "en"]
    assert fallback_chain("fr", "fr") == ["fr"]
    assert fallback_chain("pt-BR", "en-US") == ["pt-BR", "pt", "en-US", "en"]


def test_pick_translation_uses_the_chain_then_anything() -> None:
    texts = {"en": "Shirt", "fr": "Chemise", "ja": "シャツ"}
    assert pick_translation(texts, fallback_chain("fr-CA", "en")) == "Chemise"
    assert pick_translation(texts, fallback_chain("de", "ja")) == "シャツ"
    assert pick_translation({"ja": "シャツ"}, fallback_chain("de", "en")) == "シャツ"
    assert pick_translation({}, ["en"]) is None
