"""Looking at a cart as it is now: every read re-prices and re-validates its lines against
the catalog (listing and drop window in this channel, price in the cart's currency, stock),
computes the totals exactly, and says what changed since the shopper last looked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from souk.carts.discounts import Discounts, Priced, discounts
from souk.carts.gifts import gifts_for
from souk.carts.models import BLOCKING, MESSAGES, Issue, listing_issue
from souk.carts.tables import CartRow
from souk.carts.tenders import Tenders, settle
from souk.catalog.queries import CartItem, ListingState, VariantInfo, cart_items
from souk.channels.models import Channel
from souk.inventory.availability import atp, available_at
from souk.inventory.queries import locations_by_code
from souk.loyalty.queries import MemberTier
from souk.orders.models import OrderLineInput, Totals, compute_totals, tax_for
from souk.orders.placement import PickupSupply, pickup_supply
from souk.pricing.queries import TaxRates, rate_in, tax_rates, unit_prices
from souk.promotions.engine import Adjustment
from souk.shipping.models import ShippingQuote
from souk.shipping.queries import quote


@dataclass
class LineView:
    id: str
    sku: str
    quantity: int
    product_handle: str | None = None
    title: str | None = None
    category: str | None = None
    weight_g: int = 0
    unit_price: int | None = None
    discount: int = 0
    tax: int = 0
    tax_rate: Decimal = Decimal(0)
    available: int = 0
    pickup_available: bool | None = None
    pickup_ready_at: datetime | None = None
    hold_expires_at: datetime | None = None
    issues: list[Issue] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    gift_of: str | None = None  # the promotion whose gift this line is (souk.carts.gifts)

    @property
    def purchasable(self) -> bool:
        return self.unit_price is not None and not BLOCKING.intersection(self.issues)

    @property
    def amount(self) -> int:
        return (self.unit_price or 0) * self.quantity - self.discount


@dataclass(frozen=True)
class Change:
    line_id: str
    sku: str
    reason: str
    message: str
    previous: int | None = None
    current: int | None = None


@dataclass(frozen=True)
class CartProblem:
    code: str
    message: str


@dataclass
class CartView:
    cart: CartRow
    channel: Channel
    lines: list[LineView]
    totals: Totals
    shipping: ShippingQuote | None
    shipping_tax: int
    problems: list[CartProblem]
    changes: list[Change]
    # What the cart should remember after this read: (line id → price, issue) shown.
    seen: dict[str, tuple[int | None, str | None]]
    discounts: Discounts = field(default_factory=Discounts)
    tenders: Tenders = field(default_factory=Tenders)
    # The catalog's variants of the shopper's lines as this evaluation read them: a checkout
    # reserves with them instead of reading them again.
    variants: dict[str, VariantInfo] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return not self.problems and bool(self.lines) and all(x.purchasable for x in self.lines)


@dataclass(frozen=True)
class Facts:
    """What the catalog and the price list say of a set of SKUs for one cart (channel,
    currency, locale), read once per command: the change checks the SKU it adds with it,
    and the cart it answers with is evaluated from it, instead of reading both again."""

    items: dict[str, CartItem]
    prices: dict[str, int]
    asked: frozenset[str]  # what was looked up: an unknown SKU is asked but has no item

    def covers(self, skus: list[str]) -> bool:
        return self.asked.issuperset(skus)


def read_facts(
    session: Session, cart: CartRow, channel: Channel, skus: list[str], *, exact: bool = False
) -> Facts:
    """Two statements whatever the number of lines: catalog (variant, listing, title) and
    prices. Both, for SKUs other carts showed a moment ago, come from the process's copy
    unless `exact` (a checkout): see `catalog.queries.cart_items` and
    `pricing.queries.unit_prices`; none then."""
    wanted = sorted(set(skus))
    items = cart_items(
        session=session,
        skus=wanted,
        channel=channel.code,
        locale=cart.locale,
        fallback_locale=channel.default_locale,
        kept=not exact,
    )
    prices = unit_prices(
        session=session, skus=wanted, currency=cart.currency, channel=channel.code, kept=not exact
    )
    return Facts(items, prices, frozenset(wanted))


def destination(session: Session, cart: CartRow, channel: Channel) -> tuple[str, str | None]:
    """Where the goods go, which decides the tax: the pickup store, the delivery address,
    or (not known yet) the channel's own country."""
    if cart.fulfillment_type == "pickup" and cart.pickup_location:
        found = locations_by_code(session=session, codes=[cart.pickup_location])
        if cart.pickup_location in found:
            return found[cart.pickup_location].country, None
    if cart.shipping_address:
        return str(cart.shipping_address["country"]), cart.shipping_address.get("region")
    return channel.country, None


