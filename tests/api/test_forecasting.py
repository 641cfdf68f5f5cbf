"""Forecasts and replenishment through HTTP on both back ends: three weeks of till sales in
Paris (steady) and Lyon (now and then), the forecast job, the stored forecasts, transfer
proposals from Lyon to Paris that an operator accepts (once, whatever the race), and bad
input answered clearly.

Building the history through the tills costs seconds per test, so each test walks a whole
story rather than one assertion."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.errors import NotFound
from souk.forecasting.models import Frequency
from souk.forecasting.runs import run_forecasts
from souk.settings import Settings
from tests.fulfilment_factories import PRICES, FrenchShop, french_shop

# Three weeks of a store selling about three a day, and of one selling now and then
PARIS_DAILY = [2, 3, 4, 3, 2, 4, 3, 3, 3, 4, 2, 2, 4, 3, 2, 4, 4, 3, 2, 3, 3]
LYON_DAILY = [1 if day % 8 == 0 else 0 for day in range(len(PARIS_DAILY))]
DAYS = len(PARIS_DAILY)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"forecast_frequency": "day", "forecast_horizon": 14})


def _sales(fr: FrenchShop, store: str, per_day: list[int], sku: str = "TEE-M") -> None:
    till = TestClient(fr.admin.app)
    till.headers["Authorization"] = f"Bearer {fr.pos_keys[store]}"
    paris_time = timezone(timedelta(hours=1))
    transactions: list[dict[str, Any]] = []
    for days_ago, quantity in zip(range(len(per_day), 0, -1), per_day, strict=True):
        if quantity == 0:
            continue
        at = (utcnow() - timedelta(days=days_ago)).astimezone(paris_time).isoformat()
        transactions.append({
            "client_txn_id": f"{store}-{sku}-{days_ago}",
            "occurred_at": at,
            "lines": [{"sku": sku, "quantity": quantity}],
            "payments": [{"method": "card", "amount": PRICES[sku] * quantity}],
        })  # fmt: skip
    synced = till.post("/v1/pos/sync", json={"transactions": transactions})
    assert synced.status_code == 200, synced.text


@pytest.fixture
def forecast(admin: TestClient, db: Database) -> FrenchShop:
    fr = french_shop(admin, db)
    fr.shop.receive("TEE-M", "store-lyon", 30)
    _sales(fr, "store-paris", PARIS_DAILY)
    _sales(fr, "store-lyon", LYON_DAILY)
    run = run_forecasts(db=db, frequency=Frequency.DAY)
    assert (run.series, run.proposals) == (2, 1)
    return fr


def _allocated(fr: FrenchShop, sku: str, location: str) -> int:
    stock = fr.admin.get(f"/v1/inventory/{sku}").json()
    return next(int(r["allocated"]) for r in stock["locations"] if r["location"] == location)


def _forecast(fr: FrenchShop, **params: Any) -> Any:
    return fr.admin.get("/v1/forecasts", params={"frequency": "day", **params})


def _suggestions(fr: FrenchShop, location: str) -> list[dict[str, Any]]:
    got = fr.admin.get("/v1/replenishment/suggestions", params={"location": location})
    assert got.status_code == 200, got.text
    assert got.json()["location"] == location
    data: list[dict[str, Any]] = got.json()["data"]
    return data


BAD_FORECASTS = [
    ({"sku": "NOPE", "location": "store-paris"}, 404, "No SKU 'NOPE'"),
    ({"sku": "TEE-M", "location": "store-nowhere"}, 404, "No location 'store-nowhere'"),
    ({"sku": "CAP", "location": "store-lyon"}, 404, "not sold there yet"),
    ({"sku": "TEE-M", "location": "store-paris", "horizon": 15}, 422, "covers 14 periods"),
    ({"sku": "TEE-M", "location": "store-paris", "horizon": 0}, 422, ""),
    ({"sku": "TEE-M", "location": "store-paris", "frequency": "month"}, 422, ""),
    ({"location": "store-paris"}, 422, ""),
]


def test_till_sales_are_forecast_per_store_by_the_model_their_demand_calls_for(
    forecast: FrenchShop,
) -> None:
    # Paris sells every day: ETS or ARIMA, from today on, each point inside its interval
    body = _forecast(forecast, sku="TEE-M", location="store-paris", horizon=7).json()
    assert (body["sku"], body["location"], body["frequency"]) == ("TEE-M", "store-paris", "day")
    assert body["model"] in {"AutoETS", "AutoARIMA"} and body["demand_class"] == "smooth"
    assert (body["history"], body["level"]) == (DAYS, 80)
    assert body["accuracy"]["windows"] == 3 and body["accuracy"]["mase"] > 0
    assert [p["date"] for p in body["points"]] == [
        (utcnow().date() + timedelta(days=i)).isoformat() for i in range(7)
    ]
    for p in body["points"]:
        assert 0 <= p["lo"] <= p["mean"] <= p["hi"] and 1.5 <= p["mean"] <= 4.5
    assert len(_forecast(forecast, sku="TEE-M", location="store-paris").json()["points"]) == 14
    # Lyon sells one now and then: a model for intermittent demand
    lyon = _forecast(forecast, sku="TEE-M", location="store-lyon").json()
    assert lyon["demand_class"] in {"intermittent", "lumpy"}
    assert lyon["model"] in {"CrostonOptimized", "TSB", "ADIDA"}
    assert 0 < lyon["points"][0]["mean"] < 0.5
    # Bad requests are answered with a problem that says what is wrong
    for params, status, says in BAD_FORECASTS:
        got = _forecast(forecast, **params)
        assert got.status_code == status, (params, got.text)
        assert got.headers["content-type"].startswith("application/problem+json")
        assert says in got.json()["detail"], params
    anonymous = TestClient(forecast.admin.app)
    assert (
        anonymous.get("/v1/forecasts", params={"sku": "TEE-M", "location": "x"}).status_code == 401
    )


def test_lyons_spare_units_are_proposed_to_paris_and_accepted_once_whatever_the_race(
    forecast: FrenchShop,
) -> None:
    # Given the suggestions for Paris, which sold far more than it holds
    data = _suggestions(forecast, "store-paris")
    by_type = {s["type"]: s for s in data}
    assert len(data) == 2
    transfer, reorder = by_type["transfer"], by_type["reorder"]
    assert (transfer["sku"], transfer["from"], transfer["to"], transfer["status"]) == (
        "TEE-M", "store-lyon", "store-paris", "proposed",
    )  # fmt: skip
    assert 0 < transfer["quantity"] < 27 and "store-lyon holds 27" in transfer["why"]
    # And a reorder for what the transfer does not cover
    assert (reorder["sku"], reorder["from"], reorder["to"]) == ("TEE-M", None, "store-paris")
    assert reorder["quantity"] == reorder["order_up_to"] - transfer["quantity"]
    assert reorder["reorder_point"] > 0 and "lead time" in reorder["why"]
    # Lyon sees the same proposal, going out
    assert [s["id"] for s in _suggestions(forecast, "store-lyon")] == [transfer["id"]]
    # When two operators accept it at once
    barrier = threading.Barrier(2)

    def accept(_: int) -> Any:
        barrier.wait()
        return forecast.admin.post(f"/v1/replenishment/proposals/{transfer['id']}/accept")

    with ThreadPoolExecutor(2) as pool:
        answers = sorted(pool.map(accept, range(2)), key=lambda r: r.status_code)
    # Then one transfer is requested: the units are committed at Lyon once
    assert [a.status_code for a in answers] == [200, 409]
    won = answers[0].json()
    assert (won["status"], won["quantity"]) == ("accepted", transfer["quantity"])
    assert "accepted" in answers[1].json()["detail"]
    assert _allocated(forecast, "TEE-M", "store-lyon") == transfer["quantity"]
    shipped = forecast.admin.post(f"/v1/inventory/transfers/{won['transfer']}/ship")
    assert shipped.status_code == 200, shipped.text
    # And the accepted proposal stays listed, with its transfer
    (listed,) = [s for s in _suggestions(forecast, "store-paris") if s["type"] == "transfer"]
    assert (listed["status"], listed["transfer"]) == ("accepted", won["transfer"])


def test_proposals_can_be_dismissed_and_a_rerun_makes_the_old_ones_stale(
    forecast: FrenchShop, db: Database
) -> None:
    (first,) = _suggestions(forecast, "store-lyon")
    dismissed = forecast.admin.post(f"/v1/replenishment/proposals/{first['id']}/dismiss")
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert _suggestions(forecast, "store-lyon") == []
    assert _allocated(forecast, "TEE-M", "store-lyon") == 0
    # A new run proposes afresh; what the last one proposed can no longer be accepted
    run_forecasts(db=db, frequency=Frequency.DAY)
    (second,) = _suggestions(forecast, "store-lyon")
    assert second["id"] != first["id"]
    run_forecasts(db=db, frequency=Frequency.DAY)
    stale = forecast.admin.post(f"/v1/replenishment/proposals/{second['id']}/accept")
    assert stale.status_code == 409 and "stale" in stale.json()["detail"]
    # Unknown places and proposals are told apart from malformed ones
    unknown = forecast.admin.get("/v1/replenishment/suggestions", params={"location": "nowhere"})
    assert unknown.status_code == 404 and "nowhere" in unknown.json()["detail"]
    assert forecast.admin.post("/v1/replenishment/proposals/tp_nope/accept").status_code == 404
    assert forecast.admin.post("/v1/replenishment/proposals/ord_1/accept").status_code == 422


# Four weeks of a tee selling about three a day in Paris and nine on the days of its
# promotions (five of two days each, one by its category), a cap no promotion is about,
# and a promotion of the tee planned in three days.
PROMOTED_DAYS_AGO = (26, 20, 15, 9, 3)
TEE_DAILY = [3, 2, 4, 3, 3, 2, 4] * 4
CAP_DAILY = [2, 3, 2, 2, 3, 2, 3] * 4
PLANNED_IN = 3


def _day(offset: int) -> str:
    day = utcnow().date() + timedelta(days=offset)
    return f"{day.isoformat()}T00:00:00Z"


def _promote(fr: FrenchShop, starts_in: int, **conditions: list[str]) -> str:
    created = fr.admin.post("/v1/promotions", json={
        "name": f"tee days {starts_in}", "conditions": conditions,
        "starts_at": _day(starts_in), "ends_at": _day(starts_in + 2),
        "actions": [{"type": "percent_off", "target": "lines", "value": "20"}],
    })  # fmt: skip
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


@pytest.fixture
def promoted(admin: TestClient, db: Database) -> tuple[FrenchShop, list[str]]:
    fr = french_shop(admin, db)
    tee = list(TEE_DAILY)
    for ago in PROMOTED_DAYS_AGO:
        tee[len(tee) - ago] = tee[len(tee) - ago + 1] = 9
    _sales(fr, "store-paris", tee)
    _sales(fr, "store-paris", CAP_DAILY, sku="CAP")
    ids = [
        _promote(fr, -ago, **({"categories": ["tops"]} if i == 0 else {"skus": ["TEE-M"]}))
        for i, ago in enumerate(PROMOTED_DAYS_AGO)
    ]
    return fr, [*ids, _promote(fr, PLANNED_IN, skus=["TEE-M"])]


def test_promotions_past_and_planned_are_effects_of_the_forecast_and_it_says_which(
    promoted: tuple[FrenchShop, list[str]], db: Database
) -> None:
    fr, promotions = promoted
    run = run_forecasts(db=db, frequency=Frequency.DAY)
    assert (run.series, run.with_effects) == (2, 1)
    # The tee's forecast used the promotions, past and planned, and says so
    tee = _forecast(fr, sku="TEE-M", location="store-paris").json()
    (effect,) = tee["effects"]
    assert (effect["name"], effect["promotions"]) == ("promotion", sorted(promotions))
    assert (effect["history_periods"], effect["horizon_periods"]) == (10, 2)
    # Nine a day instead of about three: (1 + 9) / (1 + 3) on log(1 + units), +150 %
    assert 110 < effect["uplift_pct"] < 190, effect
    assert "promotion" in tee["why"] and "used (backtest MASE" in tee["why"]
    # The two planned days are forecast far above the others
    means = [p["mean"] for p in tee["points"]]
    planned = means[PLANNED_IN : PLANNED_IN + 2]
    others = means[:PLANNED_IN] + means[PLANNED_IN + 2 :]
    assert min(planned) > 2 * max(others), means
    assert all(0 <= p["lo"] <= p["mean"] <= p["hi"] for p in tee["points"])
    # The cap, which no promotion is about, has no promotion effect
    cap = _forecast(fr, sku="CAP", location="store-paris").json()
    assert "promotion" not in {e["name"] for e in cap["effects"]}
    assert "holidays:FR" in cap["why"]

    # An unknown promotion is refused before anything is fitted, and nothing changes
    with pytest.raises(NotFound, match="No active promotion 'prm_nope'"):
        run_forecasts(db=db, frequency=Frequency.DAY, promotions=[promotions[0], "prm_nope"])
    assert _forecast(fr, sku="TEE-M", location="store-paris").json() == tee

    # Only the planned promotion: it has no history to be measured on, so it is left out
    run_forecasts(db=db, frequency=Frequency.DAY, promotions=[promotions[-1]])
    alone = _forecast(fr, sku="TEE-M", location="store-paris").json()
    assert alone["effects"] == [] and "promotion: never in the history" in alone["why"]

    # Without effects: the same forecast as before they existed, for the cap unchanged
    run_forecasts(db=db, frequency=Frequency.DAY, effects=False)
    plain = _forecast(fr, sku="TEE-M", location="store-paris").json()
    assert (plain["effects"], plain["why"]) == ([], "no effects asked for")
    plain_means = [p["mean"] for p in plain["points"]]
    assert max(plain_means) - min(plain_means) < min(planned) - max(others)
    if not cap["effects"]:
        unchanged = _forecast(fr, sku="CAP", location="store-paris").json()
        assert unchanged["points"] == cap["points"] and unchanged["model"] == cap["model"]
