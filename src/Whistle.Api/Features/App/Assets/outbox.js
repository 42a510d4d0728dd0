// The outbox: every filing lives here, on the phone, from the moment it is started until the server
// has confirmed it. One module with a small interface (save, queue, list, send the due ones); the
// screens only call it. A filing is sent as one request (the order and its photos) with its own
// Idempotency-Key, reused on every retry, so a retry after a lost answer never files twice.
//
// Filing states: draft (being written) → queued → sent; queued → refused (the API said no: shown
// with its words, kept for correction) → queued again with a new key. A 401 keeps the queue and asks
// the person to sign in again; network failures, 5xx, 409 (the same key still in progress) and 429
// wait with backoff, honouring Retry-After.

import { api_root, authHeaders, newId, describeProblem } from './common.js?v={{version}}';

const DATABASE = 'whistle-app';
const FILINGS = 'filings';
const CACHE = 'cache';

let opened;
function database() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore(FILINGS, { keyPath: 'id' }).createIndex('state', 'state');
      db.createObjectStore(CACHE);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function transact(store, mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    let result;
    Promise.resolve(work(tx.objectStore(store))).then(r => { result = r; });
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('aborted'));
  });
}

const wrap = request => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

const listeners = new Set();
/** Calls back after every change (the screens redraw their lists and the badge). */
export function onChange(listener) {
  listeners.add(listener);
}
function changed() {
  for (const listener of listeners) {
    listener();
  }
  // Other tabs of the app redraw too.
  channel?.postMessage('changed');
}
const channel = 'BroadcastChannel' in self ? new BroadcastChannel('whistle-outbox') : null;
if (channel) {
  channel.onmessage = () => listeners.forEach(l => l());
}

/** A new draft owned by the signed-in person. */
export function draft(owner) {
  const now = new Date().toISOString();
  return { id: newId(), key: newId(), owner, state: 'draft', createdAt: now, updatedAt: now, order: {}, photos: [], attempts: 0 };
}

/** Saves a filing as it stands (every keystroke's worth: nothing typed is lost to a crash). */
export async function save(filing) {
  filing.updatedAt = new Date().toISOString();
  await transact(FILINGS, 'readwrite', store => store.put(filing));
  changed();
  return filing;
}

export async function get(id) {
  return transact(FILINGS, 'readonly', store => wrap(store.get(id)));
}

