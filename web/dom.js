/**
 * Tiny DOM helpers. Elements are built with textContent and attributes only: relay-supplied text (NIP-11 names,
 * descriptions) is never parsed as HTML.
 */

/** Build an element: `h('a', { href: '#/', class: 'x', onclick: fn }, 'text', child)`. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** An integer with thousands separators, or a dash. */
export function int(n) {
  return n === null || n === undefined ? '—' : Math.round(Number(n)).toLocaleString('en-US');
}

/** A count and its noun, singular for exactly one: `1 check`, `2 checks`, `1,024 relays`. */
export function plural(n, word, many = `${word}s`) {
  return `${int(n)} ${Number(n) === 1 ? word : many}`;
}

/** Milliseconds, or a dash. */
export function ms(n) {
  return n === null || n === undefined ? '—' : `${Math.round(Number(n)).toLocaleString('en-US')} ms`;
}

/** A share 0–1 as a percentage, or a dash. */
export function pct(n, digits = 1) {
  return n === null || n === undefined ? '—' : `${(Number(n) * 100).toFixed(digits)} %`;
}

/** Unix seconds as `YYYY-MM-DD HH:MM UTC`, or a dash. */
export function time(t) {
  if (t === null || t === undefined) return '—';
  return `${new Date(Number(t) * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** How long ago, roughly (`5 min ago`, `3 h ago`, `2 d ago`). */
export function ago(t, now = Date.now() / 1000) {
  if (t === null || t === undefined) return 'never';
  const s = Math.max(0, now - Number(t));
  if (s < 90) return 'just now';
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** A status badge: online, offline or unchecked. */
export function badge(status) {
  return h('span', { class: `badge badge-${status}` }, status);
}

/** A card with a big figure and a label; `name` is the data-stat hook. */
export function statCard(name, label, value, note) {
  return h(
    'div',
    { class: 'card stat', 'data-stat': name },
    h('div', { class: 'stat-value' }, value),
    h('div', { class: 'stat-label' }, label),
    note ? h('div', { class: 'stat-note' }, note) : null,
  );
}

/** A `<dl>` of facts, skipping empty values. */
export function facts(pairs) {
  const rows = pairs.filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && !v.length));
  if (!rows.length) return h('p', { class: 'muted' }, 'Nothing recorded.');
  return h(
    'dl',
    { class: 'facts' },
    rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, Array.isArray(v) ? v.join(', ') : v)]),
  );
}

/** A link to a relay's page (the URL is percent-encoded into the hash). */
export function relayLink(url, text = url) {
  return h('a', { href: `#/relay/${encodeURIComponent(url)}`, class: 'relay-link' }, text);
}

/** A section with a heading. */
export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}
