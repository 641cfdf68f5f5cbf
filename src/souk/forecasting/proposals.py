"""An operator's answer to a redistribution proposal: accepting requests the transfer
(inventory commits the units at the source), dismissing sets it aside.

The status moves by one conditional UPDATE, so two operators accepting at once create one
transfer: the other gets 409. A transfer refused for lack of stock at the source rolls
the acceptance back with it.
"""

from __future__ import annotations

from sqlalchemy import select, update

from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import InvalidState, NotFound
from souk.forecasting.schemas import SuggestionRead
from souk.forecasting.tables import TransferProposalRow
from souk.inventory.transfers import request_transfer_in


def _decide(uow: UnitOfWork, proposal_id: str, status: str) -> TransferProposalRow:
    session = uow.session
    moved = session.execute(
        update(TransferProposalRow)
        .where(TransferProposalRow.id == proposal_id, TransferProposalRow.status == "proposed")
        .values(status=status, decided_at=utcnow())
    )
    changed = getattr(moved, "rowcount", 0)
    row = session.scalar(select(TransferProposalRow).where(TransferProposalRow.id == proposal_id))
    if row is None:
        raise NotFound(f"No transfer proposal {proposal_id!r}")
    if not changed:
        raise InvalidState(f"The proposal is {row.status}: only a proposed one can be decided")
    return row


def accept(*, uow: UnitOfWork, proposal_id: str) -> SuggestionRead:
    with uow:
        row = _decide(uow, proposal_id, "accepted")
        transfer = request_transfer_in(
            session=uow.session, sku=row.sku, from_location=row.from_location,
            to_location=row.to_location, quantity=row.quantity, reference=row.id,
        )  # fmt: skip
        row.transfer_id = transfer.id
        answer = _read(row)
        uow.commit()
        return answer


def dismiss(*, uow: UnitOfWork, proposal_id: str) -> SuggestionRead:
    with uow:
        answer = _read(_decide(uow, proposal_id, "dismissed"))
        uow.commit()
        return answer


def _read(row: TransferProposalRow) -> SuggestionRead:
    return SuggestionRead(
        type="transfer", id=row.id, sku=row.sku, from_=row.from_location, to=row.to_location,
        quantity=row.quantity, why=row.why, status=row.status, transfer=row.transfer_id,
    )  # fmt: skip
