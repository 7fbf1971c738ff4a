/**
 * Capability probes (spec 05, monitor "beyond"): a real NIP-42 AUTH with the monitor key, a real NIP-45 COUNT
 * and a real NIP-77 NEG-OPEN, recorded as observed next to what NIP-11 advertises. A NOTICE in answer to a
 * probe (how relays say "unknown message") ends it at once instead of waiting for the deadline.
 */
import { type ConnectOpts, connectRelay, type RelayConnection } from '../../nips/nip01/connection.js';
import type { RelayInfo } from '../../nips/nip11.js';
import { authenticate } from '../../nips/nip42.js';
import { countEvents } from '../../nips/nip45.js';
import { reconcileWithRelay } from '../../nips/nip77/reconcile.js';
import type { EventSigner } from '../../nips/signer.js';

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

async function orNotice(conn: RelayConnection, probe: Promise<Observed>, timeoutMs: number): Promise<Observed> {
  const stop = new AbortController();
  const notice = conn
    .waitForNotice(AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]))
    .then((n): Observed | undefined =>
      n === undefined ? undefined : { observed: false, detail: `NOTICE: ${n.slice(0, 120)}` },
    );
  const first = await Promise.race([probe, notice.then((n) => n ?? probe)]);
  stop.abort();
  return first;
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
  // relays that speak NIP-42 send their challenge on connect; a short wait tells the others apart
  const challenged = await conn.waitForChallenge(AbortSignal.timeout(Math.min(1_000, timeoutMs)));
  const auth = challenged ? await authenticate(conn, { timeoutMs }) : undefined;
  const nip42: Observed =
    auth === undefined
      ? { observed: false, detail: 'no AUTH challenge' }
      : auth.ok
        ? { observed: true }
        : { observed: false, detail: auth.detail ?? auth.reason };
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
