/** Types shared by the test relay's modules. */
import type { EventStore } from './store.js';

/** Switchable misbehaviours (hostile inputs); all off by default. */
export interface Misbehaviour {
  /** Send non-JSON, wrongly shaped and unknown frames before answering each REQ. */
  readonly garbage?: boolean;
  /** Send one NOTICE frame of this many bytes on each REQ. */
  readonly oversizedBytes?: number;
  /** Stop reading the socket after the upgrade: no answers, no pongs. */
  readonly stall?: boolean;
  /** Send every frame one byte every this many milliseconds. */
  readonly dripMs?: number;
  /** Answer as if the filters had no `until`. */
  readonly ignoreUntil?: boolean;
  /** Answer as if the filters had no `limit` (max_limit still applies). */
  readonly ignoreLimit?: boolean;
  /** Send events under a subscription id the client never opened. */
  readonly wrongSubId?: boolean;
  /** Send events with a tampered signature. */
  readonly invalidSignatures?: boolean;
  /** Send events with altered content under their own id and signature (a forger claiming known events). */
  readonly forgeContent?: boolean;
  /** Answer every REQ with this many forged copies of the stored events (ignoring the filter), then EOSE. */
  readonly floodCopies?: number;
  /** Drop the TCP connection after sending this many events of a REQ. */
  readonly closeAfter?: number;
  /** Never send EOSE. */
  readonly noEose?: boolean;
  /** Answer every message with a NOTICE only. */
  readonly noticeInsteadOfAnswers?: boolean;
  /** Send this NOTICE after a REQ's events, and its EOSE 50 ms later (a NOTICE that refuses nothing). */
  readonly noticeAfterEvents?: string;
  /** Refuse REQs (CLOSED) and EVENTs (OK false) as `rate-limited`. */
  readonly rateLimited?: boolean;
  /** Refuse NEG-OPEN with `NEG-ERR blocked:` when more records than this match (as strfry does). */
  readonly negentropyMaxRecords?: number;
  /** Refuse every REQ with this CLOSED message (e.g. `restricted: payment required`). */
  readonly refuseReads?: string;
  /** Refuse every EVENT with this OK message (e.g. `blocked: not on the list`). */
  readonly refuseWrites?: string;
  /** Answer a valid EVENT with OK true but neither store nor deliver it: a write that never comes back. */
  readonly acceptWithoutServing?: boolean;
  /**
   * NIP-42 only on demand (as strfry's `restrictedReadKinds`): no challenge on connect; a REQ whose filters all
   * name only these kinds, from a client not authenticated, gets `["AUTH", challenge]` and a CLOSED
   * `auth-required:`.
   */
  readonly authOnDemandKinds?: readonly number[];
  /** Refuse every AUTH with this OK message (strfry without `auth.serviceUrl` refuses them all). */
  readonly refuseAuth?: string;
}

/** The NIP-11 fields the test relay itself reads (the document may hold anything else too). */
export interface TestRelayInfo {
  readonly name?: string;
  readonly supported_nips?: readonly number[];
  readonly limitation?: {
    readonly max_limit?: number;
    readonly default_limit?: number;
    readonly min_pow_difficulty?: number;
    readonly auth_required?: boolean;
  };
  readonly [field: string]: unknown;
}

/** What a session needs from its relay. */
export interface RelayContext {
  readonly url: string;
  readonly store: EventStore;
  readonly info: TestRelayInfo;
  /** The effective maximum events per REQ filter (NIP-11 `max_limit`, really enforced). */
  readonly maxLimit: number;
  readonly authRequired: { readonly read: boolean; readonly write: boolean };
  readonly misbehave: Misbehaviour;
  broadcast(event: import('../../models/event.js').NostrEvent): void;
}
