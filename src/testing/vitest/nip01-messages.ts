/** The events and helpers of the NIP-01 message parsing tests (messages*.test.ts). */
import { expect } from 'vitest';
import type { NostrEvent } from '../../models/event.js';
import { parseClientMessage, parseRelayMessage } from '../../nips/nip01/messages.js';
import { generateEvents } from '../events.js';

export const events = generateEvents(50, { seed: 7, kinds: [0, 1, 3, 7, 30023], tags: (i) => [['t', `tag${i % 5}`]] });
export const ev = events[0] as NostrEvent;
export const ev2 = events[1] as NostrEvent;
export const ID = ev.id;
export const PK = ev.pubkey;
export const INVALID = { ok: false, reason: 'invalid' };

export const j = (v: unknown): string => JSON.stringify(v);
export const relay = (v: unknown) => parseRelayMessage(j(v));
export const client = (v: unknown) => parseClientMessage(j(v));

export function expectInvalid(r: { ok: boolean; reason?: string }): void {
  expect(r).toMatchObject(INVALID);
}
