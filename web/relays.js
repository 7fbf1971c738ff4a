/**
 * The relay table: search and filters (network, NIP, software, country, status), sorting and pages. Filters live
 * in the hash (`#/relays?network=tor&q=…`), updated with replaceState so typing never re-renders the page.
 */
import { cachedStats, getJson } from './api.js';
import { ago, badge, h, int, ms, relayLink } from './dom.js';
import { shortSoftware } from './overview.js';

const NETWORKS = ['clearnet', 'tor', 'i2p', 'loki', 'local'];
const FILTERS = ['q', 'network', 'nip', 'software', 'country', 'status', 'sort'];
const PAGE = 50;

/** Render the relay table into `main`, with the filters of `params` (URLSearchParams). */
export async function renderRelays(main, params, signal) {
  const stats = await cachedStats(signal).catch(() => ({ data: { nips: [], software: [], countries: [] } }));
  const state = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? '']));
  let offset = Number(params.get('offset')) || 0;
  const summary = h('p', { class: 'muted', 'data-summary': '' });
  const body = h('tbody', {});
  const pager = h('div', { class: 'pager' });
  let pending;

  const load = async () => {
    pending?.abort();
    pending = new AbortController();
    const both = AbortSignal.any([signal, pending.signal]);
    const query = { ...state, limit: PAGE, offset };
    history.replaceState(null, '', `#/relays${hashQuery(state, offset)}`);
    main.setAttribute('aria-busy', 'true');
    try {
      const { data, meta } = await getJson('/relays', query, both);
      body.replaceChildren(...data.map(row));
      if (!data.length) body.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No relay matches.')));
      summary.textContent = meta.total
        ? `${int(offset + 1)}–${int(offset + data.length)} of ${int(meta.total)} relays`
        : '0 relays';
      pager.replaceChildren(
        h('button', { type: 'button', disabled: offset === 0, onclick: () => go(-PAGE) }, '‹ Previous'),
        h('button', { type: 'button', disabled: offset + PAGE >= meta.total, onclick: () => go(PAGE) }, 'Next ›'),
      );
    } catch (err) {
      if (err.name !== 'AbortError') summary.textContent = `Could not load relays: ${err.message}`;
    } finally {
      main.removeAttribute('aria-busy');
    }
  };
  const go = (delta) => {
    offset = Math.max(0, offset + delta);
    void load();
  };
  let timer;
  const set = (key, value, delay = 0) => {
    state[key] = value;
    offset = 0;
    clearTimeout(timer);
    timer = setTimeout(load, delay);
  };

  const s = stats.data;
  main.replaceChildren(
    h('h1', {}, 'Relays'),
    h(
      'form',
      { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
      h(
        'label',
        { class: 'grow' },
        'Search',
        h('input', {
          type: 'search',
          name: 'q',
          id: 'relay-search',
          value: state.q,
          placeholder: 'URL or name',
          autocomplete: 'off',
          oninput: (e) => set('q', e.target.value.trim(), 250),
        }),
      ),
      select(
        'network',
        'Network',
        state,
        set,
        NETWORKS.map((n) => [n, n]),
      ),
      select(
        'nip',
        'NIP',
        state,
        set,
        s.nips.map((n) => [String(n.nip), `NIP-${String(n.nip).padStart(2, '0')}`]),
      ),
      select(
        'software',
        'Software',
        state,
        set,
        s.software.map((r) => [r.software, shortSoftware(r.software)]),
      ),
      select(
        'country',
        'Country',
        state,
        set,
        s.countries.map((c) => [c.country, c.country]),
      ),
      select('status', 'Status', state, set, [
        ['online', 'online'],
        ['offline', 'offline'],
        ['unchecked', 'unchecked'],
      ]),
      select(
        'sort',
        'Sort',
        state,
        set,
        [
          ['url', 'URL'],
          ['rtt_open:asc', 'fastest'],
          ['event_count:desc', 'most events'],
          ['checked_at:desc', 'last checked'],
          ['name', 'name'],
          ['discovered_at:desc', 'newest'],
        ],
        'default',
      ),
    ),
    summary,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'relays', 'data-table': 'relays' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Relay', 'Name', 'Network', 'Status', 'Open', 'Software', 'Country', 'Checked'].map((c) => h('th', {}, c)),
          ),
        ),
        body,
      ),
    ),
    h(
      'p',
      { class: 'muted note' },
      'Country: located from the relay’s IP address; * announced in its NIP-11 document.',
    ),
    pager,
  );
  await load();
}

function select(key, label, state, set, options, anyLabel = 'any') {
  const known = options.some(([v]) => v === state[key]);
  const all = known || !state[key] ? options : [[state[key], state[key]], ...options];
  return h(
    'label',
    {},
    label,
    h(
      'select',
      { name: key, onchange: (e) => set(key, e.target.value) },
      h('option', { value: '' }, anyLabel),
      all.map(([v, text]) => h('option', { value: v, selected: v === state[key] }, text)),
    ),
  );
}

function hashQuery(state, offset) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) if (v) qs.set(k, v);
  if (offset) qs.set('offset', String(offset));
  const text = qs.toString();
  return text ? `?${text}` : '';
}

function row(r) {
  return h(
    'tr',
    { class: 'relay-row', 'data-url': r.url },
    h('td', { 'data-label': 'Relay', class: 'url' }, relayLink(r.url)),
    h('td', { 'data-label': 'Name' }, r.name ?? '—'),
    h('td', { 'data-label': 'Network' }, r.network),
    h('td', { 'data-label': 'Status' }, badge(r.status)),
    h('td', { 'data-label': 'Open', class: 'num' }, ms(r.rtt_open)),
    h('td', { 'data-label': 'Software' }, r.software ? `${shortSoftware(r.software)} ${r.version ?? ''}`.trim() : '—'),
    h(
      'td',
      { 'data-label': 'Country', title: r.country_source === 'nip11' ? 'announced in its NIP-11 document' : null },
      r.country ? `${r.country}${r.country_source === 'nip11' ? '*' : ''}` : '—',
    ),
    h('td', { 'data-label': 'Checked' }, ago(r.checked_at)),
  );
}
