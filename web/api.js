/** The JSON API the dashboard reads (its prefix comes from the page's `bigbrotr-api` meta tag). */

const prefix = document.querySelector('meta[name="bigbrotr-api"]')?.getAttribute('content') ?? '/v1';

/** GET `{prefix}{path}?{params}` (empty params dropped); throws with the API's error message. */
export async function getJson(path, params = {}, signal) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const query = qs.toString();
  const res = await fetch(`${prefix}${path}${query ? `?${query}` : ''}`, {
    headers: { accept: 'application/json' },
    signal,
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  return body;
}

let statsCache;

/** `/stats`, fetched once per page load for the filter options (the overview fetches its own). */
export function cachedStats(signal) {
  statsCache ??= getJson('/stats', { days: 30 }, signal).catch((err) => {
    statsCache = undefined;
    throw err;
  });
  return statsCache;
}
