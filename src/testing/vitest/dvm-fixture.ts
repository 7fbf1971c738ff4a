/** The database, relay, service and request helpers of the DVM tests (dvm*.test.ts). */
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { insertEvents, insertRelays } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { createSigner } from '../../nips/signer.js';
import { dvmConfigSchema } from '../../services/dvm/config.js';
import { createDvm, type DvmDeps } from '../../services/dvm/dvm.js';
import { generateEvents, signEvent, testSecretKey } from '../events.js';
import { startTestRelay, type TestRelay, type TestRelayOpts } from '../relay/relay.js';
import { recordingDeps } from '../service-deps.js';
import { type TestDb, useTestDatabase } from './db.js';

/** The file's database (set by useDvmTest). */
export let db: TestDb;
/** A fresh relay for each test (set by useDvmTest). */
export let relay: TestRelay;

export const signal = (): AbortSignal => new AbortController().signal;
export const dvmSigner = createSigner(testSecretKey(90, 0));
export const customerKey = testSecretKey(91, 0);
export const otherProvider = createSigner(testSecretKey(92, 0)).pubkey;
export const nowSec = () => Math.floor(Date.now() / 1000);

export const RELAYS: Relay[] = [
  { url: 'wss://a.example.com' as RelayUrl, network: 'clearnet', discoveredAt: 100 },
  { url: 'wss://b.example.com' as RelayUrl, network: 'clearnet', discoveredAt: 300 },
  { url: 'wss://c.example.com' as RelayUrl, network: 'clearnet', discoveredAt: 200 },
  { url: 'ws://abcdefghijklmnop.onion' as RelayUrl, network: 'tor', discoveredAt: 400 },
];
export const EVENTS = generateEvents(3, { seed: 93 });

/** Close the test's relay and start another with `opts` in its place (closed after the test as usual). */
export async function replaceRelay(opts: TestRelayOpts): Promise<void> {
  await relay.close();
  relay = await startTestRelay(opts);
}

/** Register the hooks of a DVM test file: its database with the relays and events, a fresh relay per test. */
export function useDvmTest(): void {
  db = useTestDatabase('bigbrotr');
  beforeAll(async () => {
    await insertRelays(db.sql, RELAYS);
    await insertEvents(db.sql, EVENTS);
  });
  beforeEach(async () => {
    await db.sql`DELETE FROM service_state`;
    relay = await startTestRelay();
  });
  afterEach(async () => {
    await relay.close();
  });
}

export const config = (over: Record<string, unknown> = {}) =>
  dvmConfigSchema.parse({
    relays: [relay.url],
    fetch_timeout: 5,
    tables: {
      relay: { enabled: true },
      event: { enabled: true, price: 1000 },
      metadata: { enabled: false, price: 0 },
    },
    ...over,
  });

export function makeDvm(over: Record<string, unknown> = {}, extra: Partial<DvmDeps> = {}) {
  const deps = { ...recordingDeps(db.sql), signer: dvmSigner, allowLocal: true, ...extra };
  return { deps, service: createDvm(deps, config(over)) };
}

export function ask(tags: string[][], createdAt = nowSec()): NostrEvent {
  const event = signEvent({ kind: 5050, created_at: createdAt, tags, content: '' }, customerKey);
  relay.store.add(event);
  return event;
}
export const table = (name: string) => ['param', 'table', name];

export const answersTo = (request: NostrEvent) =>
  relay.store
    .all()
    .filter((e) => e.pubkey === dvmSigner.pubkey && e.tags.some((t) => t[0] === 'e' && t[1] === request.id));

export function onlyAnswer(request: NostrEvent): NostrEvent {
  const answers = answersTo(request);
  expect(answers).toHaveLength(1);
  const answer = answers[0] as NostrEvent;
  expect(answer.tags).toContainEqual(['e', request.id]);
  expect(answer.tags).toContainEqual(['p', request.pubkey]);
  return answer;
}
export function feedback(request: NostrEvent): { status: string; code: string; amount?: string } {
  const answer = onlyAnswer(request);
  expect(answer.kind).toBe(7000);
  const status = answer.tags.find((t) => t[0] === 'status');
  const amount = answer.tags.find((t) => t[0] === 'amount')?.[1];
  const body = JSON.parse(answer.content) as { error: { code: string } };
  return { status: status?.[1] ?? '', code: body.error.code, ...(amount === undefined ? {} : { amount }) };
}
export function result(request: NostrEvent): { data: Record<string, unknown>[]; meta: Record<string, unknown> } {
  const answer = onlyAnswer(request);
  expect(answer.kind).toBe(6050);
  const stringified = answer.tags.find((t) => t[0] === 'request')?.[1];
  expect(JSON.parse(stringified ?? 'null')).toEqual(request);
  return JSON.parse(answer.content);
}
