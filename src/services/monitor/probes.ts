/**
 * Capability probes (beyond the reference): a real NIP-42 AUTH with the monitor key, a real NIP-45 COUNT
 * and a real NIP-77 NEG-OPEN, recorded as observed next to what NIP-11 advertises. A NOTICE in answer to a
 * probe (how relays say "unknown message") ends it at once instead of waiting for the deadline.
 */
import { type ConnectOpts, connectRelay, type RelayConnection } from '../../nips/nip01/connection.js';
import { subscribe } from '../../nips/nip01/subscription.js';
import type { RelayInfo } from '../../nips/nip11.js';
import { answerChallenge } from '../../nips/nip42.js';
import { countEvents } from '../../nips/nip45.js';
import { reconcileWithRelay } from '../../nips/nip77/reconcile.js';
import type { EventSigner } from '../../nips/signer.js';
import { withDeadline } from '../../utils/deadline.js';

/** One capability: whether NIP-11 lists it, and whether the relay did it (null: the socket never opened). */
export interface Capability {
  readonly advertised: boolean;
  readonly observed: boolean | null;
  readonly detail?: string;
}

/** The probed capabilities. */
export interface Capabilities {
  readonly nip42: Capability;
  readonly nip45: Capability;
  readonly nip77: Capability;
}

type Observed = { observed: boolean; detail?: string };

/**
 * Kinds that relays commonly serve only to authenticated readers (direct messages and gift wraps; strfry's
 * default `restrictedReadKinds`): asking for them provokes the challenge of a relay that does not send one
 * on connect.
 */
export const RESTRICTED_PROBE_KINDS: readonly number[] = [4, 1059];

/** Run `probe` under a deadline of `ms` whose signal also aborts once the probe returns (releasing its waiters). */
async function bounded<T>(ms: number, probe: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const done = new AbortController();
  using deadline = withDeadline(ms, done.signal);
  try {
    return await probe(deadline.signal);
  } finally {
    done.abort();
  }
}

function orNotice(conn: RelayConnection, probe: Promise<Observed>, timeoutMs: number): Promise<Observed> {
  return bounded(timeoutMs, (signal) => {
    const notice = conn
      .waitForNotice(signal)
      .then((n): Observed | undefined =>
        n === undefined ? undefined : { observed: false, detail: `NOTICE: ${n.slice(0, 120)}` },
      );
    return Promise.race([probe, notice.then((n) => n ?? probe)]);
  });
}

/** Ask for restricted kinds; true once the relay has sent a challenge (with its refusal or before its EOSE). */
function provokeChallenge(conn: RelayConnection, timeoutMs: number): Promise<boolean> {
  return bounded(timeoutMs, async (signal) => {
    const filter = { kinds: [...RESTRICTED_PROBE_KINDS], limit: 1 };
    const sub = subscribe(conn, [filter], { signal, idleTimeoutMs: timeoutMs, auth: false });
    const ended = (async () => {
      for await (const _ of sub);
      return conn.challenge !== undefined;
    })();
    const challenged = await Promise.race([conn.waitForChallenge(signal), ended]);
    sub.close();
    if (challenged || sub.outcome?.ok !== false) return challenged;
    // refused: a challenge sent just after the CLOSED still counts
    return bounded(Math.min(1_000, timeoutMs), (grace) => conn.waitForChallenge(grace));
  });
}

/**
 * NIP-42 as the relay runs it: a challenge on connect, or else on demand (a REQ for restricted kinds), then
 * our AUTH. Observed when the relay challenged and answered the AUTH with an OK, accepting it or not (strfry's
 * default configuration refuses every AUTH for want of its `serviceUrl`, and still runs NIP-42).
 */
async function probeAuth(conn: RelayConnection, timeoutMs: number): Promise<Observed> {
  // relays that challenge on connect do it at once; a short wait tells them apart
  let how = 'on connect';
  let challenged = await bounded(Math.min(1_000, timeoutMs), (signal) => conn.waitForChallenge(signal));
  if (!challenged) {
    how = 'on demand';
    challenged = await provokeChallenge(conn, timeoutMs);
  }
  if (!challenged) {
    const kinds = RESTRICTED_PROBE_KINDS.join(', ');
    return { observed: false, detail: `no AUTH challenge, on connect or for a REQ of kinds ${kinds}` };
  }
  const answer = await answerChallenge(conn, { timeoutMs });
  if (!answer.ok) {
    return { observed: false, detail: `challenge ${how}; no answer to AUTH: ${answer.detail ?? answer.reason}` };
  }
  const { accepted, message } = answer.value;
  const said = message ? `: ${message.slice(0, 160)}` : '';
  return { observed: true, detail: `challenge ${how}; AUTH ${accepted ? 'accepted' : 'refused'}${said}` };
}

/** Probe NIP-42, NIP-45 and NIP-77 on one connection (each bounded by `timeoutMs`). */
export async function probeCapabilities(
  url: string,
  connect: ConnectOpts,
  signer: EventSigner,
  nip11: RelayInfo | undefined,
  timeoutMs: number,
): Promise<Capabilities> {
  const nips = new Set(nip11?.supported_nips ?? []);
  const cap = (nip: number, o: Observed | null): Capability => ({
    advertised: nips.has(nip),
    observed: o === null ? null : o.observed,
    ...(o?.detail ? { detail: o.detail } : {}),
  });
  const opened = await connectRelay(url, { ...connect, signer });
  if (!opened.ok) return { nip42: cap(42, null), nip45: cap(45, null), nip77: cap(77, null) };
  await using conn = opened.value;
  const nip42 = await probeAuth(conn, timeoutMs);
  const count = countEvents(conn, [{ kinds: [1] }], { timeoutMs }).then(
    (r): Observed => (r.ok ? { observed: true } : { observed: false, detail: r.detail ?? r.reason }),
  );
  const nip45 = await orNotice(conn, count, timeoutMs);
  const neg = reconcileWithRelay(conn, { kinds: [1] }, [], { timeoutMs }).then(
    (r): Observed => (r.ok ? { observed: true } : { observed: false, detail: r.detail ?? r.reason }),
  );
  const nip77 = await orNotice(conn, neg, timeoutMs);
  return { nip42: cap(42, nip42), nip45: cap(45, nip45), nip77: cap(77, nip77) };
}