export async function list() {
  const all = await transact(FILINGS, 'readonly', store => wrap(store.getAll()));
  return all.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export async function remove(id) {
  await transact(FILINGS, 'readwrite', store => store.delete(id));
  changed();
}

/** Puts a finished draft in the queue. A refused one gets a new key: it is another request now. */
export async function enqueue(filing) {
  if (filing.state === 'refused') {
    filing.key = newId();
  }
  Object.assign(filing, { state: 'queued', attempts: 0, nextAttemptAt: new Date().toISOString(), lastError: null });
  return save(filing);
}

/** How many wait to be sent (the badge). */
export async function waiting(owner) {
  return (await list()).filter(f => (f.state === 'queued' || f.state === 'sending') && (!owner || f.owner === owner)).length;
}

// ---- Sending ---------------------------------------------------------------------------------------
const BACKOFF_MS = [5_000, 15_000, 60_000, 120_000, 300_000, 600_000];
let timer;
let signInNeeded = false;

/** Called when the API says the credential no longer holds (the screen asks to sign in again). */
export let onSignInNeeded = () => {};
export function whenSignInNeeded(callback) {
  onSignInNeeded = callback;
}

/**
 * Sends the due filings of this owner, one at a time, oldest first. Only one tab sends at once (a
 * Web Lock); a send in flight when the app closes is sent again on the next start with the same key.
 */
export async function flush({ owner, force = false } = {}) {
  if (!owner || !navigator.onLine && !force) {
    return schedule(owner);
  }
  const run = async () => {
    signInNeeded = false;
    for (;;) {
      const now = Date.now();
      const due = (await list())
        .filter(f => f.owner === owner && (f.state === 'queued' || f.state === 'sending'))
        .filter(f => force || !f.nextAttemptAt || Date.parse(f.nextAttemptAt) <= now)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      if (due.length === 0 || signInNeeded) {
        break;
      }
      const outcome = await sendOne(due[0]);
      if (outcome === 'wait') {
        break; // the network or the server is unwell: the others wait too
      }
    }
  };
  if (navigator.locks) {
    await navigator.locks.request('whistle-outbox', { ifAvailable: true }, lock => (lock ? run() : undefined));
  } else {
    await run();
  }
  return schedule(owner);
}

async function schedule(owner) {
  clearTimeout(timer);
  const next = (await list())
    .filter(f => f.owner === owner && f.state === 'queued' && f.nextAttemptAt)
    .map(f => Date.parse(f.nextAttemptAt))
    .sort((a, b) => a - b)[0];
  if (next !== undefined && !signInNeeded) {
    timer = setTimeout(() => flush({ owner }), Math.max(1_000, next - Date.now()));
  }
}

function requestFor(filing) {
  const form = new FormData();
  const order = { ...filing.order };
  form.append('order', new Blob([JSON.stringify(order)], { type: 'application/json' }), 'order.json');
  filing.photos.forEach((photo, i) => form.append('file', photo.blob, photo.name ?? `photo-${i + 1}.jpg`));
  return form;
}

async function sendOne(filing) {
  await save(Object.assign(filing, { state: 'sending', attempts: filing.attempts + 1, lastAttemptAt: new Date().toISOString() }));
  let response;
  try {
    response = await fetch(`${api_root}/orders`, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Idempotency-Key': filing.key, ...authHeaders() },
      body: requestFor(filing),
    });
  } catch (error) {
    return retryLater(filing, `${error.message}`);
  }
  if (response.status === 201 || response.status === 200) {
    const order = await response.json();
    // Confirmed: the photos leave the phone's storage; the order is followed under "My orders".
    await save(Object.assign(filing, {
      state: 'sent', photos: [], photoCount: filing.photos.length, sentAt: new Date().toISOString(),
      sentOrder: { id: order.id, code: order.code }, lastError: null,
    }));
    return 'sent';
  }
  let problem;
  try {
    problem = await response.json();
  } catch {
    problem = { title: `HTTP ${response.status}` };
  }
  if (response.status === 401) {
    signInNeeded = true;
    await save(Object.assign(filing, { state: 'queued', lastError: describeProblem(problem) }));
    onSignInNeeded();
    return 'wait';
  }
  // 409 on a filing is only "this key is still in progress"; 408, 429 and 5xx are the server's trouble.
  if (response.status === 409 || response.status === 408 || response.status === 429 || response.status >= 500) {
    const retryAfter = Number(response.headers.get('Retry-After'));
    return retryLater(filing, describeProblem(problem), Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
  }
  // 400, 403, 404, 413, 415, 422: the API refuses this filing as it is; the person corrects it.
  await save(Object.assign(filing, { state: 'refused', lastError: describeProblem(problem), problem }));
  return 'refused';
}

async function retryLater(filing, reason, afterMs) {
  const wait = afterMs ?? BACKOFF_MS[Math.min(filing.attempts - 1, BACKOFF_MS.length - 1)];
  await save(Object.assign(filing, { state: 'queued', lastError: reason, nextAttemptAt: new Date(Date.now() + wait).toISOString() }));
  return 'wait';
}

/**
 * Starts sending: now, when the network returns, when the app is shown again, and on the timer.
 * Asks the browser to keep this site's storage (an outbox must not be evicted under pressure).
 */
export function start(owner) {
  navigator.storage?.persist?.().catch(() => {});
  // A send cut off by a closed app is due again at once (same key: the server answers what it did).
  list().then(all => Promise.all(all.filter(f => f.owner === owner && f.state === 'sending')
    .map(f => save(Object.assign(f, { state: 'queued', nextAttemptAt: new Date().toISOString() }))))).then(() => flush({ owner }));
  addEventListener('online', () => flush({ owner }));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      flush({ owner });
    }
  });
}

// ---- A small cache for what the app needs offline (the grid boundaries, the categories) ----------
export async function cached(name) {
  return transact(CACHE, 'readonly', store => wrap(store.get(name)));
}

export async function cache(name, value) {
  await transact(CACHE, 'readwrite', store => store.put(value, name));
}
