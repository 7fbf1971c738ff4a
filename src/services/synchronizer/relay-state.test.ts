/**
 * Step 1 and step 5 of one relay's sync (docs/design/synchronizer.md): its state read in one query from
 * `service_state` (cursor, checkpoint, last outcome) and written once at the end, against a real PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { upsertServiceState } from '../../core/db/store.js';
import { syncCursorValue } from '../../models/service-state.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { gapOf, mergeStatus, readRelayState, type SyncStatus, writeRelayState } from './relay-state.js';

const db = useTestDatabase('bigbrotr');

let n = 0;
const relayUrl = (): string => `wss://relay${++n}.example.com`;
const ID = 'ab'.repeat(32);

const status = (over: Partial<SyncStatus> = {}): SyncStatus => ({
  complete: false,
  reason: 'timeout',
  resume_at: 1_700_000_000,
  withheld: {},
  unserved: 0,
  gaps: [],
  late: 0,
  updated_at: 1_700_000_500,
  ...over,
});

const putCursor = (
  url: string,
  value: Record<string, unknown>,
  serviceName: 'synchronizer' | 'finder' = 'synchronizer',
) => upsertServiceState(db.sql, [{ serviceName, stateType: 'cursor', stateKey: url, stateValue: value }]);

describe('readRelayState', () => {
  it('a relay with no stored state has no cursor, an empty checkpoint and no status', async () => {
    const state = await readRelayState(db.sql, relayUrl());
    expect(state).toEqual({ cursor: undefined, checkpoint: {}, status: undefined });
    expect('cursorInvalid' in state).toBe(false);
  });

  it("reads the reference's cursor {timestamp, id} as its timestamp", async () => {
    const url = relayUrl();
    await putCursor(url, syncCursorValue(1_700_000_123, ID));
    const state = await readRelayState(db.sql, url);
    expect(state.cursor).toBe(1_700_000_123);
    expect('cursorInvalid' in state).toBe(false);
  });

  it("reads an older BigBrotr's {timestamp} and a timestamp stored as a string of digits", async () => {
    const older = relayUrl();
    await putCursor(older, { timestamp: 1_650_000_000 });
    expect((await readRelayState(db.sql, older)).cursor).toBe(1_650_000_000);
    const text = relayUrl();
    await putCursor(text, { timestamp: '1650000001', id: ID });
    expect((await readRelayState(db.sql, text)).cursor).toBe(1_650_000_001);
  });

  it('a malformed cursor is no cursor, with the reason it could not be read', async () => {
    const noTimestamp = relayUrl();
    await putCursor(noTimestamp, { timestamp: 'yesterday', id: ID });
    expect(await readRelayState(db.sql, noTimestamp)).toEqual({
      cursor: undefined,
      cursorInvalid: 'timestamp is missing or not an integer',
      checkpoint: {},
      status: undefined,
    });
    const badId = relayUrl();
    await putCursor(badId, { timestamp: 1_700_000_000, id: 'not-hex' });
    const state = await readRelayState(db.sql, badId);
    expect(state.cursor).toBeUndefined();
    expect(state.cursorInvalid).toBe('id is not 64 hex characters');
  });

  it("reads only the synchronizer's rows of this relay", async () => {
    const url = relayUrl();
    const other = relayUrl();
    await putCursor(url, { timestamp: 1_600_000_000 }, 'finder');
    await putCursor(other, syncCursorValue(1_600_000_001));
    await writeRelayState(db.sql, other, { nip77: true }, status());
    expect(await readRelayState(db.sql, url)).toEqual({ cursor: undefined, checkpoint: {}, status: undefined });
  });
});

describe('writeRelayState', () => {
  it('round-trips the checkpoint and the outcome, beside the cursor the writer stored', async () => {
    const url = relayUrl();
    await putCursor(url, syncCursorValue(1_700_000_000, ID));
    const checkpoint = { nip77: true, probed_at: 1_700_000_100, short_pages_suspect: true };
    const outcome = status({
      complete: false,
      reason: 'unlistable-second',
      detail: 'kind 1 at 1700000050',
      withheld: { '4': 12, '1059': null },
      unserved: 3,
      gaps: [gapOf(1_700_000_050, [1], 500, 'full page of one kind')],
      late: 7,
    });
    await writeRelayState(db.sql, url, checkpoint, outcome);
    expect(await readRelayState(db.sql, url)).toEqual({ cursor: 1_700_000_000, checkpoint, status: outcome });
  });

  it('replaces the whole checkpoint and outcome, and never touches the cursor', async () => {
    const url = relayUrl();
    await putCursor(url, syncCursorValue(1_700_000_000, ID));
    await writeRelayState(db.sql, url, { nip77: true, payment_required_at: 5 }, status({ late: 4 }));
    const second = status({ complete: true, reason: null, resume_at: 1_700_000_900 });
    await writeRelayState(db.sql, url, { nip77: false }, second);
    const state = await readRelayState(db.sql, url);
    expect(state.checkpoint).toEqual({ nip77: false });
    expect(state.status).toEqual(second);
    expect(state.cursor).toBe(1_700_000_000);
    const [row] = await db.sql<{ state_value: unknown }[]>`
      SELECT state_value FROM service_state
      WHERE service_name = 'synchronizer' AND state_type = 'cursor' AND state_key = ${url}`;
    expect(row?.state_value).toEqual({ timestamp: 1_700_000_000, id: ID });
  });
});

describe('mergeStatus', () => {
  it('without a previous outcome, the next one is kept as it is', () => {
    const next = status({ withheld: { '4': null }, unserved: 2, gaps: [gapOf(10, [1], 5)] });
    expect(mergeStatus(undefined, next)).toBe(next);
  });

  it('keeps withheld kinds: a known count wins over null, a new count replaces an old one', () => {
    const previous = status({ withheld: { '4': 10, '1059': null, '7': 3 } });
    const next = status({ withheld: { '4': null, '1059': 2, '30000': null, '7': 9 } });
    expect(mergeStatus(previous, next).withheld).toEqual({ '4': 10, '1059': 2, '7': 9, '30000': null });
  });

  it('adds unserved ids, appends gaps keeping the latest 100, and replaces everything else', () => {
    const old = Array.from({ length: 90 }, (_, i) => gapOf(i, [1], 500));
    const fresh = Array.from({ length: 20 }, (_, i) => gapOf(1_000 + i, [1], 500));
    const previous = status({ complete: false, reason: 'timeout', detail: 'slow', unserved: 5, gaps: old, late: 9 });
    const next = status({
      complete: true,
      reason: null,
      resume_at: 1_700_100_000,
      unserved: 2,
      gaps: fresh,
      late: 1,
      updated_at: 1_700_200_000,
    });
    const merged = mergeStatus(previous, next);
    expect(merged.unserved).toBe(7);
    expect(merged.gaps).toHaveLength(100);
    expect(merged.gaps).toEqual([...old.slice(10), ...fresh]);
    expect(merged).toMatchObject({ complete: true, reason: null, resume_at: 1_700_100_000, late: 1 });
    expect(merged.updated_at).toBe(1_700_200_000);
    expect('detail' in merged).toBe(false);
  });

  it('reads a stored outcome without unserved or gaps as none', () => {
    const stored = { ...status(), unserved: undefined, gaps: undefined } as unknown as SyncStatus;
    const merged = mergeStatus(stored, status({ unserved: 4, gaps: [gapOf(3, [1], 2)] }));
    expect(merged.unserved).toBe(4);
    expect(merged.gaps).toEqual([gapOf(3, [1], 2)]);
  });
});

describe('gapOf', () => {
  it('keeps up to 16 kinds as they are, with the detail only when there is one', () => {
    const kinds = Array.from({ length: 16 }, (_, i) => i);
    expect(gapOf(1_700_000_000, kinds, 500)).toEqual({ second: 1_700_000_000, kinds, seen: 500 });
    expect(gapOf(5, [1], 2, 'why')).toEqual({ second: 5, kinds: [1], seen: 2, detail: 'why' });
    expect('detail' in gapOf(5, [1], 2, '')).toBe(false);
  });

  it('stores a longer kind list as its first and last kind, marked as a range', () => {
    const kinds = Array.from({ length: 17 }, (_, i) => 100 + i);
    expect(gapOf(9, kinds, 1_000)).toEqual({ second: 9, kinds: [100, 116], kinds_range: true, seen: 1_000 });
  });
});
