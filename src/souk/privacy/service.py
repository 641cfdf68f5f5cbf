"""Erasure beyond the customer data platform: from what the CDP knew of the person (seeds),
find them in every domain, pseudonymise their records and scrub every copy of their values
(registered with `souk.cdp.privacy` by `souk.wiring`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from souk.cdp.privacy import Seeds
from souk.privacy.erasers import erase_commerce
from souk.privacy.scrub import scrub_everywhere
from souk.privacy.subject import gather


def erase_person(session: Session, seeds: Seeds) -> dict[str, int]:
    subject = gather(
        session,
        emails=seeds.emails,
        phones=seeds.phones,
        names=seeds.names,
        customer_ids=seeds.customer_ids,
        loyalty_cards=seeds.loyalty_cards,
    )
    if not (subject.customer_ids or subject.order_ids or subject.cart_ids or seeds.found):
        return {}
    counts = erase_commerce(session, subject)
    counts["scrubbed_rows"] = scrub_everywhere(session, subject)
    return counts
