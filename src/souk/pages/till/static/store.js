// What the till keeps on the device (IndexedDB): the catalog it sells from, and every
// transaction it took — sales, pickup hand-overs, returns — with its client_txn_id until the
// server has recorded it. (The object store keeps its first name, `sales`, so that a till
// updated with transactions still queued loses none.)

const DB = "souk-till";
const VERSION = 1;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("variants", { keyPath: "sku" });
      db.createObjectStore("sales", { keyPath: "client_txn_id" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

let opened;
function db() {
  opened = opened || open();
  return opened;
}

async function run(storeName, mode, work) {
  const database = await db();
  return new Promise((resolve, reject) => {
    const tx = database.transaction(storeName, mode);
    const result = work(tx.objectStore(storeName));
    tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export function putVariants(variants) {
  return run("variants", "readwrite", (store) => {
    store.clear();
    for (const v of variants) store.put(v);
  });
}

export function allVariants() {
  return run("variants", "readonly", (store) => store.getAll());
}

export function putSale(sale) {
  return run("sales", "readwrite", (store) => store.put(sale));
}

export function getSale(id) {
  return run("sales", "readonly", (store) => store.get(id));
}

export async function allSales() {
  const sales = await run("sales", "readonly", (store) => store.getAll());
  return sales.sort((a, b) => a.body.occurred_at.localeCompare(b.body.occurred_at));
}

export async function forget() {
  await run("variants", "readwrite", (store) => store.clear());
}
