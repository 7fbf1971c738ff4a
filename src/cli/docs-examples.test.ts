/**
 * The examples of docs/api.md and docs/dvm.md, read from the markdown, run against services built from the
 * shipped deployment config (deployments/bigbrotr/config) on a seeded archive: the API through the CLI's own
 * factory with real curl and jq (only its port changed: 0, a free one), the DVM's job requests through its answer
 * path with the shipped dvm.yaml tables. A doc example that stops working fails here.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../core/config/load.js';
import { refreshAllStatistics } from '../core/db/maintenance.js';
import { insertEventRelaysCascade, insertRelayMetadataCascade, insertRelays } from '../core/db/store.js';
import type { Service } from '../core/runner.js';
import { loadCatalog } from '../core/tables/catalog.js';
import type { NostrEvent } from '../models/event.js';
import { buildMetadata } from '../models/metadata.js';
import type { RelayUrl } from '../models/relay.js';
import { type ApiConfig, apiConfigSchema } from '../services/api/config.js';
import { answerRequest } from '../services/dvm/answer.js';
import { dvmConfigSchema } from '../services/dvm/config.js';
import { generateEvents } from '../testing/events.js';
import { recordingLogger } from '../testing/service-deps.js';
import { useTestDatabase } from '../testing/vitest/db.js';
import { docBlocks, runnableBlocks, script } from '../testing/vitest/doc-blocks.js';
import { resolveDeployment } from './deployment.js';
import { buildService } from './services.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url);
const deployment = resolveDeployment(new URL('.', ROOT).pathname, 'deployments/bigbrotr');
const NOW = Math.floor(Date.now() / 1000);
const DAMUS = { url: 'wss://relay.damus.io' as RelayUrl, network: 'clearnet' as const, discoveredAt: NOW - 86_400 };
const ONION = { url: `ws://${'n'.repeat(56)}.onion` as RelayUrl, network: 'tor' as const, discoveredAt: NOW };

describe('the examples of docs/', () => {
  const db = useTestDatabase('bigbrotr');
  // one kind-1 note, and 19 events tagging it
  const [tagged] = generateEvents(1, { seed: 10, kinds: [1], createdAt: () => NOW - 60 }) as [NostrEvent];
  const events: NostrEvent[] = [
    tagged,
    ...generateEvents(19, { seed: 11, kinds: [1, 7], createdAt: (i) => NOW - i * 600, tags: () => [['e', tagged.id]] }),
  ];
  const values = (): Record<string, string> => ({ 'event-id': tagged.id, pubkey: tagged.pubkey });
  const services: Service[] = [];

  /** The API exactly as the CLI builds it from the shipped api.yaml (plus `extra` tables), on a free port. */
  async function startApi(extra: Partial<ApiConfig['tables']> = {}): Promise<string> {
    const file = `${deployment.servicesDir}/api.yaml`;
    const shipped = await loadConfigFile(file, apiConfigSchema, { env: {} });
    const config = { ...shipped, port: 0, tables: { ...shipped.tables, ...extra } } as ApiConfig;
    const ctx = {
      sql: db.sql,
      logger: recordingLogger([]),
      registry: new Registry(),
      deployment,
      batchSize: 500,
      env: {},
    };
    const built = await buildService('api', config, ctx, { once: true, signal: new AbortController().signal });
    services.push(built.service);
    return (built.service as unknown as { url: string }).url;
  }

  beforeAll(async () => {
    await insertRelays(db.sql, [ONION]);
    await insertEventRelaysCascade(
      db.sql,
      events.map((event) => ({ event, relay: DAMUS, seenAt: event.created_at + 1 })),
    );
    // checks of damus (whole milliseconds, as the monitor stores them) whose averages repeat (301 / 3)
    const rtt = (ms: number) => ({
      data: { rtt_open: ms, rtt_read: ms + 5, rtt_write: ms + 9 },
      logs: { open_success: true, read_success: true, write_success: true },
    });
    await insertRelayMetadataCascade(
      db.sql,
      [100, 100, 101].map((ms, i) => ({
        relay: DAMUS,
        metadata: buildMetadata('nip66_rtt', rtt(ms)),
        generatedAt: NOW - i * 3_600,
      })),
    );
    await refreshAllStatistics(db.sql);
  });
  afterAll(async () => {
    for (const s of services) await s.close?.();
  });

  const [shippedBlock, eventBlock, ...rest] = runnableBlocks('api.md').map((b) => b.text);

  it('docs/api.md has its two example blocks, docs/dvm.md none to run (its nak block is read below)', () => {
    expect(rest).toEqual([]);
    expect(runnableBlocks('dvm.md')).toEqual([]);
    expect(shippedBlock).toContain('$API/v1/');
    expect(eventBlock).toContain('$API/v1/event_relay/');
  });

  it('runs every example against the shipped api.yaml', async () => {
    const api = await startApi();
    const { text, commands } = script(shippedBlock ?? '', values());
    expect(commands).toBe(15);
    const { stderr } = await run('bash', ['-c', text.replace('API=http://localhost:8080', `API=${api}`)]).catch(
      (err: { stderr: string; stdout: string }) => ({ stderr: `FAILED ${err.stderr} ${err.stdout}` }),
    );
    expect(stderr).toBe('');
  });

  it('answers the examples with numbers rounded to at most three decimals', async () => {
    const api = await startApi();
    const urls = (shippedBlock ?? '')
      .split('\n')
      .flatMap((l) => [...l.matchAll(/curl -s "?\$API(\/[^"\s]+)/g)].map((m) => m[1] as string))
      .filter((u) => u !== '/health');
    expect(urls.length).toBeGreaterThan(8);
    const long: string[] = [];
    let decimals = 0;
    const walk = (v: unknown, at: string): void => {
      if (typeof v === 'number' && !Number.isInteger(v)) {
        decimals += 1;
        if ((String(v).split('.')[1] ?? '').length > 3) long.push(`${at}=${v}`);
      } else if (typeof v === 'string' && /^-?\d+\.\d{4,}$/.test(v)) long.push(`${at}="${v}"`);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
    };
    for (const url of urls) {
      const res = await fetch(`${api}${url}`);
      expect(res.status, url).toBe(200);
      walk(await res.json(), url);
    }
    expect(long).toEqual([]);
    expect(decimals).toBeGreaterThan(0); // the seeded round-trip times reached some answer
  });

  it('runs the event examples with event and event_relay enabled, and they are refused by the shipped file', async () => {
    const shipped = await startApi();
    const enabled = await startApi({ event: { enabled: true, price: 0 }, event_relay: { enabled: true, price: 0 } });
    const { text, commands } = script(eventBlock ?? '', values());
    expect(commands).toBe(7);
    const ok = await run('bash', ['-c', text.replace(/^/, `API=${enabled}\n`)]).catch((err: { stderr: string }) => ({
      stderr: `FAILED ${err.stderr}`,
    }));
    expect(ok.stderr).toBe('');
    const refused = await run('bash', ['-c', text.replace(/^/, `API=${shipped}\n`)]).then(
      () => 'ran',
      (err: { stderr: string }) => err.stderr,
    );
    expect(refused).toContain('/v1/events?authors=');
    for (const table of ['event', 'event_relay']) {
      const res = await fetch(`${shipped}/v1/${table}?limit=1`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unknown_table');
    }
  });

  it('answers the job requests of docs/dvm.md with the shipped dvm.yaml tables', async () => {
    const config = await loadConfigFile(`${deployment.servicesDir}/dvm.yaml`, dvmConfigSchema, {
      env: { NOSTR_PRIVATE_KEY: '1'.repeat(64) },
    });
    const catalog = await loadCatalog(db.sql, config.tables);
    const json = docBlocks('dvm.md', 'json')
      .map((b) => b.text)
      .find((b) => b.includes('"kind": 5050'));
    const fromJson = JSON.parse(json ?? '{}') as { kind: number; tags: string[][] };
    // `nak event -k 5050 -t 'param=table;relay' …`: each -t 'a=b;c' is the tag [a, b, c]
    const nak = docBlocks('dvm.md', 'sh')
      .map((b) => b.text)
      .join('\n')
      .split('\n')
      .find((l) => l.startsWith('nak event -k 5050'));
    const fromNak = [...(nak ?? '').matchAll(/-t '([^=]+)=([^;']+);([^']*)'/g)].map((m) => [m[1], m[2], m[3]]);
    expect(fromNak.length).toBeGreaterThan(2);
    for (const tags of [fromJson.tags.filter((t) => t[0] !== 'p'), fromNak as string[][]]) {
      const request = {
        ...events[1],
        kind: fromJson.kind,
        tags,
        content: '',
      } as NostrEvent;
      const answer = await answerRequest(request, catalog, {
        sql: db.sql,
        now: NOW,
        timeoutMs: 10_000,
        signal: new AbortController().signal,
        pageSize: { defaultPageSize: config.default_page_size, maxPageSize: config.max_page_size },
        maxResultBytes: 65_536,
      });
      expect(answer.outcome, JSON.stringify(answer.template.content)).toBe('result');
      const body = JSON.parse(answer.template.content) as { data: { url: string }[] };
      expect(body.data.map((r) => r.url)).toEqual([DAMUS.url]);
    }
  });
});
