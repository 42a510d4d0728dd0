// The desk: a queue per role, sorted by urgency, polled with If-None-Match; an order's page with its
// facts, photos, map, history and parts; and exactly the actions its allowedActions names, each
// with the form the API needs. A 409 or 412 shows the order as it now is and keeps what was typed.

import {
  api, fill, ApiError, t, nameOf, element, when, say, translate, installWorker, signInFlow, may, photoUrl, newId, describeProblem, base,
} from './common.js?v={{version}}';
import { shrink } from './photos.js?v={{version}}';
import { drawMap } from './map.js?v={{version}}';
import { wireCredentials } from './keys.js?v={{version}}';

const POLL_MS = 15_000;
const PAGE = 50;
const OPEN = 'discovered,whistled,acknowledged,returned,return-under-review,resolved';
const STATES = ['discovered', 'whistled', 'acknowledged', 'returned', 'return-under-review', 'resolved', 'closed', 'handled-locally', 'cancelled', 'merged'];

let me;
let departments = [];
let categories = [];
let grids = [];
const boundaries = new Map(); // community -> its grids' boundaries, fetched when an order of it is opened
let seen = new Map(); // code -> version, for "what is new"
let cursor = null;
let current = null; // { order, etag }
const typed = new Map(); // action -> the values of its half-filled form

installWorker();
signInFlow(start);

async function start(who) {
  me = who;
  document.getElementById('to-field').hidden = !may(me, 'file-order');
  // The grid filter lists a community's or a street's grids; a department's or an admin's desk filters by text.
  const [departmentList, categoryList, gridList] = await Promise.all([
    api('/departments').then(r => r.body).catch(() => []),
    api('/categories').then(r => r.body).catch(() => []),
    me.communityCode || me.streetCode
      ? api(me.communityCode ? `/grids?communityCode=${encodeURIComponent(me.communityCode)}` : `/grids?streetCode=${encodeURIComponent(me.streetCode)}`)
        .then(r => r.body).catch(() => [])
      : Promise.resolve([]),
  ]);
  departments = departmentList.filter(d => !d.retiredAt);
  categories = categoryList;
  grids = gridList;
  fillFilters();
  document.getElementById('filters').addEventListener('input', debounce(() => loadQueue({ reset: true }), 300));
  document.getElementById('more').addEventListener('click', () => loadQueue({ more: true }));
  if (may(me, 'manage-credentials')) {
    wireCredentials();
  }
  await loadQueue({ reset: true });
  const wanted = new URLSearchParams(location.hash.slice(1)).get('order');
  if (wanted) {
    openOrder(wanted);
  }
  setInterval(poll, POLL_MS);
  document.addEventListener('whistle:language', () => {
    fillFilters();
    loadQueue({ reset: true });
    if (current) {
      renderOrder(current.order, current.etag);
    }
  });
}

const debounce = (fn, ms) => {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
};

const nameOfDepartment = code => (code ? `${departments.find(d => d.code === code)?.name ?? ''} ${code}`.trim() : '—');
const nameOfCategory = code => `${categories.find(c => c.code === code)?.name ?? ''} ${code}`.trim();

function fillFilters() {
  const form = document.getElementById('filters');
  const keep = name => form.elements[name].value;
  const state = keep('state') || OPEN;
  fill(form.elements.state, 
    element('option', { value: OPEN }, `${t('all')} (${nameOf('discovered')}…${nameOf('resolved')})`),
    element('option', { value: '' }, t('all')),
    ...STATES.map(s => element('option', { value: s }, nameOf(s))));
  form.elements.state.value = state;
  const category = keep('categoryCode');
  fill(form.elements.categoryCode, element('option', { value: '' }, t('all')),
    ...categories.map(c => element('option', { value: c.code }, `${c.name} (${c.code})`)));
  form.elements.categoryCode.value = category;
  const grid = keep('gridCode');
  fill(form.elements.gridCode, element('option', { value: '' }, t('all')),
    ...grids.slice(0, 500).map(g => element('option', { value: g.code }, `${g.name} (${g.code})`)));
  form.elements.gridCode.value = grid;
}

