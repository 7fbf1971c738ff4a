/**
 * End-to-end `bigbrotr import` of a 100,000-event JSONL file into a fresh embedded database, then the same
 * file again (every event a duplicate). Runs the built CLI as a user would (`npm run build` first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateEvents, writeEventsJsonl } from '../src/testing/events.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function runImport(file: string, env: NodeJS.ProcessEnv): { seconds: number; summary: string } {
  const start = performance.now();
  const r = spawnSync(
    'node',
    ['bin/bigbrotr.js', 'import', file, '--relay', 'wss://import.example.com', '--log-level', 'warn'],
    {
      cwd: root,
      env,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`import failed: ${r.stderr}`);
  return { seconds: (performance.now() - start) / 1000, summary: r.stdout.trim().split('\n').at(-1) ?? '' };
}

/** Run the import benchmark. */
export default async function bench(): Promise<string[]> {
  const n = 100_000;
  const dir = await mkdtemp(join(tmpdir(), 'bb-import-bench-'));
  const file = join(dir, 'events.jsonl');
  await writeEventsJsonl(
    file,
    generateEvents(n, {
      seed: 7,
      pubkeys: 500,
      kinds: [1, 1, 1, 7, 0, 3, 30023],
      contentSize: 200,
      tags: (i) => [
        ['e', ((i * 2654435761) % 2 ** 32).toString(16).padStart(64, '0')],
        ['p', (i % 997).toString(16).padStart(64, '0')],
        ['t', 'nostr'],
      ],
    }),
  );
  const env = { ...process.env, BIGBROTR_DATA_DIR: join(dir, 'pg') };
  try {
    const fresh = runImport(file, env);
    const again = runImport(file, env);
    return [
      `file: ${n} events, JSONL, 200-byte content, 3 tags; fresh embedded database (wall time includes server start)`,
      `fresh database: ${Math.round(n / fresh.seconds).toLocaleString('en-US')} events/s (${fresh.seconds.toFixed(1)} s) — ${fresh.summary}`,
      `all duplicates: ${Math.round(n / again.seconds).toLocaleString('en-US')} events/s (${again.seconds.toFixed(1)} s) — ${again.summary}`,
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
