/** The PostgreSQL server the tests use: BIGBROTR_TEST_DATABASE_URL when set, else the embedded one. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { ROLE_PASSWORD_ENV } from '../../cli/service-db.js';
import { startEmbeddedPostgres } from '../../core/embedded.js';
import { artifactDir } from '../artifacts.js';

/** A running test server and how to stop it. */
export interface TestServer {
  adminUrl: string;
  /**
   * Called once the schema has created the service roles. On the embedded server (password authentication) it
   * gives each role the superuser's password, so tests and CLI processes log in as a role with the admin URL's
   * password (`cliDatabaseEnv`, the privilege tests). A server named by the environment is left as it is.
   */
  prepareRoles(): Promise<void>;
  stop(): Promise<void>;
}

/** Use the configured server, or start the embedded PostgreSQL in a fresh temporary directory. */
export async function startTestServer(): Promise<TestServer> {
  const url = process.env.BIGBROTR_TEST_DATABASE_URL;
  if (url) return { adminUrl: url, prepareRoles: async () => {}, stop: async () => {} };
  const dir = await artifactDir('bigbrotr-test-pg-');
  const server = await startEmbeddedPostgres({ dataDir: join(dir, 'pg') });
  return {
    adminUrl: server.url,
    prepareRoles: () => giveRolesAdminPassword(server.url),
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function giveRolesAdminPassword(adminUrl: string): Promise<void> {
  const password = decodeURIComponent(new URL(adminUrl).password);
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    for (const role of Object.keys(ROLE_PASSWORD_ENV)) {
      // ALTER ROLE takes no parameters: PostgreSQL quotes the name and the password itself
      const [row] = await sql<
        { stmt: string }[]
      >`SELECT format('ALTER ROLE %I PASSWORD %L', ${role}::text, ${password}::text) AS stmt`;
      if (row) await sql.unsafe(row.stmt);
    }
  } finally {
    await sql.end();
  }
}