function filters() {
  const form = document.getElementById('filters');
  const query = new URLSearchParams();
  for (const name of ['state', 'categoryCode', 'gridCode', 'q']) {
    const value = form.elements[name].value.trim();
    if (value) {
      query.set(name, value);
    }
  }
  if (form.elements.overdue.checked) {
    query.set('overdue', 'true');
  }
  return query;
}

// ---- The queue ----------------------------------------------------------------------------------------
function queuePath(after) {
  const query = filters();
  if (!query.has('overdue')) {
    query.set('sort', 'urgency'); // overdue first, then the nearest deadline
  }
  query.set('limit', PAGE);
  if (after) {
    query.set('cursor', after);
  }
  return `/orders?${query}`;
}

async function loadQueue({ reset = false, more = false } = {}) {
  try {
    const [{ body: page }, { body: counts }] = await Promise.all([
      api(queuePath(more ? cursor : null), { conditional: !more }),
      more ? Promise.resolve({ body: null }) : api(`/orders/counts?${withoutOverdue(filters())}`),
    ]);
    cursor = page.nextCursor;
    document.getElementById('more').hidden = !cursor;
    const list = document.getElementById('orders');
    const rows = page.items.map(row);
    if (more) {
      list.append(...rows);
    } else {
      fill(list, ...(rows.length ? rows : [element('li', { class: 'empty' }, t('nothing'))]));
    }
    if (counts) {
      renderCounts(counts);
    }
    if (reset) {
      seen = new Map(page.items.map(o => [o.code, o.version]));
      document.getElementById('news').textContent = '';
    }
    say('');
  } catch (error) {
    say(error.message, 'error');
  }
}

const withoutOverdue = query => {
  query.delete('overdue');
  return query;
};

function renderCounts(counts) {
  const parts = STATES.filter(s => counts.byState?.[s]).map(s => `${nameOf(s)} ${counts.byState[s]}`);
  document.getElementById('counts').textContent =
    `${t('total')} ${counts.total} · ${t('overdue')} ${counts.overdue}${parts.length ? ` · ${parts.join(' · ')}` : ''}`;
}

function row(order) {
  const deadline = order.state === 'whistled' ? order.deadlines.acknowledgeBy : order.deadlines.resolveBy;
  return element('li', { class: `state-${order.state}${order.deadlines.overdue ? ' overdue' : ''}`, dataset: { order: order.code } },
    element('button', { type: 'button', class: 'row', onclick: () => openOrder(order.id), 'aria-label': `${order.code} ${order.title}` },
      element('span', { class: 'code' }, order.code),
      element('span', { class: 'title' }, order.title),
      element('span', { class: 'state' }, nameOf(order.state)),
      element('span', { class: 'deadline' }, order.deadlines.overdue ? `${t('overdue')} ${when(order.deadlines.overdueSince)}` : deadline ? when(deadline) : ''),
      order.sameProblemAs ? element('span', { class: 'tag' }, `≈ ${order.sameProblemAs.code}`) : null));
}

/** Polls the queue's first page (304 while nothing changed) and says what is new. */
async function poll() {
  if (document.visibilityState !== 'visible' || !navigator.onLine) {
    return;
  }
  try {
    const { body: page, changed } = await api(queuePath(null));
    if (changed) {
      const fresh = page.items.filter(o => seen.get(o.code) !== o.version);
      for (const o of page.items) {
        seen.set(o.code, o.version);
      }
      if (fresh.length) {
        document.getElementById('news').textContent = `${fresh.length} ${t('newOrders')}: ${fresh.map(o => o.code).join(' ')}`;
      }
      const list = document.getElementById('orders');
      fill(list, ...page.items.map(row));
      for (const o of fresh) {
        list.querySelector(`[data-order="${o.code}"]`)?.classList.add('fresh');
      }
      cursor = page.nextCursor;
      document.getElementById('more').hidden = !cursor;
      const { body: counts } = await api(`/orders/counts?${withoutOverdue(filters())}`);
      renderCounts(counts);
    }
    if (current) {
      const { body: order, etag, changed: orderChanged } = await api(`/orders/${current.order.id}`);
      if (orderChanged && order.version !== current.order.version) {
        keepTyped();
        renderOrder(order, etag);
      }
    }
  } catch {
    // The next poll tries again.
  }
}

