// The store's work besides selling: click & collect hand-over, returns of any channel's
// order, incoming transfers. These change shared state, so they need the network.
import { Refused, problemText } from "./api.js";
import { $, el, text } from "./dom.js";
import { format } from "./money.js";

// --- click & collect ------------------------------------------------------------------
export async function loadPickups(ctx) {
  const list = $("pickups");
  list.replaceChildren();
  const location = encodeURIComponent(ctx.till.location);
  for (const status of ["ready", "accepted", "open"]) {
    const page = await ctx.api("GET", `/v1/fulfillment-orders?location=${location}&status=${status}`);
    for (const fo of page.data.filter((f) => f.type === "pickup")) list.append(pickupItem(ctx, fo));
  }
  if (!list.children.length) list.append(el("li", { text: "No click & collect order at this store" }));
}

function pickupItem(ctx, fo) {
  const items = fo.lines.map((l) => `${l.quantity} × ${l.sku}`).join(", ");
  const item = el("li", {}, `Order ${fo.order_id}: ${items} — ${fo.status} `);
  if (fo.status === "ready") {
    const id = `code-${fo.id}`;
    const code = el("input", { id, autocomplete: "off" });
    item.append(el("label", { for: id, text: `Pickup code for ${fo.order_id}` }), code,
      el("button", { type: "button", text: "Hand over", onclick: () => act(ctx, fo, "collect", { pickup_code: code.value.trim() }) }));
  } else {
    item.append(el("button", { type: "button", text: "Ready for collection", onclick: () => prepare(ctx, fo) }));
  }
  return item;
}

async function prepare(ctx, fo) {
  if (fo.status === "open") await act(ctx, fo, "accept", undefined, false);
  await act(ctx, fo, "ready");
}

async function act(ctx, fo, action, body, refresh = true) {
  try {
    const done = await ctx.api("POST", `/v1/fulfillment-orders/${fo.id}/${action}`, body);
    text($("pickups-message"), action === "collect" ? `Order ${fo.order_id} handed over` : `Order ${fo.order_id}: ${done.status}`);
  } catch (error) {
    text($("pickups-message"), error instanceof Refused ? problemText(error.problem) : "Offline: try again when the network is back");
  }
  if (refresh) await loadPickups(ctx);
}

// --- returns --------------------------------------------------------------------------
export async function takeReturn(ctx, event) {
  event.preventDefault();
  const f = event.target.elements;
  const order = f.order.value.trim();
  const quantity = Number.parseInt(f.quantity.value, 10);
  const errors = [];
  if (!order) errors.push("Type the order id");
  if (!f.sku.value.trim()) errors.push("Type the SKU");
  if (!(quantity > 0)) errors.push("The quantity must be at least 1");
  text($("return-error"), errors.join(". "));
  if (errors.length) return;
  const sku = f.sku.value.trim();
  try {
    const created = await ctx.api("POST", `/v1/orders/${encodeURIComponent(order)}/returns`, {
      method: "in_store", location: ctx.till.location, lines: [{ sku, quantity, reason: f.reason.value }],
    });
    await ctx.api("POST", `/v1/returns/${created.id}/receive`, {
      location: ctx.till.location, lines: [{ sku, quantity, condition: f.condition.value }],
    });
    const refunded = await ctx.api("POST", `/v1/returns/${created.id}/refund`, { to: f.to.value });
    const amount = refunded.refunds.at(-1)?.amount;
    text($("return-result"), `Return ${created.id} taken; refunded ${amount ? format(amount.amount, amount.currency) : "nothing"}`);
    event.target.reset();
  } catch (error) {
    text($("return-error"), error instanceof Refused ? problemText(error.problem) : "Returns need the network: try again when it is back");
  }
}

// --- transfers ------------------------------------------------------------------------
export async function loadTransfers(ctx) {
  const body = $("transfers").tBodies[0];
  const transfers = await ctx.api("GET", "/v1/pos/transfers");
  body.replaceChildren(...transfers.map((t) => el("tr", {},
    el("td", { text: t.sku }), el("td", { text: t.from }), el("td", { text: String(t.quantity) }), el("td", { text: t.status }))));
  if (!transfers.length) body.append(el("tr", {}, el("td", { colspan: "4", text: "Nothing on its way" })));
}

