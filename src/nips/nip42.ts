/** NIP-42 client authentication: answer the relay's challenge with a signed kind-22242 event. */
import { fail, ok } from '../models/result.js';
import type { ProbeResult } from '../utils/net/reasons.js';
import type { RelayConnection } from './nip01/connection.js';

/** The kind of NIP-42 authentication events. */
export const AUTH_KIND = 22242;

/** Options of `authenticate`: an overall deadline (default 10 s). */
export interface AuthenticateOpts {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Authenticate on `conn` with its signer: wait for a challenge, send AUTH, wait for the OK. */
export async function authenticate(conn: RelayConnection, opts: AuthenticateOpts = {}): Promise<ProbeResult<void>> {
  if (!conn.signer) return fail('auth-required', 'the relay requires authentication and no key is configured');
  const deadline = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  if (!(await conn.waitForChallenge(signal))) return fail('auth-required', 'the relay sent no AUTH challenge');
  const event = conn.signer.sign({
    kind: AUTH_KIND,
    created_at: Math.floor(Date.now() / 1000),
    tags: [
      ['relay', conn.url],
      ['challenge', conn.challenge ?? ''],
    ],
    content: '',
  });
  if (!conn.send(['AUTH', event])) return fail('closed', 'the connection is closed');
  const answer = await conn.waitForOk(event.id, signal);
  if ('closed' in answer) return fail(answer.closed, answer.detail);
  return answer.accepted ? ok(undefined) : fail('auth-required', `AUTH rejected: ${answer.message.slice(0, 200)}`);
}