// ---- One order ----------------------------------------------------------------------------------------------
async function openOrder(id) {
  try {
    const { body: order, etag } = await api(`/orders/${id}`);
    typed.clear();
    history.replaceState(null, '', `#order=${order.code}`);
    await renderOrder(order, etag);
    document.getElementById('order').scrollIntoView?.({ block: 'start' });
  } catch (error) {
    say(error.message, 'error');
  }
}

async function renderOrder(order, etag, notice) {
  current = { order, etag };
  const panel = document.getElementById('order');
  const facts = element('dl', { class: 'facts' },
    ...[
      [t('state'), nameOf(order.state)],
      [t('category'), nameOfCategory(order.categoryCode)],
      [t('grid'), `${order.gridCode} · ${order.communityCode} · ${order.streetCode}`],
      [t('department'), nameOfDepartment(order.departmentCode)],
      [t('urgent'), order.priority === 'urgent' ? '✓' : '—'],
      [t('filedAt'), `${when(order.milestones.filedAt)} · ${order.filedBy}`],
      [t('acknowledgeBy'), when(order.deadlines.acknowledgeBy)],
      [t('resolveBy'), when(order.deadlines.resolveBy)],
      order.deadlines.overdue ? [t('overdue'), when(order.deadlines.overdueSince)] : null,
      order.location.address ? [t('address'), order.location.address] : null,
      order.result ? [t('result'), order.result] : null,
      order.returnReason ? [nameOf('return'), `${order.returnReasonCode ? nameOf(order.returnReasonCode) + ': ' : ''}${order.returnReason}${order.returnBasis ? ` (${order.returnBasis})` : ''}`] : null,
      order.pendingExtension ? [nameOf('request-extension'), `${when(order.pendingExtension.resolveBy)} · ${order.pendingExtension.reason} · ${order.pendingExtension.requestedBy}`] : null,
      order.rating ? [t('evaluate'), `${nameOf(order.rating)}${order.evaluationComment ? ` · ${order.evaluationComment}` : ''}`] : null,
      order.sameProblemAs ? [t('sameProblem'), order.sameProblemAs.code] : null,
    ].filter(Boolean).flatMap(([term, value]) => [element('dt', {}, term), element('dd', {}, value)]));

  const photos = element('div', { class: 'before-after' },
    element('figure', {}, element('figcaption', {}, t('before')), element('div', { class: 'thumbs', dataset: { stage: 'before' } })),
    element('figure', {}, element('figcaption', {}, t('after')), element('div', { class: 'thumbs', dataset: { stage: 'after' } })));
  for (const photo of order.photos.filter(p => !p.withdrawn && p.url)) {
    const side = photo.stage === 'discovery' ? 'before' : photo.stage === 'evaluation' ? 'before' : 'after';
    const holder = photos.querySelector(`[data-stage="${side}"]`);
    photoUrl(photo.url).then(src => holder.append(element('a', { href: src, target: '_blank' },
      element('img', { src, alt: `${nameOf(photo.stage)} ${photo.stage} ${order.code}`, loading: 'lazy', dataset: { stage: photo.stage } })))).catch(() => {});
  }

  const mapBox = element('div', { class: 'map-box small' });
  const parts = order.parts.length > 1 || order.parts.some(p => p.role === 'co-handler') ? partsTable(order, etag) : null;
  const actions = element('section', { class: 'actions-panel', 'aria-label': 'Actions' },
    ...order.allowedActions.filter(a => FORMS[a]).map(action => actionForm(order, etag, action)));

  fill(panel, 
    element('h2', { id: 'order-heading' }, `${order.code} ${order.title}`),
    notice ? element('p', { class: 'warn', role: 'alert' }, notice) : null,
    element('p', { class: 'description' }, order.description),
    facts, photos, mapBox, parts, actions,
    element('h3', {}, t('history')), element('ol', { class: 'history', id: 'history' }));
  if (!boundaries.has(order.communityCode)) {
    boundaries.set(order.communityCode, api(`/grids/boundaries?communityCode=${encodeURIComponent(order.communityCode)}`)
      .then(r => r.body.features ?? []).catch(() => []));
  }
  boundaries.get(order.communityCode).then(features => {
    const grid = features.filter(f => f.properties.code === order.gridCode);
    const drawn = drawMap(mapBox, grid.length ? grid : features, { label: `${t('map')} ${order.gridCode}` });
    drawn.setPin(order.location.latitude, order.location.longitude);
  });
  translate(panel);
  restoreTyped();
  loadHistory(order);
}

