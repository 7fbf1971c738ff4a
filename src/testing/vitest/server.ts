/** The PostgreSQL server the tests use: BIGBROTR_TEST_DATABASE_URL when set, else the embedded one. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../core/embedded.js';
import { artifactDir } from '../artifacts.js';

/** A running test server and how to stop it. */
export interface TestServer {
  adminUrl: string;
  stop(): Promise<void>;
}

/** Use the configured server, or start the embedded PostgreSQL in a fresh temporary directory. */
export async function startTestServer(): Promise<TestServer> {
  const url = process.env.BIGBROTR_TEST_DATABASE_URL;
  if (url) return { adminUrl: url, stop: async () => {} };
  const dir = await artifactDir('bigbrotr-test-pg-');
  const server = await startEmbeddedPostgres({ dataDir: join(dir, 'pg') });
  return {
    adminUrl: server.url,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
