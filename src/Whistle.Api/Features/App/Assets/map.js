// A map with no tiles: the district's grid boundaries (from the API, cached on the phone) drawn as
// SVG, panned by dragging, zoomed by the wheel, a pinch or the buttons. A tap places the pin. The
// grid a point falls in is found here as well, so the phone can say it before sending, offline.

import { element, fill, t } from './common.js?v={{version}}';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attributes = {}) => {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  return node;
};

const rings = geometry => (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates);

/** Whether [lon, lat] lies in the polygon (its outer ring, less its holes): ray casting. */
function inRing(ring, lon, lat) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) {
      inside = !inside;
    }
  }
  return inside;
}

/** The feature whose boundary contains the point, or null. */
export function featureAt(features, lat, lon) {
  return features.find(f => f.geometry && rings(f.geometry).some(([outer, ...holes]) =>
    inRing(outer, lon, lat) && !holes.some(hole => inRing(hole, lon, lat)))) ?? null;
}

/**
 * Draws the features into the container. Options: onPick(lat, lon) for a tap, label for the map's
 * accessible name. Returns { setPin(lat, lon), highlight(code), fit() }.
 */
export function drawMap(container, features, { onPick, label = t('map') } = {}) {
  const points = features.flatMap(f => (f.geometry ? rings(f.geometry).flat(2) : []));
  if (points.length === 0) {
    fill(container, element('p', { class: 'empty' }, t('nothing')));
    return { setPin() {}, highlight() {}, fit() {} };
  }
  const lons = points.map(p => p[0]);
  const lats = points.map(p => p[1]);
  const [west, east, south, north] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const k = Math.cos(((south + north) / 2) * Math.PI / 180); // metres east per metre north at this latitude
  const scale = 1000 / Math.max((east - west) * k, north - south, 1e-9);
  const x = lon => (lon - west) * k * scale;
  const y = lat => (north - lat) * scale;
  const width = (east - west) * k * scale;
  const height = (north - south) * scale;

  const root = svg('svg', { role: 'img', 'aria-label': label, class: 'map', preserveAspectRatio: 'xMidYMid meet' });
  const layer = svg('g');
  const cells = new Map();
  for (const feature of features) {
    if (!feature.geometry) {
      continue;
    }
    const d = rings(feature.geometry).flat(1)
      .map(ring => `M${ring.map(([lon, lat]) => `${x(lon).toFixed(1)},${y(lat).toFixed(1)}`).join('L')}Z`).join('');
    const cell = svg('path', { d, class: 'cell', 'data-code': feature.properties.code, 'vector-effect': 'non-scaling-stroke' });
    const title = svg('title');
    title.textContent = `${feature.properties.name ?? ''} ${feature.properties.code}`;
    cell.append(title);
    layer.append(cell);
    cells.set(feature.properties.code, cell);
  }
  const pin = svg('circle', { r: 6, class: 'pin', 'vector-effect': 'non-scaling-stroke' });
  pin.style.display = 'none';
  layer.append(pin);
  root.append(layer);

  let view = { x: -10, y: -10, w: width + 20, h: height + 20 };
  const apply = () => {
    root.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
    pin.setAttribute('r', (view.w / 100).toFixed(2));
  };
  const zoom = (factor, cx = view.x + view.w / 2, cy = view.y + view.h / 2) => {
    view = { x: cx - (cx - view.x) * factor, y: cy - (cy - view.y) * factor, w: view.w * factor, h: view.h * factor };
    apply();
  };
  const toMap = event => {
    const box = root.getBoundingClientRect();
    const ratio = Math.max(view.w / box.width, view.h / box.height);
    const offsetX = (box.width * ratio - view.w) / 2;
    const offsetY = (box.height * ratio - view.h) / 2;
    return { mx: view.x + (event.clientX - box.left) * ratio - offsetX, my: view.y + (event.clientY - box.top) * ratio - offsetY, ratio };
  };

  // Drag to pan, pinch to zoom; a tap (little movement) places the pin.
  const pointers = new Map();
  let moved = 0;
  let pinch = null;
  root.addEventListener('pointerdown', event => {
    root.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    moved = 0;
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = Math.hypot(a.x - b.x, a.y - b.y);
    }
  });
  root.addEventListener('pointermove', event => {
    const last = pointers.get(event.pointerId);
    if (!last) {
      return;
    }
    const { ratio } = toMap(event);
    if (pointers.size === 1) {
      view.x -= (event.clientX - last.x) * ratio;
      view.y -= (event.clientY - last.y) * ratio;
      moved += Math.abs(event.clientX - last.x) + Math.abs(event.clientY - last.y);
      apply();
    }
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size === 2 && pinch) {
      const [a, b] = [...pointers.values()];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      zoom(pinch / distance);
      pinch = distance;
      moved += 10;
    }
  });
  const up = event => {
    const wasTap = pointers.size === 1 && moved < 6;
    pointers.delete(event.pointerId);
    if (pointers.size < 2) {
      pinch = null;
    }
    if (wasTap && onPick && event.type === 'pointerup') {
      const { mx, my } = toMap(event);
      onPick(north - my / scale, west + mx / (k * scale));
    }
  };
  root.addEventListener('pointerup', up);
  root.addEventListener('pointercancel', up);
  root.addEventListener('wheel', event => {
    event.preventDefault();
    const { mx, my } = toMap(event);
    zoom(event.deltaY > 0 ? 1.25 : 0.8, mx, my);
  }, { passive: false });

  const controls = element('div', { class: 'map-controls' },
    element('button', { type: 'button', 'aria-label': t('zoomIn'), onclick: () => zoom(0.66) }, '+'),
    element('button', { type: 'button', 'aria-label': t('zoomOut'), onclick: () => zoom(1.5) }, '−'));
  fill(container, root, controls);
  apply();

  return {
    setPin(lat, lon) {
      if (lat === null || lat === undefined) {
        pin.style.display = 'none';
        return;
      }
      pin.style.display = '';
      pin.setAttribute('cx', x(lon));
      pin.setAttribute('cy', y(lat));
    },
    highlight(code) {
      for (const [cellCode, cell] of cells) {
        cell.classList.toggle('chosen', cellCode === code);
      }
    },
    /** Zooms to the feature with this code (or back to all). */
    focus(code) {
      const feature = features.find(f => f.properties.code === code);
      if (!feature?.geometry) {
        view = { x: -10, y: -10, w: width + 20, h: height + 20 };
      } else {
        const own = rings(feature.geometry).flat(2);
        const xs = own.map(p => x(p[0]));
        const ys = own.map(p => y(p[1]));
        const pad = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) * 0.6 + 2;
        view = { x: Math.min(...xs) - pad, y: Math.min(...ys) - pad, w: Math.max(...xs) - Math.min(...xs) + 2 * pad, h: Math.max(...ys) - Math.min(...ys) + 2 * pad };
      }
      apply();
    },
  };
}
