// The field app: file an order with one hand (category, title, description, photos, position),
// watch the outbox send it, and follow what became of it. Everything typed is saved on the phone
// at once; the outbox (outbox.js) owns sending.

import {
  api, fill, ApiError, NetworkError, t, nameOf, element, when, say, translate, installWorker, signInFlow, may, photoUrl, newId, describeProblem,
} from './common.js?v={{version}}';
import * as outbox from './outbox.js?v={{version}}';
import { shrink } from './photos.js?v={{version}}';
import { drawMap, featureAt } from './map.js?v={{version}}';
import { renderMine, followMine } from './mine.js?v={{version}}';
import { loadNearby } from './nearby.js?v={{version}}';

const MAX_PHOTOS = 10; // the API's limit per order
const GOOD_FIX_METRES = 50; // a fix this good is used without a word
const POOR_FIX_METRES = 200; // worse than this: warn (never block) and offer the map and the grid list
const RECENT_STORAGE = 'whistle.app.recentCategories';

let me;
let filing; // the draft on the form
let categories = [];
let grids = [];
let boundaries = [];
let map;
const gps = { fixes: [], watch: null, refused: false };

installWorker();
signInFlow(start);

async function start(who) {
  me = who;
  outbox.whenSignInNeeded(() => {
    document.getElementById('sign-in-again').hidden = false;
    say(t('signInAgain'), 'warn');
  });
  outbox.onChange(renderOutbox);
  outbox.start(me.id);
  wireTabs();
  wireForm();
  // The draft first: the form takes typing at once, before the district's lists arrive.
  await restoreDraft();
  renderOutbox();
  watchPosition();
  await loadReference();
  followMine(me);
  document.addEventListener('whistle:language', () => {
    renderCategories();
    renderOutbox();
    renderFix();
  });
}

// ---- Tabs -----------------------------------------------------------------------------------------
function wireTabs() {
  const show = () => {
    const wanted = ['file', 'mine', 'outbox'].includes(location.hash.slice(1)) ? location.hash.slice(1) : 'file';
    for (const section of document.querySelectorAll('section.tab')) {
      section.hidden = section.id !== wanted;
    }
    for (const link of document.querySelectorAll('[data-tab]')) {
      link.toggleAttribute('aria-current', link.dataset.tab === wanted);
      if (link.dataset.tab === wanted) {
        link.setAttribute('aria-current', 'page');
      }
    }
    if (wanted === 'mine') {
      renderMine(me);
    }
  };
  addEventListener('hashchange', show);
  show();
}

// ---- The district's lists, kept for offline use --------------------------------------------------
async function fresh(name, path) {
  try {
    const { body } = await api(path);
    await outbox.cache(name, body);
    return body;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      throw error;
    }
    return (await outbox.cached(name)) ?? [];
  }
}

async function loadReference() {
  // The worker's own grids: the community's, or each grid bound to the key (a rider's few).
  const gridList = me.communityCode ? fresh(`grids:${me.id}`, `/grids?communityCode=${encodeURIComponent(me.communityCode)}`)
    : me.streetCode ? fresh(`grids:${me.id}`, `/grids?streetCode=${encodeURIComponent(me.streetCode)}`)
      : (me.gridCodes ?? []).length ? Promise.all(me.gridCodes.map(code => fresh(`grid:${code}`, `/grids/${encodeURIComponent(code)}`)))
        : fresh(`grids:${me.id}`, '/grids');
  const [categoryList, gridsInScope] = await Promise.all([fresh('categories', '/categories'), gridList]);
  categories = categoryList.filter(c => !c.retiredAt);
  grids = [gridsInScope].flat().filter(g => g?.code && !g.retiredAt);
  renderCategories();
  renderGrids();
  // The boundaries of those grids' communities only, after the lists (on a slow network they come last):
  // the form is usable before the map is, and the kept copy is drawn first.
  const inScope = new Set(grids.map(g => g.code));
  const communities = [...new Set(grids.map(g => g.communityCode))];
  const drawn = features => {
    boundaries = (features ?? []).filter(f => inScope.has(f.properties.code));
    map = drawMap(document.getElementById('map'), boundaries, { onPick: pick });
    renderFix();
  };
  const name = `boundaries:${communities.join(',')}`;
  const kept = await outbox.cached(name);
  if (kept) {
    drawn(kept.flatMap(c => c.features ?? []));
  }
  Promise.all((communities.length && communities.length <= 20 ? communities : [null]).map(code =>
    api(code ? `/grids/boundaries?communityCode=${encodeURIComponent(code)}` : '/grids/boundaries').then(r => r.body).catch(() => null)))
    .then(async collections => {
      if (collections.every(Boolean)) {
        await outbox.cache(name, collections);
        drawn(collections.flatMap(c => c.features ?? []));
      }
    });
}

