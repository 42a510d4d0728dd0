// The dashboard's formatting and drawing helpers: figures as the API gives them, times in the
// district's zone, elements whose text stays text. Loaded before dashboard.js, which takes them.
'use strict';

window.whistleFormat = zone => {
  const NONE = '—';
  const counts = new Intl.NumberFormat('en-US');

  function format(name, value) {
    if (value === null || value === undefined) {
      return NONE;
    }
    return name.endsWith('Rate') ? `${(value * 100).toFixed(1)}%` : counts.format(value);
  }

  const timeFormat = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });

  function formatTime(at) {
    const p = Object.fromEntries(timeFormat.formatToParts(at).map(x => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }

  function formatSpan(ms) {
    const hours = Math.floor(ms / 3_600_000);
    return hours >= 24 ? `${Math.floor(hours / 24)} d ${hours % 24} h` : `${hours} h ${Math.floor(ms / 60_000) % 60} min`;
  }

  function element(tag, attributes = {}, ...children) {
    const e = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      e.setAttribute(name, value);
    }
    e.append(...children); // text is appended as text: titles typed by grid workers stay text
    return e;
  }

  const SVG = 'http://www.w3.org/2000/svg';

  function svg(tag, attributes = {}, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) {
      e.setAttribute(name, String(value));
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  return { NONE, format, formatTime, formatSpan, element, svg };
};