async function loadHistory(order) {
  try {
    const { body: entries } = await api(`/orders/${order.id}/history`);
    const list = document.getElementById('history');
    fill(list, ...entries.map(e => element('li', {},
      element('time', { datetime: e.at }, when(e.at)), ` ${nameOf(e.action)} · ${e.actor}`,
      e.fromState ? ` · ${nameOf(e.fromState)} → ${nameOf(e.toState)}` : ` · ${nameOf(e.toState)}`)));
  } catch {
    // History is a help, not a must.
  }
}

function partsTable(order, etag) {
  return element('section', { class: 'parts' }, element('h3', {}, t('parts')),
    element('table', {},
      element('thead', {}, element('tr', {}, ...[t('department'), t('role'), t('state'), t('acknowledgeBy'), t('result'), ''].map(h => element('th', { scope: 'col' }, h)))),
      element('tbody', {}, ...order.parts.map(part => element('tr', { dataset: { part: part.departmentCode } },
        element('td', {}, nameOfDepartment(part.departmentCode)),
        element('td', {}, nameOf(part.role)),
        element('td', {}, nameOf(part.state) + (part.overdue ? ` · ${t('overdue')}` : '')),
        element('td', {}, when(part.acknowledgeBy)),
        element('td', {}, part.result ?? part.declineReason ?? part.waiveReason ?? ''),
        element('td', {}, ...part.allowedActions.filter(a => PART_FORMS[a]).map(a => partForm(order, etag, part, a))))))));
}

// ---- Actions: one form each, with exactly the fields the API takes -------------------------------------
const text = (name, label, { required = false, rows = 2, max = 2000 } = {}) => ({ name, label, kind: 'textarea', required, rows, max });
const choice = (name, label, options, { required = false, multiple = false } = {}) => ({ name, label, kind: 'select', options, required, multiple });

