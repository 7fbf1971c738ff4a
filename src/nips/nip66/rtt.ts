/**
 * NIP-66 round-trip times (nip66_rtt): open (a WebSocket up), read (first event of `REQ {limit:1}`),
 * write (a kind 22456 probe signed by the monitor, with NIP-13 proof of work when the relay asks, accepted and
 * then seen coming back for a subscription on its id). An open failure fails read and write too.
 */
import type { NostrEvent } from '../../models/event.js';
import { withDeadline } from '../../utils/deadline.js';
import { type ConnectOpts, connectRelay, type RelayConnection } from '../nip01/connection.js';
import { publishEvent } from '../nip01/publish.js';
import { subscribe } from '../nip01/subscription.js';
import { signWithPow } from '../nip13.js';
import type { EventSigner } from '../signer.js';

/** The kind of the write probe. */
export const RTT_PROBE_KIND = 22456;

/** Milliseconds of each phase that worked. */
export interface RttData {
  readonly rtt_open?: number;
  readonly rtt_read?: number;
  readonly rtt_write?: number;
}

/** Per-phase success and reasons. */
export interface RttLogs {
  readonly open_success: boolean;
  readonly open_reason?: string;
  readonly read_success: boolean;
  readonly read_reason?: string;
  readonly write_success: boolean;
  readonly write_reason?: string;
}

/** Options: connection options, the monitor's signer, the relay's NIP-11 `min_pow_difficulty`, a timeout per phase. */
export interface RttOpts extends ConnectOpts {
  readonly signer: EventSigner;
  readonly minPow?: number;
  /** The most proof of work mined for a probe (bits); default 20. */
  readonly maxPow?: number;
  readonly timeoutMs?: number;
  /** The clock, for tests: milliseconds. */
  readonly clock?: () => number;
  /** Called with the upgrade response headers once the socket is open (the HTTP check reuses them). */
  readonly onOpen?: (headers: Readonly<Record<string, string>>) => void;
}

/** The rtt check's result: its logs say how each phase went. */
export interface RttResult {
  readonly data: RttData;
  readonly logs: RttLogs;
}

type Phase = { ok: true; ms: number } | { ok: false; reason: string };

/** Measure open, read and write round trips. */
export async function checkRtt(url: string, opts: RttOpts): Promise<RttResult> {
  const clock = opts.clock ?? (() => performance.now());
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const started = clock();
  // No NIP-42 signer on the connection: a write refused for auth must be observed, not authenticated away.
  const { signer: _monitorKey, onOpen: _onOpen, ...connectOpts } = opts;
  const opened = await connectRelay(url, { ...connectOpts, connectTimeoutMs: opts.connectTimeoutMs ?? timeoutMs });
  if (!opened.ok) {
    const reason = opened.reason;
    const logs = { open_success: false, open_reason: reason, read_success: false, read_reason: reason };
    return { data: {}, logs: { ...logs, write_success: false, write_reason: reason } };
  }
  await using conn = opened.value;
  const open = Math.round(clock() - started);
  opts.onOpen?.(conn.headers);
  const read = await readPhase(conn, timeoutMs, clock, opts.signal);
  const write = await writePhase(conn, url, opts, timeoutMs, clock);
  return {
    data: { rtt_open: open, ...(read.ok ? { rtt_read: read.ms } : {}), ...(write.ok ? { rtt_write: write.ms } : {}) },
    logs: {
      open_success: true,
      read_success: read.ok,
      ...(read.ok ? {} : { read_reason: read.reason }),
      write_success: write.ok,
      ...(write.ok ? {} : { write_reason: write.reason }),
    },
  };
}

async function readPhase(
  conn: RelayConnection,
  timeoutMs: number,
  clock: () => number,
  signal: AbortSignal | undefined,
): Promise<Phase> {
  const started = clock();
  using deadline = withDeadline(timeoutMs, signal);
  const sub = subscribe(conn, [{ limit: 1 }], { signal: deadline.signal, idleTimeoutMs: timeoutMs });
  for await (const _ of sub) {
    const ms = Math.round(clock() - started);
    sub.close();
    return { ok: true, ms };
  }
  const outcome = sub.outcome;
  if (outcome && !outcome.ok) return { ok: false, reason: outcome.reason };
  return { ok: false, reason: 'no events' };
}

async function writePhase(
  conn: RelayConnection,
  url: string,
  opts: RttOpts,
  timeoutMs: number,
  clock: () => number,
): Promise<Phase> {
  const template = {
    kind: RTT_PROBE_KIND,
    created_at: Math.floor(Date.now() / 1000),
    tags: [['d', url]],
    content: 'nip66-test',
  };
  const minPow = opts.minPow ?? 0;
  if (minPow > (opts.maxPow ?? 20)) return { ok: false, reason: `pow: difficulty ${minPow} above our limit` };
  const event: NostrEvent = minPow > 0 ? signWithPow(template, minPow, opts.signer) : opts.signer.sign(template);
  // one deadline for publishing and the echo: a relay that accepts the probe and never serves it ends here
  using deadline = withDeadline(timeoutMs, opts.signal);
  const signal = deadline.signal;
  // Subscribe to the probe's id first: ephemeral events are not stored, only delivered to live subscriptions.
  const echo = subscribe(conn, [{ ids: [event.id] }], { closeOnEose: false, signal, idleTimeoutMs: 0 });
  const seen = (async () => {
    for await (const e of echo) if (e.id === event.id) return true;
    return false;
  })();
  const started = clock();
  const answer = await publishEvent(conn, event, { timeoutMs, signal, auth: false });
  const ms = Math.round(clock() - started);
  if (!answer.ok) {
    echo.close();
    return { ok: false, reason: answer.reason };
  }
  if (!answer.value.accepted) {
    echo.close();
    return { ok: false, reason: answer.value.message.slice(0, 200) || 'rejected' };
  }
  const confirmed = await seen;
  return confirmed ? { ok: true, ms } : { ok: false, reason: 'accepted but never seen again' };
}
