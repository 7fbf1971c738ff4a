/**
 * The overview's pipeline panel (`/pipeline`): candidates waiting, failing (by reason) and promoted, relays monitored
 * and synchronized with the incomplete ones and the kinds withheld, and each service's last cycle.
 */
import { ago, h, int, plural, relayLink, time } from './dom.js';

/** The panel for the `/pipeline` answer `p`. */
export function pipelinePanel(p) {
  const c = p.candidates;
  const y = p.synchronizer;
  return h(
    'section',
    { class: 'card pipeline', 'data-panel': 'pipeline' },
    h('h2', {}, 'Pipeline'),
    hint(p),
    h(
      'div',
      { class: 'stages' },
      stage(
        'candidates',
        'Candidates',
        `${int(c.waiting)} waiting`,
        [`${int(c.never_checked)} not checked yet`, `${int(c.failing)} failed a check, retried later`],
        counts(c.failure_reasons, 'failure reasons'),
      ),
      stage('promoted', 'Relays', `${int(p.relays.promoted)} promoted`, [
        `${int(p.monitor.monitored)} monitored, ${int(p.monitor.checked_24h)} checked in 24 h`,
        `${int(p.monitor.online)} online at last check`,
      ]),
      stage(
        'synchronized',
        'Synchronizer',
        `${int(y.synchronized)} synchronized`,
        [
          y.oldest_cursor === null ? null : `oldest archived up to ${ago(y.oldest_cursor)}`,
          `${int(y.complete)} complete, ${int(y.incomplete)} incomplete`,
          `${int(y.withheld)} with kinds withheld`,
        ],
        counts(y.incomplete_reasons, 'why incomplete'),
        withheldKinds(y.withheld_kinds),
      ),
    ),
    problems(y.problems),
    services(p.services),
  );
}

function hint(p) {
  if (p.relays.promoted > 0 || p.candidates.failing === 0) return null;
  return h(
    'p',
    { class: 'hint', 'data-hint': 'offline' },
    'No candidate has passed validation yet. Without internet access, ',
    h('code', {}, 'bigbrotr up --demo'),
    ' runs the pipeline against local test relays.',
  );
}

function stage(name, title, headline, lines, ...extra) {
  return h(
    'div',
    { class: 'stage', 'data-stage': name },
    h('h3', {}, title),
    h('div', { class: 'stage-value' }, headline),
    h(
      'ul',
      { class: 'plain' },
      lines.filter(Boolean).map((l) => h('li', {}, l)),
    ),
    extra,
  );
}

function counts(rows, label) {
  if (!rows.length) return null;
  return h(
    'p',
    { class: 'counts', 'data-counts': label },
    h('span', { class: 'muted' }, `${label}: `),
    rows.map((r, i) => [i ? ', ' : '', h('span', { class: 'count' }, `${r.reason} ${int(r.count)}`)]),
  );
}

function withheldKinds(rows) {
  if (!rows.length) return null;
  return h(
    'p',
    { class: 'counts', 'data-counts': 'withheld kinds' },
    h('span', { class: 'muted' }, 'kinds withheld: '),
    rows.map((r, i) => [
      i ? ', ' : '',
      `kind ${r.kind} (${plural(r.relays, 'relay')}${r.events === null ? '' : `, ${plural(r.events, 'event')}`})`,
    ]),
  );
}

function problems(rows) {
  if (!rows.length) return null;
  return h(
    'details',
    {},
    h('summary', {}, `Relays incomplete or withholding kinds (${rows.length})`),
    h(
      'ul',
      { class: 'plain problems' },
      rows.map((r) =>
        h('li', { 'data-url': r.url }, relayLink(r.url), ' ', h('span', { class: 'muted' }, syncSummary(r))),
      ),
    ),
  );
}

/** One line about a `sync_status`: incomplete and why, when it resumes, the kinds withheld. */
export function syncSummary(s) {
  const parts = [s.complete ? 'complete' : `incomplete: ${s.reason ?? 'unknown reason'}`];
  if (!s.complete && s.resume_at !== null) parts.push(`resumes from ${time(s.resume_at)}`);
  const kinds = Object.entries(s.withheld ?? {});
  if (kinds.length)
    parts.push(`withheld ${kinds.map(([k, n]) => (n === null ? `kind ${k}` : `kind ${k} (${int(n)})`)).join(', ')}`);
  return parts.join('; ');
}

function services(rows) {
  if (!rows.length) return h('p', { class: 'muted' }, 'No service has finished a cycle yet.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'compact', 'data-table': 'services' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['service', 'last cycle', 'took', 'outcome'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((s) =>
          h(
            'tr',
            { 'data-service': s.service },
            h('td', {}, s.service),
            h('td', {}, ago(s.ended_at)),
            h(
              'td',
              { class: 'num' },
              s.started_at === null || s.ended_at === null ? '—' : `${int(s.ended_at - s.started_at)} s`,
            ),
            h(
              'td',
              {},
              h('span', { class: `badge badge-${s.outcome === 'ok' ? 'online' : 'offline'}` }, s.outcome ?? '—'),
              s.error ? h('span', { class: 'muted error-text' }, ` ${s.error}`) : null,
            ),
          ),
        ),
      ),
    ),
  );
}