def _line_views(
    session: Session,
    cart: CartRow,
    channel: Channel,
    now: datetime,
    stock: dict[str, int] | None,
    facts: Facts | None,
    tier: MemberTier,
    exact: bool,
) -> tuple[list[LineView], dict[str, VariantInfo]]:
    skus = [line.sku for line in cart.lines]
    if not skus:
        return [], {}
    if facts is None or not facts.covers(skus):
        facts = read_facts(session, cart, channel, skus, exact=exact)
    if stock is None:
        stock = atp(session=session, channel=channel, skus=skus)
    views = []
    for line in cart.lines:
        item = facts.items.get(line.sku)
        view = LineView(id=line.id, sku=line.sku, quantity=line.quantity)
        views.append(view)
        if item is None:
            view.issues.append(Issue.NOT_LISTED)
            continue
        variant = item.variant
        view.product_handle = variant.product_handle
        view.title = item.title
        view.category = variant.category
        view.weight_g = variant.weight_g or 0
        issue = listing_issue(item.listing, now, buyer_tier(item.listing, now, tier))
        if issue is not None:
            view.issues.append(issue)
        view.unit_price = facts.prices.get(line.sku)
        if view.unit_price is None:
            view.issues.append(Issue.NOT_PRICED)
        held = line.reservation_id is not None and (line.hold_expires_at or now) > now
        view.hold_expires_at = line.hold_expires_at if held else None
        if line.reservation_id is not None and not held:
            view.issues.append(Issue.HOLD_EXPIRED)
        # Units this cart holds are not "available" to others but are to it.
        view.available = stock.get(line.sku, 0) + (line.quantity if held else 0)
        if view.available < line.quantity and not variant.allow_backorder:
            view.issues.append(Issue.INSUFFICIENT_STOCK)
    return views, {sku: item.variant for sku, item in facts.items.items()}


def buyer_tier(listing: ListingState | None, now: datetime, tier: MemberTier) -> str | None:
    """The tier to judge `listing` with: the shopper's tier is read only for a listing in its
    early window, and then once per command."""
    if listing is not None and listing.in_early_window(now):
        return tier.get()
    return None


def _pickup_supplies(
    session: Session, cart: CartRow, channel: Channel
) -> list[PickupSupply] | None:
    if cart.fulfillment_type != "pickup" or not cart.pickup_location or not cart.lines:
        return None
    return pickup_supply(
        session,
        channel=channel,
        store=cart.pickup_location,
        lines=[(line.sku, line.quantity) for line in cart.lines],
    )


def _pickup(
    session: Session, cart: CartRow, views: list[LineView], supplies: list[PickupSupply] | None
) -> None:
    """Ready at the store now (its units, or this cart's hold there), or by when a transfer
    brings them; neither when no location of the network has them."""
    if cart.fulfillment_type != "pickup" or not cart.pickup_location:
        return
    where = cart.pickup_location
    if supplies is None:
        there = available_at(session=session, skus=[v.sku for v in views], locations=[where])
        for view in views:
            view.pickup_available = there.get((view.sku, where), 0) >= view.quantity
        return
    for view, supply in zip(views, supplies, strict=True):
        now = supply.available_now or view.hold_expires_at is not None
        view.pickup_available = now
        view.pickup_ready_at = None if now else supply.ready_at


def _shipping(
    session: Session,
    cart: CartRow,
    channel: Channel,
    views: list[LineView],
    problems: list[CartProblem],
) -> ShippingQuote | None:
    if cart.fulfillment_type == "pickup":
        if cart.pickup_location is None:
            problems.append(CartProblem("pickup-location-required", "choose a pickup store"))
        elif cart.pickup_location not in channel.pickup_at:
            problems.append(
                CartProblem("pickup-not-offered", f"{channel.code} offers no pickup there")
            )
        return ShippingQuote("pickup", "Pickup in store", 0, cart.currency)
    if not cart.shipping_address:
        problems.append(CartProblem("address-required", "add a shipping address"))
        return None
    country = str(cart.shipping_address["country"])
    weight = sum(v.weight_g * v.quantity for v in views if v.purchasable)
    found = quote(
        session=session,
        country=country,
        weight_g=weight,
        currency=cart.currency,
        channel=channel.code,
    )
    if found is None:
        problems.append(CartProblem("no-shipping-rate", f"no delivery to {country} for this cart"))
    return found