function recentCategories() {
  try {
    return JSON.parse(localStorage.getItem(RECENT_STORAGE) ?? '[]');
  } catch {
    return [];
  }
}

function renderCategories() {
  const select = document.getElementById('categoryCode');
  const search = document.getElementById('category-search').value.trim().toLowerCase();
  const current = filing?.order.categoryCode ?? select.value;
  const recent = recentCategories();
  const matches = categories.filter(c => !search || c.name.toLowerCase().includes(search) || c.code.toLowerCase().includes(search));
  const option = c => element('option', { value: c.code, selected: c.code === current }, `${c.name} (${c.code})`);
  const recentOnes = recent.map(code => matches.find(c => c.code === code)).filter(Boolean);
  const others = matches.filter(c => !recent.includes(c.code)).sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  fill(select, 
    element('option', { value: '' }, '—'),
    recentOnes.length ? element('optgroup', { label: t('recent') }, recentOnes.map(option)) : null,
    element('optgroup', { label: t('all') }, others.map(option)));
  if (current && !matches.some(c => c.code === current) && categories.some(c => c.code === current)) {
    select.append(option(categories.find(c => c.code === current)));
  }
  select.value = current ?? '';
}

function renderGrids() {
  const select = document.getElementById('gridCode');
  fill(select, 
    element('option', { value: '' }, t('gridAuto')),
    ...grids.map(g => element('option', { value: g.code }, `${g.name} (${g.code})`)));
  select.value = filing?.order.gridCode ?? '';
}

// ---- The draft: saved on every change --------------------------------------------------------------
async function restoreDraft() {
  const drafts = (await outbox.list()).filter(f => f.owner === me.id && f.state === 'draft');
  filing = drafts[0] ?? outbox.draft(me.id);
  fillForm();
}

function fillForm() {
  const form = document.getElementById('filing');
  const order = filing.order;
  form.elements.title.value = order.title ?? '';
  form.elements.description.value = order.description ?? '';
  form.elements.address.value = order.location?.address ?? '';
  form.elements.urgent.checked = order.priority === 'urgent';
  renderCategories();
  renderGrids();
  renderPhotos();
  renderFix();
  const refusal = document.getElementById('refusal');
  refusal.hidden = filing.state !== 'refused';
  refusal.textContent = filing.state === 'refused' ? `${t('refused')}\n${filing.lastError ?? ''}` : '';
  loadNearby(filing, me);
}

let saving;
function readForm() {
  if (!filing) {
    return;
  }
  const form = document.getElementById('filing');
  const order = filing.order;
  order.title = form.elements.title.value;
  order.description = form.elements.description.value;
  order.categoryCode = form.elements.categoryCode.value || undefined;
  order.gridCode = form.elements.gridCode.value || undefined;
  order.priority = form.elements.urgent.checked ? 'urgent' : undefined;
  order.location = { ...(order.location ?? {}), address: form.elements.address.value || undefined };
  clearTimeout(saving);
  saving = setTimeout(() => outbox.save(filing), 250);
}

