"""Pure rules about customer data."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from souk.customers.models import is_country, is_email, is_locale, normalize_email
from souk.customers.passwords import hash_password, verify_password
from souk.customers.schemas import CustomerRegister, PostalAddress


@pytest.mark.parametrize("email", ["a@b.co", "Ana.Lopez+shop@example.com", "x@sub.domain.jp"])
def test_plausible_emails(email: str) -> None:
    assert is_email(email)


@pytest.mark.parametrize("email", ["", "a", "a@b", "a b@c.com", "a@@b.com", "@b.com"])
def test_impossible_emails(email: str) -> None:
    assert not is_email(email)


def test_emails_are_one_customer_however_typed() -> None:
    assert normalize_email("  Ana@Example.COM ") == "ana@example.com"
    body = CustomerRegister(email="Ana@Example.COM", password="long enough")
    assert body.email == "ana@example.com"


def test_locales_and_countries() -> None:
    assert is_locale("ja") and is_locale("en-GB") and is_locale("pt_BR")
    assert not is_locale("xx-nope") and not is_locale("")
    assert is_country("JP") and is_country("FR")
    assert not is_country("ZZ") and not is_country("jp") and not is_country("001")


def test_a_bad_address_lists_every_field() -> None:
    with pytest.raises(ValidationError) as caught:
        PostalAddress.model_validate({"line1": "", "city": "", "country": "Narnia"})
    assert {e["loc"][0] for e in caught.value.errors()} == {"line1", "city", "country"}


def test_passwords_are_argon2_hashed_and_verified() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong horse")
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")
