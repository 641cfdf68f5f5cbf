// The demo storefront: nothing but the public API, as a team building its own front end
// would use it — the channel's publishable key on every call, the customer's token once
// signed in. The server only sends the shell and the words of the shopper's language.

const config = JSON.parse(document.getElementById("shop-config").textContent);
const t = config.messages;
const CART = `souk.shop.${config.channel}.cart`;
const TOKEN = `souk.shop.${config.channel}.token`;
const CURRENCY = `souk.shop.${config.channel}.currency`;
const view = document.getElementById("view");
const status = document.getElementById("status");

// --- small helpers ------------------------------------------------------------------------
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function say(text, isError = false) {
  status.textContent = text;
  status.classList.toggle("error", isError);
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function money(m) {
  const digits = new Intl.NumberFormat("en", { style: "currency", currency: m.currency }).resolvedOptions().maximumFractionDigits;
  return new Intl.NumberFormat(config.lang, { style: "currency", currency: m.currency }).format(m.amount / 10 ** digits);
}

// The catalog's language: the page's if the channel speaks it, else the channel's own.
function contentLocale() {
  return config.locales.find((l) => l.split("-")[0] === config.lang) || config.default_locale;
}

function currency() {
  const asked = new URLSearchParams(location.search).get("currency");
  if (asked && config.currencies.includes(asked)) localStorage.setItem(CURRENCY, asked);
  const kept = localStorage.getItem(CURRENCY);
  return config.currencies.includes(kept) ? kept : config.currencies[0];
}

class Problem extends Error {
  constructor(problem) {
    super(problem.detail || problem.title);
    this.problem = problem;
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json", "X-Publishable-Key": config.key };
  const token = localStorage.getItem(TOKEN);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = response.status === 204 ? null : await response.json();
  if (response.status === 401 && token) localStorage.removeItem(TOKEN); // an expired session
  if (!response.ok) throw new Problem(data || { title: response.statusText });
  return data;
}

// Field errors of a problem shown beside their fields, and summed up in the status line.
function showProblem(error, form) {
  const problem = error.problem || { detail: error.message };
  const fields = problem.errors || [];
  if (form) {
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
    for (const e of fields) {
      const name = String(e.field || "").split(".").pop();
      const input = form.elements[name];
      if (input && input.id) {
        input.setAttribute("aria-invalid", "true");
        const slot = document.getElementById(`${input.id}-error`);
        if (slot) slot.textContent = e.message;
      }
    }
  }
  say([problem.detail || problem.title || t.error, ...fields.map((e) => e.message)].join(" — "), true);
}

function field(form, name, label, props = {}) {
  const id = `f-${name}`;
  return el("div", {},
    el("label", { for: id, text: label }),
    el("input", { id, name, "aria-describedby": `${id}-error`, ...props }),
    el("p", { id: `${id}-error`, class: "field-error" }),
  );
}

// --- the cart that follows the customer -----------------------------------------------
async function currentCart() {
  if (localStorage.getItem(TOKEN)) {
    try {
      const mine = await api("GET", "/v1/customers/me/cart");
      localStorage.setItem(CART, mine.id);
      return mine;
    } catch (error) {
      if (error.problem?.status !== 404) throw error;
    }
  }
  const id = localStorage.getItem(CART);
  if (!id) return null;
  try {
    const cart = await api("GET", `/v1/carts/${id}`);
    if (cart.status && cart.status !== "active") throw new Problem({ status: 404 });
    return cart;
  } catch (error) {
    localStorage.removeItem(CART);
    return null;
  }
}

async function cartForAdding() {
  let cart = await currentCart();
  if (!cart) {
    cart = await api("POST", "/v1/carts", { currency: currency(), locale: contentLocale() });
    localStorage.setItem(CART, cart.id);
  } else if (cart.currency !== currency()) {
    cart = await api("PATCH", `/v1/carts/${cart.id}`, { currency: currency() });
  }
  return cart;
}

function showCount(cart) {
  const n = cart ? cart.lines.reduce((sum, l) => sum + l.quantity, 0) : 0;
  document.getElementById("cart-count").textContent = n ? `(${n})` : "";
}

// --- screens ----------------------------------------------------------------------------
async function catalogScreen() {
  const params = new URLSearchParams(location.search);
  const query = new URLSearchParams({ locale: contentLocale(), currency: currency(), limit: "48" });
  for (const name of ["q", "category"]) if (params.get(name)) query.set(name, params.get(name));
  const [page, everything] = await Promise.all([
    api("GET", `/v1/catalog/products?${query}`),
    api("GET", `/v1/catalog/products?${new URLSearchParams({ locale: contentLocale(), currency: currency(), limit: "200" })}`),
  ]);
  const categories = [...new Set(everything.data.map((p) => p.category).filter(Boolean))].sort();
  const filters = el("form", { class: "filters", role: "search", method: "get", action: "/shop/" },
    el("div", {}, el("label", { for: "q", text: t.search }), el("input", { id: "q", name: "q", type: "search", value: params.get("q") || "" })),
    el("div", {}, el("label", { for: "category", text: t.category }),
      el("select", { id: "category", name: "category" },
        el("option", { value: "", text: t.all_categories }),
        ...categories.map((c) => el("option", { value: c, text: c, selected: c === params.get("category") })))),
    el("button", { type: "submit", text: t.search_button }),
  );
  const cards = page.data.map((p) => {
    const first = p.variants[0];
    return el("li", { class: "card" },
      el("img", { src: p.attributes.image_url || "/shop/assets/product.png", alt: "", width: "300", height: "300" }),
      el("h2", {}, el("a", { href: `/shop/products/${encodeURIComponent(p.handle)}`, text: p.title })),
      first ? el("p", { class: "price", text: first.formatted_price }) : null,
      el("p", { class: "muted", text: p.available > 0 ? t.in_stock : t.out_of_stock }),
    );
  });
  view.replaceChildren(filters, cards.length ? el("ul", { class: "grid", "aria-label": t.catalog }, ...cards) : el("p", { text: t.no_products }));
}

async function productScreen() {
  const query = new URLSearchParams({ locale: contentLocale(), currency: currency() });
  const p = await api("GET", `/v1/catalog/products/${encodeURIComponent(config.handle)}?${query}`);
  document.getElementById("title").textContent = p.title;
  document.title = `${p.title} · ${document.title.split(" · ").pop()}`;
  const price = el("p", { class: "price", id: "price" });
  const stock = el("p", { class: "muted", id: "stock" });
  const variant = el("select", { id: "variant", name: "sku" },
    ...p.variants.map((v) => el("option", { value: v.sku, text: Object.values(v.options).join(" / ") || v.sku })));
  const chosen = () => p.variants.find((v) => v.sku === variant.value);
  const refresh = () => {
    price.textContent = chosen().formatted_price;
    stock.textContent = chosen().available > 0 ? t.in_stock : t.out_of_stock;
  };
  variant.addEventListener("change", refresh);
  const form = el("form", { novalidate: true },
    el("label", { for: "variant", text: t.size }), variant,
    el("label", { for: "quantity", text: t.quantity }),
    el("input", { id: "quantity", name: "quantity", type: "number", min: "1", max: "99", value: "1" }),
    el("button", { type: "submit", text: t.add_to_cart }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const cart = await cartForAdding();
      const updated = await api("POST", `/v1/carts/${cart.id}/lines`, { sku: variant.value, quantity: Number(form.elements.quantity.value) });
      showCount(updated);
      say(t.added);
    } catch (error) {
      showProblem(error, form);
    }
  });
  const stores = el("ul", { id: "stores" });
  const place = el("select", { id: "place" }, ...config.places.map((s, i) => el("option", { value: String(i), text: `${s.city} — ${s.name}` })));
  const nearby = el("section", { "aria-labelledby": "near-title" },
    el("h2", { id: "near-title", text: t.near_you }),
    el("label", { for: "place", text: t.near }), place,
    el("button", { type: "button", text: t.check_stores, onclick: async () => {
      const s = config.places[Number(place.value)];
      if (!s) return;
      const found = await api("GET", `/v1/availability/nearby?${new URLSearchParams({ sku: variant.value, lat: s.lat, lon: s.lon, radius_km: "50" })}`);
      const having = found.filter((f) => f.available > 0);
      stores.replaceChildren(...(having.length ? having.map((f) => el("li", { text: `${f.name} · ${fill(t.units_in_store, { n: f.available })} · ${fill(t.km, { d: f.distance_km.toFixed(1) })}` })) : [el("li", { text: t.no_store })]));
    } }),
    stores,
  );
  view.replaceChildren(el("div", { class: "product" },
    el("img", { src: p.attributes.image_url || "/shop/assets/product.png", alt: "", width: "400", height: "400" }),
    el("p", { text: p.description || "" }), price, stock, form, config.places.length ? nearby : null));
  refresh();
}

function totalsTable(cart) {
  const rows = [["subtotal", cart.totals.subtotal], ["discount", cart.totals.discount], ["shipping", cart.totals.shipping], ["tax", cart.totals.tax], ["total", cart.totals.total]];
  return el("table", { "aria-label": t.total }, el("tbody", {}, ...rows.filter(([, m]) => m).map(([name, m]) =>
    el("tr", {}, el("th", { scope: "row", text: t[name] }), el("td", { text: money(m), id: `total-${name}` })))));
}

async function cartScreen() {
  const cart = await currentCart();
  showCount(cart);
  if (!cart || !cart.lines.length) {
    view.replaceChildren(el("p", { text: t.empty_cart }));
    return;
  }
  const body = el("tbody", {}, ...cart.lines.map((line) => {
    const qty = el("input", { type: "number", min: "1", value: String(line.quantity), "aria-label": `${t.quantity} ${line.sku}` });
    qty.addEventListener("change", async () => {
      try { await api("PATCH", `/v1/carts/${cart.id}/lines/${line.id}`, { quantity: Number(qty.value) }); await cartScreen(); } catch (error) { showProblem(error); }
    });
    return el("tr", {},
      el("td", { text: line.title || line.sku }), el("td", {}, qty), el("td", { text: money(line.total) }),
      el("td", {}, el("button", { type: "button", text: t.remove, "aria-label": `${t.remove} ${line.sku}`, onclick: async () => {
        await api("DELETE", `/v1/carts/${cart.id}/lines/${line.id}`);
        await cartScreen();
      } })));
  }));
  view.replaceChildren(
    el("table", { "aria-label": t.cart }, el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "SKU" }), el("th", { scope: "col", text: t.quantity }), el("th", { scope: "col", text: t.total }), el("th", { scope: "col", text: t.remove }))), body),
    totalsTable(cart),
    el("p", {}, el("a", { href: "/shop/checkout", text: t.checkout, id: "to-checkout" })),
  );
}

