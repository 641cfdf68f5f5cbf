// The till: sign in with a POS key, sell (scan or search), hand over click & collect, take
// returns, see incoming transfers. Every sale is first written to IndexedDB with its
// client_txn_id, then sent with POST /v1/pos/sync; a sale taken offline waits there until the
// network is back, and the server records each client_txn_id once however often it is sent.
//
// Store-manager sign-in (a staff session) is the console's; once it exists, a session cookie
// can stand in for the key here: `credentials()` is the one place that decides.
import { call, Offline, Refused, problemText } from "./api.js";
import { format, parse, taxOn } from "./money.js";
import { $, el, text } from "./dom.js";
import * as store from "./store.js";
import { loadPickups, loadTransfers, takeReturn } from "./work.js";

const KEY = "souk.till.key";
const state = { key: null, till: null, variants: [], basket: new Map(), syncing: false };

function credentials() {
  return state.key;
}

function api(method, path, body) {
  return call(credentials(), method, path, body);
}

// --- network state --------------------------------------------------------------------
function showNetwork() {
  const online = navigator.onLine;
  text($("network"), online ? "Online" : "Offline — sales are kept on this till");
  $("network").classList.toggle("offline", !online);
}

// --- sign in --------------------------------------------------------------------------
async function signIn(key) {
  state.key = key;
  state.till = await api("GET", "/v1/pos/till");
  localStorage.setItem(KEY, key);
  localStorage.setItem(KEY + ".till", JSON.stringify(state.till));
}

function signOut() {
  localStorage.removeItem(KEY);
  localStorage.removeItem(KEY + ".till");
  state.key = null;
  store.forget().finally(() => location.reload());
}

async function loadCatalog() {
  const variants = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: "200" });
    if (cursor) query.set("cursor", cursor);
    const page = await api("GET", `/v1/pos/catalog?${query}`);
    for (const product of page.data) {
      for (const v of product.variants) {
        variants.push({
          sku: v.sku, barcode: v.barcode, title: product.title, options: v.options,
          price: v.price.amount, currency: v.price.currency, tax: v.tax,
          search: `${product.title} ${v.sku} ${Object.values(v.options).join(" ")}`.toLowerCase(),
        });
      }
    }
    cursor = page.next_cursor;
  } while (cursor);
  await store.putVariants(variants);
  return variants;
}

async function start() {
  showNetwork();
  window.addEventListener("online", () => { showNetwork(); sync(); });
  window.addEventListener("offline", showNetwork);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/pos/sw.js", { scope: "/pos/" });
  state.key = localStorage.getItem(KEY);
  state.till = JSON.parse(localStorage.getItem(KEY + ".till") || "null");
  bind();
  if (!state.key) {
    $("signin").hidden = false;
    $("pos-key").focus();
    return;
  }
  await openTill();
}

async function openTill() {
  $("signin").hidden = true;
  $("till").hidden = false;
  text($("store"), `Store ${state.till.location} · ${state.till.channel}`);
  try {
    state.variants = await loadCatalog();
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
    state.variants = await store.allVariants();
  }
  document.body.dataset.ready = "true";
  await renderSales();
  sync();
  $("barcode").focus();
}

// --- basket ---------------------------------------------------------------------------
function currency() {
  return state.variants[0]?.currency || "EUR";
}

function lineTotal(variant, quantity) {
  const net = variant.price * quantity;
  return variant.tax.included ? net : net + taxOn(net, variant.tax.rate);
}

function basketTotal() {
  let total = 0;
  for (const { variant, quantity } of state.basket.values()) total += lineTotal(variant, quantity);
  return total;
}

function add(variant) {
  const line = state.basket.get(variant.sku) || { variant, quantity: 0 };
  line.quantity += 1;
  state.basket.set(variant.sku, line);
  renderBasket();
}

function renderBasket() {
  const body = $("basket").tBodies[0];
  body.replaceChildren();
  for (const { variant, quantity } of state.basket.values()) {
    const label = `${variant.title} ${Object.values(variant.options).join(" ")}`.trim();
    const qty = el("input", { type: "number", min: "0", value: String(quantity), "aria-label": `Quantity of ${label}` });
    qty.addEventListener("change", () => {
      const n = Math.max(0, Number.parseInt(qty.value, 10) || 0);
      if (n === 0) state.basket.delete(variant.sku);
      else state.basket.get(variant.sku).quantity = n;
      renderBasket();
    });
    body.append(el("tr", {},
      el("td", { text: `${label} (${variant.sku})` }),
      el("td", {}, qty),
      el("td", { text: format(lineTotal(variant, quantity), variant.currency) }),
      el("td", {}, el("button", { type: "button", text: "Remove", "aria-label": `Remove ${label}`,
        onclick: () => { state.basket.delete(variant.sku); renderBasket(); } })),
    ));
  }
  text($("basket-total"), format(basketTotal(), currency()));
}

function scan(event) {
  event.preventDefault();
  const code = $("barcode").value.trim();
  const found = state.variants.find((v) => v.barcode === code || v.sku === code);
  text($("scan-error"), found || !code ? "" : `Nothing with barcode or SKU ${code} in this store's catalog`);
  if (found) add(found);
  $("barcode").value = "";
  $("barcode").focus();
}

function search(event) {
  event.preventDefault();
  const words = $("search").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const found = state.variants.filter((v) => words.every((w) => v.search.includes(w))).slice(0, 20);
  $("search-results").replaceChildren(...found.map((v) => el("li", {},
    `${v.title} ${Object.values(v.options).join(" ")} — ${format(v.price, v.currency)} `,
    el("button", { type: "button", text: "Add", "aria-label": `Add ${v.title} ${v.sku}`, onclick: () => add(v) }),
  )));
  if (!found.length) $("search-results").append(el("li", { text: "No match" }));
}

