// "My orders" in the field app: what became of each report the person sent from this phone, read
// with If-None-Match, and the evaluation for those the person may evaluate.

import { api, fill, ApiError, NetworkError, t, nameOf, element, when, say, translate, photoUrl, newId, describeProblem } from './common.js?v={{version}}';
import * as outbox from './outbox.js?v={{version}}';
import { shrink } from './photos.js?v={{version}}';

// ---- My orders: what became of each report ----------------------------------------------------------
const followed = new Map(); // id -> the order as last read
/** Draws the person's sent reports as the API says they stand now. */
export async function renderMine(me) {
  const list = document.getElementById('mine-list');
  const sent = (await outbox.list()).filter(f => f.owner === me.id && f.state === 'sent');
  if (sent.length === 0) {
    fill(list, element('li', { class: 'empty' }, t('nothing')));
    return;
  }
  const cards = await Promise.all(sent.map(async f => {
    try {
      // If-None-Match with the ETag held: 304 while the order is unchanged. Only a deadline passing changes
      // what the API says without a new version, so once one held has passed, the order is read in full.
      const held = followed.get(f.sentOrder.id);
      const now = Date.now();
      const passed = held && !held.deadlines.overdue
        && [held.deadlines.acknowledgeBy, held.deadlines.resolveBy].some(d => d && Date.parse(d) < now);
      const { body: order, etag } = await api(`/orders/${f.sentOrder.id}`, { conditional: !passed });
      followed.set(order.id, order);
      return orderCard(me, order, etag);
    } catch (error) {
      return element('li', { class: 'order' }, element('strong', {}, f.sentOrder.code), ` · ${error instanceof NetworkError ? t('offline') : error.message}`);
    }
  }));
  fill(list, ...cards);
}

function orderCard(me, order, etag) {
  const department = order.departmentCode ?? '—';
  const card = element('li', { class: `order state-${order.state}`, dataset: { order: order.code, state: order.state } },
    element('h3', {}, `${order.code} ${order.title}`),
    element('dl', {},
      element('dt', {}, t('state')), element('dd', { class: 'state' }, nameOf(order.state)),
      element('dt', {}, t('department')), element('dd', {}, department),
      element('dt', {}, t('filedAt')), element('dd', {}, when(order.milestones.filedAt)),
      order.deadlines.acknowledgeBy ? [element('dt', {}, t('acknowledgeBy')), element('dd', {}, when(order.deadlines.acknowledgeBy))] : null,
      order.deadlines.resolveBy ? [element('dt', {}, t('resolveBy')), element('dd', {}, when(order.deadlines.resolveBy))] : null,
      order.deadlines.overdue ? [element('dt', {}, t('overdue')), element('dd', { class: 'error' }, when(order.deadlines.overdueSince))] : null,
      order.result ? [element('dt', {}, t('result')), element('dd', {}, order.result)] : null,
      order.rating ? [element('dt', {}, t('evaluate')), element('dd', {}, nameOf(order.rating))] : null));
  const after = order.photos.filter(p => !p.withdrawn && (p.stage === 'resolution' || p.stage === 'handling') && p.thumbnailUrl);
  if (after.length) {
    const strip = element('div', { class: 'thumbs', 'aria-label': t('after') });
    card.append(strip);
    for (const photo of after) {
      photoUrl(photo.thumbnailUrl).then(src => strip.append(element('img', { src, alt: `${t('after')} ${order.code}`, width: 96, height: 96 }))).catch(() => {});
    }
  }
  if (order.allowedActions.includes('evaluate')) {
    card.append(evaluationForm(me, order, etag));
  }
  return card;
}

function evaluationForm(me, order, etag) {
  const id = `eval-${order.code}`;
  const form = element('form', { class: 'evaluate', 'aria-labelledby': `${id}-h` },
    element('h4', { id: `${id}-h` }, t('evaluate')),
    element('fieldset', {}, element('legend', {}, t('evaluate')),
      ...['satisfied', 'basically-satisfied', 'unsatisfied'].map(rating => element('label', { class: 'check' },
        element('input', { type: 'radio', name: 'rating', value: rating, required: true }), ` ${nameOf(rating)}`))),
    element('label', { for: `${id}-comment` }, t('comment')),
    element('textarea', { id: `${id}-comment`, name: 'comment', maxlength: 2000, rows: 2 }),
    element('label', { for: `${id}-photos` }, t('photos')),
    element('input', { id: `${id}-photos`, name: 'evaluationPhotos', type: 'file', accept: 'image/*', multiple: true }),
    element('p', { class: 'error', role: 'alert' }),
    element('button', { type: 'submit', class: 'primary' }, t('evaluate')));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const error = form.querySelector('.error');
    const rating = form.elements.rating.value;
    if (!rating) {
      error.textContent = `${t('required')}: ${t('evaluate')}`;
      return;
    }
    try {
      const files = [...form.elements.evaluationPhotos.files];
      if (files.length) {
        const body = new FormData();
        body.append('stage', 'evaluation');
        for (const file of files) {
          const shrunk = await shrink(file);
          body.append('file', shrunk.blob, shrunk.name);
        }
        await api(`/orders/${order.id}/photos`, { method: 'POST', body, headers: { 'Idempotency-Key': newId() }, conditional: false });
      }
      await api(`/orders/${order.id}/evaluate`, {
        method: 'POST', body: { rating, comment: form.elements.comment.value || undefined },
        headers: { 'Idempotency-Key': newId(), ...(files.length ? {} : { 'If-Match': etag }) }, conditional: false,
      });
      say(`${order.code} ${t('evaluate')} ✓`, 'ok');
      renderMine(me);
    } catch (failure) {
      error.textContent = failure instanceof ApiError ? describeProblem(failure.problem) : failure.message;
    }
  });
  translate(form);
  return form;
}

/** Refreshed while shown; the API answers 304 for each unchanged order. */
export function followMine(me) {
  setInterval(() => {
    if (document.visibilityState === 'visible' && location.hash === '#mine' && navigator.onLine) {
      renderMine(me);
    }
  }, 60_000);
}