async function checkoutScreen() {
  const cart = await currentCart();
  if (!cart || !cart.lines.length) {
    view.replaceChildren(el("p", { text: t.empty_cart }));
    return;
  }
  const form = el("form", { novalidate: true, id: "checkout" },
    field(null, "email", t.email, { type: "email", autocomplete: "email", required: true, value: cart.email || "" }),
    el("fieldset", {}, el("legend", { text: t.how }),
      el("label", { class: "inline" }, el("input", { type: "radio", name: "how", value: "delivery", checked: true }), ` ${t.delivery}`),
      el("label", { class: "inline" }, el("input", { type: "radio", name: "how", value: "pickup", disabled: !config.places.length }), ` ${t.pickup}`)),
    el("fieldset", { id: "delivery-fields" }, el("legend", { text: t.delivery }),
      field(null, "name", t.name, { autocomplete: "name" }),
      field(null, "line1", t.line1, { autocomplete: "address-line1" }),
      field(null, "city", t.city, { autocomplete: "address-level2" }),
      field(null, "postal_code", t.postal_code, { autocomplete: "postal-code" }),
      field(null, "country", t.country, { autocomplete: "country", maxlength: "2", value: "FR" })),
    el("fieldset", { id: "pickup-fields", hidden: true }, el("legend", { text: t.pickup }),
      el("label", { for: "f-location", text: t.store }),
      el("select", { id: "f-location", name: "location" }, ...config.places.map((s) => el("option", { value: s.code, text: `${s.name} (${s.city})` })))),
    el("label", { for: "f-token", text: t.card }),
    el("select", { id: "f-token", name: "token" }, el("option", { value: "tok_ok", text: "tok_ok" }), el("option", { value: "tok_decline", text: "tok_decline" })),
    el("div", { id: "summary" }, totalsTable(cart)),
    el("button", { type: "submit", text: t.place_order }),
  );
  for (const radio of form.querySelectorAll("input[name=how]")) {
    radio.addEventListener("change", () => {
      const pickup = form.elements.how.value === "pickup";
      form.querySelector("#delivery-fields").hidden = pickup;
      form.querySelector("#pickup-fields").hidden = !pickup;
    });
  }
  form.addEventListener("submit", (event) => placeOrder(event, form, cart));
  view.replaceChildren(form);
}

