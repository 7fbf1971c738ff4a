/**
 * Keeping a GeoIP database file fresh (`geo.*_download_url` and `geo.max_age_days`): download it when
 * it is missing or older than the maximum age. The body is bounded, written beside the target and renamed, so
 * a failed download never leaves a half-written database; a failure keeps the old file.
 */
import { rename, stat, writeFile } from 'node:fs/promises';
import { fetchBounded } from './http.js';
import type { ProbeResult } from './net/reasons.js';

/** What happened to the file. */
export type RefreshOutcome = 'fresh' | 'downloaded' | 'failed';

/** Options: where from, where to, how old it may be, and the bounds of the download. */
export interface RefreshOpts {
  readonly url: string;
  readonly path: string;
  readonly maxAgeDays: number;
  /** Milliseconds since the epoch (injectable for tests). */
  readonly now?: number;
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  /** For tests only: allow a loopback URL. */
  readonly allowLocal?: boolean;
  readonly signal?: AbortSignal;
}

/** Download the database when missing or stale; returns what happened and why it failed. */
export async function refreshGeoDatabase(opts: RefreshOpts): Promise<{ outcome: RefreshOutcome; detail?: string }> {
  const now = opts.now ?? Date.now();
  const age = await stat(opts.path).then(
    (s) => now - s.mtimeMs,
    () => Number.POSITIVE_INFINITY,
  );
  if (age < opts.maxAgeDays * 86_400_000) return { outcome: 'fresh' };
  const res: ProbeResult<{ status: number; body: Buffer }> = await fetchBounded(opts.url, {
    maxBytes: opts.maxBytes ?? 256 * 1024 * 1024,
    timeoutMs: opts.timeoutMs ?? 300_000,
    allowLocal: opts.allowLocal === true,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!res.ok) return { outcome: 'failed', detail: `${res.reason}: ${res.detail ?? ''}` };
  if (res.value.status !== 200) return { outcome: 'failed', detail: `HTTP ${res.value.status}` };
  const partial = `${opts.path}.download`;
  await writeFile(partial, res.value.body);
  await rename(partial, opts.path);
  return { outcome: 'downloaded' };
}