def evaluate(
    session: Session,
    cart: CartRow,
    channel: Channel,
    now: datetime,
    *,
    stock: dict[str, int] | None = None,
    facts: Facts | None = None,
    pickup: list[PickupSupply] | None = None,
    tier: MemberTier | None = None,
    exact: bool = False,
) -> CartView:
    """`stock` is the channel's ATP of the cart's SKUs when the caller has just read it;
    `facts`, what the catalog and prices say of them, when the command has read that;
    `pickup` where a pickup cart's lines would come from, when it has just been read. A
    pickup cart's lines are available as far as the store and the network can supply them.
    `tier`: the shopper's loyalty tier when the command has it (read at most once).
    `exact`: the catalog's facts read now, not from the process's copy (a checkout)."""
    if tier is None:
        tier = MemberTier(session, cart.customer_id, now)
    problems: list[CartProblem] = []
    if not channel.sells_in(cart.currency):
        problems.append(
            CartProblem("currency-not-sold", f"{channel.code} does not sell in {cart.currency}")
        )
    if cart.customer_id is None and not cart.email:
        problems.append(CartProblem("email-required", "add an email address"))
    supplies = pickup if pickup is not None else _pickup_supplies(session, cart, channel)
    if supplies is not None and stock is None:
        stock = {}
        for supply in supplies:
            stock[supply.sku] = max(stock.get(supply.sku, 0), supply.network)
    views, variants = _line_views(session, cart, channel, now, stock, facts, tier, exact)
    _pickup(session, cart, views, supplies)
    shipping = _shipping(session, cart, channel, views, problems)
    charge = shipping.amount if shipping else 0
    found = discounts(
        session, cart, channel, now,
        [
            Priced(v.id, v.sku, v.quantity, v.unit_price or 0, v.category)
            for v in views
            if v.purchasable
        ],
        charge, tier,
    )  # fmt: skip
    for view in views:
        view.adjustments = found.lines.get(view.id, [])
        view.discount = sum(a.amount for a in view.adjustments)
    shopper_lines = len(views)
    views += [
        LineView(
            id=g.line_id, sku=g.sku, quantity=1, title=g.title, category=g.category,
            weight_g=g.weight_g, unit_price=0, available=g.available, gift_of=g.promotion,
        )
        for g in gifts_for(session, cart, channel, found.gifts)
    ]  # fmt: skip
    problems.extend(CartProblem(p.code, p.message) for p in found.problems)
    known: list[TaxRates] = []

    def rate_for(category: str | None) -> Decimal:
        # One read of the destination's rates for every category of the cart, and none
        # for a cart with nothing to tax.
        if not known:
            country, region = destination(session, cart, channel)
            known.append(tax_rates(session=session, country=country, region=region))
        return rate_in(known[0], category)

    inclusive = channel.prices_include_tax
    for view in views:
        if view.purchasable:
            view.tax_rate = rate_for(view.category)
            view.tax = tax_for(view.amount, view.tax_rate, inclusive=inclusive)
    shipping_amount = charge - found.shipping_discount
    shipping_tax = (
        tax_for(shipping_amount, rate_for(None), inclusive=inclusive) if shipping_amount else 0
    )
    totals = compute_totals(
        [
            OrderLineInput(v.sku, v.quantity, v.unit_price or 0, v.discount, v.tax, v.tax_rate)
            for v in views
            if v.purchasable
        ],
        shipping=shipping_amount,
        shipping_tax=shipping_tax,
        prices_include_tax=inclusive,
    )
    changes, seen = _changes(cart, views[:shopper_lines])
    tenders = settle(session, cart, totals.total)
    problems.extend(CartProblem(code, message) for code, message in tenders.problems)
    return CartView(
        cart, channel, views, totals, shipping, shipping_tax, problems, changes, seen, found,
        tenders, variants,
    )  # fmt: skip


def _changes(
    cart: CartRow, views: list[LineView]
) -> tuple[list[Change], dict[str, tuple[int | None, str | None]]]:
    changes: list[Change] = []
    seen: dict[str, tuple[int | None, str | None]] = {}
    for line, view in zip(cart.lines, views, strict=True):
        issue = view.issues[0] if view.issues else None
        seen[line.id] = (view.unit_price, issue.value if issue else None)
        if (
            line.unit_price is not None
            and view.unit_price is not None
            and line.unit_price != view.unit_price
        ):
            changes.append(
                Change(
                    line.id,
                    line.sku,
                    "price-changed",
                    "the price changed",
                    line.unit_price,
                    view.unit_price,
                )
            )
        if issue is not None and line.last_issue != issue.value:
            changes.append(Change(line.id, line.sku, issue.value, MESSAGES[issue]))
        if issue is None and line.last_issue is not None:
            changes.append(Change(line.id, line.sku, "available-again", "can be bought again"))
    return changes, seen