function wireForm() {
  const form = document.getElementById('filing');
  form.addEventListener('input', readForm);
  form.addEventListener('change', event => {
    readForm();
    if (event.target.name === 'categoryCode') {
      loadNearby(filing, me);
    }
    if (event.target.name === 'gridCode') {
      showGrid();
    }
  });
  document.getElementById('category-search').addEventListener('input', renderCategories);
  for (const id of ['photos', 'camera']) {
    document.getElementById(id).addEventListener('change', event => addPhotos(event.target));
  }
  document.getElementById('use-gps').addEventListener('click', () => {
    filing.order.pinned = false;
    const best = bestFix();
    if (best) {
      place(best.latitude, best.longitude, best.accuracy);
    } else {
      watchPosition();
    }
  });
  document.getElementById('save-draft').addEventListener('click', async () => {
    readForm();
    await outbox.save(filing);
    say(t('saveDraft') + ' ✓');
  });
  form.addEventListener('submit', async event => {
    event.preventDefault();
    readForm();
    await submit();
  });
  document.getElementById('send-now').addEventListener('click', () => outbox.flush({ owner: me.id, force: true }));
  document.getElementById('refresh-mine').addEventListener('click', () => renderMine(me));
}

async function addPhotos(input) {
  const files = [...input.files];
  input.value = '';
  if (files.length === 0) {
    return;
  }
  say(t('shrinking'));
  for (const file of files) {
    if (filing.photos.length >= MAX_PHOTOS) {
      say(`≤ ${MAX_PHOTOS} ${t('photoCount')}`, 'warn');
      break;
    }
    filing.photos.push(await shrink(file));
  }
  await outbox.save(filing);
  renderPhotos();
  say(`${filing.photos.length} ${t('photoCount')}`);
}

const previews = new Map();
function renderPhotos() {
  for (const url of previews.values()) {
    URL.revokeObjectURL(url);
  }
  previews.clear();
  fill(document.getElementById('photo-list'), ...filing.photos.map((photo, i) => {
    const url = URL.createObjectURL(photo.blob);
    previews.set(i, url);
    return element('li', {},
      element('img', { src: url, alt: `${i + 1}`, width: 72, height: 72 }),
      element('button', {
        type: 'button', 'aria-label': `${t('remove')} ${i + 1}`, onclick: async () => {
          filing.photos.splice(i, 1);
          await outbox.save(filing);
          renderPhotos();
        },
      }, '×'));
  }));
}

// ---- Position: GPS with its accuracy shown live, or a pin, or the grid chosen by hand ---------------
function watchPosition() {
  if (!('geolocation' in navigator) || gps.watch !== null) {
    return;
  }
  gps.watch = navigator.geolocation.watchPosition(position => {
    const { latitude, longitude, accuracy } = position.coords;
    gps.refused = false;
    gps.fixes.push({ latitude, longitude, accuracy, at: Date.now() });
    gps.fixes = gps.fixes.slice(-5);
    // A pin placed by hand stays; otherwise the best recent fix is the position.
    if (!filing.order.pinned) {
      const best = bestFix();
      place(best.latitude, best.longitude, best.accuracy);
    } else {
      renderFix();
    }
  }, error => {
    gps.refused = error.code === error.PERMISSION_DENIED || !gps.fixes.length;
    gps.watch = null;
    renderFix();
  }, { enableHighAccuracy: true, maximumAge: 0, timeout: 60_000 });
}

/** The most accurate of the last fixes (a first fix is often hundreds of metres off). */
function bestFix() {
  const recent = gps.fixes.filter(f => Date.now() - f.at < 120_000);
  return recent.sort((a, b) => a.accuracy - b.accuracy)[0] ?? gps.fixes.at(-1);
}

function pick(latitude, longitude) {
  filing.order.pinned = true;
  place(latitude, longitude, null);
}

