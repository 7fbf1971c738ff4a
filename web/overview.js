/** The network overview: headline figures, relays by network and status, events per day, software and NIPs. */
import { getJson } from './api.js';
import { COLORS, chart, STATUS_COLORS } from './charts.js';
import { h, int, pct, section, statCard } from './dom.js';
import { pipelinePanel } from './pipeline.js';

const STATUSES = ['online', 'offline', 'unchecked'];

/** Render the overview into `main`. */
export async function renderOverview(main, signal) {
  const [{ data: s }, pipeline] = await Promise.all([
    getJson('/stats', { days: 30 }, signal),
    getJson('/pipeline', {}, signal).then(
      (body) => pipelinePanel(body.data),
      (err) => {
        if (err.name === 'AbortError') throw err;
        return section('Pipeline', h('p', { class: 'error' }, `Could not load the pipeline: ${err.message}`));
      },
    ),
  ]);
  const ev = s.events ?? {};
  main.replaceChildren(
    h('h1', {}, 'Network overview'),
    h(
      'div',
      { class: 'stats' },
      statCard('relays-total', 'relays known', int(s.relays.total)),
      statCard(
        'relays-online',
        'online at last check',
        int(s.relays.online),
        pct(share(s.relays.online, s.relays.total), 0),
      ),
      statCard('relays-offline', 'offline', int(s.relays.offline)),
      statCard('relays-unchecked', 'not checked yet', int(s.relays.unchecked)),
      statCard('events-total', 'events archived', int(ev.event_count)),
      statCard('events-pubkeys', 'authors', int(ev.unique_pubkeys)),
      statCard('events-24h', 'events in the last 24 h', int(ev.event_count_last_24h)),
    ),
    pipeline,
    h(
      'div',
      { class: 'grid' },
      section('Relays by network and status', networkChart(s.relays.by_network), networkTable(s.relays.by_network)),
      section('Events per day (30 days, UTC)', eventsChart(s.events_per_day)),
      section(
        'Software',
        softwareChart(s.software),
        shareTable('Software', s.software, (r) => r.software),
      ),
      section(
        'NIP support',
        nipChart(s.nips),
        shareTable('NIP', s.nips, (r) => nipName(r.nip)),
      ),
    ),
  );
}

function share(n, total) {
  return total ? n / total : null;
}

function networkChart(rows) {
  return chart('networks', 'Relays by network and status', {
    type: 'bar',
    data: {
      labels: rows.map((r) => r.network),
      datasets: STATUSES.map((st) => ({ label: st, data: rows.map((r) => r[st]), backgroundColor: STATUS_COLORS[st] })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

function networkTable(rows) {
  const table = h(
    'table',
    { class: 'compact', 'data-table': 'networks' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['network', 'relays', ...STATUSES, 'events'].map((c) => h('th', {}, c)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/relays?network=${encodeURIComponent(r.network)}` }, r.network)),
          [r.relays, r.online, r.offline, r.unchecked, r.event_count].map((v) => h('td', { class: 'num' }, int(v))),
        ),
      ),
    ),
  );
  return h('div', { class: 'table-wrap' }, table);
}

function eventsChart(days) {
  return chart('events-per-day', 'Events per day', {
    type: 'bar',
    data: {
      labels: days.map((d) => d.day.slice(5)),
      datasets: [{ label: 'events', data: days.map((d) => d.event_count), backgroundColor: COLORS[0] }],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

function softwareChart(rows) {
  const top = rows.slice(0, 8);
  return chart('software', 'Relays per software', {
    type: 'doughnut',
    data: {
      labels: top.map((r) => shortSoftware(r.software)),
      datasets: [{ data: top.map((r) => r.relays), backgroundColor: COLORS }],
    },
    options: { plugins: { legend: { display: true, position: 'bottom' } } },
  });
}

/** Every NIP as one labelled bar: the chart grows with the number of NIPs instead of skipping labels. */
function nipChart(rows) {
  const all = [...rows].sort((a, b) => b.relays - a.relays || a.nip - b.nip);
  return chart(
    'nips',
    'Share of relays supporting each NIP',
    {
      type: 'bar',
      data: {
        labels: all.map((r) => nipName(r.nip)),
        datasets: [{ label: 'share of relays', data: all.map((r) => r.share * 100), backgroundColor: COLORS[2] }],
      },
      options: {
        indexAxis: 'y',
        scales: {
          x: { beginAtZero: true, max: 100, ticks: { callback: (v) => `${v} %` } },
          y: { ticks: { autoSkip: false } },
        },
      },
    },
    Math.max(260, 48 + all.length * 20),
  );
}

const nipName = (nip) => `NIP-${String(nip).padStart(2, '0')}`;

function shareTable(label, rows, name) {
  if (!rows.length) return h('p', { class: 'muted' }, 'No NIP-11 documents yet.');
  return h(
    'details',
    {},
    h('summary', {}, `All ${rows.length}`),
    h(
      'table',
      { class: 'compact' },
      h('thead', {}, h('tr', {}, h('th', {}, label), h('th', {}, 'relays'), h('th', {}, 'share'))),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            h('td', {}, name(r)),
            h('td', { class: 'num' }, int(r.relays)),
            h('td', { class: 'num' }, pct(r.share)),
          ),
        ),
      ),
    ),
  );
}

/** `git+https://github.com/hoytech/strfry.git` → `strfry`. */
export function shortSoftware(s) {
  const m = /([^/]+?)(?:\.git)?\/?$/.exec(String(s));
  return m ? m[1] : String(s);
}