async function placeOrder(event, form, cart) {
  event.preventDefault();
  const f = form.elements;
  const pickup = f.how.value === "pickup";
  const missing = ["email", ...(pickup ? [] : ["line1", "city", "postal_code", "country"])].filter((n) => !f[n].value.trim());
  if (missing.length) {
    showProblem({ problem: { detail: t.required, errors: missing.map((n) => ({ field: `body.${n}`, message: t.required })) } }, form);
    return;
  }
  const change = { email: f.email.value.trim() };
  if (pickup) change.fulfillment = { type: "pickup", location: f.location.value };
  else {
    change.fulfillment = { type: "delivery" };
    change.shipping_address = { name: f.name.value.trim() || undefined, line1: f.line1.value.trim(), city: f.city.value.trim(), postal_code: f.postal_code.value.trim(), country: f.country.value.trim().toUpperCase() };
  }
  try {
    await api("PATCH", `/v1/carts/${cart.id}`, change);
    const order = await api("POST", `/v1/carts/${cart.id}/checkout`, { payment: { provider: "test", token: f.token.value } });
    localStorage.removeItem(CART);
    showCount(null);
    document.getElementById("title").textContent = fill(t.thanks, { number: order.number });
    view.replaceChildren(el("p", { id: "confirmation", "data-order": order.id, text: `${fill(t.thanks, { number: order.number })} ${pickup ? t.pickup_ready : ""}` }), totalsTable({ totals: order.totals }));
    say("");
  } catch (error) {
    showProblem(error, form);
  }
}

