"""Point-of-sale rules: transaction fingerprints, payments, discrepancies."""

from __future__ import annotations

from souk.pos.models import discrepancy_kind, fingerprint, payment_errors


def test_fingerprint_ignores_key_order_but_not_content() -> None:
    a = {"client_txn_id": "t1", "lines": [{"sku": "A", "quantity": 1}]}
    b = {"lines": [{"quantity": 1, "sku": "A"}], "client_txn_id": "t1"}
    c = {"client_txn_id": "t1", "lines": [{"sku": "A", "quantity": 2}]}
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(c)


def test_payments_must_add_up_to_the_total() -> None:
    assert payment_errors(total=2500, amounts=[2000, 500], currency="EUR") == []
    assert payment_errors(total=2500, amounts=[2000], currency="EUR") == [
        {
            "field": "payments",
            "message": "payments add up to 2000 EUR but the sale's total is 2500 EUR",
        }
    ]


def test_a_sale_beyond_the_books_raises_the_right_discrepancy() -> None:
    assert discrepancy_kind(available_before=3, quantity=2, on_hand_after=4) is None
    assert discrepancy_kind(available_before=0, quantity=1, on_hand_after=-1) == "negative_on_hand"
    # On hand stays positive but the units were promised to an online order.
    assert discrepancy_kind(available_before=0, quantity=1, on_hand_after=1) == "promised_elsewhere"
