// The app's service worker: the shell (pages, script, style, icons) kept for offline use, nothing
// else. Pages: the network first, the kept copy when offline. Assets: the kept copy first (each
// release names its own, see AppEndpoints). The API is never cached here: the outbox and the lists
// the app keeps live in IndexedDB, which a new release of this worker never touches.
const VERSION = '{{version}}';
const CACHE = `whistle-app-${VERSION}`;
const SCOPE = new URL('./', self.location).pathname; // /app/ (under any path base)
const PAGES = [SCOPE, `${SCOPE}desk`];
const ASSETS = ['app.css', 'common.js', 'outbox.js', 'photos.js', 'map.js', 'field.js', 'mine.js', 'nearby.js', 'desk.js', 'keys.js', 'icon.svg', 'icon-192.png', 'manifest.webmanifest']
  .map(name => `${SCOPE}${name}${name.endsWith('.webmanifest') ? '' : `?v=${VERSION}`}`);

self.addEventListener('install', event => {
  event.waitUntil(caches.open(CACHE).then(cache => cache.addAll([...PAGES, ...ASSETS])).then(() => self.skipWaiting()));
});

self.addEventListener('activate', event => {
  event.waitUntil(caches.keys()
    .then(keys => Promise.all(keys.filter(key => key.startsWith('whistle-app-') && key !== CACHE).map(key => caches.delete(key))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', event => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) {
    return; // the API and everything else: straight to the network
  }
  if (event.request.mode === 'navigate') {
    const page = url.pathname.replace(/\/$/, '').endsWith('/desk') ? `${SCOPE}desk` : SCOPE;
    event.respondWith(fetch(event.request)
      .then(response => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then(cache => cache.put(page, copy));
        }
        return response;
      })
      .catch(() => caches.match(page)));
    return;
  }
  event.respondWith(caches.match(event.request).then(kept => kept ?? fetch(event.request)));
});
