/**
 * One relay: status, uptime and latency over 24 h / 7 d / 30 d, charts (daily uptime, latency of recent checks),
 * the latest NIP-11, SSL, geo, network and DNS facts, and the check history with "older" paging.
 */
import { getJson } from './api.js';
import { COLORS, chart, STATUS_COLORS } from './charts.js';
import { badge, facts, h, int, ms, pct, plural, section, statCard, time } from './dom.js';
import { syncSummary } from './pipeline.js';

const WINDOWS = ['24h', '7d', '30d'];

/** Render the page of relay `url` into `main`. */
export async function renderRelay(main, url, signal) {
  let body;
  try {
    body = await getJson(`/relays/${encodeURIComponent(url)}`, { limit: 50 }, signal);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    main.replaceChildren(h('h1', {}, 'Relay'), h('p', { class: 'error' }, `${url}: ${err.message}`));
    return;
  }
  const d = body.data;
  const doc = (type) => d.documents[type] ?? null;
  const nip11 = doc('nip11_info')?.data ?? {};
  const rtt = doc('nip66_rtt');
  const status = !rtt ? 'unchecked' : rtt.logs?.open_success ? 'online' : 'offline';
  main.replaceChildren(
    h(
      'div',
      { class: 'relay-head' },
      h('h1', {}, typeof nip11.name === 'string' && nip11.name ? nip11.name : d.url),
      h(
        'p',
        { class: 'relay-url' },
        h('code', {}, d.url),
        ' ',
        badge(status),
        ' ',
        h('span', { class: 'muted' }, d.network),
      ),
      typeof nip11.description === 'string' ? h('p', { class: 'description' }, nip11.description) : null,
    ),
    h(
      'div',
      { class: 'stats' },
      WINDOWS.map((w) =>
        statCard(`uptime-${w}`, `uptime ${w}`, pct(d.health[w].uptime), plural(d.health[w].checks, 'check')),
      ),
      WINDOWS.map((w) => statCard(`latency-${w}`, `open p50 / p95 ${w}`, latency(d.health[w]))),
      d.stats ? statCard('relay-events', 'events seen here', int(d.stats.event_count)) : null,
    ),
    h(
      'div',
      { class: 'grid' },
      section('Uptime per day (30 days)', uptimeChart(d.daily)),
      section('Latency of recent checks', latencyChart(d.checks)),
      section('NIP-11', nip11Facts(nip11, doc('nip11_info'))),
      section('TLS certificate', sslFacts(doc('nip66_ssl'))),
      section('Location and network', placeFacts(doc('nip66_geo'), doc('nip66_net'), doc('nip66_dns'), nip11)),
      section('Synchronization', syncFacts(d.sync)),
    ),
    wide('Latency by window', windowTable(d.health)),
    section('Check history', history(d.url, d.checks, body.meta.checks.next_before, signal)),
  );
}

function latency(hw) {
  return hw.rtt_open_p50 === null ? '—' : `${ms(hw.rtt_open_p50)} / ${ms(hw.rtt_open_p95)}`;
}

function uptimeChart(daily) {
  if (!daily.length) return h('p', { class: 'muted' }, 'No checks in the last 30 days.');
  return chart('uptime', 'Uptime per day', {
    type: 'bar',
    data: {
      labels: daily.map((x) => x.day.slice(5)),
      datasets: [
        {
          label: 'uptime %',
          data: daily.map((x) => Math.round(x.uptime * 1000) / 10),
          backgroundColor: daily.map((x) => (x.uptime >= 0.5 ? STATUS_COLORS.online : STATUS_COLORS.offline)),
        },
      ],
    },
    options: { scales: { y: { beginAtZero: true, max: 100, ticks: { callback: (v) => `${v} %` } } } },
  });
}

function latencyChart(checks) {
  const rows = [...checks].reverse();
  if (!rows.length) return h('p', { class: 'muted' }, 'No checks recorded.');
  const line = (label, key, color) => ({
    label,
    data: rows.map((c) => c[key]),
    borderColor: color,
    backgroundColor: color,
    spanGaps: false,
    pointRadius: 2,
  });
  return chart('latency', 'Latency of recent checks', {
    type: 'line',
    data: {
      labels: rows.map((c) => time(c.generated_at).slice(5, 16)),
      datasets: [
        line('open', 'rtt_open', COLORS[0]),
        line('read', 'rtt_read', COLORS[1]),
        line('write', 'rtt_write', COLORS[2]),
      ],
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'ms' } } } },
  });
}

