/** Publishing events (NIP-01 EVENT/OK), with NIP-42 authentication and NIP-13 proof of work on demand. */
import type { NostrEvent } from '../../models/event.js';
import { fail, ok } from '../../models/result.js';
import { withDeadline } from '../../utils/deadline.js';
import type { ProbeResult } from '../../utils/net/reasons.js';
import { demandedDifficulty, signWithPow } from '../nip13.js';
import { authenticate } from '../nip42.js';
import type { EventSigner, EventTemplate } from '../signer.js';
import type { RelayConnection } from './connection.js';
import { type MessagePrefix, messagePrefix } from './messages.js';

/** The relay's answer to a published event. */
export interface PublishAnswer {
  readonly event: NostrEvent;
  readonly accepted: boolean;
  /** The machine-readable prefix of the message, when it has a known one. */
  readonly prefix: MessagePrefix | undefined;
  readonly message: string;
}

/** Options of publishing: a deadline per attempt (default 10 s) and whether to authenticate on demand. */
export interface PublishOpts {
  readonly timeoutMs?: number;
  /** Authenticate and retry once on `auth-required` (needs the connection's signer); default true. */
  readonly auth?: boolean;
  readonly signal?: AbortSignal;
}

/** Send a signed event and wait for its OK. A rejection is an answer (`accepted: false`), not a failure. */
export async function publishEvent(
  conn: RelayConnection,
  event: NostrEvent,
  opts: PublishOpts = {},
): Promise<ProbeResult<PublishAnswer>> {
  const first = await sendOnce(conn, event, opts);
  if (!first.ok || first.value.accepted || first.value.prefix !== 'auth-required') return first;
  if (opts.auth === false || !conn.signer) return first;
  const authed = await authenticate(conn, opts.signal ? { signal: opts.signal } : {});
  return authed.ok ? sendOnce(conn, event, opts) : fail(authed.reason, authed.detail);
}

/** Options of `publishTemplate`: proof of work up front and the most it will do when a relay demands more. */
export interface PublishTemplateOpts extends PublishOpts {
  readonly signer: EventSigner;
  /** Leading zero bits to mine before the first attempt (e.g. NIP-11 `min_pow_difficulty`); default 0. */
  readonly minPow?: number;
  /** The highest difficulty mined when the relay answers `pow:`; default 20. */
  readonly maxPow?: number;
}

/** Sign (mining when asked) and publish a template; on a `pow:` refusal mine to the demanded difficulty once. */
export async function publishTemplate(
  conn: RelayConnection,
  template: EventTemplate,
  opts: PublishTemplateOpts,
): Promise<ProbeResult<PublishAnswer>> {
  const minPow = opts.minPow ?? 0;
  const first = minPow > 0 ? signWithPow(template, minPow, opts.signer) : opts.signer.sign(template);
  const answer = await publishEvent(conn, first, opts);
  if (!answer.ok || answer.value.accepted || answer.value.prefix !== 'pow') return answer;
  const demanded = demandedDifficulty(answer.value.message);
  if (demanded === undefined || demanded <= minPow || demanded > (opts.maxPow ?? 20)) return answer;
  return publishEvent(conn, signWithPow(template, demanded, opts.signer), opts);
}

async function sendOnce(
  conn: RelayConnection,
  event: NostrEvent,
  opts: PublishOpts,
): Promise<ProbeResult<PublishAnswer>> {
  using deadline = withDeadline(opts.timeoutMs ?? 10_000, opts.signal);
  const signal = deadline.signal;
  const waiting = conn.waitForOk(event.id, signal);
  if (!conn.send(['EVENT', event])) return fail('closed', 'the connection is closed');
  const answer = await waiting;
  if ('closed' in answer) return fail(answer.closed, answer.detail);
  return ok({ event, accepted: answer.accepted, prefix: messagePrefix(answer.message), message: answer.message });
}
