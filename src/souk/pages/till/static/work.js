// The store's work besides selling: click & collect hand-over, returns of any channel's
// order, incoming transfers. A hand-over and a return are till transactions like sales:
// kept on the till with their client_txn_id and sent through POST /v1/pos/sync, so they
// work offline too and the server takes each once. Getting an order ready for collection
// and the transfers list need the network.
import { Offline, Refused, problemText } from "./api.js";
import { $, el, text } from "./dom.js";
import { format } from "./money.js";

const PICKUPS = "souk.till.pickups";

function transaction(type, fields) {
  return { type, client_txn_id: crypto.randomUUID(), occurred_at: new Date().toISOString(), ...fields };
}

// --- click & collect ------------------------------------------------------------------
export async function loadPickups(ctx) {
  let pickups;
  let note = "";
  try {
    pickups = [];
    const location = encodeURIComponent(ctx.till.location);
    for (const status of ["ready", "accepted", "open"]) {
      const page = await ctx.api("GET", `/v1/fulfillment-orders?location=${location}&status=${status}`);
      pickups.push(...page.data.filter((f) => f.type === "pickup"));
    }
    // Kept for the hand-overs made while offline.
    localStorage.setItem(PICKUPS, JSON.stringify(pickups));
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
    pickups = JSON.parse(localStorage.getItem(PICKUPS) || "[]");
    note = "Offline: the orders as of the last time online; hand-overs are kept on this till.";
  }
  const handedOver = new Set((await ctx.transactions())
    .filter((t) => t.body.type === "pickup" && t.state !== "refused")
    .map((t) => t.body.fulfillment_order));
  const list = $("pickups");
  list.replaceChildren(...pickups.map((fo) => pickupItem(ctx, fo, handedOver.has(fo.id))));
  if (!list.children.length) list.append(el("li", { text: "No click & collect order at this store" }));
  text($("pickups-note"), note);
}

function pickupItem(ctx, fo, handedOver) {
  const items = fo.lines.map((l) => `${l.quantity} × ${l.sku}`).join(", ");
  const item = el("li", {}, `Order ${fo.order_id}: ${items} — ${handedOver ? "handed over" : fo.status} `);
  if (handedOver) return item;
  if (fo.status === "ready") {
    const id = `code-${fo.id}`;
    const code = el("input", { id, autocomplete: "off" });
    item.append(el("label", { for: id, text: `Pickup code for ${fo.order_id}` }), code,
      el("button", { type: "button", text: "Hand over", onclick: () => handOver(ctx, fo, code.value.trim()) }));
  } else {
    item.append(el("button", { type: "button", text: "Ready for collection", onclick: () => prepare(ctx, fo) }));
  }
  return item;
}

async function handOver(ctx, fo, code) {
  if (!code) return text($("pickups-message"), "Type the customer's pickup code");
  const entry = await ctx.queue(transaction("pickup", { fulfillment_order: fo.id, pickup_code: code }));
  // The list first, then the message: whoever reads the message reads the list as it is now.
  await loadPickups(ctx).catch(() => {});
  if (entry.state === "sent") text($("pickups-message"), `Order ${fo.order_id} handed over`);
  else if (entry.state === "refused") text($("pickups-message"), entry.problem);
  else text($("pickups-message"), `Order ${fo.order_id} handed over; kept on this till until the network is back`);
}

async function prepare(ctx, fo) {
  let message;
  try {
    if (fo.status === "open") await ctx.api("POST", `/v1/fulfillment-orders/${fo.id}/accept`);
    const done = await ctx.api("POST", `/v1/fulfillment-orders/${fo.id}/ready`);
    message = `Order ${fo.order_id}: ${done.status}`;
  } catch (error) {
    message = error instanceof Refused ? problemText(error.problem) : "Getting an order ready needs the network: try again when it is back";
  }
  await loadPickups(ctx).catch(() => {});
  text($("pickups-message"), message);
}

// --- returns --------------------------------------------------------------------------
function refundText(ret) {
  const amount = ret?.refunds?.at(-1)?.amount;
  return amount ? format(amount.amount, amount.currency) : "nothing";
}

export async function takeReturn(ctx, event) {
  event.preventDefault();
  const form = event.target;
  const f = form.elements;
  const order = f.order.value.trim();
  const sku = f.sku.value.trim();
  const quantity = Number.parseInt(f.quantity.value, 10);
  const errors = [];
  if (!order) errors.push("Type the order id");
  if (!sku) errors.push("Type the SKU");
  if (!(quantity > 0)) errors.push("The quantity must be at least 1");
  text($("return-error"), errors.join(". "));
  text($("return-result"), "");
  if (errors.length) return;
  const entry = await ctx.queue(transaction("return", {
    order, refund_to: f.to.value,
    lines: [{ sku, quantity, reason: f.reason.value, condition: f.condition.value }],
  }));
  if (entry.state === "refused") return text($("return-error"), entry.problem);
  form.reset();
  if (entry.state === "sent") text($("return-result"), `Return ${entry.returned.id} taken; refunded ${refundText(entry.returned)}`);
  else text($("return-result"), `Return of order ${order} taken; kept on this till until the network is back, then refunded`);
}

// --- what this till handed over and took back -------------------------------------------
function workLine(t) {
  const what = t.body.type === "pickup"
    ? `Hand-over of ${t.fulfillment_order?.order_id || t.body.fulfillment_order}`
    : `Return of ${t.body.order}`;
  const done = t.body.type === "pickup" ? "recorded" : `recorded, refunded ${refundText(t.returned)}`;
  const state = t.state === "sent" ? done : t.state === "refused" ? `refused: ${t.problem}` : "waiting for the network";
  return el("li", { class: `state-${t.state}` }, `${t.client_txn_id.slice(0, 8)} · ${what} · ${state}`);
}

export function renderStoreWork(transactions) {
  for (const [type, id] of [["pickup", "pickup-log"], ["return", "return-log"]]) {
    const mine = transactions.filter((t) => t.body.type === type).slice(-20).reverse();
    $(id).replaceChildren(...mine.map(workLine));
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