function place(latitude, longitude, accuracy) {
  filing.order.location = { ...(filing.order.location ?? {}), latitude: round(latitude), longitude: round(longitude) };
  filing.order.accuracy = accuracy;
  outbox.save(filing);
  renderFix();
  loadNearby(filing, me);
}

const round = value => Math.round(value * 1e7) / 1e7;

function renderFix() {
  const fix = document.getElementById('fix');
  if (!fix || !filing) {
    return;
  }
  const location = filing.order.location;
  const seen = gps.fixes.map(f => `±${Math.round(f.accuracy)} m`).join(' → ');
  let text;
  let kind = '';
  if (filing.order.pinned && location?.latitude !== undefined) {
    text = `📍 ${location.latitude.toFixed(5)}, ${location.longitude.toFixed(5)} (${t('map')})`;
  } else if (gps.fixes.length) {
    const best = bestFix();
    text = `${t('accuracy')} ±${Math.round(best.accuracy)} m · ${seen}`;
    if (best.accuracy > POOR_FIX_METRES) {
      text += ` — ${t('poorFix')}`;
      kind = 'warn';
    } else if (best.accuracy > GOOD_FIX_METRES) {
      text += ` — ${t('waitingFix')}`;
    }
  } else if (gps.refused) {
    text = t('noGps');
    kind = 'warn';
  } else {
    text = t('waitingFix');
  }
  fix.textContent = text;
  fix.className = kind;
  map?.setPin(location?.latitude, location?.longitude);
  showGrid();
}

/** The grid the point falls in (or the one chosen), said before sending. */
function showGrid() {
  const line = document.getElementById('in-grid');
  const chosen = filing.order.gridCode;
  const location = filing.order.location;
  let code = chosen;
  if (!code && location?.latitude !== undefined) {
    code = featureAt(boundaries, location.latitude, location.longitude)?.properties.code;
  }
  const grid = grids.find(g => g.code === code);
  line.textContent = code ? `${t('inGrid')} ${grid?.name ?? ''} ${code}` : location?.latitude !== undefined ? t('outsideGrids') : '';
  line.dataset.grid = code ?? '';
  map?.highlight(code);
}

/** A point inside the grid, for a filing whose grid was chosen by hand without a position. */
function pointIn(code) {
  const feature = boundaries.find(f => f.properties.code === code);
  if (!feature) {
    return null;
  }
  const ring = (feature.geometry.type === 'Polygon' ? feature.geometry.coordinates : feature.geometry.coordinates[0])[0];
  const lon = ring.reduce((s, p) => s + p[0], 0) / ring.length;
  const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length;
  return featureAt([feature], lat, lon) ? { latitude: round(lat), longitude: round(lon) } : { latitude: ring[0][1], longitude: ring[0][0] };
}

// ---- Sending ------------------------------------------------------------------------------------------
async function submit() {
  const order = filing.order;
  const missing = [];
  if (!order.categoryCode) missing.push(t('category'));
  if (!order.title?.trim()) missing.push(t('title'));
  if (!order.description?.trim()) missing.push(t('description'));
  let location = order.location;
  if (location?.latitude === undefined) {
    // No position: the grid chosen by hand stands for it (its centre).
    const inside = order.gridCode ? pointIn(order.gridCode) : null;
    if (inside) {
      location = { ...location, ...inside };
    } else {
      missing.push(t('position'));
    }
  }
  if (missing.length) {
    say(`${t('required')}: ${missing.join('、')}`, 'error');
    return;
  }
  if (!order.pinned && order.accuracy > POOR_FIX_METRES) {
    say(t('poorFix'), 'warn'); // said, never blocking
  }
  // What goes to the API: its own fields, nothing of the app's bookkeeping.
  filing.order = {
    title: order.title.trim(), description: order.description.trim(), categoryCode: order.categoryCode,
    location: { latitude: location.latitude, longitude: location.longitude, address: location.address?.trim() || undefined },
    gridCode: order.gridCode, priority: order.priority, sameProblemAs: order.sameProblemAs,
  };
  const sending = filing;
  sending.display = { title: order.title.trim(), categoryCode: order.categoryCode, sameProblemCode: order.sameProblemCode };
  delete sending.order.sameProblemCode;
  rememberCategory(order.categoryCode);
  await outbox.enqueue(sending);
  filing = outbox.draft(me.id);
  fillForm();
  say(t('saved'), 'ok');
  outbox.flush({ owner: me.id });
}

