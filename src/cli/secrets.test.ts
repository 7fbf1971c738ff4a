import { describe, expect, it } from 'vitest';
import { cliDatabaseEnv } from '../testing/cli-env.js';
import { captureIo } from '../testing/cli-io.js';
import { useTestDatabase } from '../testing/vitest/db.js';
import { main } from './main.js';

const db = useTestDatabase('bigbrotr');
const SECRET = 'Pw-not-to-echo-7';

async function run(argv: string[], env: Record<string, string>): Promise<{ code: number; all: string }> {
  const captured = captureIo(env);
  const code = await main(argv, captured.io);
  return { code, all: captured.out() + captured.err() };
}

describe('credentials in the configuration are never echoed', () => {
  it('refuses a DB_HOST given as a URL (or user:password@host), its password redacted', async () => {
    for (const host of [`postgres://admin:${SECRET}@127.0.0.1:1/bigbrotr`, `admin:${SECRET}@127.0.0.1`]) {
      const r = await run(['db', 'verify', '--log-level', 'debug'], {
        ...cliDatabaseEnv(db.url),
        DB_HOST: host,
        DB_ADMIN_PASSWORD: SECRET,
      });
      expect(r.code, r.all).toBe(2);
      expect(r.all).toContain('database.host: must be a host name or address, not a URL');
      expect(r.all).toContain('***@');
      expect(r.all).not.toContain(SECRET);
    }
  }, 120_000);

  it('redacts a password put in the user name or the database name', async () => {
    for (const extra of [{ DB_USER: `admin:${SECRET}@x` }, { DB_NAME: `db password=${SECRET}` }]) {
      const r = await run(['db', 'verify', '--log-level', 'debug'], { ...cliDatabaseEnv(db.url), ...extra });
      expect(r.code, r.all).not.toBe(0);
      expect(r.all).not.toContain(SECRET);
    }
  }, 120_000);
});
