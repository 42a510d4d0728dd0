// Possible duplicates, shown before sending: the API's nearby orders of the same category, each with
// "this is the same problem", which names it in the filing's sameProblemAs (the report still goes in).

import { api, fill, t, nameOf, element, when, may } from './common.js?v={{version}}';
import * as outbox from './outbox.js?v={{version}}';

const NEARBY_METRES = 250;
const OPEN_STATES = 'discovered,whistled,acknowledged,returned,return-under-review';

// ---- Possible duplicates nearby, shown before sending ------------------------------------------------
let nearbyRun = 0;
/** Asks for unfinished orders of the draft's category near its position, and lists them with "the same problem". */
export async function loadNearby(filing, me) {
  const section = document.getElementById('nearby');
  const location = filing.order.location;
  const category = filing.order.categoryCode;
  const run = ++nearbyRun;
  if (!category || location?.latitude === undefined || !navigator.onLine || !may(me, 'read-orders')) {
    section.hidden = !filing.order.sameProblemAs;
    renderNearby(filing, []);
    return;
  }
  try {
    const query = new URLSearchParams({
      latitude: location.latitude, longitude: location.longitude, radius: NEARBY_METRES, categoryCode: category, state: OPEN_STATES, limit: 5,
    });
    const { body } = await api(`/orders/nearby?${query}`, { conditional: false });
    if (run === nearbyRun) {
      renderNearby(filing, body.items ?? []);
    }
  } catch {
    if (run === nearbyRun) {
      renderNearby(filing, []);
    }
  }
}

function renderNearby(filing, items) {
  const section = document.getElementById('nearby');
  const same = filing.order.sameProblemAs;
  section.hidden = items.length === 0 && !same;
  fill(document.getElementById('nearby-list'), 
    same && !items.some(i => i.order.id === same) ? element('li', { class: 'same' }, `${t('markedSame')}${filing.order.sameProblemCode ?? same}`) : null,
    ...items.map(({ order, distanceMeters }) => element('li', { class: order.id === same ? 'same' : '' },
      element('strong', {}, order.code), ` ${order.title} · ${Math.round(distanceMeters)} m · ${nameOf(order.state)} · ${when(order.milestones.filedAt)}`,
      element('button', {
        type: 'button', 'aria-pressed': String(order.id === same), 'data-same-as': order.code,
        onclick: async () => {
          const marking = filing.order.sameProblemAs !== order.id;
          filing.order.sameProblemAs = marking ? order.id : undefined;
          filing.order.sameProblemCode = marking ? order.code : undefined;
          await outbox.save(filing);
          renderNearby(filing, items);
        },
      }, order.id === same ? t('notSame') : t('sameProblem')))));
}
