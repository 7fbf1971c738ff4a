/** NIP-42 client authentication: answer the relay's challenge with a signed kind-22242 event. */
import { fail, ok } from '../models/result.js';
import { withDeadline } from '../utils/deadline.js';
import type { ProbeResult } from '../utils/net/reasons.js';
import type { RelayConnection } from './nip01/connection.js';

/** The kind of NIP-42 authentication events. */
export const AUTH_KIND = 22242;

/** Options of `authenticate`: an overall deadline (default 10 s). */
export interface AuthenticateOpts {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The relay's OK to our AUTH event: whether it accepted it, and its message. */
export interface AuthAnswer {
  readonly accepted: boolean;
  readonly message: string;
}

/**
 * Wait for a challenge, send AUTH signed by the connection's signer, and return the relay's OK whatever it
 * says; a failure means no challenge, no key, or no answer (timeout, connection closed).
 */
export async function answerChallenge(
  conn: RelayConnection,
  opts: AuthenticateOpts = {},
): Promise<ProbeResult<AuthAnswer>> {
  if (!conn.signer) return fail('auth-required', 'the relay requires authentication and no key is configured');
  using deadline = withDeadline(opts.timeoutMs ?? 10_000, opts.signal);
  const signal = deadline.signal;
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
  return ok({ accepted: answer.accepted, message: answer.message });
}

/** Authenticate on `conn` with its signer: wait for a challenge, send AUTH, require an accepting OK. */
export async function authenticate(conn: RelayConnection, opts: AuthenticateOpts = {}): Promise<ProbeResult<void>> {
  const answer = await answerChallenge(conn, opts);
  if (!answer.ok) return answer;
  const { accepted, message } = answer.value;
  return accepted ? ok(undefined) : fail('auth-required', `AUTH rejected: ${message.slice(0, 200)}`);
}
