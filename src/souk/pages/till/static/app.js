// The till: sign in with a POS key or as a store manager, sell (scan or search), hand over
// click & collect, take returns, see incoming transfers. Every sale, hand-over and return is
// first written to IndexedDB with its client_txn_id, then sent with POST /v1/pos/sync; one
// taken offline waits there until the network is back, and the server records each
// client_txn_id once however often it is sent. `credentials()` decides how the till calls:
// its POS key, or the manager's session (cookie + CSRF token).
import { call, Offline, Refused, problemText } from "./api.js";
import { format, parse, taxOn } from "./money.js";
import { $, el, text } from "./dom.js";
import * as store from "./store.js";
import { loadPickups, loadTransfers, renderStoreWork, takeReturn } from "./work.js";

const KEY = "souk.till.key";
const SESSION = "souk.till.session";
const state = { key: null, session: null, till: null, variants: [], basket: new Map(), running: null, again: false };

function credentials() {
  if (state.key) return { key: state.key };
  if (state.session) return { csrf: state.session.csrf_token };
  return null;
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

async function signInAsManager(form) {
  const body = { email: form.elements.email.value.trim(), password: form.elements.password.value };
  const wanted = form.elements.store.value.trim();
  if (wanted) body.store = wanted;
  const session = await call(null, "POST", "/v1/pos/staff-session", body);
  state.session = session;
  state.till = { channel: session.channel, location: session.location };
  localStorage.setItem(SESSION, JSON.stringify(session));
  localStorage.setItem(KEY + ".till", JSON.stringify(state.till));
}

async function signOut() {
  if (state.session) await api("DELETE", "/v1/pos/staff-session").catch(() => {});
  localStorage.removeItem(KEY);
  localStorage.removeItem(SESSION);
  localStorage.removeItem(KEY + ".till");
  localStorage.removeItem("souk.till.pickups");
  state.key = null;
  state.session = null;
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
  state.session = JSON.parse(localStorage.getItem(SESSION) || "null");
  state.till = JSON.parse(localStorage.getItem(KEY + ".till") || "null");
  bind();
  if (!credentials()) {
    $("signin").hidden = false;
    $("pos-key").focus();
    return;
  }
  await openTill();
}

async function openTill() {
  $("signin").hidden = true;
  $("till").hidden = false;
  const who = state.session ? ` · ${state.session.name || state.session.staff}` : "";
  text($("store"), `Store ${state.till.location} · ${state.till.channel}${who}`);
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
  const all = await store.allSales();
  const sales = all.filter((s) => !s.body.type);
  const waiting = all.filter((s) => s.state === "queued").length;
  text($("queue-state"), waiting ? `${waiting} waiting to be sent` : "Nothing waiting");
  $("queue-state").dataset.waiting = String(waiting);
  $("sales").replaceChildren(...sales.slice(-20).reverse().map((s) => el("li", { class: `state-${s.state}` },
    `${s.body.client_txn_id.slice(0, 8)} · ${format(s.total, currency())} · `,
    s.state === "sent" ? `recorded as order ${s.order_number || s.order_id}` : s.state === "refused" ? `refused: ${s.problem}` : "waiting for the network",
  )));
  renderStoreWork(all);
}

// One sync at a time; asked again while one runs, it runs once more after it, so whoever
// awaits `sync()` knows its transaction was offered to the server.
function sync() {
  if (state.running) {
    state.again = true;
    return state.running;
  }
  state.running = (async () => {
    do {
      state.again = false;
      await syncOnce();
    } while (state.again);
  })().finally(() => { state.running = null; });
  return state.running;
}

function recorded(entry, result) {
  if (entry.body.type === "pickup") return { fulfillment_order: result.fulfillment_order };
  if (entry.body.type === "return") return { returned: result.return };
  return { order_id: result.order?.id, order_number: result.order?.number };
}

async function syncOnce() {
  if (!credentials()) return;
  const queued = (await store.allSales()).filter((s) => s.state === "queued");
  if (!queued.length) return;
  try {
    const answer = await api("POST", "/v1/pos/sync", { transactions: queued.map((s) => s.body) });
    for (const result of answer.results) {
      const entry = queued[result.index];
      if (result.status < 300) Object.assign(entry, { state: "sent" }, recorded(entry, result));
      else Object.assign(entry, { state: "refused", problem: problemText(result.problem || {}) });
      await store.putSale(entry);
    }
  } catch (error) {
    if (!(error instanceof Offline)) text($("sale-error"), error.message);
  } finally {
    await renderSales();
  }
}

// A hand-over or a return: kept on the till, then offered to the server at once.
async function queue(body) {
  await store.putSale({ client_txn_id: body.client_txn_id, body, state: "queued" });
  await renderSales();
  await sync();
  return store.getSale(body.client_txn_id);
}

// --- screens --------------------------------------------------------------------------
const LOADERS = { pickups: () => loadPickups(work()), transfers: () => loadTransfers(work()) };

// What the store-work screens need from the till: its API calls, its store and its queue.
function work() {
  return { api, till: state.till, queue, transactions: store.allSales };
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
  $("manager-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    if (!form.elements.email.value.trim() || !form.elements.password.value) {
      return text($("manager-error"), "Type your email and password");
    }
    try {
      await signInAsManager(form);
      await openTill();
    } catch (error) {
      state.session = null;
      text($("manager-error"), error instanceof Refused ? problemText(error.problem) : "The server cannot be reached");
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
