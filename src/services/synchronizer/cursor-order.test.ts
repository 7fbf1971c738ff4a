/**
 * The cursor ordering alone (docs/design/write-path.md): cursors marked while a batch was open are written only
 * once that batch and every earlier one have committed, serially and in batch order; a failed write is reported
 * once and stops every later write. The write is the unit's injected dependency: a recording function, and in
 * the last test the writer's own upsert into PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { getServiceState, upsertServiceState } from '../../core/db/store.js';
import type { JsonObject } from '../../models/service-state.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { type Cursors, createCursorOrder } from './cursor-order.js';

const db = useTestDatabase('bigbrotr');
const A = 'ws://a.test';
const B = 'ws://b.test';
const cur = (until: number): JsonObject => ({ until });
const cursors = (...entries: [string, number][]): Cursors => new Map(entries.map(([u, n]) => [u, cur(n)]));
const plain = (c: Cursors): Record<string, JsonObject> => Object.fromEntries(c);

/** A write that records what it was given; `failures` lists the errors reported. */
function recording(write?: (c: Cursors) => Promise<void>) {
  const written: Record<string, JsonObject>[] = [];
  const failures: unknown[] = [];
  const order = createCursorOrder(
    async (c) => {
      written.push(plain(c));
      await write?.(c);
    },
    (err) => failures.push(err),
  );
  return { order, written, failures };
}

/** A promise and the function that resolves it. */
function gate(): [Promise<void>, () => void] {
  let open!: () => void;
  return [new Promise<void>((r) => (open = r)), () => open()];
}

describe('createCursorOrder', () => {
  it('batches committing in order: each batch’s cursors are written after it commits', async () => {
    const { order, written } = recording();
    order.committed(0, cursors([A, 10]));
    await order.settled();
    expect(written).toEqual([{ [A]: cur(10) }]);
    order.committed(1, cursors([A, 20], [B, 5]));
    await order.settled();
    expect(written).toEqual([{ [A]: cur(10) }, { [A]: cur(20), [B]: cur(5) }]);
  });

  it('a later batch committing first: its cursors wait until every earlier batch has committed', async () => {
    const { order, written } = recording();
    order.committed(2, cursors([A, 30]));
    order.committed(1, cursors([B, 20]));
    await order.settled();
    // batch 0 (which may hold events of A and B older than those cursors) is not committed: nothing written
    expect(written).toEqual([]);
    order.committed(0, cursors([A, 10], [B, 15]));
    await order.settled();
    // one write for the committed prefix, the later batch's cursor overriding the earlier one per relay
    expect(written).toEqual([{ [A]: cur(30), [B]: cur(20) }]);
  });

  it('a gap holds back only what follows it', async () => {
    const { order, written } = recording();
    order.committed(0, cursors([A, 1]));
    order.committed(2, cursors([A, 3]));
    order.committed(3, cursors([B, 4]));
    await order.settled();
    expect(written).toEqual([{ [A]: cur(1) }]);
    order.committed(1, cursors([B, 2]));
    await order.settled();
    expect(written).toEqual([{ [A]: cur(1) }, { [A]: cur(3), [B]: cur(4) }]);
  });

  it('a committed prefix without cursors writes nothing, and does not hold back later batches', async () => {
    const { order, written } = recording();
    order.committed(0, new Map());
    order.committed(1, new Map());
    await order.settled();
    expect(written).toEqual([]);
    order.committed(2, cursors([A, 7]));
    await order.settled();
    expect(written).toEqual([{ [A]: cur(7) }]);
  });

  it('writes are serial: the next one starts only after the previous has finished; settled waits for both', async () => {
    const [firstDone, finishFirst] = gate();
    let active = 0;
    let most = 0;
    let calls = 0;
    const { order, written } = recording(async () => {
      active += 1;
      most = Math.max(most, active);
      calls += 1;
      if (calls === 1) await firstDone;
      active -= 1;
    });
    order.committed(0, cursors([A, 1]));
    order.committed(1, cursors([A, 2]));
    let settled = false;
    const done = order.settled().then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(written).toEqual([{ [A]: cur(1) }]);
    expect(settled).toBe(false);
    finishFirst();
    await done;
    expect(written).toEqual([{ [A]: cur(1) }, { [A]: cur(2) }]);
    expect(most).toBe(1);
  });

  it('a failed write is reported once, settled still resolves, and no later cursor is written', async () => {
    const boom = new Error('cursor write failed');
    let calls = 0;
    const { order, written, failures } = recording(async () => {
      calls += 1;
      if (calls === 2) throw boom;
    });
    order.committed(0, cursors([A, 1]));
    order.committed(1, cursors([A, 2]));
    order.committed(2, cursors([A, 3]));
    await expect(order.settled()).resolves.toBeUndefined();
    order.committed(3, cursors([B, 4]));
    await order.settled();
    expect(written).toEqual([{ [A]: cur(1) }, { [A]: cur(2) }]);
    expect(failures).toEqual([boom]);
  });

  it('through PostgreSQL: the stored cursor never passes an uncommitted batch', async () => {
    const url = 'ws://pg.test';
    const failures: unknown[] = [];
    const order = createCursorOrder(
      (due) =>
        upsertServiceState(
          db.sql,
          [...due].map(([stateKey, stateValue]) => ({
            serviceName: 'synchronizer' as const,
            stateType: 'cursor' as const,
            stateKey,
            stateValue,
          })),
        ).then(() => undefined),
      (err) => failures.push(err),
    );
    const stored = async () => (await getServiceState(db.sql, 'synchronizer', 'cursor', url))[0]?.stateValue;
    order.committed(1, cursors([url, 200]));
    await order.settled();
    expect(await stored()).toBeUndefined();
    order.committed(0, cursors([url, 100]));
    await order.settled();
    expect(await stored()).toEqual(cur(200));
    expect(failures).toEqual([]);
  });
});
