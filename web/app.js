/** The dashboard's entry: a hash router (`#/`, `#/relays?…`, `#/relay/<url>`). */
import { destroyCharts } from './charts.js';
import { h } from './dom.js';
import { renderOverview } from './overview.js';
import { renderRelay } from './relay.js';
import { renderRelays } from './relays.js';

const main = document.getElementById('main');
let current;

/** Split `#/path?query` into its path and parameters. */
function parseHash(hash) {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  return q < 0
    ? { path: raw, params: new URLSearchParams() }
    : { path: raw.slice(0, q), params: new URLSearchParams(raw.slice(q + 1)) };
}

async function route() {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const { path, params } = parseHash(location.hash);
  destroyCharts();
  for (const a of document.querySelectorAll('[data-nav]')) {
    const on = a.dataset.nav === path || (a.dataset.nav === '/relays' && path.startsWith('/relay'));
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  try {
    if (path === '/') await renderOverview(main, controller.signal);
    else if (path === '/relays') await renderRelays(main, params, controller.signal);
    else if (path.startsWith('/relay/'))
      await renderRelay(main, safeDecode(path.slice('/relay/'.length)), controller.signal);
    else main.replaceChildren(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the overview')));
    if (!controller.signal.aborted) document.body.dataset.page = path.split('/')[1] || 'overview';
  } catch (err) {
    if (err.name === 'AbortError') return;
    main.replaceChildren(h('h1', {}, 'Something went wrong'), h('p', { class: 'error' }, String(err.message ?? err)));
  }
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

window.addEventListener('hashchange', () => void route());
void route();