const str = (v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

function nip11Facts(n, stored) {
  if (!stored) return h('p', { class: 'muted' }, 'No NIP-11 document fetched yet.');
  const nips = Array.isArray(n.supported_nips) ? n.supported_nips.filter((x) => Number.isInteger(x)) : [];
  const limits = n.limitation && typeof n.limitation === 'object' ? n.limitation : {};
  return [
    facts([
      ['Name', str(n.name)],
      ['Software', str(n.software)],
      ['Version', str(n.version)],
      ['Supported NIPs', nips.map((x) => String(x))],
      ['Contact', str(n.contact)],
      ['Pubkey', str(n.pubkey)],
      ['Auth required', limits.auth_required === undefined ? undefined : String(limits.auth_required)],
      ['Payment required', limits.payment_required === undefined ? undefined : String(limits.payment_required)],
      ['Max message length', str(limits.max_message_length)],
      ['Fetched', time(stored.generated_at)],
    ]),
  ];
}

function sslFacts(stored) {
  if (!stored) return h('p', { class: 'muted' }, 'No TLS check (onion and plain ws relays have none).');
  const s = stored.data ?? {};
  return facts([
    ['Valid', s.ssl_valid === undefined ? undefined : s.ssl_valid ? 'yes' : 'no'],
    ['Subject', str(s.ssl_subject_cn)],
    ['Issuer', str(s.ssl_issuer) ?? str(s.ssl_issuer_cn)],
    ['Expires', s.ssl_expires ? time(s.ssl_expires) : undefined],
    ['Protocol', str(s.ssl_protocol)],
    ['Cipher', str(s.ssl_cipher)],
    ['Checked', time(stored.generated_at)],
  ]);
}

function placeFacts(geo, net, dns, nip11) {
  const g = geo?.data ?? {};
  const n = net?.data ?? {};
  const d = dns?.data ?? {};
  const announced = Array.isArray(nip11.relay_countries)
    ? nip11.relay_countries.filter((c) => typeof c === 'string')
    : [];
  return facts([
    ['Country', country(g)],
    ['Countries announced (NIP-11)', announced],
    ['City', str(g.geo_city)],
    ['Coordinates', g.geo_lat !== undefined && g.geo_lon !== undefined ? `${g.geo_lat}, ${g.geo_lon}` : undefined],
    ['IPv4', str(n.net_ip)],
    ['IPv6', str(n.net_ipv6)],
    ['AS', n.net_asn !== undefined ? `AS${n.net_asn} ${str(n.net_asn_org) ?? ''}`.trim() : undefined],
    ['DNS A', Array.isArray(d.dns_ips) ? d.dns_ips.map(String) : undefined],
    ['Name servers', Array.isArray(d.dns_ns) ? d.dns_ns.map(String) : undefined],
  ]);
}

function country(g) {
  const code = str(g.geo_country);
  const name = str(g.geo_country_name);
  return name && code ? `${name} (${code})` : (name ?? code);
}

/** A section spanning the whole width of the page. */
function wide(title, ...children) {
  const s = section(title, ...children);
  s.classList.add('wide');
  return s;
}

function syncFacts(sync) {
  if (!sync || (sync.cursor === null && sync.status === null))
    return h('p', { class: 'muted' }, 'Not synchronized yet.');
  const st = sync.status;
  return facts([
    ['Archived up to', sync.cursor === null ? undefined : time(sync.cursor)],
    ['Last pass', st ? syncSummary(st) : undefined],
    ['Updated', st?.updated_at ? time(st.updated_at) : undefined],
  ]);
}

function windowTable(health) {
  const cols = ['open', 'read', 'write'];
  const table = h(
    'table',
    { class: 'compact', 'data-table': 'windows' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'window'),
        h('th', {}, 'checks'),
        h('th', {}, 'uptime'),
        cols.map((c) => h('th', {}, `${c} p50 / p95`)),
      ),
    ),
    h(
      'tbody',
      {},
      WINDOWS.map((w) =>
        h(
          'tr',
          {},
          h('td', {}, w),
          h('td', { class: 'num' }, int(health[w].checks)),
          h('td', { class: 'num' }, pct(health[w].uptime)),
          cols.map((c) =>
            h('td', { class: 'num' }, `${ms(health[w][`rtt_${c}_p50`])} / ${ms(health[w][`rtt_${c}_p95`])}`),
          ),
        ),
      ),
    ),
  );
  return h('div', { class: 'table-wrap' }, table);
}

function history(url, first, firstNext, signal) {
  const body = h('tbody', {});
  const more = h('button', { type: 'button' }, 'Older checks');
  let next = firstNext;
  const add = (checks) => {
    body.append(
      ...checks.map((c) =>
        h(
          'tr',
          { class: 'check-row' },
          h('td', { 'data-label': 'Time' }, time(c.generated_at)),
          h('td', { 'data-label': 'Result' }, badge(c.open_success ? 'online' : 'offline')),
          h('td', { 'data-label': 'Open', class: 'num' }, ms(c.rtt_open)),
          h('td', { 'data-label': 'Read', class: 'num' }, ms(c.rtt_read)),
          h('td', { 'data-label': 'Write', class: 'num' }, ms(c.rtt_write)),
          h('td', { 'data-label': 'Reason' }, c.reason ?? ''),
        ),
      ),
    );
    more.hidden = next === null;
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const page = await getJson(`/relays/${encodeURIComponent(url)}`, { limit: 50, before: next }, signal);
      next = page.meta.checks.next_before;
      add(page.data.checks);
    } finally {
      more.disabled = false;
    }
  });
  add(first);
  if (!first.length) return h('p', { class: 'muted' }, 'No checks recorded.');
  return [
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'checks', 'data-table': 'checks' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Time', 'Result', 'Open', 'Read', 'Write', 'Reason'].map((c) => h('th', {}, c)),
          ),
        ),
        body,
      ),
    ),
    more,
  ];
}
