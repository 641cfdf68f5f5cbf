// The till's service worker: the page and its scripts come from the cache when the network
// is gone, so the associate can keep selling; API calls are never cached here (the catalog
// lives in IndexedDB, sales go through the queue).
const CACHE = "souk-till-v3";
const SHELL = ["/pos/", "/pos/till.css", "/pos/app.js", "/pos/api.js", "/pos/store.js", "/pos/money.js", "/pos/dom.js", "/pos/work.js", "/pos/manifest.webmanifest"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/pos/")) return;
  // Network first, so a new release shows as soon as it is reachable; the cache otherwise.
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true })),
  );
});
