// Whistle's district dashboard: plain DOM and SVG, no library, nothing fetched from elsewhere.
// Every figure comes from the API as it is; the page only formats and lays it out.
'use strict';

(() => {
  const POLL_MS = 30_000;
  const OVERDUE_ROWS = 10;
  const KEY_STORAGE = 'whistle.apiKey';

  const meta = name => document.querySelector(`meta[name="${name}"]`)?.content ?? '';
  const base = meta('whistle-base');
  const zone = meta('whistle-time-zone') || 'Asia/Shanghai';
  // The service's clock, not the screen's: periods follow the district's calendar. Each response's
  // asOf moves it on.
  let asOf = new Date(meta('whistle-now') || Date.now());

  // ---- Credentials -------------------------------------------------------------------------
  // The API will ask for an API key or a JWT (issue 3). A screen is set up once with ?key=…; the key
  // is kept in localStorage and taken out of the address bar, and sent with every API call.
  function credential() {
    try {
      const url = new URL(location.href);
      const fromUrl = url.searchParams.get('key');
      if (fromUrl) {
        localStorage.setItem(KEY_STORAGE, fromUrl);
        url.searchParams.delete('key');
        history.replaceState(null, '', url);
      }
      return localStorage.getItem(KEY_STORAGE);
    } catch {
      return null; // storage switched off: the page still works against an open API
    }
  }

  const key = credential();

  function authHeaders() {
    if (!key) {
      return {};
    }
    // Three dot-separated parts: a JWT, sent as a bearer token; anything else is an API key.
    return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(key) ? { Authorization: `Bearer ${key}` } : { 'X-Api-Key': key };
  }

  // ---- Fetching, honouring ETags --------------------------------------------------------------
  const cache = new Map(); // url -> { etag, body }
  const tally = { requests: 0, unchanged: 0 };

  class ApiError extends Error {
    constructor(status, detail) {
      super(`${status}${detail ? ` ${detail}` : ''}`);
      this.status = status;
    }
  }

  // The one way this page talks to the API: credentials, conditional requests, problem details.
  async function api(path) {
    const url = base + path;
    const cached = cache.get(url);
    const headers = { Accept: 'application/json', ...authHeaders() };
    if (cached?.etag) {
      headers['If-None-Match'] = cached.etag;
    }
    // no-store: the browser's cache would answer a 304 itself; we keep the last body ourselves.
    const response = await fetch(url, { headers, cache: 'no-store', credentials: 'same-origin' });
    tally.requests++;
    if (response.status === 304 && cached) {
      tally.unchanged++;
      return cached.body;
    }
    if (!response.ok) {
      let detail = '';
      try {
        const problem = await response.json();
        detail = problem.detail ?? problem.title ?? '';
      } catch {
        // not a problem document
      }
      throw new ApiError(response.status, detail);
    }
    const body = await response.json();
    cache.set(url, { etag: response.headers.get('ETag'), body });
    return body;
  }

  const query = params => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== '') {
        search.set(name, value);
      }
    }
    const text = search.toString();
    return text ? `?${text}` : '';
  };

  // ---- Dates in the district's time zone --------------------------------------------------------
  function districtDate(at) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
      timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
    }).formatToParts(at).map(p => [p.type, p.value]));
    return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day) };
  }

  const iso = (year, month, day) => {
    const d = new Date(Date.UTC(year, month - 1, day));
    return d.toISOString().slice(0, 10);
  };

  const daysBetween = (from, to) => (Date.parse(to) - Date.parse(from)) / 86_400_000;

  // The API reads a bare date as a whole day in the district's zone: from the 1st to the 31st.
  function period(filters) {
    const today = districtDate(asOf);
    switch (filters.period) {
      case 'month':
        return { from: iso(today.year, today.month, 1), to: iso(today.year, today.month + 1, 0), interval: 'day' };
      case 'last30':
        return { from: iso(today.year, today.month, today.day - 29), to: iso(today.year, today.month, today.day), interval: 'day' };
      case 'custom': {
        if (!filters.from || !filters.to || filters.from > filters.to) {
          return null;
        }
        const days = daysBetween(filters.from, filters.to);
        return { from: filters.from, to: filters.to, interval: days <= 62 ? 'day' : days <= 200 ? 'week' : 'month' };
      }
      default:
        return { from: iso(today.year, 1, 1), to: iso(today.year, 12, 31), interval: 'month' };
    }
  }

  // ---- Formatting (dashboard-format.js) -------------------------------------------------------------
  const { NONE, format, formatTime, formatSpan, element, svg } = window.whistleFormat(zone);

  // ---- Rendering ----------------------------------------------------------------------------------
  function renderHeadline(figures) {
    for (const e of document.querySelectorAll('#headline [data-figure]')) {
      e.textContent = format(e.dataset.figure, figures[e.dataset.figure]);
    }
    document.getElementById('overdue-tile').classList.toggle('alert', figures.overdueNow > 0);
  }

  function renderTrend(series) {
    const chart = document.getElementById('chart');
    document.getElementById('interval').textContent = series.interval;
    const width = 1000;
    const height = 320;
    const pad = { left: 64, right: 40, top: 16, bottom: 44 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const points = series.points;
    // District rates sit near the top: start the axis below the lowest one, at 0, 20, 40, 60 or 80 %,
    // so changes show and the ticks stay round.
    const rates = points.flatMap(p => [p.figures.completionRate, p.figures.satisfactionRate]).filter(r => r !== null && r !== undefined);
    const low = rates.length ? Math.max(0, Math.floor((Math.min(...rates) - 0.05) * 5) / 5) : 0;
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Completion and satisfaction rates' });

    const y = rate => pad.top + plotH * (1 - (rate - low) / (1 - low));
    for (let tick = 0; tick <= 4; tick++) {
      const rate = low + (1 - low) * tick / 4;
      root.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y(rate), y2: y(rate), class: 'grid' }));
      root.append(svg('text', { x: pad.left - 8, y: y(rate) + 5, class: 'axis', 'text-anchor': 'end' },
        `${Math.round(rate * 1000) / 10}%`));
    }

    const step = points.length > 1 ? plotW / (points.length - 1) : 0;
    const x = i => pad.left + (points.length > 1 ? i * step : plotW / 2);
    // Label at most ~16 ticks, so 31 days or 53 weeks stay readable.
    const every = Math.max(1, Math.ceil(points.length / 16));
    points.forEach((p, i) => {
      if (i % every === 0) {
        root.append(svg('text', { x: x(i), y: height - pad.bottom + 22, class: 'axis', 'text-anchor': 'middle' },
          series.interval === 'day' ? p.label.slice(5) : p.label));
      }
    });

    for (const [figure, cls] of [['completionRate', 'completion'], ['satisfactionRate', 'satisfaction']]) {
      // A period without a rate (no orders) breaks the line instead of drawing a false zero.
      let path = '';
      let pen = false;
      points.forEach((p, i) => {
        const rate = p.figures[figure];
        if (rate === null || rate === undefined) {
          pen = false;
          return;
        }
        path += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(rate).toFixed(1)}`;
        pen = true;
      });
      if (path) {
        root.append(svg('path', { d: path, class: `line ${cls}` }));
      }
      points.forEach((p, i) => {
        const rate = p.figures[figure];
        if (rate !== null && rate !== undefined) {
          const dot = svg('circle', { cx: x(i), cy: y(rate), r: 5, class: `dot ${cls}`, 'data-label': p.label, 'data-figure': figure });
          dot.append(svg('title', {}, `${p.label}: ${format(figure, rate)} (${p.figures.validOrders} valid)`));
          root.append(dot);
        }
      });
    }
    chart.replaceChildren(root);
  }

  function renderRanking(breakdown) {
    const rows = breakdown.rows.map((row, i) => element('tr', { 'data-code': row.code },
      element('td', {}, String(i + 1)),
      element('td', {}, row.name),
      ...['validOrders', 'completionRate', 'responseRate', 'satisfactionRate', 'overdueNow'].map(name =>
        element('td', { class: name === 'overdueNow' && row.figures.overdueNow > 0 ? 'n alert' : 'n', 'data-figure': name },
          format(name, row.figures[name])))));
    if (rows.length === 0) {
      rows.push(element('tr', {}, element('td', { colspan: '7', class: 'empty' }, '无 None in this period')));
    }
    document.getElementById('ranking-rows').replaceChildren(...rows);
  }

  // The deadline missed first, as the API orders them: while whistled, the earlier of the two;
  // once acknowledged, the resolution's (renewed by a reopen).
  function missed(order) {
    const { acknowledgeBy, resolveBy } = order.deadlines;
    return order.state === 'whistled' && acknowledgeBy && !(resolveBy && Date.parse(resolveBy) < Date.parse(acknowledgeBy))
      ? { what: '签收 ack', at: new Date(acknowledgeBy) }
      : { what: '办结 resolve', at: new Date(resolveBy) };
  }

  // The order's first photo (not withdrawn) as a thumbnail. An <img> cannot send the screen's key, so
  // the bytes are fetched with it and shown from a blob URL; a photo's bytes never change, so once is enough.
  const thumbnails = new Map(); // thumbnailUrl -> blob URL
  function thumbnail(order) {
    const photo = (order.photos ?? []).find(p => p.thumbnailUrl);
    const cell = element('td', { class: 'photo' });
    if (!photo) {
      return cell;
    }
    const image = element('img', { alt: order.code, 'data-photo': photo.id, width: '48', height: '48' });
    cell.append(image);
    const known = thumbnails.get(photo.thumbnailUrl);
    if (known) {
      image.src = known;
      return cell;
    }
    fetch(base + photo.thumbnailUrl, { headers: authHeaders(), credentials: 'same-origin' })
      .then(response => (response.ok ? response.blob() : null))
      .then(blob => {
        if (blob) {
          const url = URL.createObjectURL(blob);
          thumbnails.set(photo.thumbnailUrl, url);
          image.src = url;
        }
      })
      .catch(() => { /* the row stands without its picture */ });
    return cell;
  }

  function renderOverdue(page, departments, communities) {
    const rows = page.items.map(order => {
      const deadline = missed(order);
      const escalated = order.escalationLevel && order.escalationLevel !== 'none' ? ` ↑${order.escalationLevel}` : '';
      return element('tr', { 'data-code': order.code },
        thumbnail(order),
        element('td', {}, order.code),
        element('td', { class: 'title' }, order.title),
        element('td', {}, departments.get(order.departmentCode) ?? order.departmentCode ?? NONE),
        element('td', {}, communities.get(order.communityCode) ?? order.communityCode),
        element('td', {}, `${deadline.what} ${formatTime(deadline.at)}${escalated}`),
        element('td', { class: 'n alert' }, formatSpan(asOf - deadline.at)));
    });
    if (rows.length === 0) {
      rows.push(element('tr', {}, element('td', { colspan: '7', class: 'empty' }, '无超期 Nothing overdue')));
    }
    document.getElementById('overdue-rows').replaceChildren(...rows);
  }

  // ---- The map: the grids' boundaries as SVG (no tiles, nothing fetched from elsewhere) -------------
  // Shaded by their open orders, outlined when any is overdue, with a dot for each overdue order;
  // clicking a grid filters the page to it.
  function renderMap(collection, overdueOrders, selected, street) {
    const canvas = document.getElementById('map-canvas');
    const features = collection.features;
    if (features.length === 0) {
      canvas.replaceChildren(element('p', { class: 'empty' }, '无网格边界 No grid boundaries'));
      return;
    }
    let west = Infinity, east = -Infinity, south = Infinity, north = -Infinity;
    for (const feature of features) {
      for (const polygon of feature.geometry.coordinates) {
        for (const [x, y] of polygon[0]) {
          west = Math.min(west, x); east = Math.max(east, x); south = Math.min(south, y); north = Math.max(north, y);
        }
      }
    }
    // A degree of longitude is shorter than one of latitude by cos(latitude): the map keeps the ground's shape.
    const width = 1000;
    const height = Math.round(width * (north - south) / ((east - west) * Math.cos((south + north) / 2 * Math.PI / 180)));
    const px = lon => ((lon - west) / (east - west) * width).toFixed(1);
    const py = lat => ((north - lat) / (north - south) * height).toFixed(1);
    const most = Math.max(1, ...features.map(f => f.properties.openOrders ?? 0));
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Grids shaded by open orders', preserveAspectRatio: 'xMidYMid meet' });
    for (const feature of features) {
      const p = feature.properties;
      const open = p.openOrders ?? 0;
      const overdue = p.overdueOrders ?? 0;
      const d = feature.geometry.coordinates
        .map(polygon => polygon.map(ring => `M${ring.map(([x, y]) => `${px(x)},${py(y)}`).join('L')}Z`).join(''))
        .join('');
      const classes = ['cell', overdue > 0 ? 'overdue' : '', p.code === selected ? 'selected' : '',
        street && reference.streetOfCommunity.get(p.parentCode) !== street ? 'dim' : ''].filter(Boolean).join(' ');
      const cell = svg('path', {
        d, class: classes, 'data-code': p.code, 'data-open': open, 'data-overdue': overdue,
        'fill-opacity': open ? (0.3 + 0.7 * open / most).toFixed(2) : '0.04',
      });
      cell.append(svg('title', {}, `${p.name} ${p.code}: 在办 open ${open} · 超期 overdue ${overdue}`));
      root.append(cell);
    }
    for (const order of overdueOrders) {
      root.append(svg('circle', { cx: px(order.location.longitude), cy: py(order.location.latitude), r: 5, class: 'point', 'data-code': order.code }));
    }
    canvas.replaceChildren(root);
  }

  // ---- Filters ------------------------------------------------------------------------------------
  const form = document.getElementById('filters');
  const controls = {
    period: document.getElementById('period'),
    from: document.getElementById('from'),
    to: document.getElementById('to'),
    street: document.getElementById('street'),
  };

  // The grid chosen on the map, if any: the figures narrow to its community, the overdue list to the grid.
  let selectedGrid = new URL(location.href).searchParams.get('grid') ?? '';

  // The filters live in the address, so a screen can be bookmarked showing one street.
  function readFilters() {
    return {
      period: controls.period.value,
      from: controls.from.value,
      to: controls.to.value,
      street: controls.street.value,
      grid: selectedGrid,
    };
  }

  function writeAddress(filters) {
    const url = new URL(location.href);
    for (const [name, value] of Object.entries(filters)) {
      if (value && !(name === 'period' && value === 'year') && !((name === 'from' || name === 'to') && filters.period !== 'custom')) {
        url.searchParams.set(name, value);
      } else {
        url.searchParams.delete(name);
      }
    }
    history.replaceState(null, '', url);
  }

  // ---- The refresh cycle --------------------------------------------------------------------------
  const status = document.getElementById('status');
  const reference = { departments: new Map(), communities: new Map(), streetOfCommunity: new Map(), communityOfGrid: new Map() };
  let generation = 0;

  async function loadReference() {
    const [streets, departments, communities] = await Promise.all([
      api('/api/v1/streets'), api('/api/v1/departments'), api('/api/v1/communities'),
    ]);
    const wanted = new URL(location.href).searchParams.get('street') ?? '';
    controls.street.append(...streets.map(s => element('option', { value: s.code }, `${s.name} ${s.code}`)));
    controls.street.value = streets.some(s => s.code === wanted) ? wanted : '';
    reference.departments = new Map(departments.map(d => [d.code, d.name]));
    reference.communities = new Map(communities.map(c => [c.code, c.name]));
    reference.streetOfCommunity = new Map(communities.map(c => [c.code, c.streetCode]));
  }

  async function refresh() {
    const run = ++generation;
    const filters = readFilters();
    document.body.classList.toggle('custom-period', filters.period === 'custom');
    const range = period(filters);
    if (!range) {
      status.textContent = '请选择起止日期 Choose a from and a to date';
      status.className = 'warn';
      return;
    }
    const community = filters.grid ? reference.communityOfGrid.get(filters.grid) : undefined;
    const scope = { from: range.from, to: range.to, streetCode: filters.street, communityCode: community };
    const urls = [
      `/api/v1/stats/summary${query(scope)}`,
      `/api/v1/stats/timeseries${query({ interval: range.interval, ...scope })}`,
      `/api/v1/stats/breakdown${query({ groupBy: 'department', sort: 'completionRate', order: 'desc', ...scope })}`,
      `/api/v1/orders${query({ overdue: 'true', streetCode: filters.street, gridCode: filters.grid, limit: OVERDUE_ROWS })}`,
      '/api/v1/grids/boundaries?counts=true',
      `/api/v1/orders${query({ overdue: 'true', streetCode: filters.street, limit: 200 })}`,
    ];
    tally.requests = 0;
    tally.unchanged = 0;
    try {
      // Every panel with the screen's own key: a dashboard key reads the statistics and the overdue list.
      const [summary, series, breakdown, overdue, boundaries, points] = await Promise.all(urls.map(url => api(url)));
      if (run !== generation) {
        return; // the filters changed while this was in flight; the newer refresh draws
      }
      asOf = new Date(summary.asOf);
      renderHeadline(summary.figures);
      renderTrend(series);
      renderRanking(breakdown);
      renderOverdue(overdue, reference.departments, reference.communities);
      reference.communityOfGrid = new Map(boundaries.features.map(f => [f.properties.code, f.properties.parentCode]));
      renderMap(boundaries, points.items, filters.grid, filters.street);
      // The tile counts this period's orders; the list beside it any period's: the tile says both.
      document.getElementById('overdue-any').textContent = points.items.length + (points.nextCursor ? '+' : '');
      document.getElementById('map-clear').hidden = !filters.grid;
      // Keep only what the next poll will ask for: other periods and streets are not asked again.
      for (const url of [...cache.keys()]) {
        if (!urls.some(u => base + u === url)) {
          cache.delete(url);
        }
      }
      status.textContent = `${formatTime(asOf)} 更新 updated · ${range.from} – ${range.to}` +
        ` · ${tally.unchanged}/${tally.requests} unchanged` +
        (summary.figures.validOrders === 0 ? ' · 本时段无工单 No orders in this period: choose another (自定义 Custom)' : '');
      status.className = 'ok';
      // What is on screen, for tests and the curious: the filters the figures belong to, and how
      // many answers were 304s.
      document.body.dataset.shown = query({ period: filters.period, ...scope, gridCode: filters.grid });
      document.body.dataset.unchanged = String(tally.unchanged);
    } catch (error) {
      if (run !== generation) {
        return;
      }
      // Keep the last figures up: a screen on the wall is better a minute stale than blank.
      status.textContent = error instanceof ApiError && (error.status === 401 || error.status === 403)
        ? `未授权 Not authorised (${error.status}): open the page once with ?key=<API key>`
        : `更新失败 Update failed: ${error.message}; retrying`;
      status.className = 'error';
    }
  }

  async function start() {
    const params = new URL(location.href).searchParams;
    if ([...controls.period.options].some(o => o.value === params.get('period'))) {
      controls.period.value = params.get('period');
    }
    controls.from.value = params.get('from') ?? '';
    controls.to.value = params.get('to') ?? '';
    form.addEventListener('submit', e => e.preventDefault());
    form.addEventListener('change', () => {
      writeAddress(readFilters());
      refresh();
    });
    const choose = grid => {
      selectedGrid = grid;
      writeAddress(readFilters());
      refresh();
    };
    document.getElementById('map-canvas').addEventListener('click', e => {
      const code = e.target.closest?.('path.cell')?.dataset.code;
      if (code) {
        choose(code === selectedGrid ? '' : code);
      }
    });
    document.getElementById('map-clear').addEventListener('click', () => choose(''));
    try {
      await loadReference();
    } catch (error) {
      status.textContent = `参考数据加载失败 Reference data failed: ${error.message}`;
      status.className = 'error';
    }
    await refresh();
    setInterval(refresh, POLL_MS);
  }

  // For a console or a test: redraw now instead of at the next poll.
  window.whistleDashboard = { refresh };
  start();
})();
