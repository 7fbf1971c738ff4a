/**
 * Does an endpoint speak NIP-01? Connect, send a REQ, and require a protocol answer within
 * the timeout: EOSE, an EVENT for our subscription, CLOSED (e.g. `auth-required:`) or an AUTH challenge.
 * A NOTICE alone or non-JSON frames are `not-nostr`; silence is `timeout`.
 */
import { fail, ok } from '../../models/result.js';
import { withDeadline } from '../../utils/deadline.js';
import type { ProbeResult } from '../../utils/net/reasons.js';
import { type ConnectOpts, connectRelay } from './connection.js';
import { subscribe } from './subscription.js';

/** The protocol answer that proved the endpoint is a relay. */
export type RelayAnswer = 'EOSE' | 'EVENT' | 'CLOSED' | 'AUTH';

/** What the check learned. */
export interface RelayCheck {
  readonly answer: RelayAnswer;
  /** TLS was not verified (allowed by config after a certificate failure). */
  readonly insecure: boolean;
}

/** Check that `url` answers NIP-01 within `timeoutMs` (connect + answer, default 10 s). */
export async function checkSpeaksNostr(
  url: string,
  opts: ConnectOpts & { readonly timeoutMs?: number },
): Promise<ProbeResult<RelayCheck>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  using deadline = withDeadline(timeoutMs, opts.signal);
  const signal = deadline.signal;
  const opened = await connectRelay(url, { ...opts, connectTimeoutMs: opts.connectTimeoutMs ?? timeoutMs, signal });
  if (!opened.ok) return opened;
  await using conn = opened.value;
  const sub = subscribe(conn, [{ kinds: [1], limit: 1 }], { signal, idleTimeoutMs: timeoutMs, auth: false });
  const answered = await Promise.race([
    firstEvent(sub),
    conn.waitForChallenge(signal).then((got) => (got ? ('AUTH' as const) : undefined)),
  ]);
  sub.close();
  const outcome = sub.outcome;
  const insecure = conn.insecure;
  if (answered) return ok({ answer: answered, insecure });
  if (outcome?.ok && outcome.value.eose) return ok({ answer: 'EOSE', insecure });
  // CLOSED is a protocol answer whatever its reason (auth-required:, restricted:, …)
  if (outcome && !outcome.ok && outcome.detail?.startsWith('CLOSED:')) return ok({ answer: 'CLOSED', insecure });
  if (conn.stats.invalidMessages > 0 || conn.stats.notices > 0) {
    return fail(
      'not-nostr',
      `no protocol answer (${conn.stats.notices} NOTICE, ${conn.stats.invalidMessages} invalid frames)`,
    );
  }
  return outcome && !outcome.ok ? outcome : fail('timeout', 'no answer to REQ');
}

async function firstEvent(sub: AsyncIterable<unknown>): Promise<'EVENT' | undefined> {
  for await (const _ of sub) return 'EVENT';
  return undefined;
}
