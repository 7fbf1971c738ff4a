/** Per-test-file database: a clone of the deployment's template, dropped after the file's tests. */
import postgres from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import { createDatabase, type Deployment, dropDatabase, randomDatabaseName } from '../databases.js';

/** A test database: its URL and a postgres.js client (admin rights) connected to it. */
export interface TestDb {
  url: string;
  sql: postgres.Sql;
  name: string;
}

/** Register hooks that create an isolated database for this test file; read it inside tests. */
export function useTestDatabase(deployment: Deployment = 'bigbrotr'): TestDb {
  const db = {} as TestDb;
  beforeAll(async () => {
    const adminUrl = inject('adminUrl');
    db.name = randomDatabaseName(`t_${deployment}`);
    db.url = await createDatabase(adminUrl, db.name, inject('templates')[deployment]);
    db.sql = postgres(db.url, { max: 4, onnotice: () => {} });
  });
  afterAll(async () => {
    await db.sql?.end({ timeout: 5 });
    if (db.name) await dropDatabase(inject('adminUrl'), db.name);
  });
  return db;
}