function rememberCategory(code) {
  const recent = [code, ...recentCategories().filter(c => c !== code)].slice(0, 5);
  try {
    localStorage.setItem(RECENT_STORAGE, JSON.stringify(recent));
  } catch { /* storage off */ }
}

// ---- The outbox's three lists -------------------------------------------------------------------------
async function renderOutbox() {
  if (!me) {
    return;
  }
  const all = await outbox.list();
  const mine = all.filter(f => f.owner === me.id);
  const others = all.filter(f => f.owner !== me.id && (f.state === 'queued' || f.state === 'sending'));
  const queued = mine.filter(f => f.state === 'queued' || f.state === 'sending' || f.state === 'refused');
  const drafts = mine.filter(f => f.state === 'draft' && f.id !== filing?.id && (f.order.title || f.photos.length));
  const sent = mine.filter(f => f.state === 'sent');
  const waiting = mine.filter(f => f.state === 'queued' || f.state === 'sending').length;
  for (const badge of document.querySelectorAll('[data-outbox-count]')) {
    badge.textContent = String(waiting);
    badge.dataset.outboxCount = String(waiting);
  }
  document.getElementById('count-queued').textContent = String(queued.length + others.length);
  document.getElementById('count-drafts').textContent = String(drafts.length);
  document.getElementById('count-sent').textContent = String(sent.length);
  const titleOf = f => f.display?.title ?? f.order.title ?? '—';
  fill(document.getElementById('list-queued'), 
    ...queued.map(f => element('li', { class: f.state, dataset: { filing: f.id } },
      element('strong', {}, titleOf(f)), ` · ${f.photos.length} ${t('photoCount')}`,
      f.state === 'refused'
        ? element('p', { class: 'error', role: 'alert' }, `${t('refused')}: ${f.lastError ?? ''}`)
        : element('p', { class: 'hint' }, `${t('attempts')} ${f.attempts}${f.nextAttemptAt ? ` · ${t('nextTry')} ${when(f.nextAttemptAt)}` : ''}${f.lastError ? ` · ${f.lastError}` : ''}`),
      f.state === 'refused' ? element('button', { type: 'button', onclick: () => edit(f) }, t('edit')) : null,
      element('button', { type: 'button', onclick: () => confirm(t('remove') + '?') && outbox.remove(f.id) }, t('remove')))),
    ...others.map(f => element('li', { class: 'other' }, element('strong', {}, titleOf(f)), ` · ${t('otherOwner')}`)));
  fill(document.getElementById('list-drafts'), ...drafts.map(f => element('li', {},
    element('strong', {}, titleOf(f)), ` · ${when(f.updatedAt)}`,
    element('button', { type: 'button', onclick: () => edit(f) }, t('edit')),
    element('button', { type: 'button', onclick: () => outbox.remove(f.id) }, t('remove')))));
  fill(document.getElementById('list-sent'), ...sent.map(f => element('li', { dataset: { order: f.sentOrder.code } },
    element('a', { href: '#mine' }, f.sentOrder.code), ` ${titleOf(f)} · ${when(f.sentAt)}`)));
}

async function edit(saved) {
  readForm();
  await outbox.save(filing);
  filing = await outbox.get(saved.id);
  if (filing.display?.sameProblemCode) {
    filing.order.sameProblemCode = filing.display.sameProblemCode;
  }
  location.hash = '#file';
  fillForm();
}