// The emailed link of a registration (`/shop/account?verify=…`): the account is created and
// signed in here, and the spent token leaves the address bar and the history.
async function confirmRegistration() {
  const token = new URLSearchParams(location.search).get("verify");
  if (!token) return;
  history.replaceState(null, "", location.pathname);
  const body = { token };
  const cartId = localStorage.getItem(CART);
  if (cartId) body.cart_id = cartId;
  try {
    const session = await api("POST", "/v1/customers/verify", body);
    localStorage.setItem(TOKEN, session.token);
    say("");
  } catch (error) {
    showProblem(error);
  }
}

async function accountScreen() {
  await confirmRegistration();
  if (!localStorage.getItem(TOKEN)) {
    const form = (kind) => {
      const node = el("form", { novalidate: true, id: kind, "aria-labelledby": `${kind}-title` },
        el("h2", { id: `${kind}-title`, text: t[kind === "login" ? "sign_in" : "register"] }));
      const prefix = kind === "login" ? "l" : "r";
      node.append(
        el("label", { for: `${prefix}-email`, text: t.email }),
        el("input", { id: `${prefix}-email`, name: "email", type: "email", autocomplete: "email", required: true }),
        el("label", { for: `${prefix}-password`, text: t.password }),
        el("input", { id: `${prefix}-password`, name: "password", type: "password", autocomplete: kind === "login" ? "current-password" : "new-password", required: true }),
        el("button", { type: "submit", text: t[kind === "login" ? "sign_in" : "register"] }));
      node.addEventListener("submit", async (event) => {
        event.preventDefault();
        const body = { email: node.elements.email.value.trim(), password: node.elements.password.value };
        const cartId = localStorage.getItem(CART);
        if (cartId) body.cart_id = cartId;
        if (kind === "register") body.locale = contentLocale();
        try {
          const answer = await api("POST", `/v1/customers/${kind}`, body);
          if (kind === "register") {
            // Registration signs nobody in: the link mailed to the address does.
            node.reset();
            say(fill(t.check_inbox, { email: answer.email }));
            return;
          }
          localStorage.setItem(TOKEN, answer.token);
          say("");
          await accountScreen();
        } catch (error) {
          showProblem(error, node);
        }
      });
      return node;
    };
    view.replaceChildren(form("login"), form("register"));
    return;
  }
  const [me, orders, cart] = await Promise.all([api("GET", "/v1/customers/me"), api("GET", "/v1/customers/me/orders"), currentCart()]);
  showCount(cart);
  const list = orders.data.map((o) => el("li", { text: fill(t.order_line, {
    number: o.number, date: new Date(o.created_at || o.placed_at).toLocaleDateString(config.lang), status: o.status, total: money(o.totals.total), channel: o.channel,
  }) }));
  view.replaceChildren(
    el("p", { id: "signed-in", text: fill(t.signed_in_as, { email: me.email }) }),
    el("h2", { text: t.orders }),
    list.length ? el("ul", { id: "orders" }, ...list) : el("p", { text: t.no_orders }),
    el("button", { type: "button", text: t.sign_out, onclick: () => { localStorage.removeItem(TOKEN); localStorage.removeItem(CART); location.reload(); } }),
  );
}

const SCREENS = { catalog: catalogScreen, product: productScreen, cart: cartScreen, checkout: checkoutScreen, account: accountScreen };

async function start() {
  const select = document.getElementById("currency");
  select.value = currency();
  try {
    await SCREENS[config.screen]();
    if (config.screen !== "cart" && config.screen !== "account") showCount(await currentCart());
  } catch (error) {
    showProblem(error);
  }
  document.body.dataset.ready = "true";
}

start();