const FORMS = {
  whistle: order => [
    choice('departmentCode', t('department'), () => [[
      '', `按权责清单 By the duty catalogue: ${nameOfDepartment(categories.find(c => c.code === order.categoryCode)?.departmentCode)}`]]
      .concat(departments.map(d => [d.code, `${d.name} (${d.code})`]))),
    choice('coDepartmentCodes', `${t('parts')} (协办)`, () => departments.map(d => [d.code, `${d.name} (${d.code})`]), { multiple: true }),
  ],
  'handle-locally': () => [text('result', t('result'), { required: true, max: 4000 })],
  acknowledge: () => [text('note', t('comment'))],
  return: () => [
    choice('reasonCode', nameOf('return'), () => [['', '—'], ['not-our-duty', '非本部门职责 not our duty'], ['outside-district', '不在辖区 outside the district'],
      ['duplicate', '重复 duplicate'], ['insufficient-information', '信息不全 insufficient information']]),
    text('reason', t('comment'), { required: true }), text('basis', '依据 Basis'),
  ],
  resolve: order => [text('result', t('result'), { required: true, max: 4000 }), {
    name: 'afterPhotos', label: `${t('after')} (${t('photos')})`, kind: 'file',
    required: categories.find(c => c.code === order.categoryCode)?.requiresResolutionPhoto && !order.photos.some(p => p.stage === 'resolution' && !p.withdrawn),
  }],
  evaluate: () => [choice('rating', t('evaluate'), () => [['satisfied', nameOf('satisfied')], ['basically-satisfied', nameOf('basically-satisfied')], ['unsatisfied', nameOf('unsatisfied')]], { required: true }),
    text('comment', t('comment'))],
  cancel: () => [choice('reason', nameOf('cancel'), () => [['duplicate', '重复 duplicate'], ['invalid', '无效 invalid'], ['withdrawn', '撤回 withdrawn']], { required: true }), text('comment', t('comment'))],
  escalate: () => [text('reason', t('comment'), { required: true })],
  reassign: order => [choice('departmentCode', t('department'), () => departments.filter(d => d.code !== order.departmentCode).map(d => [d.code, `${d.name} (${d.code})`]), { required: true }),
    text('reason', t('comment'), { required: true })],
  summon: order => [choice('departmentCode', t('department'), () => departments.filter(d => !order.parts.some(p => p.departmentCode === d.code)).map(d => [d.code, `${d.name} (${d.code})`]), { required: true })],
  'request-extension': () => [{ name: 'resolveBy', label: t('resolveBy'), kind: 'datetime-local', required: true }, text('reason', t('comment'), { required: true })],
  'approve-extension': () => [text('note', t('comment'))],
  'refuse-extension': () => [text('reason', t('comment'), { required: true })],
  'approve-return': () => [text('note', t('comment'))],
  'refuse-return': () => [text('note', t('comment'), { required: true })],
  merge: order => [{ name: 'intoOrderId', label: 'WS-…', kind: 'input', required: true, value: order.sameProblemAs?.code ?? '' }],
};

const PART_FORMS = {
  report: () => [text('note', t('comment'))],
  complete: () => [text('result', t('result'), { required: true, max: 4000 })],
  decline: () => [text('reason', t('comment'), { required: true })],
  waive: () => [text('reason', t('comment'), { required: true })],
};

function control(action, field) {
  const id = `${action}-${field.name}`;
  let input;
  if (field.kind === 'textarea') {
    input = element('textarea', { id, name: field.name, rows: field.rows, maxlength: field.max, required: field.required });
  } else if (field.kind === 'select') {
    input = element('select', { id, name: field.name, required: field.required, multiple: field.multiple, size: field.multiple ? 4 : undefined },
      ...field.options().map(([value, label]) => element('option', { value }, label)));
  } else if (field.kind === 'file') {
    input = element('input', { id, name: field.name, type: 'file', accept: 'image/*', multiple: true, required: field.required });
  } else {
    input = element('input', { id, name: field.name, type: field.kind === 'datetime-local' ? 'datetime-local' : 'text', required: field.required, value: field.value });
  }
  return [element('label', { for: id }, field.label + (field.required ? ' *' : '')), input];
}

function actionForm(order, etag, action) {
  const fields = FORMS[action](order);
  const form = element('form', { class: 'action', dataset: { action } },
    element('details', {}, element('summary', {}, nameOf(action)),
      ...fields.flatMap(f => control(action, f)),
      element('p', { class: 'error', role: 'alert' }),
      element('button', { type: 'submit', class: 'primary' }, nameOf(action))));
  form.addEventListener('input', () => keepTyped());
  form.addEventListener('submit', async event => {
    event.preventDefault();
    await act(form, action, fields, order, etag, `/orders/${order.id}/${action}`);
  });
  return form;
}

function partForm(order, etag, part, action) {
  const fields = PART_FORMS[action]();
  const form = element('form', { class: 'action part', dataset: { action: `part-${action}`, part: part.departmentCode } },
    element('details', {}, element('summary', {}, nameOf(action)),
      ...fields.flatMap(f => control(`${part.departmentCode}-${action}`, f)),
      element('p', { class: 'error', role: 'alert' }),
      element('button', { type: 'submit', class: 'primary' }, nameOf(action))));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    await act(form, `part-${action}`, fields, order, etag, `/orders/${order.id}/parts/${encodeURIComponent(part.departmentCode)}/${action}`);
  });
  return form;
}

