// The field app's service worker (scope /field/): keeps the app shell so the app opens with no network. Shell files
// are answered from the cache at once and refreshed in the background (a new hub version shows at the next start);
// the API and the token endpoint are never cached nor answered from here.
/// <reference lib="webworker" />
declare const self: ServiceWorkerGlobalScope;

const CACHE = 'srhub-field-shell-v1';
const PAGE = '/field/';
const SHELL = [PAGE, '/web/field.js', '/web/field.css', '/web/icon.svg', '/field/manifest.webmanifest'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('srhub-field-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

/** The cached copy a request is answered with: the page for any navigation in scope, else a shell file by path. */
function shellKey(request: Request): string | undefined {
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return undefined;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/oauth2/')) return undefined;
  if (request.mode === 'navigate') return url.pathname === '/field' || url.pathname.startsWith(PAGE) ? PAGE : undefined;
  return SHELL.includes(url.pathname) ? url.pathname : undefined;
}

async function refresh(key: string): Promise<Response> {
  const response = await fetch(key, { cache: 'no-cache' });
  if (response.ok) await (await caches.open(CACHE)).put(key, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const key = shellKey(event.request);
  if (!key) return; // the network, as if there were no service worker
  event.respondWith(
    (async () => {
      const cached = await caches.match(key, { cacheName: CACHE });
      if (!cached) return refresh(key);
      event.waitUntil(refresh(key).catch(() => undefined));
      return cached;
    })(),
  );
});

export {};
