/**
 * The examples of docs/api.md and docs/dvm.md, read from the markdown, run against services built from the
 * shipped deployment config (deployments/bigbrotr/config) on a seeded archive: the API through the CLI's own
 * factory with real curl and jq (only its port changed: 0, a free one), the DVM's job requests through its answer
 * path with the shipped dvm.yaml tables. A doc example that stops working fails here.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../core/config/load.js';
import { refreshAllStatistics } from '../core/db/maintenance.js';
import { insertEventRelaysCascade, insertRelays } from '../core/db/store.js';
import type { Service } from '../core/runner.js';
import { loadCatalog } from '../core/tables/catalog.js';
import type { NostrEvent } from '../models/event.js';
import type { RelayUrl } from '../models/relay.js';
import { type ApiConfig, apiConfigSchema } from '../services/api/config.js';
import { answerRequest } from '../services/dvm/answer.js';
import { dvmConfigSchema } from '../services/dvm/config.js';
import { generateEvents } from '../testing/events.js';
import { recordingLogger } from '../testing/service-deps.js';
import { useTestDatabase } from '../testing/vitest/db.js';
import { resolveDeployment } from './deployment.js';
import { buildService } from './services.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url);
const doc = (name: string): string => readFileSync(new URL(`docs/${name}`, ROOT), 'utf8');
const deployment = resolveDeployment(new URL('.', ROOT).pathname, 'deployments/bigbrotr');
const NOW = Math.floor(Date.now() / 1000);
const DAMUS = { url: 'wss://relay.damus.io' as RelayUrl, network: 'clearnet' as const, discoveredAt: NOW - 86_400 };
const ONION = { url: `ws://${'n'.repeat(56)}.onion` as RelayUrl, network: 'tor' as const, discoveredAt: NOW };

/** The fenced blocks of `lang` in `markdown` after the heading `section` (up to the next `## `). */
function fencedBlocks(markdown: string, lang: string, section?: string): string[] {
  let text = markdown;
  if (section) {
    const start = text.indexOf(`\n${section}\n`);
    if (start < 0) throw new Error(`no section ${section}`);
    const end = text.indexOf('\n## ', start + section.length + 2);
    text = text.slice(start, end < 0 ? undefined : end);
  }
  return [...text.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1] ?? '');
}

/**
 * A bash script running every command line of a block with `set -euo pipefail`; curl fails on an HTTP error, and a
 * line ending in `# <text>` must print exactly that text.
 */
function script(block: string, values: Record<string, string>): { text: string; commands: number } {
  let commands = 0;
  const lines = block.split('\n').flatMap((raw) => {
    const line = raw.replace(/<([a-z-]+)>/g, (m, k: string) => values[k] ?? m);
    if (line.trim() === '' || line.trim().startsWith('#')) return [];
    commands += 1;
    const expected = /\s#\s+(\S.*)$/.exec(line)?.[1];
    const cmd = expected === undefined ? line : line.slice(0, line.lastIndexOf('#')).trimEnd();
    const quoted = JSON.stringify(line).replaceAll('$', '\\$').replaceAll('`', '\\`');
    if (expected === undefined) return [`${cmd} > /dev/null || { echo ${quoted} >&2; exit 1; }`];
    return [`out=$(${cmd}); [ "$out" = ${JSON.stringify(expected)} ] || { echo "$out: "${quoted} >&2; exit 1; }`];
  });
  const text = ['set -euo pipefail', 'curl() { command curl --fail-with-body --max-time 20 "$@"; }', ...lines];
  return { text: text.join('\n'), commands };
}

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
    await refreshAllStatistics(db.sql);
  });
  afterAll(async () => {
    for (const s of services) await s.close?.();
  });

  const [shippedBlock, eventBlock, ...rest] = fencedBlocks(doc('api.md'), 'sh', '## Examples');

  it('docs/api.md has its two example blocks', () => {
    expect(rest).toEqual([]);
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
    const md = doc('dvm.md');
    const json = fencedBlocks(md, 'json').find((b) => b.includes('"kind": 5050'));
    const fromJson = JSON.parse(json ?? '{}') as { kind: number; tags: string[][] };
    // `nak event -k 5050 -t 'param=table;relay' …`: each -t 'a=b;c' is the tag [a, b, c]
    const nak = fencedBlocks(md, 'sh')
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