// --- a sale -------------------------------------------------------------------------------
function saleBody(form) {
  const errors = [];
  if (!state.basket.size) errors.push("The basket is empty");
  const total = basketTotal();
  const method = form.elements.method.value;
  let change = 0;
  if (method === "cash" && form.elements.tendered.value) {
    const tendered = parse(form.elements.tendered.value, currency());
    if (tendered === null) errors.push("Cash tendered is not an amount");
    else if (tendered < total) errors.push("Cash tendered is less than the total");
    else change = tendered - total;
  }
  const body = {
    client_txn_id: crypto.randomUUID(),
    occurred_at: new Date().toISOString(),
    // The price of the moment travels with the sale: a sale synced later keeps it.
    lines: [...state.basket.values()].map(({ variant, quantity }) => ({ sku: variant.sku, quantity, unit_price: variant.price })),
    payments: [{ method, amount: total }],
  };
  const card = form.elements.loyalty_card.value.trim();
  const email = form.elements.email.value.trim();
  if (card) body.customer = { loyalty_card: card };
  else if (email) body.customer = { email };
  if ($("ship").checked) {
    const address = {};
    for (const name of ["line1", "city", "postal_code", "country"]) {
      address[name] = form.elements[name].value.trim();
      if (!address[name]) errors.push(`The shipping address needs ${name.replace("_", " ")}`);
    }
    address.country = address.country.toUpperCase();
    body.fulfillment = { type: "delivery", shipping_address: address };
  }
  return { body, errors, change };
}

async function completeSale(event) {
  event.preventDefault();
  const form = event.target;
  const { body, errors, change } = saleBody(form);
  text($("sale-error"), errors.join(". "));
  if (errors.length) return;
  await store.putSale({ client_txn_id: body.client_txn_id, body, state: "queued", total: body.payments[0].amount });
  state.basket.clear();
  form.reset();
  $("ship-fields").hidden = true;
  renderBasket();
  const changeText = change ? ` Change: ${format(change, currency())}.` : "";
  text($("receipt"), `Sale ${body.client_txn_id.slice(0, 8)} taken.${changeText}`);
  await renderSales();
  sync();
  $("barcode").focus();
}

async function renderSales() {
  const sales = await store.allSales();
  const waiting = sales.filter((s) => s.state === "queued").length;
  text($("queue-state"), waiting ? `${waiting} waiting to be sent` : "Nothing waiting");
  $("queue-state").dataset.waiting = String(waiting);
  $("sales").replaceChildren(...sales.slice(-20).reverse().map((s) => el("li", { class: `state-${s.state}` },
    `${s.body.client_txn_id.slice(0, 8)} · ${format(s.total, currency())} · `,
    s.state === "sent" ? `recorded as order ${s.order_number || s.order_id}` : s.state === "refused" ? `refused: ${s.problem}` : "waiting for the network",
  )));
}

async function sync() {
  if (state.syncing || !credentials()) return;
  const queued = (await store.allSales()).filter((s) => s.state === "queued");
  if (!queued.length) return;
  state.syncing = true;
  try {
    const answer = await api("POST", "/v1/pos/sync", { transactions: queued.map((s) => s.body) });
    for (const result of answer.results) {
      const sale = queued[result.index];
      if (result.status < 300) {
        Object.assign(sale, { state: "sent", order_id: result.order?.id, order_number: result.order?.number });
      } else {
        Object.assign(sale, { state: "refused", problem: problemText(result.problem || {}) });
      }
      await store.putSale(sale);
    }
  } catch (error) {
    if (!(error instanceof Offline)) text($("sale-error"), error.message);
  } finally {
    state.syncing = false;
    await renderSales();
  }
}

// --- screens --------------------------------------------------------------------------
const LOADERS = { pickups: () => loadPickups(work()), transfers: () => loadTransfers(work()) };

// What the store-work screens need from the till: its API calls and its store.
function work() {
  return { api, till: state.till };
}

function show(name) {
  for (const button of document.querySelectorAll(".tabs [data-screen]")) {
    if (button.dataset.screen === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  for (const section of document.querySelectorAll(".screen")) section.hidden = section.id !== `screen-${name}`;
  const load = LOADERS[name];
  if (load) load().catch((error) => text($(`${name}-title`), `${$(`${name}-title`).textContent} (${error instanceof Offline ? "offline" : error.message})`));
}

function bind() {
  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = $("pos-key").value.trim();
    if (!key) return text($("signin-error"), "Type the POS key");
    try {
      await signIn(key);
      await openTill();
    } catch (error) {
      state.key = null;
      text($("signin-error"), error instanceof Refused ? problemText(error.problem) : "The server cannot be reached");
    }
  });
  $("signout").addEventListener("click", signOut);
  $("scan-form").addEventListener("submit", scan);
  $("search-form").addEventListener("submit", search);
  $("sale-form").addEventListener("submit", completeSale);
  $("sync-now").addEventListener("click", sync);
  $("ship").addEventListener("change", () => { $("ship-fields").hidden = !$("ship").checked; });
  $("pickups-refresh").addEventListener("click", () => loadPickups(work()));
  $("transfers-refresh").addEventListener("click", () => loadTransfers(work()));
  $("return-form").addEventListener("submit", (event) => takeReturn(work(), event));
  for (const button of document.querySelectorAll(".tabs [data-screen]")) {
    button.addEventListener("click", () => show(button.dataset.screen));
  }
  // A till left open retries by itself; `online` events alone are not reliable on every device.
  setInterval(sync, 15000);
}

start();
