import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { artifactDir } from '../../testing/artifacts.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { startEmbeddedPostgres } from '../embedded.js';
import { createDb, type DbOpts } from './pool.js';

const db = useTestDatabase('bigbrotr');

const optsOf = (url: string): DbOpts => {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    database: u.pathname.slice(1),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
};

describe('database pool', () => {
  it('opens sessions with our name, UTC, the statement timeout and JIT off', async () => {
    await using open = await createDb({
      ...optsOf(db.url),
      applicationName: 'bigbrotr-test',
      statementTimeoutMs: 1234,
    });
    const [row] = await open.sql<{ a: string; t: string; s: string; j: string }[]>`
      SELECT current_setting('application_name') AS a, current_setting('TimeZone') AS t,
        current_setting('statement_timeout') AS s, current_setting('jit') AS j`;
    expect(row).toEqual({ a: 'bigbrotr-test', t: 'UTC', s: '1234ms', j: 'off' });
  });

  // postgres.js 3.4.9 without patches/postgres+3.4.9.patch: the old server's last errors come back on the new
  // connections, a connection waits for its 10 s connect timeout, and reconnections back off for up to 20 s
  it('serves a busy pool again as soon as a restarted server is back, without stale errors', async () => {
    const dir = await artifactDir('bb-pool-restart-');
    let server = await startEmbeddedPostgres({ dataDir: join(dir, 'pg') });
    try {
      await using open = await createDb({ ...optsOf(server.url), maxSize: 5 });
      await open.sql`CREATE TABLE t (x int)`;
      let restartedAt = Number.POSITIVE_INFINITY;
      let stop = false;
      const lateErrors: string[] = [];
      const lastOk: number[] = [];
      const worker = async (k: number): Promise<void> => {
        while (!stop) {
          try {
            if (k % 2)
              await open.sql.begin(async (tx) => {
                await tx`INSERT INTO t VALUES (${k})`;
                await tx`SELECT pg_sleep(0.01)`;
              });
            else await Promise.all([open.sql`SELECT pg_sleep(0.005)`, open.sql`SELECT count(*) FROM t`]);
            lastOk[k] = Date.now();
          } catch (err) {
            if (Date.now() > restartedAt) lateErrors.push((err as Error).message);
            await sleep(100);
          }
        }
      };
      const workers = Array.from({ length: 7 }, (_, k) => worker(k));
      await sleep(1_000);
      await server.stop();
      await sleep(1_000);
      server = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: server.port });
      restartedAt = Date.now();
      await sleep(6_000);
      // every worker was served again within the last three seconds (one stuck in a reconnection back-off or a
      // connect timeout is not)
      const served = lastOk.filter((t) => t > restartedAt + 3_000).length;
      stop = true;
      await Promise.all(workers);
      expect(lateErrors).toEqual([]);
      expect(served).toBe(7);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
