import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NostrEvent } from '../models/event.js';
import { artifactDir } from '../testing/artifacts.js';
import { cliDatabaseEnv } from '../testing/cli-env.js';
import { captureIo } from '../testing/cli-io.js';
import { generateEvents, signEvent, testSecretKey } from '../testing/events.js';
import { useTestDatabase } from '../testing/vitest/db.js';
import { main } from './main.js';

const db = useTestDatabase('bigbrotr');
const lil = useTestDatabase('lilbrotr');

async function run(argv: string[], url = db.url): Promise<{ code: number; out: string; err: string }> {
  const captured = captureIo(cliDatabaseEnv(url));
  const code = await main(argv, captured.io);
  return { code, out: captured.out(), err: captured.err() };
}

async function jsonl(name: string, events: readonly unknown[]): Promise<string> {
  const file = join(await artifactDir('bb-audit-'), name);
  await writeFile(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  return file;
}

const forge = (e: NostrEvent): NostrEvent => ({ ...e, content: `${e.content} (altered)` });

async function sightings(relayUrl: string): Promise<number> {
  const [row] = await db.sql`SELECT count(*)::int AS n FROM event_relay WHERE relay_url = ${relayUrl}`;
  return row?.n as number;
}

describe('import of forged and unstorable lines, then db audit', () => {
  const events = generateEvents(40, { seed: 51 });
  const key = testSecretKey(51, 7);
  const surrogate = signEvent({ created_at: 1_700_000_000, kind: 1, tags: [], content: 'x\ud800y' }, key);
  const surrogateTag = signEvent({ created_at: 1_700_000_001, kind: 1, tags: [['t', '\udfff']], content: '' }, key);

  it('a forged line is invalid (never a duplicate, never a relay row), whatever its place in the file', async () => {
    // forged before and after the honest copy, in the same batch and in another one
    const lines = [
      ...events.slice(0, 5).map(forge),
      ...events,
      ...events.slice(10, 25).map(forge),
      surrogate,
      surrogateTag,
    ];
    const file = await jsonl('mixed.jsonl', lines);
    const r = await run(['import', file, '--relay', 'wss://mixed.example.com', '--batch-size', '10']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('line 1: id does not match the event');
    expect(r.out).toContain('line 61: lone UTF-16 surrogate in content');
    expect(r.out).toContain('line 62: lone UTF-16 surrogate in a tag');
    expect(r.out.trim().split('\n').at(-1)).toBe('read=62 inserted=40 duplicates=0 invalid=22');

    // a file of forged copies of stored events, from another source: nothing credited to it
    const forgedFile = await jsonl('forged.jsonl', events.map(forge));
    const f = await run(['import', forgedFile, '--relay', 'wss://forger.example.com']);
    expect(f.out.trim().split('\n').at(-1)).toBe('read=40 inserted=0 duplicates=0 invalid=40');
    expect(await sightings('wss://forger.example.com')).toBe(0);
    const [content] =
      await db.sql`SELECT content FROM event WHERE id = ${Buffer.from(events[12]?.id as string, 'hex')}`;
    expect(content?.content).toBe(events[12]?.content);

    const audit = await run(['db', 'audit']);
    expect(audit.out).toContain('audited 40 events (every stored event)');
    expect(audit.out).toContain(': 0 do not verify');
    expect(audit.code).toBe(0);
  });

  it('db audit lists a row that no longer verifies and exits 1; --sample audits part', async () => {
    const target = events[7] as NostrEvent;
    await db.sql`UPDATE event SET tags = '[["t","changed"]]'::jsonb WHERE id = ${Buffer.from(target.id, 'hex')}`;
    const audit = await run(['db', 'audit']);
    expect(audit.code).toBe(1);
    expect(audit.out).toContain(`${target.id} id does not match the event`);
    expect(audit.out).toContain(': 1 do not verify');
    expect(audit.err).toContain('audit_progress checked=40');
    const sample = await run(['db', 'audit', '--sample', '5']);
    expect(sample.out).toMatch(/audited [1-5] events \(a random sample of 5 probes\)/);
    expect((await run(['db', 'audit', '--sample', 'x'])).code).toBe(2);
    expect((await run(['db', 'audit', '--help'])).out).toContain('--sample N');
  });

  it('on lilbrotr, says what cannot be checked and exits 2 instead of pretending', async () => {
    const file = await jsonl('lil.jsonl', events.slice(0, 5));
    const deployment = ['--deployment', 'deployments/lilbrotr'];
    const imported = await run(['import', file, '--relay', 'wss://lil.example.com', ...deployment], lil.url);
    expect(imported.out.trim().split('\n').at(-1)).toBe('read=5 inserted=5 duplicates=0 invalid=0');
    const audit = await run(['db', 'audit', ...deployment], lil.url);
    expect(audit.code).toBe(2);
    expect(audit.out).toContain('keeps no tags, content or signature (lilbrotr)');
    expect(audit.out).toContain('not checked: ids and signatures of the 5 stored events');
  });
});
