"""Customer accounts over HTTP: the storefront's `/me` and the operator's lookups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response

from souk.api.auth import StorefrontDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.pagination import Cursor, Limit, Page
from souk.api.problems import PROBLEM_RESPONSES
from souk.customers import addresses, registration, service
from souk.customers.deps import CustomerDep, SignerDep, StrictAdminDep
from souk.customers.mail import AccountMail
from souk.customers.schemas import (
    ID_PATTERN,
    PLAIN,
    AddressCreate,
    AddressRead,
    AddressUpdate,
    CustomerAdminUpdate,
    CustomerCreate,
    CustomerLogin,
    CustomerRead,
    CustomerRegister,
    CustomerSession,
    CustomerUpdate,
    EmailVerification,
    IdPath,
    RegistrationPending,
)

router = APIRouter(prefix="/v1/customers", tags=["customers"], responses=PROBLEM_RESPONSES)


@router.post("/register", status_code=202, response_model=RegistrationPending)
def register(
    data: CustomerRegister,
    uow: UowDep,
    store: StorefrontDep,
    request: Request,
    background: BackgroundTasks,
) -> RegistrationPending:
    """The same 202 whether or not the email has an account: the mail says which (a link
    to confirm, or a notice), to the mailbox's owner only. Sign in after the link is
    opened (`POST /v1/customers/verify`)."""
    assert store.channel is not None
    mail: AccountMail = request.app.state.account_mail
    registered = registration.register(
        uow=uow, mail=mail, data=data, channel=store.channel,
        ttl_s=request.app.state.settings.registration_link_ttl_s,
    )  # fmt: skip
    background.add_task(mail.send, registered.mail)
    return registered.answer


@router.post("/verify", status_code=201, response_model=CustomerSession)
def verify(
    data: EmailVerification, uow: UowDep, signer: SignerDep, _: StorefrontDep
) -> CustomerSession:
    """The emailed link's token → the new account, signed in (its cart adopted)."""
    return registration.verify(uow=uow, signer=signer, data=data)


@router.post("/login", response_model=CustomerSession)
def login(
    data: CustomerLogin, uow: UowDep, signer: SignerDep, store: StorefrontDep, request: Request
) -> CustomerSession:
    assert store.channel is not None
    return service.sign_in(
        uow=uow, signer=signer, data=data, channel=store.channel,
        guard=request.app.state.signin_guard,
        client_ip=request.client.host if request.client else "-",
    )  # fmt: skip


@router.get("/me", response_model=CustomerRead)
def me(uow: ReadUowDep, customer: CustomerDep, _: StorefrontDep) -> CustomerRead:
    return service.get_customer(uow=uow, customer_id=customer)


@router.patch("/me", response_model=CustomerRead)
def update_me(
    data: CustomerUpdate, uow: UowDep, customer: CustomerDep, _: StorefrontDep
) -> CustomerRead:
    return service.update_customer(uow=uow, customer_id=customer, data=data)


@router.get("/me/addresses", response_model=list[AddressRead])
def my_addresses(uow: ReadUowDep, customer: CustomerDep, _: StorefrontDep) -> list[AddressRead]:
    return service.get_customer(uow=uow, customer_id=customer).addresses


@router.post("/me/addresses", status_code=201, response_model=AddressRead)
def add_address(
    data: AddressCreate, uow: UowDep, customer: CustomerDep, _: StorefrontDep
) -> AddressRead:
    return addresses.add_address(uow=uow, customer_id=customer, data=data)


@router.patch("/me/addresses/{address_id}", response_model=AddressRead)
def update_address(
    address_id: IdPath, data: AddressUpdate, uow: UowDep, customer: CustomerDep, _: StorefrontDep
) -> AddressRead:
    return addresses.update_address(uow=uow, customer_id=customer, address_id=address_id, data=data)


@router.delete("/me/addresses/{address_id}", status_code=204)
def delete_address(
    address_id: IdPath, uow: UowDep, customer: CustomerDep, _: StorefrontDep
) -> Response:
    addresses.delete_address(uow=uow, customer_id=customer, address_id=address_id)
    return Response(status_code=204)


@router.get("", response_model=Page[CustomerRead])
def list_customers(
    uow: ReadUowDep,
    _: StrictAdminDep,
    email: Annotated[str | None, Query(max_length=254, pattern=PLAIN)] = None,
    loyalty_card: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CustomerRead]:
    rows, next_cursor = service.list_customers(
        uow=uow, email=email, loyalty_card=loyalty_card, limit=limit, cursor=cursor
    )
    return Page[CustomerRead](data=rows, next_cursor=next_cursor)


@router.post("", status_code=201, response_model=CustomerRead)
def create_customer(data: CustomerCreate, uow: UowDep, _: StrictAdminDep) -> CustomerRead:
    return service.create_customer(uow=uow, data=data)


@router.get("/{customer_id}", response_model=CustomerRead)
def get_customer(customer_id: IdPath, uow: ReadUowDep, _: StrictAdminDep) -> CustomerRead:
    return service.get_customer(uow=uow, customer_id=customer_id)


@router.patch("/{customer_id}", response_model=CustomerRead)
def update_customer(
    customer_id: IdPath, data: CustomerAdminUpdate, uow: UowDep, _: StrictAdminDep
) -> CustomerRead:
    return service.update_customer(uow=uow, customer_id=customer_id, data=data)
