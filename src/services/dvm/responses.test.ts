import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../core/tables/catalog.js';
import type { TablePage } from '../../core/tables/query.js';
import type { NostrEvent } from '../../models/event.js';
import { createSigner } from '../../nips/signer.js';
import { signEvent, testSecretKey } from '../../testing/events.js';
import { buildAnnouncement, buildErrorFeedback, buildPaymentRequired, buildResult } from './responses.js';

const request = (tags: string[][], created_at = 1_700_000_000): NostrEvent =>
  signEvent({ kind: 5050, created_at, tags, content: '' }, testSecretKey(3, 0));

describe('responses', () => {
  const req = request([['param', 'table', 'relay']]);
  const signer = createSigner(testSecretKey(4, 0));

  it('feedback carries status, e and p (and amount when payment is required)', () => {
    const err = buildErrorFeedback(req, { code: 'unknown_table', message: 'no' }, 5);
    expect(err.kind).toBe(7000);
    expect(err.tags).toEqual([
      ['status', 'error', 'no'],
      ['e', req.id],
      ['p', req.pubkey],
    ]);
    expect(JSON.parse(err.content)).toEqual({ error: { code: 'unknown_table', message: 'no' } });
    const pay = buildPaymentRequired(req, 'event', 1000, 5);
    expect(pay.tags.find((t) => t[0] === 'status')?.[1]).toBe('payment-required');
    expect(pay.tags).toContainEqual(['amount', '1000']);
  });

  it('the announcement names the request kind and lists the tables with their prices', () => {
    const catalog: Catalog = {
      tables: new Map([
        [
          'relay',
          {
            name: 'relay',
            kind: 'table',
            columns: [{ name: 'url', type: 'text', nullable: false }],
            primaryKey: ['url'],
            price: 7,
          },
        ],
      ]),
      missing: [],
    };
    const a = buildAnnouncement({ name: 'n', about: 'a', dTag: 'd', kind: 5050 }, catalog, 9);
    expect(a.kind).toBe(31990);
    expect(a.tags).toEqual([
      ['d', 'd'],
      ['k', '5050'],
    ]);
    expect(JSON.parse(a.content)).toEqual({
      name: 'n',
      about: 'a',
      tables: { relay: { price: 7, primary_key: ['url'], columns: [{ name: 'url', type: 'text' }] } },
    });
  });

  it('a result that would be too large is cut to fit, and says so', () => {
    const data = Array.from({ length: 500 }, (_, i) => ({ id: i, text: `"quoted" row ${i} ${'é'.repeat(50)}` }));
    const page: TablePage = { data, meta: { total: 500, limit: 500, offset: 0, table: 't', total_exact: true } };
    const full = buildResult(req, page, 0, { now: 1, maxBytes: 10_000_000 });
    expect(JSON.parse(full.content)).toEqual({ data, meta: page.meta });
    expect(full.tags).toEqual([
      ['request', JSON.stringify(req)],
      ['e', req.id],
      ['p', req.pubkey],
    ]);
    for (const maxBytes of [8192, 20_000, 65_536]) {
      const cut = buildResult(req, page, 3, { now: 1, maxBytes });
      const signed = signer.sign(cut);
      expect(Buffer.byteLength(JSON.stringify(['EVENT', signed]))).toBeLessThanOrEqual(maxBytes);
      const body = JSON.parse(cut.content) as { data: unknown[]; meta: Record<string, unknown> };
      expect(body.meta).toEqual({ ...page.meta, truncated: true });
      expect(body.data.length).toBeGreaterThan(0);
      expect(body.data).toEqual(data.slice(0, body.data.length));
      expect(cut.tags).toContainEqual(['amount', '3']);
    }
  });
});
