"""A/B tests through HTTP on both back ends: a storefront's assignment is deterministic and
exposes once; a journey's experiment varies its message, exposes on send and converts on
the next order; results carry SciPy's intervals and the stopping rule's decision. And bad
journeys are refused with the field that is wrong, saving nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from scipy.stats import binomtest

from souk.db.engine import Database
from souk.engagement.models import Variant, assign
from souk.settings import Settings
from tests.engagement_factories import (
    TEMPLATE,
    Inbox,
    consent,
    journey,
    messages,
    order_profile,
    sender,
    text_of,
)
from tests.fulfilment_factories import FrenchShop
from tests.integration.cdp.factories import send, write_key


def _profiles(admin: TestClient, n: int) -> list[str]:
    key = write_key(admin)
    batch = [{"type": "identify", "userId": f"u{i}", "traits": {"email": f"p{i}@example.com"}}
             for i in range(n)]  # fmt: skip
    assert send(admin, "/v1/batch", {"batch": batch}, key=key).status_code == 200
    found = [admin.get("/v1/profiles", params={"user_id": f"u{i}"}).json()["data"][0]["id"]
             for i in range(n)]  # fmt: skip
    return [str(p) for p in found]


def test_storefront_assignment_is_deterministic_and_exposes_once(admin: TestClient) -> None:
    body = {"name": "Home layout", "variants": [{"name": "grid", "weight": 1},
                                                 {"name": "list", "weight": 3}],
            "min_exposures": 5}  # fmt: skip
    created = admin.post("/v1/experiments", json=body)
    assert created.status_code == 201, created.text
    exp = created.json()["id"]
    profiles = _profiles(admin, 12)
    variants = [Variant("grid", 1), Variant("list", 3)]
    for profile in profiles:
        answers = {
            admin.get(f"/v1/experiments/{exp}/assignment", params={"profile": profile}).json()[
                "variant"
            ]
            for _ in range(2)
        }
        assert answers == {assign(exp, profile, variants)}
    results = admin.get(f"/v1/experiments/{exp}/results").json()
    exposures = {v["name"]: v["exposures"] for v in results["variants"]}
    assert sum(exposures.values()) == 12
    assert results["decision"] in ("collecting", "no_difference")
    for v in results["variants"]:
        if v["exposures"]:
            ci = binomtest(0, v["exposures"]).proportion_ci(method="wilson")
            assert (v["ci_low"], v["ci_high"]) == pytest.approx((ci.low, ci.high))
    unknown = admin.get(f"/v1/experiments/{exp}/assignment", params={"profile": "prof_nobody"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "query.profile"
    assert admin.get("/v1/experiments/exp_nope/results").status_code == 404


def test_journey_experiment_varies_the_message_and_converts_on_the_next_order(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mail, _ = inbox
    b_template = {
        "en": {"subject": "B {{ order.number }}", "body": "Variant B {{ unsubscribe_url }}"}
    }
    variants = [{"name": "A"}, {"name": "B", "template": b_template}]
    made = journey(fr.admin, experiment={"variants": variants, "min_exposures": 1})
    exp = made["experiment"]["id"]
    assert [v["name"] for v in made["experiment"]["variants"]] == ["A", "B"]
    profile = order_profile(fr)
    send_ = sender(db, settings)
    assert send_.send_due() == 0  # no consent yet: suppressed, and no exposure
    consent(fr.admin, profile, granted=True)
    fr.web_order(("CAP", 1))
    assert send_.send_due() == 1
    sent = [m for m in messages(fr.admin, profile) if m["status"] == "sent"]
    expected = assign(exp, profile, [Variant("A", 1), Variant("B", 1)])
    assert [m["variant"] for m in sent] == [expected]
    body = text_of(mail.messages[0])
    assert body.startswith("Variant B") is (expected == "B")
    fr.web_order(("CAP", 1))  # placed after the exposure: the conversion
    results = fr.admin.get(f"/v1/experiments/{exp}/results").json()
    by_name = {v["name"]: v for v in results["variants"]}
    assert (by_name[expected]["exposures"], by_name[expected]["conversions"]) == (1, 1)
    assert results["control"] == "A"
    assert "Fisher" in results["rule"]


def _bad(admin: TestClient, **changes: Any) -> list[str]:
    body: dict[str, Any] = {"name": "Bad", "trigger": "order.placed", "channel": "email",
                            "template": TEMPLATE, **changes}  # fmt: skip
    body = {k: v for k, v in body.items() if v is not None}
    refused = admin.post("/v1/journeys", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in refused.json()["errors"]]


def test_bad_journeys_are_refused_and_nothing_is_saved(admin: TestClient) -> None:
    syntax = {"en": {"subject": "x", "body": "{% if %}"}}
    unknown_filter = {"en": {"subject": "{{ order.number | shout }}", "body": "ok"}}
    escape = {"en": {"subject": "x", "body": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}}
    assert _bad(admin, template=syntax) == ["body.template.en.body"]
    assert _bad(admin, template=unknown_filter) == ["body.template.en.subject"]
    assert _bad(admin, template=escape) == ["body.template.en.body"]
    assert "body.trigger" in _bad(admin, trigger="order.exploded")
    assert "body.channel" in _bad(admin, channel=None)
    assert "body.channel" in _bad(admin, channel="fax")
    assert _bad(admin, trigger="segment.entered") == ["body.segment"]
    assert _bad(admin, coupon_promotion="promo_nope") == ["body.coupon_promotion"]
    assert _bad(admin, experiment={"variants": [{"name": "A"}, {"name": "A"}]}) == [
        "body.experiment.variants.1.name"
    ]
    assert admin.get("/v1/journeys").json()["data"] == []