async function act(form, action, fields, order, etag, path) {
  const error = form.querySelector('.error');
  const button = form.querySelector('button[type=submit]');
  const body = {};
  for (const field of fields) {
    const input = form.elements[field.name];
    if (field.kind === 'file') {
      continue;
    }
    if (field.multiple) {
      const values = [...input.selectedOptions].map(o => o.value).filter(Boolean);
      if (values.length) body[field.name] = values;
    } else if (field.kind === 'datetime-local') {
      if (input.value) body[field.name] = new Date(input.value).toISOString();
    } else if (input.value.trim()) {
      body[field.name] = input.value.trim();
    }
  }
  // One key per attempt at this form: a double tap or a retry after a lost answer acts once.
  form.dataset.key ??= newId();
  button.disabled = true;
  try {
    const photos = fields.find(f => f.kind === 'file');
    const files = photos ? [...form.elements[photos.name].files] : [];
    let ifMatch = etag;
    if (files.length) {
      const upload = new FormData();
      upload.append('stage', 'resolution');
      for (const file of files) {
        const shrunk = await shrink(file);
        upload.append('file', shrunk.blob, shrunk.name);
      }
      const { body: added } = await api(`/orders/${order.id}/photos`, {
        method: 'POST', body: upload, headers: { 'Idempotency-Key': `${form.dataset.key}-photos` }, conditional: false,
      });
      ifMatch = `"${added.order.version}"`;
    }
    const { body: updated, etag: newEtag } = await api(path, {
      method: 'POST', body, headers: { 'If-Match': ifMatch, 'Idempotency-Key': form.dataset.key }, conditional: false,
    });
    typed.delete(action);
    say(`${order.code} ${nameOf(action.replace(/^part-/, ''))} ✓`, 'ok');
    await renderOrder(updated, newEtag ?? `"${updated.version}"`);
    loadQueue();
  } catch (failure) {
    delete form.dataset.key;
    button.disabled = false;
    if (failure instanceof ApiError && (failure.status === 409 || failure.status === 412)) {
      // Someone acted first: show the order as it is now, with what was typed kept and the API's words.
      keepTyped();
      const { body: now, etag: nowEtag } = await api(`/orders/${order.id}`, { conditional: false });
      await renderOrder(now, nowEtag, `${t('conflict')}\n${describeProblem(failure.problem)}`);
    } else {
      error.textContent = failure instanceof ApiError ? describeProblem(failure.problem) : failure.message;
    }
  }
}

/** Keeps what is typed in each action's form, to be put back after the order is drawn again. */
function keepTyped() {
  for (const form of document.querySelectorAll('#order form.action')) {
    const values = {};
    for (const input of form.querySelectorAll('input:not([type=file]), textarea, select')) {
      values[input.name] = input.multiple ? [...input.selectedOptions].map(o => o.value) : input.value;
    }
    if (Object.values(values).some(v => (Array.isArray(v) ? v.length : v))) {
      typed.set(form.dataset.action, { values, open: form.querySelector('details').open });
    }
  }
}

function restoreTyped() {
  for (const [action, { values, open }] of typed) {
    const form = document.querySelector(`#order form.action[data-action="${action}"]`);
    if (!form) {
      // The action is no longer allowed (the notice says why); what was typed stays on screen to copy.
      const kept = Object.values(values).flat().filter(Boolean).join('\n');
      document.querySelector('#order .actions-panel')?.append(element('div', { class: 'kept' },
        element('label', { for: `kept-${action}` }, `${t('kept')} · ${nameOf(action.replace(/^part-/, ''))}`),
        element('textarea', { id: `kept-${action}`, readonly: true, rows: 2 }, kept)));
      continue;
    }
    form.querySelector('details').open = open;
    for (const [name, value] of Object.entries(values)) {
      const input = form.elements[name];
      if (!input) continue;
      if (input.multiple) {
        for (const option of input.options) option.selected = value.includes(option.value);
      } else {
        input.value = value;
      }
    }
  }
}
